/**
 * npm start builds only when something the build reads changed: driven in a scratch copy of the project layout with
 * a stand-in `npm` on PATH that records being asked to build.
 */
import { spawnSync } from 'node:child_process';
import { chmodSync, copyFileSync, existsSync, mkdirSync, mkdtempSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { expect, it } from 'vitest';

const SCRIPT = resolve(import.meta.dirname, '../scripts/build-if-stale.mjs');

it('builds on the first start and after a source change, and not on a second start with nothing changed', () => {
  const root = mkdtempSync(join(tmpdir(), 'stale-'));
  const bin = join(root, 'fake-bin');
  for (const d of ['scripts', 'src', 'dist', 'node_modules', 'fake-bin']) mkdirSync(join(root, d), { recursive: true });
  copyFileSync(SCRIPT, join(root, 'scripts', 'build-if-stale.mjs'));
  for (const f of ['src/cli.ts', 'package.json', 'package-lock.json', 'tsconfig.json', 'node_modules/.package-lock.json']) writeFileSync(join(root, f), '{}');
  // The stand-in build: records the call, writes dist/cli.js and the stamp as the real build's last steps do.
  writeFileSync(
    join(bin, 'npm'),
    `#!/bin/sh\necho "$@" >> "${root}/builds"\ntouch "${root}/dist/cli.js"\n"${process.execPath}" "${root}/scripts/build-if-stale.mjs" --stamp\n`,
  );
  chmodSync(join(bin, 'npm'), 0o755);
  const start = () => {
    const r = spawnSync(process.execPath, [join(root, 'scripts', 'build-if-stale.mjs')], { env: { PATH: `${bin}:${process.env.PATH}` }, encoding: 'utf8' });
    expect(r.status, r.stderr).toBe(0);
    return r.stderr;
  };
  const builds = () => (existsSync(join(root, 'builds')) ? spawnSync('wc', ['-l', join(root, 'builds')], { encoding: 'utf8' }).stdout.trim().split(' ')[0] : '0');

  expect(start()).toMatch(/building \(first run\)/);
  expect(builds()).toBe('1');
  expect(start()).toBe('');
  expect(builds()).toBe('1');
  // An edit after the last build: the stamp ten seconds old, the source five.
  const ago = (s: number) => new Date(Date.now() - s * 1000);
  utimesSync(join(root, 'node_modules', '.cache', 'telephony-mcp', 'build-stamp'), ago(10), ago(10));
  utimesSync(join(root, 'src', 'cli.ts'), ago(5), ago(5));
  expect(start()).toMatch(/sources changed since the last build/);
  expect(builds()).toBe('2');
  expect(start()).toBe('');
  rmSync(join(root, 'dist', 'cli.js'));
  start();
  expect(builds()).toBe('3');
});
