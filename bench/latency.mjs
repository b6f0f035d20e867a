// 1. Tool-call latency, ours (get_active_call on the sim PBX) vs bare SDK servers with one no-op tool, on stdio and
// on streamable HTTP. 2025-11-25 clients (the v1 SDK's Client) are timed against both the bare v1 SDK server (the
// floor of earlier runs) and the bare v2 SDK server serving them (the SDK we ship on); 2026-07-28 clients (the v2
// SDK's Client pinned to the revision) against the bare v2 SDK server. Rounds rotate between the sides so machine
// noise hits all alike; client and servers are pinned to CPUs of their own (lib.mjs, PIN).
import { benchConfig, callOf, httpClient, ms, pinClient, placement, ratio, startHttp, stats, stdioClient, timeCalls } from './lib.mjs';

export async function latency({ rounds = 20, perRound = 100, warmup = 300, era = 'legacy' } = {}) {
  const config = benchConfig();
  const kinds = era === 'modern' ? ['floor-v2', 'ours'] : ['floor', 'floor-v2', 'ours'];
  const rows = [];
  const unpin = pinClient();
  for (const transport of ['stdio', 'http']) {
    const clients = {};
    const servers = [];
    for (const kind of kinds) {
      if (transport === 'stdio') clients[kind] = await stdioClient(kind, config, { pin: true, era });
      else {
        const s = await startHttp(kind, config, { pin: true, era });
        servers.push(s);
        clients[kind] = await httpClient(s.url, era);
      }
      await timeCalls(clients[kind], callOf(kind), warmup);
    }
    const samples = Object.fromEntries(kinds.map((k) => [k, []]));
    /** Each round's p50 per side: a noisy stretch of the shared machine spoils one round, not one side. */
    const perRoundP50 = Object.fromEntries(kinds.map((k) => [k, []]));
    for (let r = 0; r < rounds; r++) {
      const order = kinds.map((_, i) => kinds[(i + r) % kinds.length]);
      for (const kind of order) {
        const round = await timeCalls(clients[kind], callOf(kind), perRound);
        samples[kind].push(...round);
        perRoundP50[kind].push(stats(round).p50);
      }
    }
    for (const c of Object.values(clients)) await c.close();
    for (const s of servers) await s.stop();
    const roundRatio = (k, base) => stats(perRoundP50[k].map((v, i) => v / perRoundP50[base][i]));
    rows.push({
      transport,
      ...Object.fromEntries(kinds.map((k) => [k, stats(samples[k])])),
      median: Object.fromEntries(kinds.filter((k) => k !== 'ours').map((b) => [b, roundRatio('ours', b)])),
    });
  }
  unpin();
  const note =
    `${rounds} rounds of ${perRound} calls per side, rotating, after ${warmup} warm-up calls; ${placement()}. ` +
    "The median of round ratios is the median over rounds of each round's p50 ratio.";
  if (era === 'modern') {
    return {
      title:
        '1b. Tool-call latency, 2026-07-28 clients (v2 SDK Client pinned to the revision): get_active_call on the sim PBX vs a bare v2 SDK server with one no-op tool (target p50 within 1.2x)',
      header: ['transport', 'calls', 'v2 floor p50 ms', 'ours p50 ms', 'p50 ratio', 'median of round ratios', 'v2 floor p99 ms', 'ours p99 ms', 'p99 ratio'],
      rows: rows.map((r) => [
        r.transport,
        r.ours.n,
        ms(r['floor-v2'].p50),
        ms(r.ours.p50),
        ratio(r.ours.p50, r['floor-v2'].p50),
        r.median['floor-v2'].p50.toFixed(2),
        ms(r['floor-v2'].p99),
        ms(r.ours.p99),
        ratio(r.ours.p99, r['floor-v2'].p99),
      ]),
      data: rows,
      note,
    };
  }
  return {
    title:
      '1. Tool-call latency, 2025-11-25 clients (v1 SDK Client): get_active_call on the sim PBX vs bare SDK servers with one no-op tool, v1 (the floor of earlier runs) and v2 (the SDK this server is built on) (target p50 within 1.2x)',
    header: [
      'transport',
      'calls',
      'v1 floor p50 ms',
      'v2 floor p50 ms',
      'ours p50 ms',
      'ratio to v1 floor',
      'ratio to v2 floor',
      'median of round ratios (v1, v2)',
      'v1 floor p99 ms',
      'v2 floor p99 ms',
      'ours p99 ms',
    ],
    rows: rows.map((r) => [
      r.transport,
      r.ours.n,
      ms(r.floor.p50),
      ms(r['floor-v2'].p50),
      ms(r.ours.p50),
      ratio(r.ours.p50, r.floor.p50),
      ratio(r.ours.p50, r['floor-v2'].p50),
      `${r.median.floor.p50.toFixed(2)}, ${r.median['floor-v2'].p50.toFixed(2)}`,
      ms(r.floor.p99),
      ms(r['floor-v2'].p99),
      ms(r.ours.p99),
    ]),
    data: rows,
    note: `${note} The v2 floor serves 2025 clients as the SDK documents (serveStdio; sessions of NodeStreamableHTTPServerTransport over HTTP).`,
  };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const r = await latency({ era: process.argv[2] ?? 'legacy' });
  console.table(r.rows.map((row) => Object.fromEntries(r.header.map((h, i) => [h, row[i]]))));
}
