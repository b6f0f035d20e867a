// Shared pieces of the benchmarks: statistics, starting servers (ours and the floors), connecting SDK clients.
// Two eras: 'legacy' (2025-11-25: the v1 SDK's Client, and a bare v1 SDK server as the floor) and 'modern'
// (2026-07-28: the v2 SDK's Client pinned to the revision, and a bare v2 SDK server as the floor).
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { Client as ModernClient, StreamableHTTPClientTransport as ModernHttpTransport } from '@modelcontextprotocol/client';
import { StdioClientTransport as ModernStdioTransport } from '@modelcontextprotocol/client/stdio';

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
export const CLI = join(ROOT, 'dist', 'cli.js');
export const FLOOR = join(ROOT, 'bench', 'floor-server.mjs');
export const FLOOR_V2 = join(ROOT, 'bench', 'floor-v2.mjs');

/** The script of a floor: 'floor' is the bare v1 SDK server (2025 clients only), 'floor-v2' the bare v2 one. */
export const floorOf = (kind) => (kind === 'floor-v2' ? FLOOR_V2 : FLOOR);

/** A client of an era: the v1 SDK's Client, or the v2 SDK's pinned to 2026-07-28. */
export function clientOf(era) {
  return era === 'modern'
    ? new ModernClient({ name: 'bench', version: '1' }, { versionNegotiation: { mode: { pin: '2026-07-28' } } })
    : new Client({ name: 'bench', version: '1' });
}

/**
 * CPU placement for the latency sections (1 and 2). Unpinned, the scheduler's placement of each process decides
 * a run: two servers with the same per-call work differed by up to 1.3x in p50 on this 2-vCPU VM, depending on
 * where each one landed. Pinned, the benchmark client runs on CPU 0 and every server it times (ours, the floor,
 * the vendor simulators) on CPU 1, so each side crosses between CPUs the same way, as on an idle desktop where
 * client and server run on different cores. BENCH_PIN=0, one CPU, or no `taskset` (util-linux): unpinned.
 */
export const PIN = (() => {
  if (process.env.BENCH_PIN === '0' || availableParallelism() < 2) return null;
  try {
    execFileSync('taskset', ['-V'], { stdio: 'ignore' });
    return { client: '0', server: '1', all: `0-${availableParallelism() - 1}` };
  } catch {
    return null;
  }
})();

/** Pins this process (the benchmark client, all its threads) to CPU 0; returns what undoes it. */
export function pinClient() {
  if (!PIN) return () => {};
  const set = (cpus) => execFileSync('taskset', ['-a', '-cp', cpus, String(process.pid)], { stdio: 'ignore' });
  set(PIN.client);
  return () => set(PIN.all);
}

/** How to start a server process the benchmark times: on CPU 1 when pinning. */
export function serverCommand(args, pin = true) {
  return PIN && pin ? { command: 'taskset', args: ['-c', PIN.server, process.execPath, ...args] } : { command: process.execPath, args };
}

export const placement = () => (PIN ? `client on CPU ${PIN.client}, servers on CPU ${PIN.server} (taskset)` : 'unpinned');

/**
 * CPU time (user + system, ms) a process has used, from /proc (Linux; undefined elsewhere). Calls per second move
 * with whatever else the machine runs; the server's CPU per call much less.
 */
export function cpuMs(pid) {
  try {
    const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
    return ((Number(f[11]) + Number(f[12])) * 1000) / 100; // clock ticks, 100 per second on Linux
  } catch {
    return undefined;
  }
}

export function stats(samples) {
  const s = [...samples].sort((a, b) => a - b);
  const q = (p) => s[Math.min(s.length - 1, Math.floor(p * s.length))];
  return { n: s.length, p50: q(0.5), p99: q(0.99), mean: s.reduce((a, b) => a + b, 0) / s.length };
}

export const ms = (x) => (x < 1 ? x.toFixed(3) : x < 10 ? x.toFixed(2) : x.toFixed(1));
export const ratio = (a, b) => (a / b).toFixed(2);

/** A config for a sim PBX on the demo scenario without demo traffic, audit in a temp dir. */
export function benchConfig(extra = {}) {
  const dir = mkdtempSync(join(tmpdir(), 'tmcp-bench-'));
  const path = join(dir, 'config.json');
  writeFileSync(
    path,
    JSON.stringify({
      defaultPbx: 'demo',
      pbxes: { demo: { type: 'sim', defaultUser: 'alice', traffic: false } },
      safety: { confirm: 'off', dialPolicy: { defaultCountry: 'IT', maxCallsPerMinute: 10000, maxCallsPerMinutePerPbx: 100000, maxConcurrentCalls: 10000 } },
      audit: { file: join(dir, 'audit.jsonl') },
      log: { level: 'warn' },
      http: { maxSessions: 5000 },
      ...extra,
    }),
  );
  return { dir, path };
}

/** Ours or the floor over stdio, with a connected client of `era`. */
export async function stdioClient(kind, config, { pin = false, era = 'legacy' } = {}) {
  const cmd = serverCommand(kind === 'ours' ? [CLI, '--config', config.path] : [floorOf(kind), 'stdio'], pin);
  const Transport = era === 'modern' ? ModernStdioTransport : StdioClientTransport;
  const transport = new Transport({ ...cmd, cwd: ROOT, stderr: 'pipe', env: { PATH: process.env.PATH ?? '' } });
  let err = '';
  transport.stderr?.on('data', (d) => (err += d));
  const client = clientOf(era);
  try {
    await client.connect(transport);
  } catch (e) {
    throw new Error(`${kind} server failed to start: ${err || e.message}`);
  }
  return client;
}

/** Start ours or the floor (of `era`) over HTTP, on `port` (0: any); resolves with its endpoint and the child. */
export function startHttp(kind, config, { pin = false, era = 'legacy', port = 0 } = {}) {
  const cmd = serverCommand(kind === 'ours' ? [CLI, '--transport', 'http', '--port', String(port), '--config', config.path] : [floorOf(kind), 'http', String(port)], pin);
  const child = spawn(cmd.command, cmd.args, { cwd: ROOT, stdio: ['ignore', 'ignore', 'pipe'], env: { PATH: process.env.PATH ?? '' } });
  let err = '';
  return new Promise((res, rej) => {
    child.stderr.on('data', (d) => {
      err += d;
      const m = /endpoint: (http:\/\/\S+)/.exec(err);
      if (m) res({ url: m[1], child, stop: () => new Promise((r) => (child.once('exit', r), child.kill('SIGTERM'))) });
    });
    child.once('exit', (c) => rej(new Error(`server exited ${c}: ${err}`)));
  });
}

export async function httpClient(url, era = 'legacy') {
  const client = clientOf(era);
  await client.connect(era === 'modern' ? new ModernHttpTransport(new URL(url)) : new StreamableHTTPClientTransport(new URL(url)));
  return client;
}

/** The tool each side calls: get_active_call on ours, the no-op on the floor. */
export const callOf = (kind) => (kind === 'ours' ? { name: 'get_active_call', arguments: {} } : { name: 'noop', arguments: {} });

export async function timeCalls(client, call, n) {
  const out = [];
  for (let i = 0; i < n; i++) {
    const t = process.hrtime.bigint();
    const r = await client.callTool(call);
    out.push(Number(process.hrtime.bigint() - t) / 1e6);
    if (r.isError) throw new Error(`tool failed: ${JSON.stringify(r.content)}`);
  }
  return out;
}
