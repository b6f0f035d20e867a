#!/usr/bin/env node
// npm start's first step: build only when something the build reads is newer than the last build, so a second
// `npm start` with nothing changed serves in a second or two instead of rebuilding everything (about 10 s).
//   node scripts/build-if-stale.mjs          build (npm run build) if dist/ is missing or older than its inputs
//   node scripts/build-if-stale.mjs --stamp  record that a build just finished (the last step of npm run build)
// The inputs: src/, the build scripts, the TypeScript configs, package.json and the installed dependencies (the
// bundle includes them). The stamp is written only by a build that ran to its end.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
// Beside the dependencies, not in dist/: the package ships dist/, and a fresh install starts without a stamp.
const stamp = join(root, 'node_modules', '.cache', 'telephony-mcp', 'build-stamp');

if (process.argv.includes('--stamp')) {
  mkdirSync(dirname(stamp), { recursive: true });
  writeFileSync(stamp, `${new Date().toISOString()}\n`);
  process.exit(0);
}

/** The newest modification time under `path` (a file or a directory, recursively); 0 when it does not exist. */
function newest(path) {
  let st;
  try {
    st = statSync(path);
  } catch {
    return 0;
  }
  if (!st.isDirectory()) return st.mtimeMs;
  let max = st.mtimeMs;
  for (const entry of readdirSync(path)) max = Math.max(max, newest(join(path, entry)));
  return max;
}

const inputs = [
  'src',
  'scripts/tool-schemas.mjs',
  'scripts/cli-bundle.mjs',
  'scripts/app-bundle.mjs',
  'scripts/build-if-stale.mjs',
  'tsconfig.json',
  'tsconfig.build.json',
  'package.json',
  'package-lock.json',
  // npm rewrites it on every install that changes node_modules.
  'node_modules/.package-lock.json',
].map((p) => join(root, p));

const built = existsSync(join(root, 'dist', 'cli.js')) ? newest(stamp) : 0;
const changed = Math.max(...inputs.map(newest));
if (built && built >= changed) process.exit(0);

process.stderr.write(built ? 'telephony-mcp: sources changed since the last build; building...\n' : 'telephony-mcp: building (first run)...\n');
const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
const r = spawnSync(npm, ['run', 'build', '--silent'], { cwd: root, stdio: 'inherit', shell: process.platform === 'win32' });
process.exit(r.status ?? 1);
