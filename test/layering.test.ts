/**
 * Only the glue talks to the MCP SDK (src/server.ts, src/server/, src/transports/): tools, the guard, resources and
 * backends never import it, so that what they decide does not depend on a protocol revision or an SDK version.
 * The call board view (src/apps/) runs in a browser, not in the server: it may take the MCP Apps extension's wire
 * types (type-only imports, erased by the build), and nothing else from any of these packages.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { expect, it } from 'vitest';

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
