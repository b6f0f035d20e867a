// 3. Throughput over streamable HTTP with 50 concurrent clients: each SDK client calls its tool in a loop for
// a fixed time; ours (get_active_call on the sim PBX) vs the floor (bare SDK, no-op tool), for 2025-11-25 clients
// (50 sessions; v1 SDK and floor) and 2026-07-28 clients (v2 SDK Client pinned, v2 floor). Errors are counted.
import { benchConfig, callOf, httpClient, ratio, startHttp } from './lib.mjs';

async function run(kind, config, sessions, seconds, era) {
  const server = await startHttp(kind, config, { era });
  const clients = await Promise.all(Array.from({ length: sessions }, () => httpClient(server.url, era)));
  const call = callOf(kind);
  for (const c of clients) await c.callTool(call);
  let calls = 0;
  let errors = 0;
  const end = Date.now() + seconds * 1000;
  await Promise.all(
    clients.map(async (c) => {
      while (Date.now() < end) {
        try {
          const r = await c.callTool(call);
          if (r.isError) errors++;
          else calls++;
        } catch {
          errors++;
        }
      }
    }),
  );
  for (const c of clients) await c.close();
  await server.stop();
  return { perSecond: calls / seconds, errors };
}

export async function throughput({ sessions = 50, seconds = 6, era = 'legacy' } = {}) {
  const config = benchConfig();
  const kinds = era === 'modern' ? ['floor-v2', 'ours'] : ['floor', 'floor-v2', 'ours'];
  const r = {};
  for (const kind of kinds) r[kind] = await run(kind, config, sessions, seconds, era);
  const label = { floor: 'bare v1 SDK server', 'floor-v2': 'bare v2 SDK server', ours: 'telephony-mcp' };
  const base = era === 'modern' ? r['floor-v2'] : r.floor;
  return {
    title:
      era === 'modern'
        ? `3b. Throughput over streamable HTTP, ${sessions} concurrent 2026-07-28 clients (v2 SDK, pinned) for ${seconds} s each, vs a bare v2 SDK server (target at least 0.9x, zero errors)`
        : `3. Throughput over streamable HTTP, ${sessions} concurrent 2025-11-25 sessions (v1 SDK client) for ${seconds} s each, vs bare v1 and v2 SDK servers (target at least 0.8x, zero errors)`,
    header: era === 'modern' ? ['server', 'calls/s', 'errors', 'ratio to v2 floor'] : ['server', 'calls/s', 'errors', 'ratio to v1 floor', 'ratio to v2 floor'],
    rows: kinds.map((k) =>
      era === 'modern'
        ? [label[k], r[k].perSecond.toFixed(0), r[k].errors, ratio(r[k].perSecond, base.perSecond)]
        : [label[k], r[k].perSecond.toFixed(0), r[k].errors, ratio(r[k].perSecond, r.floor.perSecond), ratio(r[k].perSecond, r['floor-v2'].perSecond)],
    ),
    data: r,
  };
}

if (import.meta.url === `file://${process.argv[1]}`) console.table((await throughput({ era: process.argv[2] ?? 'legacy' })).rows);
