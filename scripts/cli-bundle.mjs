#!/usr/bin/env node
// Part of the build: dist/cli.js, the executable, as an esbuild bundle of src/cli.ts with the SDK, zod and our
// modules in one file. Started from ~240 separate ES modules, a stdio server spent most of its cold start
// resolving and reading files (bench/RESULTS.md, section 4); the bundle reads a handful. Each vendor adapter, the
// HTTP transport, the numbering plan and the simulators stay separate chunks, loaded only when used.
// The chunks sit beside dist/cli.js (same depth as dist/server.js), so the paths the code resolves from its own
// location (../package.json, ./tool-schemas.json, ../scenarios) hold for both. tsc builds everything else in dist/,
// which the build's schema step and the benchmarks import.
import { readdirSync, rmSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const dist = join(root, 'dist');
const CHUNK_PREFIX = 'cli-';

for (const f of readdirSync(dist)) if (f.startsWith(CHUNK_PREFIX) || f.startsWith('cli.js')) rmSync(join(dist, f));
await build({
  entryPoints: { cli: join(root, 'src', 'cli.ts') },
  outdir: dist,
  chunkNames: `${CHUNK_PREFIX}[name]-[hash]`,
  bundle: true,
  splitting: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  legalComments: 'inline',
  // CommonJS dependencies call require() for Node built-ins; an ESM bundle has to provide one.
  banner: { js: "import { createRequire as __bundleRequire } from 'node:module'; const require = __bundleRequire(import.meta.url);" },
  logLevel: 'warning',
});
