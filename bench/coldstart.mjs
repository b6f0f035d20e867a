// 4. Cold start: spawn to first tools/list answered over stdio; ours vs the bare SDK server vs
// @modelcontextprotocol/server-everything (installed into a temp dir from the npm registry on first use), with a
// 2025-11-25 client (v1 SDK; v1 floor). 4b: the same with a 2026-07-28 client (v2 SDK pinned: server/discover, then
// tools/list) against a bare v2 SDK server on serveStdio.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { Client as ModernClient } from '@modelcontextprotocol/client';
import { StdioClientTransport as ModernStdioTransport } from '@modelcontextprotocol/client/stdio';
import { CLI, FLOOR, FLOOR_V2, ROOT, benchConfig, ms, ratio, stats } from './lib.mjs';

const EVERYTHING = '2026.8.31';

function everythingEntry() {
  const dir = join(tmpdir(), `tmcp-bench-everything-${EVERYTHING}`);
  const entry = join(dir, 'node_modules', '@modelcontextprotocol', 'server-everything', 'dist', 'index.js');
  if (!existsSync(entry)) {
    mkdirSync(dir, { recursive: true });
    execFileSync('npm', ['install', '--prefix', dir, '--no-audit', '--no-fund', `@modelcontextprotocol/server-everything@${EVERYTHING}`], { stdio: 'ignore' });
  }
  return entry;
}

async function once(args, era = 'legacy') {
  const t = process.hrtime.bigint();
  const Transport = era === 'modern' ? ModernStdioTransport : StdioClientTransport;
  const transport = new Transport({ command: process.execPath, args, cwd: ROOT, stderr: 'ignore', env: { PATH: process.env.PATH ?? '' } });
  const client =
    era === 'modern'
      ? new ModernClient({ name: 'bench', version: '1' }, { versionNegotiation: { mode: { pin: '2026-07-28' } } })
      : new Client({ name: 'bench', version: '1' });
  await client.connect(transport);
  await client.listTools();
  const elapsed = Number(process.hrtime.bigint() - t) / 1e6;
  await client.close();
  return elapsed;
}

export async function coldstart({ runs = 12 } = {}) {
  const config = benchConfig();
  const subjects = { floor: [FLOOR, 'stdio'], floorV2: [FLOOR_V2, 'stdio'], ours: [CLI, '--config', config.path], everything: [everythingEntry(), 'stdio'] };
  const samples = { floor: [], floorV2: [], ours: [], everything: [] };
  await once(subjects.floor); // warm the file cache
  for (let i = 0; i < runs; i++) for (const k of Object.keys(subjects)) samples[k].push(await once(subjects[k]));
  const s = Object.fromEntries(Object.entries(samples).map(([k, v]) => [k, stats(v)]));
  return {
    title: `4. Cold start with a 2025-11-25 client (v1 SDK), spawn to first tools/list answered over stdio, ${runs} runs each (target within 1.2x of the bare server)`,
    header: ['server', 'p50 ms', 'ratio to bare v1 SDK', 'ratio to bare v2 SDK', 'ratio to server-everything'],
    rows: [
      ['bare v1 SDK server', ms(s.floor.p50), '1.00', ratio(s.floor.p50, s.floorV2.p50), ratio(s.floor.p50, s.everything.p50)],
      ['bare v2 SDK server (serveStdio)', ms(s.floorV2.p50), ratio(s.floorV2.p50, s.floor.p50), '1.00', ratio(s.floorV2.p50, s.everything.p50)],
      ['telephony-mcp', ms(s.ours.p50), ratio(s.ours.p50, s.floor.p50), ratio(s.ours.p50, s.floorV2.p50), ratio(s.ours.p50, s.everything.p50)],
      [`server-everything ${EVERYTHING}`, ms(s.everything.p50), ratio(s.everything.p50, s.floor.p50), ratio(s.everything.p50, s.floorV2.p50), '1.00'],
    ],
    data: s,
  };
}

/** 4b. Spawn to the first answered 2026-07-28 request after discovery (tools/list), ours vs a bare v2 SDK server. */
export async function coldstartModern({ runs = 12 } = {}) {
  const config = benchConfig();
  const subjects = { floor: [FLOOR_V2, 'stdio'], ours: [CLI, '--config', config.path] };
  const samples = { floor: [], ours: [] };
  await once(subjects.floor, 'modern'); // warm the file cache
  for (let i = 0; i < runs; i++) for (const k of i % 2 ? ['ours', 'floor'] : ['floor', 'ours']) samples[k].push(await once(subjects[k], 'modern'));
  const s = Object.fromEntries(Object.entries(samples).map(([k, v]) => [k, stats(v)]));
  return {
    title: `4b. Cold start with a 2026-07-28 client (v2 SDK, pinned): spawn to server/discover and the first tools/list answered over stdio, ${runs} runs each (target within 1.3x of the bare v2 server)`,
    header: ['server', 'p50 ms', 'ratio to bare v2 SDK'],
    rows: [
      ['bare v2 SDK server (serveStdio)', ms(s.floor.p50), '1.00'],
      ['telephony-mcp', ms(s.ours.p50), ratio(s.ours.p50, s.floor.p50)],
    ],
    data: s,
  };
}

if (import.meta.url === `file://${process.argv[1]}`) console.table((await (process.argv[2] === 'modern' ? coldstartModern() : coldstart())).rows);
