#!/usr/bin/env node
// npm run bundle (after npm run build): the server as one ESM file (esbuild), with manifest.json and the demo scenario, packed into an
// MCP Bundle (.mcpb) by the official mcpb CLI. Output: telephony-mcp-<version>.mcpb at the repository root.
import { execFileSync } from 'node:child_process';
import { cpSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
const stage = join(root, 'build', 'mcpb');
const out = process.argv[2] ? resolve(process.argv[2]) : join(root, `telephony-mcp-${pkg.version}.mcpb`);

rmSync(stage, { recursive: true, force: true });
mkdirSync(join(stage, 'server'), { recursive: true });
await build({
  entryPoints: [join(root, 'src', 'cli.ts')],
  outfile: join(stage, 'server', 'index.js'),
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  legalComments: 'inline',
  // CommonJS dependencies call require() for Node built-ins; an ESM bundle has to provide one.
  banner: { js: "import { createRequire as __bundleRequire } from 'node:module'; const require = __bundleRequire(import.meta.url);" },
  logLevel: 'warning',
});
cpSync(join(root, 'manifest.json'), join(stage, 'manifest.json'));
// The tool schemas the build converted once (npm run build makes them), beside the server that reads them.
cpSync(join(root, 'dist', 'tool-schemas.json'), join(stage, 'server', 'tool-schemas.json'));
cpSync(join(root, 'scenarios'), join(stage, 'scenarios'), { recursive: true });
// The server reads its version from ../package.json relative to its own file.
writeFileSync(join(stage, 'package.json'), JSON.stringify({ name: pkg.name, version: pkg.version, type: 'module', private: true }, null, 2));
const manifest = JSON.parse(readFileSync(join(stage, 'manifest.json'), 'utf8'));
if (manifest.version !== pkg.version) throw new Error(`manifest.json version ${manifest.version} differs from package.json ${pkg.version}`);
execFileSync(join(root, 'node_modules', '.bin', 'mcpb'), ['pack', stage, out], { stdio: ['ignore', 'inherit', 'inherit'] });
process.stderr.write(`bundle: ${out}\n`);
