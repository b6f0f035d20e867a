#!/usr/bin/env node
// npm run bundle (after npm run build): the bundled server the build made (dist/cli.js and its chunks), with manifest.json and the demo scenario, packed into an
// MCP Bundle (.mcpb) by the official mcpb CLI. Output: telephony-mcp-<version>.mcpb at the repository root.
import { execFileSync } from 'node:child_process';
import { cpSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
const stage = join(root, 'build', 'mcpb');
const out = process.argv[2] ? resolve(process.argv[2]) : join(root, `telephony-mcp-${pkg.version}.mcpb`);
const dist = join(root, 'dist');

rmSync(stage, { recursive: true, force: true });
mkdirSync(join(stage, 'server'), { recursive: true });
// The build's own executable (scripts/cli-bundle.mjs): dist/cli.js and the chunks beside it, without source maps.
cpSync(join(dist, 'cli.js'), join(stage, 'server', 'index.js'));
for (const f of readdirSync(dist)) if (f.startsWith('cli-') && f.endsWith('.js')) cpSync(join(dist, f), join(stage, 'server', f));
cpSync(join(root, 'manifest.json'), join(stage, 'manifest.json'));
// The tool schemas the build converted once (npm run build makes them), beside the server that reads them.
cpSync(join(root, 'dist', 'tool-schemas.json'), join(stage, 'server', 'tool-schemas.json'));
// The call board page (MCP Apps), read beside the server too (scripts/app-bundle.mjs makes it).
cpSync(join(root, 'dist', 'call-board.html'), join(stage, 'server', 'call-board.html'));
cpSync(join(root, 'scenarios'), join(stage, 'scenarios'), { recursive: true });
// The server reads its version from ../package.json relative to its own file.
writeFileSync(join(stage, 'package.json'), JSON.stringify({ name: pkg.name, version: pkg.version, type: 'module', private: true }, null, 2));
const manifest = JSON.parse(readFileSync(join(stage, 'manifest.json'), 'utf8'));
if (manifest.version !== pkg.version) throw new Error(`manifest.json version ${manifest.version} differs from package.json ${pkg.version}`);
execFileSync(join(root, 'node_modules', '.bin', 'mcpb'), ['pack', stage, out], { stdio: ['ignore', 'inherit', 'inherit'] });
process.stderr.write(`bundle: ${out}\n`);
