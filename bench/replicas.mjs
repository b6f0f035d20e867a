// 9. Several replicas sharing Redis (README "Deployment"). Needs redis-server and nginx (bench/deployment.mjs).
// 9a. What Redis adds to an action: the same built server on the sim PBX, without and with TELEPHONY_MCP_REDIS_URL,
//     timed from a 2026-07-28 client (v2 SDK, pinned) over HTTP, rounds alternating between the two: a read (the
//     control, nothing shared), set_dnd (the check and the audit entry), and a confirmed place_call (the check, the
//     claim of its confirm_token and the call-limit reservation together, the count check, the audit entry with the
//     release).
// 9b. Throughput of 1, 2 and 3 replicas behind nginx (README's configuration) with the same client load, and 1
//     replica without Redis behind nginx, side by side in short turns. On a 2-core machine this shows what sharing
//     costs, not how it scales: the replicas, nginx, Redis and the client all share the same two cores.
import { loadavg } from 'node:os';
import { freePort, readmeNginx, startNginx, startRedis } from './deployment.mjs';
import { benchConfig, cpuMs, httpClient, ms, PIN, pinClient, placement, startHttp, stats } from './lib.mjs';

const SECRET = 'bench-state-secret-shared-by-every-replica-0123';

/** A built server over HTTP on `port`; `redis`: its URL (and this replica's name), else on its own. */
function startReplica(port, { redis, replica, allowedHosts = [], pin = false } = {}) {
  const config = benchConfig({
    safety: {
      confirm: 'token',
      confirmTools: ['place_call'],
      stateSecret: SECRET,
      dialPolicy: { defaultCountry: 'IT', maxCallsPerMinute: 10000, maxCallsPerMinutePerPbx: 100000, maxConcurrentCalls: 10000 },
    },
    http: { maxSessions: 5000, allowedHosts },
    ...(redis ? { shared: { redisUrl: redis, replica } } : {}),
  });
  // A fixed port: nginx's configuration names every replica before they start.
  return startHttp('ours', config, { pin, era: 'modern', port });
}

async function timed(fn) {
  const t = process.hrtime.bigint();
  const r = await fn();
  if (r.isError) throw new Error(`tool failed: ${JSON.stringify(r.content)}`);
  return [Number(process.hrtime.bigint() - t) / 1e6, r];
}

/** One round of each action on `client`: their times, by action. */
async function actionRound(client, n, flip) {
  const out = { read: [], set_dnd: [], place_call: [] };
  for (let i = 0; i < n; i++) {
    out.read.push((await timed(() => client.callTool({ name: 'get_active_call', arguments: {} })))[0]);
    out.set_dnd.push((await timed(() => client.callTool({ name: 'set_dnd', arguments: { enabled: (flip.v = !flip.v) } })))[0]);
    const [, asked] = await timed(() => client.callTool({ name: 'place_call', arguments: { to: '+39 06 1234 5678' } }));
    const token = asked.structuredContent.confirm_token;
    const [t, placed] = await timed(() => client.callTool({ name: 'place_call', arguments: { to: '+39 06 1234 5678', confirm_token: token } }));
    out.place_call.push(t);
    await timed(() => client.callTool({ name: 'hangup', arguments: { call_id: placed.structuredContent.call_id } }));
  }
  return out;
}

export async function redisOverhead({ rounds = 12, perRound = 40, warmup = 60 } = {}) {
  // Redis beside the client (which waits while the server works), so the server's CPU is its own, as in section 1.
  const redis = await startRedis(PIN ? { cpus: PIN.client } : {});
  const unpin = pinClient();
  const servers = {
    alone: await startReplica(await freePort(), { pin: true }),
    redis: await startReplica(await freePort(), { redis: redis.url, replica: 'r1', pin: true }),
  };
  const kinds = Object.keys(servers);
  const clients = {};
  const flip = { v: false };
  for (const k of kinds) {
    clients[k] = await httpClient(servers[k].url, 'modern');
    await actionRound(clients[k], warmup, flip);
  }
  const samples = Object.fromEntries(kinds.map((k) => [k, { read: [], set_dnd: [], place_call: [] }]));
  for (let r = 0; r < rounds; r++) {
    for (const k of r % 2 ? [...kinds].reverse() : kinds) {
      const round = await actionRound(clients[k], perRound, flip);
      for (const a of Object.keys(round)) samples[k][a].push(...round[a]);
    }
  }
  for (const k of kinds) {
    await clients[k].close();
    await servers[k].stop();
  }
  await redis.stop();
  unpin();
  const label = { read: 'get_active_call (read: control)', set_dnd: 'set_dnd', place_call: 'place_call with its confirm_token' };
  const rows = Object.keys(label).map((a) => {
    const [x, y] = [stats(samples.alone[a]), stats(samples.redis[a])];
    return [label[a], x.n, ms(x.p50), ms(y.p50), ms(y.p50 - x.p50), ms(x.p99), ms(y.p99)];
  });
  return {
    title: '9a. What Redis adds to an action: one server without and with a shared Redis on loopback, 2026-07-28 client over HTTP (target: p50 added under 0.3 ms)',
    header: ['call', 'calls', 'alone p50 ms', 'with Redis p50 ms', 'p50 added ms', 'alone p99 ms', 'with Redis p99 ms'],
    rows,
    data: samples,
    note:
      `${rounds} rounds of ${perRound} of each call per server, alternating, after ${warmup} warm-up rounds; ${placement()}${PIN ? `, redis-server on CPU ${PIN.client}` : ''}; ` +
      `load average when it ended: ${loadavg().map((x) => x.toFixed(1)).join(', ')}. ` +
      'Round trips waited for: set_dnd 2 (the check, the shared audit entry), the confirmed place_call 3 (the check, the claim and the reservation together; ' +
      'the count check; the audit entry with the release).',
  };
}

/** CPU ms used so far by the processes `pids` (undefined entries: none). */
const cpuOf = (pids) => pids.reduce((sum, pid) => sum + (pid === undefined ? 0 : (cpuMs(pid) ?? NaN)), 0);

/** All clients of one side call for `ms` (four reads, then one set_dnd, in turn); adds to its counts and CPU. */
async function slice(side, ms) {
  const cpu = [cpuOf(side.replicaPids), cpuOf([side.redisPid])];
  const end = Date.now() + ms;
  const start = Date.now();
  await Promise.all(
    side.clients.map(async (c, i) => {
      let n = i;
      while (Date.now() < end) {
        n++;
        try {
          const r = n % 5 === 0 ? await c.callTool({ name: 'set_dnd', arguments: { enabled: n % 2 === 0 } }) : await c.callTool({ name: 'get_active_call', arguments: {} });
          if (r.isError) side.errors++;
          else side.calls++;
        } catch {
          side.errors++;
        }
      }
    }),
  );
  side.ms += Date.now() - start;
  side.replicaCpu += cpuOf(side.replicaPids) - cpu[0];
  side.redisCpu += cpuOf([side.redisPid]) - cpu[1];
}

export async function replicaThroughput({ clients = 24, seconds = 6, sliceMs = 500 } = {}) {
  const redis = await startRedis();
  const ports = [await freePort(), await freePort(), await freePort(), await freePort()];
  const fronts = [await freePort(), await freePort(), await freePort(), await freePort()];
  const allowedHosts = fronts.map((p) => `127.0.0.1:${p}`);
  const replicas = await Promise.all([
    ...['r1', 'r2', 'r3'].map((name, i) => startReplica(ports[i], { redis: redis.url, replica: name, allowedHosts })),
    startReplica(ports[3], { allowedHosts }),
  ]);
  const pid = (i) => replicas[i].child.pid;
  const sides = [
    { name: '1 replica, no Redis', upstreams: [ports[3]], front: fronts[0], replicaPids: [pid(3)], redisPid: undefined },
    { name: '1 replica + Redis', upstreams: [ports[0]], front: fronts[1], replicaPids: [pid(0)], redisPid: redis.pid() },
    { name: '2 replicas + Redis', upstreams: [ports[0], ports[1]], front: fronts[2], replicaPids: [pid(0), pid(1)], redisPid: redis.pid() },
    { name: '3 replicas + Redis', upstreams: [ports[0], ports[1], ports[2]], front: fronts[3], replicaPids: [pid(0), pid(1), pid(2)], redisPid: redis.pid() },
  ];
  for (const s of sides) {
    s.nginx = await startNginx(readmeNginx(s.upstreams, s.front), s.front);
    s.clients = await Promise.all(Array.from({ length: clients }, () => httpClient(`${s.nginx.url}/mcp`, 'modern')));
    Object.assign(s, { calls: 0, errors: 0, ms: 0, replicaCpu: 0, redisCpu: 0 });
    await slice(s, 300);
    Object.assign(s, { calls: 0, errors: 0, ms: 0, replicaCpu: 0, redisCpu: 0 });
  }
  const slices = Math.round((seconds * 1000) / sliceMs);
  for (let i = 0; i < slices; i++) for (const s of sides.map((_, j) => sides[(i + j) % sides.length])) await slice(s, sliceMs);
  for (const s of sides) {
    for (const c of s.clients) await c.close();
    await s.nginx.stop();
  }
  for (const r of replicas) await r.stop();
  await redis.stop();
  const rate = (s) => (s.calls * 1000) / s.ms;
  const base = rate(sides[1]);
  return {
    title: `9b. Throughput behind nginx (README's configuration), ${clients} concurrent 2026-07-28 clients (v2 SDK, pinned), four reads to one set_dnd, ${seconds} s per side in ${sliceMs} ms turns`,
    header: ['deployment', 'calls/s', 'errors', 'ratio to 1 replica + Redis', 'replicas CPU us/call', 'redis-server CPU us/call'],
    rows: sides.map((s) => [
      s.name,
      rate(s).toFixed(0),
      s.errors,
      (rate(s) / base).toFixed(2),
      ((s.replicaCpu * 1000) / s.calls).toFixed(0),
      s.redisPid === undefined ? '-' : ((s.redisCpu * 1000) / s.calls).toFixed(1),
    ]),
    data: sides.map((s) => ({ name: s.name, perSecond: rate(s), errors: s.errors, replicaCpuUsPerCall: (s.replicaCpu * 1000) / s.calls, redisCpuUsPerCall: (s.redisCpu * 1000) / s.calls })),
    note:
      `Load average when it ended: ${loadavg().map((x) => x.toFixed(1)).join(', ')} (other work on the machine). ` +
      'Every process (replicas, nginx, redis-server, the client) shares the same CPUs, so more replicas cannot add capacity here: ' +
      'the rows show what the load balancer and the shared store cost, not how a deployment on separate machines scales (README: capacity on paper). ' +
      'CPU per call: user and system time (/proc) of the side\'s replicas, and of redis-server, over its turns, per call answered (one in five an action); ' +
      'clock ticks are 10 ms, so small figures are coarse.',
  };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const which = process.argv[2];
  if (!which || which === 'overhead') console.table((await redisOverhead()).rows);
  if (!which || which === 'throughput') console.table((await replicaThroughput()).rows);
}
