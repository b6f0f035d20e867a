// 3. Throughput over streamable HTTP with 50 concurrent clients: each SDK client calls its tool in a loop; ours
// (get_active_call on the sim PBX) vs bare SDK servers (a no-op tool), for 2025-11-25 clients (50 sessions of the
// v1 SDK's Client; v1 and v2 floors) and 2026-07-28 clients (the v2 SDK's Client pinned; v2 floor). Every server
// is up with its clients connected from the start, and the sides take turns in short slices, so a busy stretch of a
// shared machine falls on all of them alike. Errors are counted.
import { benchConfig, callOf, cpuMs, httpClient, ratio, startHttp } from './lib.mjs';

async function open(kind, config, sessions, era) {
  const server = await startHttp(kind, config, { era });
  const clients = await Promise.all(Array.from({ length: sessions }, () => httpClient(server.url, era)));
  const call = callOf(kind);
  for (const c of clients) await c.callTool(call);
  return { server, clients, call, calls: 0, errors: 0, ms: 0, cpu: 0 };
}

/** All clients of one side call for `ms`; adds to its counts. */
async function slice(side, ms) {
  const cpuBefore = cpuMs(side.server.child.pid);
  const start = Date.now();
  const end = start + ms;
  await Promise.all(
    side.clients.map(async (c) => {
      while (Date.now() < end) {
        try {
          const r = await c.callTool(side.call);
          if (r.isError) side.errors++;
          else side.calls++;
        } catch {
          side.errors++;
        }
      }
    }),
  );
  side.ms += Date.now() - start;
  const cpuAfter = cpuMs(side.server.child.pid);
  side.cpu = cpuBefore === undefined || cpuAfter === undefined ? NaN : side.cpu + cpuAfter - cpuBefore;
}

export async function throughput({ sessions = 50, seconds = 6, sliceMs = 500, era = 'legacy' } = {}) {
  const config = benchConfig();
  const kinds = era === 'modern' ? ['floor-v2', 'ours'] : ['floor', 'floor-v2', 'ours'];
  const sides = {};
  for (const kind of kinds) sides[kind] = await open(kind, config, sessions, era);
  const slices = Math.round((seconds * 1000) / sliceMs);
  for (let i = 0; i < slices; i++) for (const kind of kinds.map((_, j) => kinds[(i + j) % kinds.length])) await slice(sides[kind], sliceMs);
  for (const s of Object.values(sides)) {
    for (const c of s.clients) await c.close();
    await s.server.stop();
  }
  const rate = (k) => (sides[k].calls * 1000) / sides[k].ms;
  const cpuPerCall = (k) => (sides[k].cpu * 1000) / sides[k].calls;
  const cpuCol = (k) => (Number.isFinite(cpuPerCall(k)) ? cpuPerCall(k).toFixed(0) : '-');
  const label = { floor: 'bare v1 SDK server', 'floor-v2': 'bare v2 SDK server', ours: 'telephony-mcp' };
  return {
    title:
      era === 'modern'
        ? `3b. Throughput over streamable HTTP, ${sessions} concurrent 2026-07-28 clients (v2 SDK, pinned), ${seconds} s per side in ${sliceMs} ms turns, vs a bare v2 SDK server (target at least 0.9x, zero errors)`
        : `3. Throughput over streamable HTTP, ${sessions} concurrent 2025-11-25 sessions (v1 SDK client), ${seconds} s per side in ${sliceMs} ms turns, vs bare v1 and v2 SDK servers (target at least 0.8x, zero errors)`,
    header:
      era === 'modern'
        ? ['server', 'calls/s', 'errors', 'ratio to v2 floor', 'server CPU us/call']
        : ['server', 'calls/s', 'errors', 'ratio to v1 floor', 'ratio to v2 floor', 'server CPU us/call'],
    rows: kinds.map((k) =>
      era === 'modern'
        ? [label[k], rate(k).toFixed(0), sides[k].errors, ratio(rate(k), rate('floor-v2')), cpuCol(k)]
        : [label[k], rate(k).toFixed(0), sides[k].errors, ratio(rate(k), rate('floor')), ratio(rate(k), rate('floor-v2')), cpuCol(k)],
    ),
    data: Object.fromEntries(kinds.map((k) => [k, { perSecond: rate(k), errors: sides[k].errors, cpuPerCallUs: cpuPerCall(k) }])),
    note: 'Server CPU per call: user and system time of the server process over its turns (/proc), divided by its calls.',
  };
}

if (import.meta.url === `file://${process.argv[1]}`) console.table((await throughput({ era: process.argv[2] ?? 'legacy' })).rows);
