/**
 * The heart of the ipbx backend: however many sessions, tool calls and subscribers read, the PBX sees one
 * request per query per poll interval (counted at the simulator), and subscribers still hear of changes.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { ResourceUpdatedNotificationSchema } from '@modelcontextprotocol/sdk/types.js';
import { createApp, type App } from '../../../src/app.js';
import { BackendError } from '../../../src/errors.js';
import { PollCache } from '../../../src/backends/polls.js';
import { ipbxConfigFor } from '../../../src/simulators/ipbx/simulator.js';
import { ManualClock } from '../../../src/util/clock.js';
import { parseConfig } from '../../../src/config.js';
import { LogHub } from '../../../src/log.js';
import { env, inMemoryClient } from '../../helpers/app.js';
import { eventually } from '../../helpers/mcp.js';
import { engine as testEngine } from '../../helpers/scenario.js';
import { IPPS_PASSWORD, IPPS_USER, ipbxRig, type IpbxRig } from './harness.js';

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

function deferred<T>() {
  let resolve!: (v: T) => void;
  let reject!: (e: unknown) => void;
  const promise = new Promise<T>((a, b) => {
    resolve = a;
    reject = b;
  });
  return { promise, resolve, reject };
}

describe('PollCache', () => {
  it('shares one fetch among concurrent readers and its answer for the interval, counted from the fetch start', async () => {
    const clock = new ManualClock();
    const cache = new PollCache<number>(clock, 3000);
    let loads = 0;
    const gate = deferred<void>();
    const load = async () => {
      loads++;
      await gate.promise;
      return loads;
    };
    const readers = Array.from({ length: 50 }, () => cache.get('q', load));
    clock.advance(5000); // a slow answer: still the one fetch
    readers.push(cache.get('q', load));
    gate.resolve();
    expect(new Set(await Promise.all(readers))).toEqual(new Set([1]));
    expect(loads).toBe(1);
    // The fetch started at t0 and the clock is at t0+5000: the answer is already stale.
    expect(await cache.get('q', load)).toBe(2);
    clock.advance(2999);
    expect(await cache.get('q', load)).toBe(2);
    expect(await cache.get('other', load)).toBe(3);
    clock.advance(1);
    expect(await cache.get('q', load)).toBe(4);
    expect(cache.fetchCount).toBe(4);
  });

  it('shares a failure for the interval too (the floor holds while the PBX fails), then fetches again', async () => {
    const clock = new ManualClock();
    const cache = new PollCache<string>(clock, 3000);
    let loads = 0;
    const failing = () => {
      loads++;
      return Promise.reject(new BackendError('unavailable', 'down'));
    };
    for (let i = 0; i < 5; i++) await expect(cache.get('q', failing)).rejects.toThrow('down');
    expect(loads).toBe(1);
    clock.advance(3000);
    expect(await cache.get('q', () => Promise.resolve('up'))).toBe('up');
  });

  it('a reader that gives up does not cancel the fetch for the others', async () => {
    const cache = new PollCache<string>(new ManualClock(), 3000);
    const gate = deferred<string>();
    const ac = new AbortController();
    const quitter = cache.get('q', () => gate.promise, ac.signal);
    const stayer = cache.get('q', () => gate.promise);
    ac.abort();
    await expect(quitter).rejects.toMatchObject({ kind: 'unavailable' });
    gate.resolve('answer');
    expect(await stayer).toBe('answer');
    const aborted = new AbortController();
    aborted.abort();
    await expect(cache.get('q', () => gate.promise, aborted.signal)).rejects.toBeInstanceOf(BackendError);
  });
});

describe('one backend request per query per interval', () => {
  async function setup(): Promise<{ rig: IpbxRig; app: App }> {
    const { engine } = testEngine();
    const rig = await ipbxRig(engine);
    cleanups.push(() => engine.close(), () => rig.close());
    const raw = {
      defaultPbx: 'office',
      pbxes: { office: { ...ipbxConfigFor(engine, rig.sim.url), username: IPPS_USER, password: IPPS_PASSWORD } },
      audit: { file: '-' },
      log: { level: 'error' },
    };
    const app = await createApp(parseConfig(raw, { env: {} }), { clock: rig.cacheClock, logs: new LogHub({ level: 'error', write: () => {} }) });
    cleanups.push(() => app.close());
    return { rig, app };
  }

  const count = (rig: IpbxRig) => ({
    channels: rig.sim.server.stats.byPath['/ipps/channelinfo.php'] ?? 0,
    queue: rig.sim.server.stats.byPath['/ipps/queueactive.php'] ?? 0,
  });

  it('50 direct readers of calls and queues cost one request each; the next interval one more', async () => {
    const { engine } = testEngine();
    const rig = await ipbxRig(engine);
    cleanups.push(() => engine.close(), () => rig.close());
    const b = await rig.backend();
    cleanups.push(() => b.close());
    const users = [undefined, 'alice', 'bob', 'carol', 'dave', '201', 'SIP/202'];
    const burst = () =>
      Promise.all([
        ...Array.from({ length: 50 }, (_, i) => b.activeCalls({ user: users[i % users.length] })),
        ...Array.from({ length: 50 }, () => b.listQueue({ queue: 'support' })),
      ]);
    rig.sim.server.resetStats();
    await burst();
    expect(count(rig)).toEqual({ channels: 1, queue: 1 });
    rig.engine.inboundCall('+390612345678', '201');
    rig.cacheClock.advance(2999);
    const stale = await b.activeCalls({});
    expect(stale).toEqual([]); // still the answer of this interval
    expect(count(rig)).toEqual({ channels: 1, queue: 1 });
    rig.cacheClock.advance(1);
    await burst();
    expect(count(rig)).toEqual({ channels: 2, queue: 2 });
    expect((await b.activeCalls({ user: 'alice' })).length).toBe(1);
  });

  it('25 sessions subscribed to calls and a queue, plus 50 concurrent tool calls: one request per query per interval, and every subscriber hears of the change', async () => {
    const { rig, app } = await setup();
    const sessions = await Promise.all(Array.from({ length: 25 }, () => inMemoryClient(app)));
    cleanups.push(() => Promise.all(sessions.map((s) => s.close())).then(() => undefined));
    const heard = sessions.map(() => new Set<string>());
    sessions.forEach((s, i) => s.client.setNotificationHandler(ResourceUpdatedNotificationSchema, (n) => void heard[i]!.add(n.params.uri)));
    rig.sim.server.resetStats();

    // 50 subscriptions (25 sessions x 2 resources), 50 tool calls: through the SDK clients and the runner.
    const listQueue = app.tools.find((t) => t.name === 'list_queue')!;
    const getActive = app.tools.find((t) => t.name === 'get_active_call')!;
    const toolBurst = () =>
      Promise.all([
        ...sessions.slice(0, 20).map((s, i) => s.client.callTool({ name: 'get_active_call', arguments: i % 2 ? { user: 'bob' } : {} })),
        ...sessions.slice(0, 10).map((s) => s.client.callTool({ name: 'list_queue', arguments: { queue: 'support' } })),
        ...Array.from({ length: 10 }, () => app.runner.run(getActive, { user: 'alice' }, env())),
        ...Array.from({ length: 10 }, () => app.runner.run(listQueue, { queue: 'support' }, env())),
      ]);
    const [, , first] = await Promise.all([
      Promise.all(sessions.map((s) => s.client.subscribeResource({ uri: 'pbx://office/calls' }))),
      Promise.all(sessions.map((s) => s.client.subscribeResource({ uri: 'pbx://office/queues/support' }))),
      toolBurst(),
    ]);
    expect(first.every((r) => !('isError' in r && r.isError) && !('ok' in r && !r.ok))).toBe(true);
    expect(app.watcher.stats()).toEqual({ 'pbx://office/calls': 25, 'pbx://office/queues/support': 25 });
    await eventually(async () => count(rig).channels === 1 && count(rig).queue === 1, 2000, 'the first polls');
    expect(count(rig)).toEqual({ channels: 1, queue: 1 });

    // Something happens; within the same interval nobody makes the PBX answer again.
    for (const u of ['bob', 'carol']) rig.engine.pauseQueues(u, true);
    rig.engine.inboundCall('+393471234567', '600');
    rig.engine.setAnswerMode('alice', 'manual');
    rig.engine.inboundCall('+390612345678', '201');
    await toolBurst();
    expect(count(rig)).toEqual({ channels: 1, queue: 1 });

    // The next interval: one more request per query for everyone, the tool calls see the change...
    rig.cacheClock.advance(3000);
    const second = await toolBurst();
    expect(count(rig)).toEqual({ channels: 2, queue: 2 });
    const q = second.at(-1) as unknown as { ok: true; structured: { waiting_count: number } };
    expect(q.structured.waiting_count).toBe(1);

    // ...and the shared poller (its next tick, about 3 s later in real time) tells every session, at no extra request.
    await eventually(
      async () => heard.every((h) => h.has('pbx://office/calls') && h.has('pbx://office/queues/support')),
      9000,
      'every session to hear of both changes',
    );
    expect(count(rig)).toEqual({ channels: 2, queue: 2 });
  }, 20_000);
});
