/**
 * How a call moves through the sim PBX: it is created, routed to a user, an outside party or a queue (forwards
 * applied), rings, is answered or not, is offered to queue members in turn, and ends (history written, the
 * queues told that an agent is free).
 */
import type { ForwardKind } from '../../backends/model.js';
import { answerModeOf, resolve } from './directory.js';
import { EngineError } from './errors.js';
import { writeHistoryFor } from './history.js';
import { type CallRec, type EngineState, type Endpoint, MAX_FORWARD_HOPS, QUEUE_OFFER_MS, type QueueRec, type UserRec } from './state.js';

export function createCall(s: EngineState, from: Endpoint, to: Endpoint, extra: Partial<CallRec> = {}): CallRec {
  const rec: CallRec = { id: s.newCallId(), state: 'dialing', from, to, startedAt: s.clock.now(), hops: 0, ...extra };
  s.calls.set(rec.id, rec);
  s.touchCall(rec);
  return rec;
}

/**
 * Route `rec` to its `to` endpoint: a user or outside party rings (or is busy), a queue takes it in,
 * forwarding applies. Throws (busy, not found) before any state changes when the callee refuses.
 */
export function route(s: EngineState, rec: CallRec, to: Endpoint): void {
  if (to.kind === 'user') {
    const u = s.users.get(to.user!)!;
    if (u.forward.unconditional) return forward(s, rec, u, 'unconditional');
    if (u.dnd) throw new EngineError('busy', `${s.label(u)} is in do-not-disturb: the call was rejected as busy`);
    if (!u.online) throw new EngineError('busy', `${s.label(u)} is offline (no phone registered)`);
    if (u.answer === 'busy' || (u.forward.busy && s.isBusy(u.id, rec))) {
      if (u.forward.busy) return forward(s, rec, u, 'busy');
      throw new EngineError('busy', `${s.label(u)} is busy`);
    }
  }
  if (to.kind === 'external' && answerModeOf(s, to).mode === 'busy') {
    throw new EngineError('busy', `${to.number} is busy`);
  }
  if (to.kind === 'queue') {
    rec.to = to;
    rec.queue = to.name!;
    rec.enteredQueueAt = s.clock.now();
    rec.state = 'queued';
    rec.declined = new Set();
    s.touchCall(rec);
    dispatch(s, s.queues.get(to.name!)!);
    return;
  }
  if (to.kind === 'park') throw new EngineError('invalid', 'a call cannot be routed to a parking slot');
  rec.to = to;
  ring(s, rec);
}

function forward(s: EngineState, rec: CallRec, u: UserRec, kind: ForwardKind): void {
  if (rec.hops >= MAX_FORWARD_HOPS) throw new EngineError('conflict', `forwarding loop at ${s.label(u)}`);
  rec.hops++;
  const dest = resolve(s, u.forward[kind]!);
  if (dest.kind === 'park') throw new EngineError('invalid', `${s.label(u)} forwards to a parking slot`);
  route(s, rec, dest);
}

function ring(s: EngineState, rec: CallRec): void {
  s.clearTimer(rec);
  rec.state = 'ringing';
  s.touchCall(rec);
  const { mode, afterMs } = answerModeOf(s, rec.to);
  const timeout = rec.queue && rec.agent ? Math.min(QUEUE_OFFER_MS, s.ringTimeoutMs) : s.ringTimeoutMs;
  const ringing = s.clock.now();
  // A person already talking does not pick up by themselves: the call waits (call waiting) until answered or the
  // ring timeout, also when they started talking while it rang.
  const autoAnswer = () => {
    const callee = rec.to.user;
    if (callee !== undefined && s.talking(callee, rec)) {
      rec.timer = s.later(() => noAnswer(s, rec), timeout - (s.clock.now() - ringing));
    } else connect(s, rec);
  };
  if (mode === 'auto' && afterMs < timeout) rec.timer = s.later(autoAnswer, afterMs);
  else rec.timer = s.later(() => noAnswer(s, rec), timeout);
}

/** Put every connected call of `uid` but `except` on hold: a phone holds the call in progress to take another. */
export function holdOthers(s: EngineState, uid: string, except?: CallRec): void {
  for (const c of s.calls.values()) {
    if (c === except || c.state !== 'connected' || !s.involves(c, uid)) continue;
    c.state = 'on_hold';
    c.heldBy = uid;
    s.touchCall(c);
  }
}

export function connect(s: EngineState, rec: CallRec): void {
  s.clearTimer(rec);
  if (!s.calls.has(rec.id)) return;
  for (const p of rec.participants ?? [rec.from, rec.to]) if (p.user) holdOthers(s, p.user, rec);
  rec.state = 'connected';
  rec.answeredAt ??= s.clock.now();
  s.touchCall(rec);
  if (rec.demo) hangUpLater(s, rec, 30_000 + s.nextRand(210_000));
}

function noAnswer(s: EngineState, rec: CallRec): void {
  rec.timer = undefined;
  if (!s.calls.has(rec.id) || rec.state !== 'ringing') return;
  if (rec.queue && rec.agent) {
    // Offer not taken: back to the queue, try another member.
    rec.declined?.add(rec.agent);
    rec.agent = undefined;
    const q = s.queues.get(rec.queue)!;
    rec.to = { kind: 'queue', number: q.number, name: q.name };
    rec.state = 'queued';
    s.touchCall(rec);
    dispatch(s, q);
    return;
  }
  const callee = rec.to.kind === 'user' ? s.users.get(rec.to.user!) : undefined;
  if (callee?.forward.noanswer && rec.hops < MAX_FORWARD_HOPS) {
    try {
      writeHistoryFor(s, callee.id, rec, 'missed');
      forward(s, rec, callee, 'noanswer');
      return;
    } catch {
      // fall through: the forward target refused, the call ends unanswered
    }
  }
  end(s, rec);
}

/** Offer waiting calls of a queue to its available members, longest-waiting call first. */
function dispatch(s: EngineState, q: QueueRec): void {
  const waiting = [...s.calls.values()]
    .filter((c) => c.queue === q.name && c.state === 'queued')
    .sort((a, b) => (a.enteredQueueAt ?? 0) - (b.enteredQueueAt ?? 0));
  for (const c of waiting) {
    let member = q.members.find((m) => s.isAvailable(m, q) && !c.declined?.has(m));
    if (!member && c.declined?.size) {
      c.declined.clear(); // everyone had a turn: start a new round
      member = q.members.find((m) => s.isAvailable(m, q));
    }
    if (!member) break;
    const u = s.users.get(member)!;
    c.agent = member;
    c.to = { kind: 'user', number: u.extension, name: u.name, user: u.id };
    ring(s, c);
  }
}

export function dispatchAll(s: EngineState): void {
  for (const q of s.queues.values()) dispatch(s, q);
}

export function end(s: EngineState, rec: CallRec): void {
  s.clearTimer(rec);
  if (rec.talkTimer !== undefined) s.clock.clearTimeout(rec.talkTimer);
  rec.talkTimer = undefined;
  if (!s.calls.delete(rec.id)) return;
  if (rec.parkedSlot) {
    s.slots.delete(rec.parkedSlot);
    s.touch({ topic: 'parking' });
  }
  const parties = rec.participants ?? [rec.from, rec.to];
  for (const p of parties) {
    if (p.kind !== 'user' || !p.user) continue;
    const role = p === rec.from || (rec.participants && p.user === rec.from.user) ? 'caller' : 'callee';
    writeHistoryFor(s, p.user, rec, role === 'caller' ? 'emitted' : rec.answeredAt !== undefined ? 'answered' : 'missed');
  }
  if (rec.consultFor) {
    const held = s.calls.get(rec.consultFor);
    if (held) held.consultBy = undefined;
  }
  if (rec.consultBy) {
    const consult = s.calls.get(rec.consultBy);
    if (consult) consult.consultFor = undefined;
  }
  s.touchCall(rec);
  dispatchAll(s);
}

/** A demo caller hangs up by themselves after `ms`. */
export function hangUpLater(s: EngineState, rec: CallRec, ms: number): void {
  if (rec.talkTimer !== undefined) s.clock.clearTimeout(rec.talkTimer);
  rec.talkTimer = s.later(() => {
    rec.talkTimer = undefined;
    end(s, rec);
  }, ms);
}

/** Throw as route() would if `to` cannot take a call now, without changing anything. */
export function probe(s: EngineState, to: Endpoint): void {
  if (to.kind !== 'user') {
    if (to.kind === 'external' && answerModeOf(s, to).mode === 'busy') throw new EngineError('busy', `${to.number} is busy`);
    return;
  }
  const u = s.users.get(to.user!)!;
  if (u.forward.unconditional) return;
  if (u.dnd) throw new EngineError('busy', `${s.label(u)} is in do-not-disturb: the call was rejected as busy`);
  if (!u.online) throw new EngineError('busy', `${s.label(u)} is offline (no phone registered)`);
  if (u.answer === 'busy') throw new EngineError('busy', `${s.label(u)} is busy`);
}
