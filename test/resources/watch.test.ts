/** The shared poller of subscribed resources: one poll per URI, notifications only when the content changed. */
import { afterEach, describe, expect, it } from 'vitest';
import type { Backend, Capability } from '../../src/backends/backend.js';
import type { Call } from '../../src/backends/model.js';
import { PbxHandle } from '../../src/backends/registry.js';
import { LogHub } from '../../src/log.js';
import { callsResource } from '../../src/resources/pbx.js';
import { ResourceWatcher } from '../../src/resources/watch.js';
import { type BusEvent, LocalBus } from '../../src/shared/bus.js';

function polledBackend(calls: () => Call[]): Backend & { reads: number } {
  const b = {
    name: 'polled',
    type: 'fake',
    userModel: 'many' as const,
    capabilities: new Set<Capability>(['activeCalls']),
    reads: 0,
    activeCalls: () => {
      b.reads++;
      return Promise.resolve(calls());
    },
    close: () => Promise.resolve(),
  };
  return b;
}

const call = (over: Partial<Call> = {}): Call => ({
  id: '1767603600.1',
  state: 'connected',
  from: { number: '+390612345678' },
  to: { number: '201' },
  answered: true,
  startedAt: '2026-01-05T09:00:00.000Z',
  durationSeconds: 0,
  ...over,
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('ResourceWatcher over a polled backend', () => {
  let watcher: ResourceWatcher | undefined;
  afterEach(() => watcher?.close());

  it('does not notify while only the durations of calls grow, and does when a call changes', async () => {
    let duration = 0;
    let state: Call['state'] = 'connected';
    const backend = polledBackend(() => [call({ durationSeconds: duration++, state })]);
    watcher = new ResourceWatcher(new LogHub({ level: 'error', write: () => {} }).logger(), 10);
    let notified = 0;
    watcher.subscribe('pbx://polled/calls', { def: callsResource, pbx: new PbxHandle(backend), vars: { pbx: 'polled' } }, () => notified++);
    const until = async (cond: () => boolean) => {
      const end = Date.now() + 5000;
      while (!cond() && Date.now() < end) await sleep(5);
    };
    await until(() => backend.reads >= 6);
    expect(notified).toBe(0);
    state = 'on_hold';
    await until(() => notified > 0);
    expect(notified).toBe(1);
  });
});

describe('ResourceWatcher on a bus shared by several servers', () => {
  const watchers: ResourceWatcher[] = [];
  afterEach(() => {
    for (const w of watchers.splice(0)) w.close();
  });

  /** A bus two servers share (what Redis pub/sub is to them): each delivers its own events at once, the other's too. */
  function sharedBus() {
    const sides: LocalBus[] = [new LocalBus(), new LocalBus()];
    return sides.map((mine, i) => ({
      publish: (e: BusEvent) => {
        mine.deliver(e);
        sides[1 - i]!.deliver(e);
      },
      subscribe: (topic: string, l: (e: BusEvent) => void) => mine.subscribe(topic, l),
    }));
  }

  it('a change seen by either server reaches both servers\' listeners once, however many of them poll it', async () => {
    let state: Call['state'] = 'connected';
    const [busA, busB] = sharedBus();
    const log = new LogHub({ level: 'error', write: () => {} }).logger();
    // Server A polls fast, server B slowly: A sees every change first, B sees it again on its own poll.
    const a = new ResourceWatcher(log, 10, busA);
    const b = new ResourceWatcher(log, 40, busB);
    watchers.push(a, b);
    const [pbxA, pbxB] = [polledBackend(() => [call({ state })]), polledBackend(() => [call({ state })])];
    const heard = { a: 0, b: 0 };
    a.subscribe('pbx://polled/calls', { def: callsResource, pbx: new PbxHandle(pbxA), vars: { pbx: 'polled' } }, () => heard.a++);
    b.subscribe('pbx://polled/calls', { def: callsResource, pbx: new PbxHandle(pbxB), vars: { pbx: 'polled' } }, () => heard.b++);
    const until = async (cond: () => boolean) => {
      const end = Date.now() + 5000;
      while (!cond() && Date.now() < end) await sleep(5);
    };
    await until(() => pbxB.reads >= 2);
    state = 'on_hold';
    await until(() => heard.a > 0 && heard.b > 0);
    // B's own poll reads the same content afterwards: nobody hears of it twice.
    const reads = pbxB.reads;
    await until(() => pbxB.reads >= reads + 3);
    expect(heard).toEqual({ a: 1, b: 1 });
    // A change back is a change again.
    state = 'connected';
    await until(() => heard.a > 1 && heard.b > 1);
    await until(() => pbxB.reads >= reads + 8);
    expect(heard).toEqual({ a: 2, b: 2 });
  });
});
