/** The engine's records as the outside sees them: a call as the shared model plus the engine's bookkeeping, a user. */
import type { Call, CallRole, ForwardKind, Party } from '../../backends/model.js';
import { type CallRec, type EngineState, type Endpoint, iso, type UserRec } from './state.js';

/** A call as seen from outside the engine: the shared model plus the engine's bookkeeping. */
export interface CallView extends Call {
  fromUser?: string | undefined;
  toUser?: string | undefined;
  agent?: string | undefined;
  heldBy?: string | undefined;
  consultFor?: string | undefined;
  /** The parties' kinds, for simulators that report them (PBXpress: extension, queue, vm...). */
  fromKind: Endpoint['kind'];
  toKind: Endpoint['kind'];
}

export interface UserView {
  id: string;
  name?: string | undefined;
  extension: string;
  online: boolean;
  dnd: boolean;
  forward: Partial<Record<ForwardKind, string>>;
  /** Queues the user is a member of, and whether paused in each. */
  queues: { queue: string; paused: boolean; reason?: string | undefined }[];
}

/** The part of user `uid` in a two-party call: they placed it, or it came to them. */
export function roleOf(rec: CallRec, uid: string | undefined): CallRole | undefined {
  if (uid === undefined || rec.participants) return undefined;
  return rec.from.user === uid ? 'caller' : rec.to.user === uid ? 'callee' : undefined;
}

/** `rec` as the outside sees it; read for user `uid`, it says their part in it. */
export function callView(s: EngineState, rec: CallRec, uid?: string): CallView {
  const party = (e: Endpoint): Party => ({ number: e.number, ...(e.name ? { name: e.name } : {}) });
  const now = s.clock.now();
  const direction =
    rec.from.kind === 'external' ? 'inbound' : rec.to.kind === 'external' ? 'outbound' : 'internal';
  const role = roleOf(rec, uid);
  return {
    id: rec.id,
    state: rec.state,
    direction,
    ...(role ? { role } : {}),
    from: party(rec.from),
    to: party(rec.to),
    answered: rec.answeredAt !== undefined,
    startedAt: iso(rec.startedAt),
    durationSeconds: Math.max(0, Math.floor((now - rec.startedAt) / 1000)),
    ...(rec.queue ? { queue: rec.queue } : {}),
    ...(rec.parkedSlot ? { parkedSlot: rec.parkedSlot } : {}),
    ...(rec.participants ? { participants: rec.participants.map(party) } : {}),
    fromUser: rec.from.user,
    toUser: rec.to.user,
    agent: rec.agent,
    heldBy: rec.heldBy,
    consultFor: rec.consultFor,
    fromKind: rec.from.kind,
    toKind: rec.to.kind,
  };
}

export function userView(s: EngineState, u: UserRec): UserView {
  const queues = [...s.queues.values()]
    .filter((q) => q.members.includes(u.id))
    .map((q) => ({ queue: q.name, paused: q.paused.has(u.id), reason: q.paused.get(u.id) }));
  const { id, name, extension, online, dnd } = u;
  return { id, name, extension, online, dnd, forward: { ...u.forward }, queues };
}
