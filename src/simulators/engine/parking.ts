/** The sim PBX's parking lot: a call's far party waits in a slot until someone dials it, or the slot times out. */
import { isSlot } from './directory.js';
import { EngineError } from './errors.js';
import { writeHistoryFor } from './history.js';
import { dispatchAll, end, route } from './routing.js';
import type { CallRec, EngineState, Endpoint, UserRec } from './state.js';

/** Park a call: its far party waits in `slot` (or the first free one). Returns the slot. */
export function park(s: EngineState, callId: string, slot?: string, user?: string): string {
  return s.op(() => {
    const rec = s.requireCall(callId);
    if (rec.participants) throw new EngineError('conflict', 'a conference call cannot be parked');
    if (rec.state !== 'connected' && rec.state !== 'on_hold') {
      throw new EngineError('conflict', `call ${callId} is ${rec.state}: only an answered call can be parked`);
    }
    let parker: UserRec | undefined;
    if (user !== undefined) {
      parker = s.requireUser(user);
      if (!s.involves(rec, parker.id)) throw new EngineError('not_found', `call ${callId} is not a call of ${parker.id}`);
    } else {
      const users = [rec.from, rec.to].filter((e) => e.kind === 'user');
      if (users.length !== 1) throw new EngineError('invalid', `call ${callId} is between two users: say which one parks it`);
      parker = s.users.get(users[0]!.user!)!;
    }
    const far = s.farOf(rec, parker.id);
    let target = slot;
    if (target === undefined) {
      for (let i = 0; i < s.parking.slots; i++) {
        const candidate = String(s.parking.firstSlot + i);
        if (!s.slots.has(candidate)) {
          target = candidate;
          break;
        }
      }
      if (target === undefined) throw new EngineError('conflict', 'the parking lot is full');
    }
    parkInto(s, rec, far, parker, target);
    return target;
  });
}

export function parkInto(s: EngineState, rec: CallRec, far: Endpoint, parker: UserRec, slot: string): void {
  if (!isSlot(s, slot)) {
    const last = s.parking.firstSlot + s.parking.slots - 1;
    throw new EngineError('invalid', `${slot} is not a parking slot (slots are ${s.parking.firstSlot} to ${last})`);
  }
  if (s.slots.has(slot)) throw new EngineError('conflict', `parking slot ${slot} is taken`);
  writeHistoryFor(s, parker.id, rec, rec.from.user === parker.id ? 'emitted' : 'answered');
  s.clearTimer(rec);
  rec.from = far;
  rec.to = { kind: 'park', number: slot };
  rec.state = 'parked';
  rec.parkedSlot = slot;
  rec.parkedBy = parker.id;
  rec.heldBy = undefined;
  rec.agent = undefined;
  s.slots.set(slot, rec.id);
  s.touchCall(rec);
  s.touch({ topic: 'parking' });
  if (s.parking.timeoutMs > 0) {
    rec.timer = s.later(() => parkTimeout(s, rec), s.parking.timeoutMs);
  }
  dispatchAll(s);
}

function parkTimeout(s: EngineState, rec: CallRec): void {
  rec.timer = undefined;
  if (rec.state !== 'parked' || !rec.parkedBy) return;
  const parker = s.users.get(rec.parkedBy)!;
  s.slots.delete(rec.parkedSlot!);
  rec.parkedSlot = undefined;
  s.touch({ topic: 'parking' });
  rec.to = { kind: 'user', number: parker.extension, name: parker.name, user: parker.id };
  rec.answeredAt = undefined;
  try {
    route(s, rec, rec.to);
  } catch {
    end(s, rec);
  }
}

/** `u` dialled a parking slot: the call waiting there is theirs, connected. */
export function retrieve(s: EngineState, u: UserRec, slot: string): CallRec {
  const id = s.slots.get(slot);
  const rec = id ? s.calls.get(id) : undefined;
  if (!rec) throw new EngineError('not_found', `parking slot ${slot} is empty`);
  s.clearTimer(rec);
  s.slots.delete(slot);
  rec.parkedSlot = undefined;
  rec.parkedBy = undefined;
  rec.to = { kind: 'user', number: u.extension, name: u.name, user: u.id };
  rec.state = 'connected';
  rec.answeredAt = s.clock.now();
  s.touchCall(rec);
  s.touch({ topic: 'parking' });
  return rec;
}

export function parkingInfo(s: EngineState): { firstSlot: number; slots: number; parked: { slot: string; callId: string }[] } {
  return {
    firstSlot: s.parking.firstSlot,
    slots: s.parking.slots,
    parked: [...s.slots.entries()].map(([slot, callId]) => ({ slot, callId })).sort((a, b) => Number(a.slot) - Number(b.slot)),
  };
}
