/** The shared poller of subscribed resources: one poll per URI, notifications only when the content changed. */
import { afterEach, describe, expect, it } from 'vitest';
import type { Backend, Capability } from '../../src/backends/backend.js';
import type { Call } from '../../src/backends/model.js';
import { PbxHandle } from '../../src/backends/registry.js';
import { LogHub } from '../../src/log.js';
import { callsResource } from '../../src/resources/pbx.js';
import { ResourceWatcher } from '../../src/resources/watch.js';

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
