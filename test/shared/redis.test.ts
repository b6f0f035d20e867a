/**
 * Each shared concern's Redis implementation against a real redis-server, with two connections standing for two
 * servers of a deployment: what one does, the other sees, atomically; and what the store's faults do (stopped,
 * frozen, restarted empty). The deployment as a whole (built servers behind nginx) is in test/e2e/replicas.test.ts.
 */
import { createHash } from 'node:crypto';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { SharedPollCache } from '../../src/backends/polls.js';
import { BackendError } from '../../src/errors.js';
import { systemClock } from '../../src/util/clock.js';
import { xivoType, type XivoBackend } from '../../src/backends/xivo/backend.js';
import { XivoConfig } from '../../src/backends/xivo/config.js';
import { LogHub } from '../../src/log.js';
import { CallLimiter, type CallLimits } from '../../src/safety/limits.js';
import type { AuditEntry } from '../../src/safety/audit.js';
import { type BusEvent, topicOf } from '../../src/shared/bus.js';
import { isSharedStoreError } from '../../src/shared/errors.js';
import { RedisBus } from '../../src/shared/redis/bus.js';
import { RedisClaims } from '../../src/shared/redis/claims.js';
import { RedisLimits } from '../../src/shared/redis/limits.js';
import { RedisPollLeases } from '../../src/shared/redis/polls.js';
import { RedisRecent } from '../../src/shared/redis/recent.js';
import { RedisRepeatLog } from '../../src/shared/redis/repeats.js';
import { RedisStore } from '../../src/shared/redis/store.js';
import { RedisTokenShare } from '../../src/shared/redis/tokens.js';
import { startXucSimulator, type XucSimulator } from '../../src/simulators/xivo/simulator.js';
import { engine as testEngine } from '../helpers/scenario.js';
import { needBinaries, type RedisServer, startRedis } from '../helpers/services.js';

const TIMEOUT_MS = 300;
let logged = '';
const log = new LogHub({ level: 'debug', write: (l) => void (logged += l) }).logger();

describe('the shared store in Redis', () => {
  if (!needBinaries(['redis-server'])) return;

  let redis: RedisServer;
  const stores: RedisStore[] = [];
  let prefix = 0;
  /** A connection as one server of a deployment has it; servers of one test share the prefix. */
  async function server(p = `t${prefix}:`): Promise<RedisStore> {
    const s = new RedisStore({ url: redis.url, where: `redis://127.0.0.1:${redis.port}`, prefix: p, timeoutMs: TIMEOUT_MS, log });
    stores.push(s);
    await s.open(5000);
    return s;
  }
  const until = async (cond: () => boolean, ms = 5000) => {
    const end = Date.now() + ms;
    while (!cond()) {
      if (Date.now() > end) throw new Error('timed out');
      await new Promise((r) => setTimeout(r, 20));
    }
  };

  beforeAll(async () => {
    redis = await startRedis();
  });
  afterEach(async () => {
    prefix++;
    await Promise.all(stores.splice(0).map((s) => s.close()));
    redis.resume();
    if (!(await redis.stop().then(() => false, () => true))) await redis.start();
  });
  afterAll(async () => {
    await redis?.stop();
  });

  describe('claims', () => {
    it('a claim made by any server is made once: 50 concurrent claims of one nonce from two servers, one wins', async () => {
      const [a, b] = [new RedisClaims(await server()), new RedisClaims(await server())];
      await a.begin();
      const issued = Date.now();
      const results = await Promise.all(Array.from({ length: 50 }, (_, i) => (i % 2 ? a : b).claim('confirm:n1', 60_000, issued)));
      expect(results.filter((r) => r === true)).toHaveLength(1);
      expect(results.filter((r) => r === false)).toHaveLength(49);
      expect(await a.claim('confirm:n2', 60_000, issued)).toBe(true);
    });

    it('a Redis that restarted empty refuses what was issued before it came back ("forgotten"), and takes what comes after', async () => {
      const store = await server();
      const claims = new RedisClaims(store);
      await claims.begin();
      const before = Date.now();
      expect(await claims.claim('confirm:used', 60_000, before)).toBe(true);
      await redis.stop();
      await redis.start();
      await until(() => store.ready);
      // Claimed before the restart: the store forgot it, so it cannot say it is unused.
      expect(await claims.claim('confirm:used', 60_000, before)).toBe('forgotten');
      expect(await claims.claim('confirm:other', 60_000, before)).toBe('forgotten');
      await new Promise((r) => setTimeout(r, 5));
      expect(await claims.claim('confirm:new', 60_000, Date.now())).toBe(true);
      expect(await claims.claim('confirm:new', 60_000, Date.now())).toBe(false);
    });
  });

  describe('call limits', () => {
    const opts = { maxPerMinute: 3, maxConcurrent: 2, maxPerMinutePerPbx: 4, pendingLeaseMs: 30_000 };

    it('hold for the deployment: 12 concurrent reservations over two servers admit exactly the per-PBX limit', async () => {
      const [a, b] = [new RedisLimits(await server(), { ...opts, maxPerMinute: 100 }), new RedisLimits(await server(), { ...opts, maxPerMinute: 100 })];
      const tries = await Promise.allSettled(Array.from({ length: 12 }, (_, i) => (i % 2 ? a : b).reserve('office', `u${i}`, { rateOnly: true })));
      expect(tries.filter((t) => t.status === 'fulfilled')).toHaveLength(4);
      const refused = tries.find((t) => t.status === 'rejected') as PromiseRejectedResult;
      expect((refused.reason as Error).message).toBe(
        'Refused by the dial policy (rule: rate_limit): 4 calls were placed on this PBX in the last minute, for all users together (limit 4)',
      );
    });

    it('say what the memory limiter says, word for word (one source of truth for the refusals)', async () => {
      const shared: CallLimits = new RedisLimits(await server(), opts);
      const memory: CallLimits = new CallLimiter(opts.maxPerMinute, opts.maxConcurrent, Date.now, opts.maxPerMinutePerPbx);
      for (const l of [shared, memory]) for (let i = 0; i < 3; i++) await l.reserve('office', 'alice', { rateOnly: true });
      const why = async (l: CallLimits) => (await l.reserve('office', 'alice', { rateOnly: true }).catch((e: Error) => e)) as Error;
      expect((await why(shared)).message).toBe((await why(memory)).message);
      const c1 = new RedisLimits(await server(), opts);
      const c2 = new CallLimiter(opts.maxPerMinute, opts.maxConcurrent, Date.now, opts.maxPerMinutePerPbx);
      for (const l of [c1, c2]) await l.reserve('lab', 'bob', { listsCalls: true });
      const full = async (l: CallLimits) => {
        const slot = await l.reserve('lab', 'bob', { listsCalls: true });
        return (await slot.checkActive(1).catch((e: Error) => e)) as Error;
      };
      expect((await full(c1)).message).toBe((await full(c2)).message);
      expect((await full(c1)).message).toContain('counting 1 being placed right now');
    });

    it('count calls being placed on another server against this one, until released; a refusal or a refund gives back the rate', async () => {
      const [a, b] = [new RedisLimits(await server(), opts), new RedisLimits(await server(), opts)];
      const first = await a.reserve('office', 'alice', { listsCalls: true });
      const second = await b.reserve('office', 'alice', { listsCalls: true });
      // The PBX lists none yet, but the first is being placed: 0 + 1 others < 2.
      await second.checkActive(0);
      const third = await b.reserve('office', 'alice', { listsCalls: true });
      await expect(third.checkActive(0)).rejects.toThrow('this user already has 2 active calls, counting 2 being placed right now (limit 2)');
      // The refusal gave back its rate count: two placed, so one more fits the per-user rate of 3.
      await first.release();
      await second.release();
      const fourth = await a.reserve('office', 'alice', { listsCalls: true });
      await fourth.refund();
      const fifth = await a.reserve('office', 'alice', { rateOnly: true });
      await fifth.release();
      await expect(a.reserve('office', 'alice', { rateOnly: true })).rejects.toThrow('3 calls were placed for this user in the last minute (limit 3)');
    });

    it('forget a reservation whose server died while placing its call, once its lease passes', async () => {
      const short = { ...opts, pendingLeaseMs: 300 };
      const dead = new RedisLimits(await server(), short);
      await dead.reserve('office', 'carol', { listsCalls: true });
      await dead.reserve('office', 'carol', { listsCalls: true });
      const live = new RedisLimits(await server(), { ...short, maxPerMinute: 10 });
      await expect((await live.reserve('office', 'carol', { listsCalls: true })).checkActive(0)).rejects.toThrow('counting 2 being placed');
      await new Promise((r) => setTimeout(r, 350));
      await (await live.reserve('office', 'carol', { listsCalls: true })).checkActive(1);
    });

    it('where the PBX cannot list calls, count the deployment\'s recent calls as active', async () => {
      const [a, b] = [new RedisLimits(await server(), { ...opts, maxPerMinute: 10 }), new RedisLimits(await server(), { ...opts, maxPerMinute: 10 })];
      await a.reserve('desk', 'dave');
      await b.reserve('desk', 'dave');
      await expect(a.reserve('desk', 'dave')).rejects.toThrow('this user already has 2 active calls (limit 2)');
    });
  });

  describe('the poll floor', () => {
    const interval = 400;
    function caches(n: number, stores: RedisStore[]) {
      return Array.from({ length: n }, (_, i) => new SharedPollCache<number>(new RedisPollLeases(stores[i % stores.length]!, 'ipps http://pbx/'), systemClock, interval, 2000, log));
    }

    it('one fetch per query per interval for all servers and readers, and every reader gets its answer', async () => {
      const [a, b, c] = caches(3, [await server(), await server(), await server()]);
      let loads = 0;
      const starts: number[] = [];
      const load = async () => {
        starts.push(Date.now());
        loads++;
        await new Promise((r) => setTimeout(r, 30));
        return loads;
      };
      const read = () => Promise.all([a, b, c].flatMap((x) => Array.from({ length: 10 }, () => x!.get('channels', load))));
      expect(new Set(await read())).toEqual(new Set([1]));
      expect(loads).toBe(1);
      const end = Date.now() + 3 * interval + 100;
      while (Date.now() < end) {
        await read();
        await new Promise((r) => setTimeout(r, 25));
      }
      expect(loads).toBeGreaterThanOrEqual(3);
      expect(loads).toBeLessThanOrEqual(5);
      // Measured where the fetch starts, after the lease was taken: a few ms of jitter either way.
      for (let i = 1; i < starts.length; i++) expect(starts[i]! - starts[i - 1]!).toBeGreaterThanOrEqual(interval - 25);
      expect(a!.fetchCount + b!.fetchCount + c!.fetchCount).toBe(loads);
    });

    it('counts the interval from the answer, not from the lease: a request that left late is not followed closer than the interval', async () => {
      const [a, b] = caches(2, [await server(), await server()]);
      const departures: number[] = [];
      // The first request leaves 150 ms after its lease was taken (a busy event loop), the next ones at once.
      const late = [150];
      const load = async () => {
        await new Promise((r) => setTimeout(r, late.shift() ?? 0));
        departures.push(Date.now());
        return departures.length;
      };
      const end = Date.now() + 2 * interval + 200;
      while (Date.now() < end) {
        await Promise.all([a!.get('q', load), b!.get('q', load)]);
        await new Promise((r) => setTimeout(r, 10));
      }
      expect(departures.length).toBeGreaterThanOrEqual(2);
      for (let i = 1; i < departures.length; i++) expect(departures[i]! - departures[i - 1]!).toBeGreaterThanOrEqual(interval - 5);
    });

    it('shares a failure for the interval too', async () => {
      const [a, b] = caches(2, [await server(), await server()]);
      let loads = 0;
      const failing = () => {
        loads++;
        return Promise.reject(new BackendError('unavailable', 'the ipbx answered 503', { hint: 'later', code: 'http_503' }));
      };
      await expect(a!.get('q', failing)).rejects.toThrow('the ipbx answered 503');
      const err = (await b!.get('q', failing).catch((e: unknown) => e)) as BackendError;
      expect(err).toBeInstanceOf(BackendError);
      expect(err).toMatchObject({ kind: 'unavailable', message: 'the ipbx answered 503', hint: 'later', code: 'http_503' });
      expect(loads).toBe(1);
    });

    it('a holder that dies mid-fetch is taken over by another server once its lease lapses', async () => {
      const store = await server();
      const leases = new RedisPollLeases(store, 'ipps http://pbx/');
      const [b] = caches(1, [await server()]);
      // A server took the lease and died before publishing.
      const t0 = Date.now();
      expect((await leases.take('q', 'dead-server.1', interval)).holder).toBe('dead-server.1');
      let loads = 0;
      expect(await b!.get('q', () => Promise.resolve(++loads))).toBe(1);
      expect(Date.now() - t0).toBeGreaterThanOrEqual(interval - 10);
      expect(Date.now() - t0).toBeLessThan(interval + 500);
    });

    it('while the store is unreachable, each server keeps its own floor, and shares again once it is back', async () => {
      const [a] = caches(1, [await server()]);
      await redis.stop();
      let loads = 0;
      const load = () => Promise.resolve(++loads);
      expect(await a!.get('q', load)).toBe(1);
      expect(await a!.get('q', load)).toBe(1);
      expect(loads).toBe(1);
      expect(logged).toContain('this server polls the PBX on its own floor');
      await redis.start();
      await until(() => stores[0]!.ready);
      await new Promise((r) => setTimeout(r, interval));
      expect(await a!.get('q', load)).toBe(2);
      const [b] = caches(1, [await server()]);
      expect(await b!.get('q', load)).toBe(2);
      expect(loads).toBe(2);
    });
  });

  describe('the XUC token', () => {
    let sim: XucSimulator;
    let stop: () => void;
    const backends: XivoBackend[] = [];
    beforeAll(async () => {
      const { engine } = testEngine();
      sim = await startXucSimulator({ engine, host: '127.0.0.1', port: 0 });
      stop = () => engine.close();
    });
    afterAll(async () => {
      await Promise.all(backends.map((b) => b.close()));
      await sim.close();
      stop();
    });
    async function xuc(store: RedisStore, password = 'xuc-ws-pa55'): Promise<XivoBackend> {
      const config = XivoConfig.parse({ type: 'xivo', url: sim.server.url, login: 'xuc-ws', password, userType: 'webservice', defaultUser: 'alice' });
      const shared = { polls: () => { throw new Error('unused'); }, tokens: (scope: string) => new RedisTokenShare(store, scope) };
      const b = (await xivoType.create('xivo', config, { log, baseDir: process.cwd(), shared })) as XivoBackend;
      backends.push(b);
      return b;
    }

    it('three servers, twenty concurrent calls: one login; a token XUC refuses: one new login for all', async () => {
      sim.server.resetStats();
      const servers = [await xuc(await server()), await xuc(await server()), await xuc(await server())];
      const logins = () => sim.server.log.filter((q) => q.path.endsWith('/auth/webservice')).length;
      await Promise.all(Array.from({ length: 20 }, (_, i) => servers[i % 3]!.history!({ user: 'alice' })));
      expect(logins()).toBe(1);
      const first = servers.map((s) => s.client.stats.logins);
      expect(first.reduce((x, y) => x + y)).toBe(1);
      // XUC forgets the token: each server is refused once, and one of them logs in again for all.
      sim.expireTokens();
      await Promise.all(servers.map((s) => s.history!({ user: 'alice' })));
      expect(logins()).toBe(2);
    });

    it('a refused login is remembered by every server: the others do not ask XUC again', async () => {
      sim.server.resetStats();
      const [a, b] = [await xuc(await server(), 'wrong-pa55word'), await xuc(await server(), 'wrong-pa55word')];
      const logins = () => sim.server.log.filter((q) => q.path.endsWith('/auth/webservice')).length;
      await expect(a.history!({ user: 'alice' })).rejects.toMatchObject({ kind: 'auth' });
      await expect(b.history!({ user: 'alice' })).rejects.toMatchObject({ kind: 'auth' });
      expect(logins()).toBe(1);
    });
  });

  describe('changes', () => {
    it('reach the listeners of their topic on every server once, and only servers that listen to it', async () => {
      const [a, b] = [new RedisBus(await server(), log), new RedisBus(await server(), log)];
      const heard: Record<string, BusEvent[]> = { a: [], b: [], bCalls: [] };
      const calls = topicOf({ kind: 'resource', uri: 'pbx://office/calls' });
      const alice = topicOf({ kind: 'audit', principal: 'token:alice' });
      a.subscribe(calls, (e) => heard.a!.push(e));
      a.subscribe(alice, (e) => heard.a!.push(e));
      b.subscribe(alice, (e) => heard.b!.push(e));
      const offCalls = b.subscribe(calls, (e) => heard.bCalls!.push(e));
      offCalls();
      const channels = async () => (await stores[0]!.run((c) => c.sendCommand(['PUBSUB', 'NUMSUB', ...[calls, alice].map((t) => stores[0]!.key(`changes:${createHash('sha256').update(t).digest('base64url').slice(0, 22)}`))]))) as (string | number)[];
      // Subscriptions are made once connected: a on both channels, b on alice's only (it gave up the calls).
      const end = Date.now() + 3000;
      let subs: (string | number)[] = [];
      while (Date.now() < end) {
        subs = await channels();
        if (subs[1] === 1 && subs[3] === 2) break;
        await new Promise((r) => setTimeout(r, 20));
      }
      expect([subs[1], subs[3]]).toEqual([1, 2]);
      a.publish({ kind: 'resource', uri: 'pbx://office/calls', version: 'v1' });
      b.publish({ kind: 'audit', principal: 'token:alice' }, new Promise((r) => setTimeout(r, 50)));
      b.publish({ kind: 'audit', principal: 'token:bob' });
      await until(() => heard.a!.length === 2 && heard.b!.length === 1);
      await new Promise((r) => setTimeout(r, 100));
      expect(heard.a).toEqual([
        { kind: 'resource', uri: 'pbx://office/calls', version: 'v1' },
        { kind: 'audit', principal: 'token:alice' },
      ]);
      expect(heard.b).toEqual([{ kind: 'audit', principal: 'token:alice' }]);
      expect(heard.bCalls).toEqual([]);
    });
  });

  describe('recent audit entries', () => {
    const entry = (principal: string, i: number): AuditEntry => ({
      time: new Date(Date.now() + i).toISOString(),
      session: `s${i}`,
      principal,
      tool: 'set_dnd',
      args: { enabled: true, i },
      confirmation: 'not_required',
      outcome: 'done',
    });

    it('are the deployment\'s, per principal, oldest first, the last `keep` of them', async () => {
      const [a, b] = [new RedisRecent(await server(), 3), new RedisRecent(await server(), 3)];
      for (let i = 0; i < 5; i++) await (i % 2 ? a : b).push(entry('token:alice', i));
      await a.push(entry('token:bob', 9));
      expect((await b.of('token:alice')).map((e) => (e.args as { i: number }).i)).toEqual([2, 3, 4]);
      expect((await a.of('token:bob')).map((e) => e.principal)).toEqual(['token:bob']);
      expect(await a.of('token:carol')).toEqual([]);
    });
  });

  describe('the repeat window', () => {
    it('one of two servers beginning the same action together passes; its age is Redis\'s; forgotten only by its own mark', async () => {
      const [a, b] = [new RedisRepeatLog(await server()), new RedisRepeatLog(await server())];
      const both = await Promise.all([a.begin('k', 60_000), b.begin('k', 60_000)]);
      const marked = both.filter((r) => 'mark' in r) as { mark: string }[];
      expect(marked).toHaveLength(1);
      await new Promise((r) => setTimeout(r, 120));
      const seen = await b.begin('k', 60_000);
      expect('ago' in seen && seen.ago >= 100 && seen.ago < 5000, JSON.stringify(seen)).toBe(true);
      await b.forget('k', '60000:not-its-mark');
      expect(await a.begin('k', 60_000)).toHaveProperty('ago');
      await b.forget('k', marked[0]!.mark);
      expect(await a.begin('k', 60_000)).toHaveProperty('mark');
      await b.again('k', 150);
      expect(await a.begin('k', 60_000)).toHaveProperty('ago');
      await new Promise((r) => setTimeout(r, 200));
      expect(await a.begin('k', 60_000), 'past its window').toHaveProperty('mark');
    });
  });

  describe('faults', () => {
    it('stopped: every command fails at once with an error naming the store and saying nothing was done; back: it works again', async () => {
      const store = await server();
      const claims = new RedisClaims(store);
      await redis.stop();
      await until(() => !store.ready);
      const t0 = Date.now();
      const e = (await claims.claim('confirm:x', 1000, Date.now()).catch((err: unknown) => err)) as Error;
      expect(Date.now() - t0).toBeLessThan(50);
      expect(isSharedStoreError(e)).toBe(true);
      expect(e.message).toBe(`The shared store of this deployment (Redis at redis://127.0.0.1:${redis.port}) is unreachable, so this action was refused: nothing was done`);
      expect(() => store.gate()).toThrow('is unreachable, so this action was refused: nothing was done');
      await redis.start();
      await until(() => store.ready, 5000);
      expect(() => store.gate()).not.toThrow();
      expect(await claims.claim('confirm:x', 1000, Date.now())).toBe(true);
      expect(logged).toMatch(/cannot be used: actions are refused until it answers again/);
      expect(logged).toMatch(/answers again: actions resume/);
    });

    it('frozen: a command fails within its deadline, and the gate refuses until a command answers again', async () => {
      const store = await server();
      redis.pause();
      const t0 = Date.now();
      const e = (await store.run((c) => c.get('k')).catch((err: unknown) => err)) as Error;
      expect(Date.now() - t0).toBeGreaterThanOrEqual(TIMEOUT_MS - 20);
      expect(Date.now() - t0).toBeLessThan(TIMEOUT_MS + 250);
      expect(e.message).toContain(`did not answer within ${TIMEOUT_MS} ms, so this action was refused: nothing was done`);
      expect(() => store.gate()).toThrow(`did not answer within ${TIMEOUT_MS} ms`);
      redis.resume();
      // The ping (every second) finds it answering again.
      await until(() => store.ready, 3000);
      expect(await store.run((c) => c.set('k', 'v'))).toBe('OK');
    });

    it('a password in the URL is never in a message or a log line', async () => {
      const secret = await startRedis({ password: 'redis-pa55word-xyz' });
      try {
        logged = '';
        const s = new RedisStore({ url: secret.url, where: `redis://127.0.0.1:${secret.port}`, prefix: 'p:', timeoutMs: TIMEOUT_MS, log });
        stores.push(s);
        await s.open(5000);
        expect(await s.run((c) => c.set('a', 'b'))).toBe('OK');
        await secret.stop();
        const e = (await s.run((c) => c.get('a')).catch((err: unknown) => err)) as Error;
        expect(`${e.message} ${logged}`).not.toContain('redis-pa55word-xyz');
        expect(e.message).toContain(`redis://127.0.0.1:${secret.port}`);
      } finally {
        await secret.stop();
      }
    });
  });
});
