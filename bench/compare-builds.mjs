#!/usr/bin/env node
// Tool-call latency of two builds of telephony-mcp side by side, for 2025-11-25 clients (the v1 SDK's Client):
// `node bench/compare-builds.mjs <other checkout>` times get_active_call on the sim PBX over stdio and HTTP against
// <other checkout>/dist/cli.js and this checkout's dist/cli.js, in alternating rounds, pinned like section 1.
// It answers "did this change make 2025 clients slower?" without a floor in between.
import { spawn } from 'node:child_process';
import { join, resolve } from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { CLI, ROOT, benchConfig, ms, pinClient, placement, ratio, serverCommand, stats, timeCalls } from './lib.mjs';

const other = resolve(process.argv[2] ?? '');
const builds = { before: join(other, 'dist', 'cli.js'), after: CLI };
const call = { name: 'get_active_call', arguments: {} };

async function stdio(cli, config) {
  const cmd = serverCommand([cli, '--config', config.path], true);
  const client = new Client({ name: 'bench', version: '1' });
  await client.connect(new StdioClientTransport({ ...cmd, cwd: ROOT, stderr: 'ignore', env: { PATH: process.env.PATH ?? '' } }));
  return { client, stop: async () => {} };
}

async function http(cli, config) {
  const cmd = serverCommand([cli, '--transport', 'http', '--port', '0', '--config', config.path], true);
  const child = spawn(cmd.command, cmd.args, { cwd: ROOT, stdio: ['ignore', 'ignore', 'pipe'], env: { PATH: process.env.PATH ?? '' } });
  let err = '';
  const url = await new Promise((res, rej) => {
    child.stderr.on('data', (d) => {
      err += d;
      const m = /endpoint: (http:\/\/\S+)/.exec(err);
      if (m) res(m[1]);
    });
    child.once('exit', (c) => rej(new Error(`server exited ${c}: ${err}`)));
  });
  const client = new Client({ name: 'bench', version: '1' });
  await client.connect(new StreamableHTTPClientTransport(new URL(url)));
  return { client, stop: () => new Promise((r) => (child.once('exit', r), child.kill('SIGTERM'))) };
}

const rounds = 20;
const perRound = 100;
const config = benchConfig();
const unpin = pinClient();
const rows = [];
for (const [transport, open] of [['stdio', stdio], ['http', http]]) {
  const sides = {};
  for (const [name, cli] of Object.entries(builds)) {
    sides[name] = await open(cli, config);
    await timeCalls(sides[name].client, call, 300);
  }
  const samples = { before: [], after: [] };
  for (let r = 0; r < rounds; r++) {
    for (const name of r % 2 ? ['after', 'before'] : ['before', 'after']) samples[name].push(...(await timeCalls(sides[name].client, call, perRound)));
  }
  for (const s of Object.values(sides)) {
    await s.client.close();
    await s.stop();
  }
  const b = stats(samples.before);
  const a = stats(samples.after);
  rows.push([transport, ms(b.p50), ms(a.p50), ratio(a.p50, b.p50), ms(b.p99), ms(a.p99), ratio(a.p99, b.p99)]);
}
unpin();
console.log(`2025-11-25 client (v1 SDK), get_active_call, ${rounds} rounds of ${perRound} alternating; ${placement()}`);
console.table(rows.map((r) => Object.fromEntries(['transport', 'before p50 ms', 'after p50 ms', 'p50 after/before', 'before p99 ms', 'after p99 ms', 'p99 after/before'].map((h, i) => [h, r[i]]))));
