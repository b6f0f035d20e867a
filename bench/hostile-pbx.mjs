// Issue 13, finding 4: what a hostile PBX answer does to the server. The built server (dist/cli.js, HTTP) reads an
// xCALLY phone bar simulator (in this process) whose `channels` answer is replaced by
//   deep: 4 MB of JSON nested two million levels deep;
//   rows: 45,000 channel rows (a phone bar has a handful);
//   rows4k, same6k: about the largest answers the size bound (128 KB) lets through (distinct numbers; one repeated);
// and, for each, measures how long the event loop of the server was blocked (the longest wait of a /healthz
// probe sent every 10 ms while the tool call runs), how long get_active_call took, and how many bytes of JSON its
// result hands a model. Then four subscriptions polling the deep answer for 10 s: the share of that time
// /healthz waited more than 100 ms.
//   npm run build && node bench/hostile-pbx.mjs [dist directory]
import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { request } from 'node:http';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';

const dist = resolve(process.argv[2] ?? 'dist');
const { SIMULATORS } = await import(pathToFileURL(join(dist, 'simulators/index.js')).href);
const { PbxEngine } = await import(pathToFileURL(join(dist, 'simulators/engine/engine.js')).href);
const { loadScenario, DEMO_SCENARIO_PATH } = await import(pathToFileURL(join(dist, 'simulators/engine/scenario.js')).href);

const DEPTH = 2_000_000;
const BODIES = {
  deep: `{"method":"channels","response":"true","rows":${'['.repeat(DEPTH)}${']'.repeat(DEPTH)}}`,
  rows: JSON.stringify({
    method: 'channels',
    response: 'true',
    rows: Array.from({ length: 45_000 }, (_, i) => ({ extension: `39061${String(i).padStart(6, '0')}`, status: 'ACTIVE', duration: 6, uniqueid: `u${i}` })),
  }),
  // About the largest answers the phone bar's size bound (128 KB) lets through: short rows, and one number repeated.
  rows4k: JSON.stringify({ method: 'channels', response: 'true', rows: Array.from({ length: 4_000 }, (_, i) => ({ extension: `3906${String(i).padStart(7, '0')}` })) }),
  same6k: JSON.stringify({ method: 'channels', response: 'true', rows: Array.from({ length: 6_000 }, () => ({ extension: '600' })) }),
};

function healthz(port) {
  return new Promise((resolveP) => {
    const t = performance.now();
    const req = request({ host: '127.0.0.1', port, path: '/healthz', agent: false }, (res) => {
      res.resume();
      res.on('end', () => resolveP(performance.now() - t));
    });
    req.on('error', () => resolveP(performance.now() - t));
    req.end();
  });
}

/** Probe /healthz every 10 ms until `done` settles; the longest wait, and the share of probes over 100 ms. */
async function probe(port, done) {
  let settled = false;
  done.finally(() => (settled = true));
  const waits = [];
  while (!settled) {
    waits.push(await healthz(port));
    await new Promise((r) => setTimeout(r, 10));
  }
  return { longest: Math.max(0, ...waits), slowShare: waits.filter((w) => w > 100).length / Math.max(1, waits.length) };
}

const engine = new PbxEngine(await loadScenario(DEMO_SCENARIO_PATH));
const sim = await SIMULATORS.xcally.start({ engine, port: 0 });
const dir = mkdtempSync(join(tmpdir(), 'tmcp-hostile-'));
writeFileSync(join(dir, 'config.json'), JSON.stringify({ pbxes: { xcally: sim.configExample }, audit: { file: join(dir, 'audit.jsonl') }, log: { level: 'warn' } }));
const child = spawn(process.execPath, [join(dist, 'cli.js'), '--transport', 'http', '--port', '0', '--config', join(dir, 'config.json')], { stdio: ['ignore', 'ignore', 'pipe'] });
const url = await new Promise((resolveP, reject) => {
  let err = '';
  child.stderr.on('data', (d) => {
    err += d;
    const m = /endpoint: (http:\/\/\S+)/.exec(err);
    if (m) resolveP(m[1]);
  });
  child.once('exit', () => reject(new Error(err)));
});
const port = Number(new URL(url).port);
const client = new Client({ name: 'bench', version: '1' });
await client.connect(new StreamableHTTPClientTransport(new URL(url)));
await client.callTool({ name: 'get_active_call', arguments: {} }); // warm: the adapter's first request, the pool

console.log(`hostile xCALLY answers, ${dist}`);
// First the simulator's own answer: the probe's waits on this machine when nothing hostile happens.
for (const [name, body] of [['none (baseline)', undefined], ...Object.entries(BODIES)]) {
  if (body) sim.server.inject({ kind: 'replace', status: 200, body, headers: { 'content-type': 'application/json' }, times: Infinity, match: '/channels' });
  const started = performance.now();
  const call = client.callTool({ name: 'get_active_call', arguments: {} });
  const { longest } = await probe(port, call);
  const r = await call;
  const took = performance.now() - started;
  const bytes = Buffer.byteLength(JSON.stringify(r.structuredContent ?? r.content));
  const what = r.isError ? `error: ${r.content[0].text.slice(0, 140)}` : `${r.structuredContent.calls.length} calls${r.structuredContent.total !== undefined ? ` of ${r.structuredContent.total}` : ''}`;
  console.log(`${name}${body ? ` (${(body.length / 1e6).toFixed(2)} MB)` : ''}: event loop blocked ${longest.toFixed(0)} ms; get_active_call ${took.toFixed(0)} ms; result ${bytes} bytes JSON; ${what}`);
  sim.server.clearFaults();
}

// Four subscriptions to resources polled from the deep answer (every phone bar method answers it), for 10 s.
sim.server.inject({ kind: 'replace', status: 200, body: BODIES.deep, headers: { 'content-type': 'application/json' }, times: Infinity });
const subscribers = [];
for (let i = 0; i < 4; i++) {
  const c = new Client({ name: `sub${i}`, version: '1' });
  await c.connect(new StreamableHTTPClientTransport(new URL(url)));
  subscribers.push(c);
}
const uris = ['pbx://xcally/calls', 'pbx://xcally/extensions', 'pbx://xcally/queues', 'pbx://xcally/history/201'];
await Promise.all(subscribers.map((c, i) => c.subscribeResource({ uri: uris[i] }).catch((e) => console.log(`subscribe ${uris[i]}: ${e.message}`))));
const { longest, slowShare } = await probe(port, new Promise((r) => setTimeout(r, 10_000)));
console.log(`4 subscriptions over the deep answer, 10 s: /healthz waited over 100 ms ${(slowShare * 100).toFixed(0)}% of the time; longest wait ${longest.toFixed(0)} ms`);

for (const c of [client, ...subscribers]) await c.close().catch(() => {});
child.kill('SIGTERM');
await sim.close();
engine.close();
