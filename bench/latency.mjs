// 1. Tool-call latency, ours (get_active_call on the sim PBX) vs the floor (bare SDK, one no-op tool), on stdio
// and on streamable HTTP, for 2025-11-25 clients (v1 SDK, v1 floor) and 2026-07-28 clients (v2 SDK, v2 floor). Rounds alternate between the two so machine noise hits both alike; client and servers
// are pinned to CPUs of their own (lib.mjs, PIN) so that placement does not decide the result.
import { benchConfig, callOf, httpClient, ms, pinClient, placement, ratio, startHttp, stats, stdioClient, timeCalls } from './lib.mjs';

export async function latency({ rounds = 20, perRound = 100, warmup = 300, era = 'legacy' } = {}) {
  const config = benchConfig();
  const rows = [];
  const unpin = pinClient();
  for (const transport of ['stdio', 'http']) {
    const clients = {};
    const servers = [];
    for (const kind of ['floor', 'ours']) {
      if (transport === 'stdio') clients[kind] = await stdioClient(kind, config, { pin: true, era });
      else {
        const s = await startHttp(kind, config, { pin: true, era });
        servers.push(s);
        clients[kind] = await httpClient(s.url, era);
      }
      await timeCalls(clients[kind], callOf(kind), warmup);
    }
    const samples = { floor: [], ours: [] };
    for (let r = 0; r < rounds; r++) {
      for (const kind of r % 2 ? ['ours', 'floor'] : ['floor', 'ours']) samples[kind].push(...(await timeCalls(clients[kind], callOf(kind), perRound)));
    }
    for (const c of Object.values(clients)) await c.close();
    for (const s of servers) await s.stop();
    const f = stats(samples.floor);
    const o = stats(samples.ours);
    rows.push({ transport, floor: f, ours: o, p50ratio: o.p50 / f.p50, p99ratio: o.p99 / f.p99 });
  }
  unpin();
  return {
    title:
      era === 'modern'
        ? '1b. Tool-call latency, 2026-07-28 clients (v2 SDK Client pinned to the revision): get_active_call on the sim PBX vs a bare v2 SDK server with one no-op tool (target p50 within 1.2x)'
        : '1. Tool-call latency, 2025-11-25 clients (v1 SDK Client): get_active_call on the sim PBX vs a bare v1 SDK server with one no-op tool (target p50 within 1.2x)',
    header: ['transport', 'calls', 'floor p50 ms', 'ours p50 ms', 'p50 ratio', 'floor p99 ms', 'ours p99 ms', 'p99 ratio'],
    rows: rows.map((r) => [r.transport, r.ours.n, ms(r.floor.p50), ms(r.ours.p50), ratio(r.ours.p50, r.floor.p50), ms(r.floor.p99), ms(r.ours.p99), ratio(r.ours.p99, r.floor.p99)]),
    data: rows,
    note: `${rounds} rounds of ${perRound} calls per side, alternating, after ${warmup} warm-up calls; ${placement()}.`,
  };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const r = await latency({ era: process.argv[2] ?? 'legacy' });
  console.table(r.rows.map((row) => Object.fromEntries(r.header.map((h, i) => [h, row[i]]))));
}
