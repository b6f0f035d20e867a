/** The sim PBX's call queues: agents pause and resume, and a queue reports its waiting calls and its members. */
import type { QueueCall, QueueMember, QueueStatus } from '../../backends/model.js';
import { EngineError } from './errors.js';
import { dispatchAll } from './routing.js';
import { type EngineState, iso } from './state.js';

/** Pause or unpause the user in the given queues (all their queues when none are given). */
export function pauseQueues(s: EngineState, user: string, paused: boolean, queues?: string[], reason?: string): string[] {
  return s.op(() => {
    const u = s.requireUser(user);
    const mine = [...s.queues.values()].filter((q) => q.members.includes(u.id));
    let targets = mine;
    if (queues && queues.length) {
      targets = queues.map((name) => {
        const q = s.findQueue(name);
        if (!q) throw new EngineError('not_found', `no queue named ${name}`);
        if (!q.members.includes(u.id)) throw new EngineError('not_found', `${s.label(u)} is not a member of queue ${q.name}`);
        return q;
      });
    }
    if (!targets.length) throw new EngineError('not_found', `${s.label(u)} is not a member of any queue`);
    for (const q of targets) {
      if (paused) q.paused.set(u.id, reason);
      else q.paused.delete(u.id);
      s.touch({ topic: 'queue', queue: q.name });
    }
    s.touch({ topic: 'extensions' });
    if (!paused) dispatchAll(s);
    return targets.map((q) => q.name);
  });
}

export function queueStatus(s: EngineState, name: string): QueueStatus {
  const q = s.findQueue(name);
  if (!q) throw new EngineError('not_found', `no queue named ${name}`);
  const now = s.clock.now();
  const mine = [...s.calls.values()].filter((c) => c.queue === q.name);
  const calls: QueueCall[] = mine
    .sort((a, b) => (a.enteredQueueAt ?? 0) - (b.enteredQueueAt ?? 0))
    .map((c) => {
      const caller = c.from;
      const connected = c.state === 'connected' || c.state === 'on_hold';
      const entered = c.enteredQueueAt ?? c.startedAt;
      const agent = c.agent ? s.users.get(c.agent) : undefined;
      return {
        id: c.id,
        caller: caller.number,
        ...(caller.name ? { callerName: caller.name } : {}),
        status: connected ? 'connected' : 'waiting',
        enteredAt: iso(entered),
        waitedSeconds: Math.max(0, Math.floor(((connected ? (c.answeredAt ?? now) : now) - entered) / 1000)),
        ...(connected && agent ? { agent: agent.extension } : {}),
      } satisfies QueueCall;
    });
  const waiting = calls.filter((c) => c.status === 'waiting');
  const members = q.members.map((m): QueueMember => {
    const u = s.users.get(m)!;
    const reason = q.paused.get(m);
    const state = !u.online ? 'offline' : u.dnd ? 'dnd' : s.talking(m) ? 'on_call' : s.isBusy(m) ? 'ringing' : 'available';
    return { user: u.id, number: u.extension, ...(u.name ? { name: u.name } : {}), paused: q.paused.has(m), ...(reason ? { reason } : {}), state };
  });
  return {
    queue: q.name,
    waitingCount: waiting.length,
    ...(waiting[0]?.enteredAt ? { oldestArrival: waiting[0].enteredAt } : {}),
    calls,
    members,
  };
}
