/**
 * Only the glue talks to the MCP SDK (src/server.ts, src/server/, src/transports/): tools, the guard, resources and
 * backends never import it, so that what they decide does not depend on a protocol revision or an SDK version.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { expect, it } from 'vitest';

const SRC = join(import.meta.dirname, '..', 'src');
const GLUE = [/^server\.ts$/, /^server\//, /^transports\//];

function files(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? files(join(dir, e.name)) : e.name.endsWith('.ts') ? [join(dir, e.name)] : []));
}

it('imports the MCP SDK only in the glue', () => {
  const importers = files(SRC)
    .filter((f) => /from '@modelcontextprotocol\//.test(readFileSync(f, 'utf8')))
    .map((f) => relative(SRC, f));
  expect(importers.length).toBeGreaterThan(0);
  expect(importers.filter((f) => !GLUE.some((g) => g.test(f)))).toEqual([]);
});
