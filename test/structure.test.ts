/**
 * The shape of src/ a newcomer can change safely: no import circle (a change to one file of a circle can break the
 * load order of all the others), no file too long to read in one sitting, and the simulators in a tree of their
 * own, apart from the adapters they are meant to check.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

const SRC = join(import.meta.dirname, '..', 'src');
const MAX_LINES = 500;

function files(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? files(join(dir, e.name)) : e.name.endsWith('.ts') ? [join(dir, e.name)] : []));
}

/** Every relative import of each file of src/ (static, type-only, re-exports and dynamic import()), resolved to a file. */
export function importGraph(root: string): Map<string, string[]> {
  const graph = new Map<string, string[]>();
  for (const f of files(root)) {
    const { importedFiles } = ts.preProcessFile(readFileSync(f, 'utf8'), true, true);
    const deps = importedFiles
      .map((i) => i.fileName)
      .filter((n) => n.startsWith('.'))
      .map((n) => resolve(dirname(f), n.replace(/\.js$/, '.ts')));
    graph.set(relative(root, f), [...new Set(deps.map((d) => relative(root, d)))]);
  }
  return graph;
}

/** The import circles of a graph, each as the path of files that closes it (one per strongly connected part). */
export function circles(graph: Map<string, string[]>): string[][] {
  // Tarjan's strongly connected components; a component of two or more files (or a file importing itself) is a circle.
  let index = 0;
  const idx = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const on = new Set<string>();
  const found: string[][] = [];
  const visit = (v: string) => {
    idx.set(v, index);
    low.set(v, index++);
    stack.push(v);
    on.add(v);
    for (const w of graph.get(v) ?? []) {
      if (!graph.has(w)) continue;
      if (!idx.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (on.has(w)) low.set(v, Math.min(low.get(v)!, idx.get(w)!));
    }
    if (low.get(v) === idx.get(v)) {
      const part: string[] = [];
      let w: string;
      do {
        w = stack.pop()!;
        on.delete(w);
        part.push(w);
      } while (w !== v);
      if (part.length > 1 || (graph.get(v) ?? []).includes(v)) found.push(part.sort());
    }
  };
  for (const v of graph.keys()) if (!idx.has(v)) visit(v);
  return found;
}

/** The packages src/ imports (static, type-only or dynamic), by package name: `@modelcontextprotocol/server/x` is `@modelcontextprotocol/server`. */
function importedPackages(root: string): Set<string> {
  const out = new Set<string>();
  for (const f of files(root)) {
    for (const { fileName } of ts.preProcessFile(readFileSync(f, 'utf8'), true, true).importedFiles) {
      if (fileName.startsWith('.') || fileName.startsWith('node:')) continue;
      const parts = fileName.split('/');
      out.add(fileName.startsWith('@') ? parts.slice(0, 2).join('/') : parts[0]!);
    }
  }
  return out;
}

describe('src/', () => {
  const graph = importGraph(SRC);

  it('imports every runtime dependency package.json declares (an unused one is a cost and a risk for nothing)', () => {
    const pkg = JSON.parse(readFileSync(join(SRC, '..', 'package.json'), 'utf8')) as { dependencies: Record<string, string> };
    const used = importedPackages(SRC);
    expect(used.has('zod')).toBe(true);
    expect(Object.keys(pkg.dependencies).filter((d) => !used.has(d))).toEqual([]);
  });

  it('reads the imports it checks (the graph is not empty, and finds a planted circle)', () => {
    expect(graph.get('cli.ts')?.length).toBeGreaterThan(3);
    expect(circles(new Map([['a.ts', ['b.ts']], ['b.ts', ['c.ts']], ['c.ts', ['a.ts']], ['d.ts', ['a.ts']]]))).toEqual([['a.ts', 'b.ts', 'c.ts']]);
  });

  it('has no import circle', () => {
    expect(circles(graph)).toEqual([]);
  });

  it(`has no file over ${MAX_LINES} lines`, () => {
    const long = files(SRC)
      .map((f) => ({ file: relative(SRC, f), lines: readFileSync(f, 'utf8').trimEnd().split('\n').length }))
      .filter((f) => f.lines > MAX_LINES);
    expect(long).toEqual([]);
  });

  it('keeps simulator code out of the adapters, and adapters and simulators out of each other', () => {
    const adapter = /^backends\/(?!sim\/)[a-z]+\//;
    const simulatorFile = /(^|\/)(sim-[^/]*|simulators?|simwire|simkit)\.ts$/;
    expect([...graph.keys()].filter((f) => f.startsWith('backends/') && simulatorFile.test(f))).toEqual([]);
    const crossings = [...graph].flatMap(([f, deps]) =>
      deps
        .filter((d) => (f.startsWith('simulators/') && adapter.test(d)) || (adapter.test(f) && d.startsWith('simulators/')))
        .map((d) => `${f} -> ${d}`),
    );
    expect(crossings).toEqual([]);
  });
});
