/**
 * What a user does with calls in the sim PBX: dial (a number, or a parking slot to pick a call up), answer, hang
 * up, hold, transfer (blind or attended) and join a conference; and what arrives from outside.
 */
import { type CallFacts, currentCall, ringingAt } from '../../backends/current-call.js';
import { resolve } from './directory.js';
import { EngineError } from './errors.js';
import { writeHistoryFor } from './history.js';
import { parkInto, retrieve } from './parking.js';
import { connect, createCall, dispatchAll, end, holdOthers, probe, route } from './routing.js';
import type { Scenario } from './scenario.js';
import { type CallRec, type EngineState, type Endpoint, normalizeDialString, type UserRec } from './state.js';
import { type CallView, callView, roleOf } from './view.js';

/** Calls involving `user` (login or extension), or all calls. Oldest first. */
export function listCalls(s: EngineState, user?: string): CallView[] {
  const uid = user === undefined ? undefined : s.requireUser(user).id;
  return [...s.calls.values()].filter((c) => uid === undefined || s.involves(c, uid)).map((c) => callView(s, c, uid));
}

/** The user's calls as the shared rules of current-call.ts read them, each with its record. */
function callsOf(s: EngineState, uid: string): (CallFacts & { rec: CallRec })[] {
  return [...s.calls.values()]
    .filter((rec) => s.involves(rec, uid))
    .map((rec) => ({ rec, id: rec.id, state: rec.state, startedAt: rec.startedAt, answered: rec.answeredAt !== undefined, role: roleOf(rec, uid) }));
}

function callOf(s: EngineState, uid: string, callId: string | undefined): CallRec {
  if (callId === undefined) {
    const c = currentCall(callsOf(s, uid));
    if (!c) throw new EngineError('not_found', `${uid} has no active call`);
    return c.rec;
  }
  const rec = s.requireCall(callId);
  if (!s.involves(rec, uid)) throw new EngineError('not_found', `call ${callId} is not a call of ${uid}`);
  return rec;
}

const endpointOf = (u: UserRec): Endpoint => ({ kind: 'user', number: u.extension, name: u.name, user: u.id });

/** `user` dials `to`: an extension, a queue, an outside number, or a parking slot (which retrieves). */
export function placeCall(s: EngineState, user: string, to: string): CallView {
  return s.op(() => {
    const u = s.requireUser(user);
    if (!u.online) throw new EngineError('conflict', `${s.label(u)} has no phone online to call from`);
    const target = resolve(s, to);
    if (target.kind === 'user' && target.user === u.id) throw new EngineError('invalid', `${s.label(u)} cannot call itself`);
    if (target.kind === 'park') {
      const picked = retrieve(s, u, target.number);
      holdOthers(s, u.id, picked);
      return callView(s, picked);
    }
    const rec = createCall(s, endpointOf(u), target);
    try {
      route(s, rec, target);
    } catch (e) {
      s.calls.delete(rec.id);
      if (e instanceof EngineError && e.code === 'busy') {
        writeHistoryFor(s, u.id, rec, 'busy');
      }
      throw e;
    }
    // Dialling out holds the conversation in progress, as a phone does.
    holdOthers(s, u.id, rec);
    return callView(s, rec);
  });
}

/** An outside caller (or another user, by extension) calls `to`. Used by scenarios, demo traffic and tests. */
export function inboundCall(s: EngineState, from: string, to: string, fromName?: string): CallView {
  return s.op(() => {
    const fromUser = s.findUser(from);
    let source: Endpoint;
    if (fromUser) source = endpointOf(fromUser);
    else {
      const n = normalizeDialString(from);
      const ext = s.externals.get(n);
      source = { kind: 'external', number: ext?.number ?? n, name: fromName ?? ext?.name };
    }
    const target = resolve(s, to);
    const rec = createCall(s, source, target);
    try {
      route(s, rec, target);
    } catch (e) {
      s.calls.delete(rec.id);
      s.touchCall(rec);
      throw e;
    }
    return callView(s, rec);
  });
}

/** A call of the scenario, already in progress when the PBX starts. */
export function seedCall(s: EngineState, c: Scenario['calls'][number]): void {
  const v = inboundCall(s, c.from, c.to, c.fromName);
  const rec = s.calls.get(v.id)!;
  rec.startedAt -= c.startedSecondsAgo * 1000;
  if (rec.enteredQueueAt !== undefined) rec.enteredQueueAt -= c.startedSecondsAgo * 1000;
  if (c.connected && rec.state === 'ringing') connect(s, rec);
}

/** The user picks up a call ringing at their phone. */
export function answer(s: EngineState, user: string, callId?: string): CallView {
  return s.op(() => {
    const u = s.requireUser(user);
    const ringing = ringingAt(callsOf(s, u.id)).calls.filter((c) => callId === undefined || c.id === callId);
    // Several ringing: the phone picks up the one that rang first.
    const rec = ringing.map((c) => c.rec).sort((a, b) => a.startedAt - b.startedAt)[0];
    if (!rec) {
      throw new EngineError('not_found', callId ? `call ${callId} is not ringing at ${s.label(u)}` : `no call is ringing at ${s.label(u)}`);
    }
    connect(s, rec);
    return callView(s, rec);
  });
}

/**
 * End a call. With `user`, that user hangs up (their current call if no id): in a conference they leave,
 * and hanging up the consultation of an attended transfer completes the transfer.
 */
export function hangup(s: EngineState, user: string | undefined, callId?: string): void {
  s.op(() => {
    if (user === undefined) {
      if (callId === undefined) throw new EngineError('invalid', 'say which call to hang up');
      end(s, s.requireCall(callId));
      return;
    }
    const u = s.requireUser(user);
    const rec = callOf(s, u.id, callId);
    if (rec.participants && rec.participants.length > 2) {
      leave(s, rec, u.id);
      return;
    }
    if (rec.consultFor && rec.from.user === u.id) return completeAttended(s, rec, u);
    end(s, rec);
  });
}

/** `uid` leaves conference `rec`; with two parties left it is a plain call again. */
function leave(s: EngineState, rec: CallRec, uid: string): void {
  writeHistoryFor(s, uid, rec, 'answered');
  rec.participants = rec.participants!.filter((p) => p.user !== uid);
  if (rec.participants.length === 2) {
    [rec.from, rec.to] = rec.participants as [Endpoint, Endpoint];
    rec.participants = undefined;
  }
  s.touchCall(rec);
  dispatchAll(s);
}

/** Put a call on hold (on = true), take it off hold (false), or toggle (undefined). */
export function hold(s: EngineState, user: string, callId?: string, on?: boolean): CallView {
  return s.op(() => {
    const u = s.requireUser(user);
    const rec = callOf(s, u.id, callId);
    if (rec.state !== 'connected' && rec.state !== 'on_hold') {
      throw new EngineError('conflict', `call ${rec.id} is ${rec.state}: only a connected call can be held`);
    }
    const held = on ?? rec.state === 'connected';
    if (!held) holdOthers(s, u.id, rec);
    rec.state = held ? 'on_hold' : 'connected';
    rec.heldBy = held ? u.id : undefined;
    s.touchCall(rec);
    return callView(s, rec);
  });
}

/** The user's call that a transfer moves: answered, and not a conference. */
function transferable(s: EngineState, u: UserRec, callId: string | undefined): CallRec {
  const rec = callOf(s, u.id, callId);
  if (rec.participants) throw new EngineError('conflict', 'a conference call cannot be transferred');
  if (rec.state !== 'connected' && rec.state !== 'on_hold') {
    throw new EngineError('conflict', `call ${rec.id} is ${rec.state}: only an answered call can be transferred`);
  }
  return rec;
}

/** Move the far party of the user's call to `to`; the user leaves the call. */
export function transferBlind(s: EngineState, user: string, callId: string | undefined, to: string): CallView {
  return s.op(() => {
    const u = s.requireUser(user);
    const rec = transferable(s, u, callId);
    const target = resolve(s, to);
    if (target.kind === 'user' && target.user === u.id) throw new EngineError('invalid', 'cannot transfer a call to yourself');
    const far = s.farOf(rec, u.id);
    if (target.kind === 'park') {
      parkInto(s, rec, far, u, target.number);
      return callView(s, rec);
    }
    // Check that the target takes calls before anything changes.
    probe(s, target);
    writeHistoryFor(s, u.id, rec, rec.from.user === u.id ? 'emitted' : 'answered');
    rec.from = far;
    rec.heldBy = undefined;
    rec.answeredAt = undefined;
    rec.agent = undefined;
    s.clearTimer(rec);
    route(s, rec, target);
    dispatchAll(s);
    return callView(s, rec);
  });
}

/**
 * Start an attended transfer: the user's call goes on hold and a consultation call rings `to`.
 * The transfer completes when the user hangs up the consultation call.
 */
export function transferAttended(s: EngineState, user: string, callId: string | undefined, to: string): { held: CallView; consult: CallView } {
  return s.op(() => {
    const u = s.requireUser(user);
    const rec = transferable(s, u, callId);
    if (rec.consultBy) throw new EngineError('conflict', `call ${rec.id} already has a transfer in progress`);
    const target = resolve(s, to);
    if (target.kind === 'park' || target.kind === 'queue') {
      throw new EngineError('invalid', 'an attended transfer needs a person to consult: use a blind transfer to a queue or parking slot');
    }
    if (target.kind === 'user' && target.user === u.id) throw new EngineError('invalid', 'cannot transfer a call to yourself');
    probe(s, target);
    rec.state = 'on_hold';
    rec.heldBy = u.id;
    const consult = createCall(s, endpointOf(u), target, { consultFor: rec.id });
    rec.consultBy = consult.id;
    s.touchCall(rec);
    route(s, consult, target);
    return { held: callView(s, rec), consult: callView(s, consult) };
  });
}

function completeAttended(s: EngineState, consult: CallRec, u: UserRec): void {
  const held = s.calls.get(consult.consultFor!);
  if (!held) return end(s, consult);
  const far = s.farOf(held, u.id);
  writeHistoryFor(s, u.id, held, held.from.user === u.id ? 'emitted' : 'answered');
  writeHistoryFor(s, u.id, consult, 'emitted');
  s.clearTimer(consult);
  s.calls.delete(consult.id);
  s.touchCall(consult);
  held.from = far;
  held.to = consult.to;
  held.heldBy = undefined;
  held.consultBy = undefined;
  held.agent = undefined;
  if (consult.state === 'connected') {
    held.answeredAt = consult.answeredAt;
    held.state = 'connected';
    s.touchCall(held);
  } else {
    held.answeredAt = undefined;
    route(s, held, consult.to);
  }
  dispatchAll(s);
}

/** Join the user's held call `heldId` with their other connected call into a three-way conference. */
export function conference(s: EngineState, user: string, heldId: string): CallView {
  return s.op(() => {
    const u = s.requireUser(user);
    const held = callOf(s, u.id, heldId);
    if (held.state !== 'on_hold') throw new EngineError('conflict', `call ${heldId} is ${held.state}: put it on hold first`);
    const active = [...s.calls.values()].find((c) => c.id !== held.id && c.state === 'connected' && s.involves(c, u.id));
    if (!active) throw new EngineError('conflict', `${s.label(u)} has no other connected call to join call ${heldId} with`);
    const others = [...(held.participants ?? [s.farOf(held, u.id)]), ...(active.participants ?? [s.farOf(active, u.id)])].filter(
      (p) => p.user !== u.id,
    );
    s.clearTimer(active);
    s.calls.delete(active.id);
    s.touchCall(active);
    held.participants = [endpointOf(u), ...others];
    held.state = 'connected';
    held.heldBy = undefined;
    s.touchCall(held);
    return callView(s, held);
  });
}

/**
 * One party of a conference, named by number, is hung up (the host drops them); with two parties left the
 * conference becomes a plain call again. For vendor APIs that hang up a conference leg by its number.
 */
export function dropParticipant(s: EngineState, callId: string, number: string): CallView {
  return s.op(() => {
    const rec = s.requireCall(callId);
    const n = normalizeDialString(number);
    const gone = rec.participants?.find((p) => normalizeDialString(p.number) === n);
    if (!rec.participants || !gone) throw new EngineError('not_found', `${number} is not a party of conference call ${callId}`);
    if (gone.user) writeHistoryFor(s, gone.user, rec, 'answered');
    rec.participants = rec.participants.filter((p) => p !== gone);
    if (rec.participants.length === 2) {
      [rec.from, rec.to] = rec.participants as [Endpoint, Endpoint];
      rec.participants = undefined;
    }
    s.touchCall(rec);
    dispatchAll(s);
    return callView(s, rec);
  });
}
