/**
 * Only the glue talks to the MCP SDK (src/server.ts, src/server/, src/transports/): tools, the guard, resources and
 * backends never import it, so that what they decide does not depend on a protocol revision or an SDK version.
 * Backends know no tool either, and are reached only through their PBX handle.
 * The call board view (src/apps/) runs in a browser, not in the server: it may take the MCP Apps extension's wire
 * types (type-only imports, erased by the build), and nothing else from any of these packages.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import ts from 'typescript';
import { expect, it } from 'vitest';
import { ALL_TOOLS } from '../src/tools/index.js';

const SRC = join(import.meta.dirname, '..', 'src');
const GLUE = [/^server\.ts$/, /^server\//, /^transports\//];
const VIEWS = /^apps\//;

function files(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? files(join(dir, e.name)) : e.name.endsWith('.ts') ? [join(dir, e.name)] : []));
}

/** The `from '...'` specifiers of a file's import statements, with whether each is type-only. */
function imports(file: string): { spec: string; typeOnly: boolean }[] {
  return [...readFileSync(file, 'utf8').matchAll(/^import\s+(type\s+)?[^;]*?from\s+'([^']+)'/gms)].map((m) => ({ spec: m[2]!, typeOnly: !!m[1] }));
}

it('imports the MCP SDK only in the glue', () => {
  const importers = files(SRC)
    .filter((f) => !VIEWS.test(relative(SRC, f)))
    .filter((f) => /from '@modelcontextprotocol\//.test(readFileSync(f, 'utf8')))
    .map((f) => relative(SRC, f));
  expect(importers.length).toBeGreaterThan(0);
  expect(importers.filter((f) => !GLUE.some((g) => g.test(f)))).toEqual([]);
});

/** The text of every string and template literal of a file (its prose), comments left out. */
function literals(file: string): string[] {
  const source = ts.createSourceFile(file, readFileSync(file, 'utf8'), ts.ScriptTarget.Latest, true);
  const out: string[] = [];
  const visit = (n: ts.Node): void => {
    if (ts.isStringLiteral(n) || ts.isNoSubstitutionTemplateLiteral(n)) out.push(n.text);
    else if (ts.isTemplateExpression(n)) out.push([n.head.text, ...n.templateSpans.map((s) => s.literal.text)].join('${}'));
    n.forEachChild(visit);
  };
  visit(source);
  return out;
}

it('keeps tool and argument names out of the backends: they report kind and facts, wording.ts and the tools word them', () => {
  const words = new Set<string>();
  // Names with an underscore: get_active_call, call_id... (hangup, transfer or conference are also plain words).
  for (const t of ALL_TOOLS) {
    for (const name of [t.name, ...Object.keys((t.input as { shape: Record<string, unknown> }).shape)]) if (name.includes('_')) words.add(name);
  }
  const named = new RegExp(`\\b(${[...words].join('|')})\\b`);
  // Prose only: a literal with a space. A vendor's own identifier (an XML-RPC method, a JSON field, a URL path) that
  // happens to share a tool's name is a single token.
  // model.ts is the vocabulary of the tools' results: its descriptions are written for a model.
  const found = files(join(SRC, 'backends'))
    .filter((f) => !f.endsWith('model.ts'))
    .flatMap((f) =>
    literals(f)
      .filter((s) => s.includes(' ') && named.test(s))
      .map((s) => `${relative(SRC, f)}: ${s.slice(0, 100)}`),
  );
  expect(literals(join(SRC, 'tools', 'define.ts')).some((s) => named.test(s) && s.includes(' '))).toBe(true);
  expect(found).toEqual([]);
});

it('reaches a backend only through its PBX handle, which says which PBX an error concerns: no thrower does it by hand', () => {
  const bypass = files(SRC)
    .filter((f) => !f.endsWith(join('backends', 'registry.ts')))
    .flatMap((f) =>
      readFileSync(f, 'utf8')
        .split('\n')
        .filter((l) => /\.backend\.|\bpbxType: (pbx|this)\.type|\.at\((this|pbx)\./.test(l))
        .map((l) => `${relative(SRC, f)}: ${l.trim()}`),
    );
  expect(bypass).toEqual([]);
});

it('keeps Redis in src/shared/redis: backends get shared state through their deps, and nothing else imports the client', () => {
  const all = files(SRC).map((f) => ({ file: relative(SRC, f), text: readFileSync(f, 'utf8') }));
  const client = all.filter((f) => /from '@redis\//.test(f.text)).map((f) => f.file);
  expect(client.length).toBeGreaterThan(0);
  expect(client.filter((f) => !f.startsWith('shared/redis/'))).toEqual([]);
  // Only the one place that chooses loads the Redis implementations (and only when configured).
  const redisImpl = all.filter((f) => /from '(\.\.?\/)+(shared\/)?redis\//.test(f.text) || /import\('\.\/redis\//.test(f.text)).map((f) => f.file);
  expect(redisImpl.filter((f) => !f.startsWith('shared/'))).toEqual([]);
  const backends = all.filter((f) => f.file.startsWith('backends/') && /from '(\.\.\/)+shared\//.test(f.text)).map((f) => f.file);
  expect(backends).toEqual([]);
});

it('lets the views take only type-only imports of the MCP Apps extension, and no server module at run time', () => {
  const views = files(SRC).filter((f) => VIEWS.test(relative(SRC, f)));
  expect(views.length).toBeGreaterThan(0);
  const offending = views.flatMap((f) =>
    imports(f)
      .filter(
        ({ spec, typeOnly }) =>
          (spec.startsWith('@modelcontextprotocol/') && (spec !== '@modelcontextprotocol/ext-apps' || !typeOnly)) ||
          // The server's own modules hold zod schemas: a value import would bundle zod into the page.
          (spec.startsWith('../../') && !typeOnly) ||
          (!spec.startsWith('.') && !spec.startsWith('@modelcontextprotocol/')),
      )
      .map(({ spec }) => `${relative(SRC, f)}: ${spec}`),
  );
  expect(offending).toEqual([]);
});
