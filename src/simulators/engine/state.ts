/**
 * What the sim PBX holds (users, queues, calls, parking slots, histories, contact books) and the plumbing every
 * concern of the engine shares: operations that announce their changes once, timers on the injected clock, ids,
 * and the few questions about a user every concern asks (who they are, whether a call involves them, whether
 * they are free). The concerns (routing.ts, actions.ts, parking.ts...) are functions over this state; engine.ts
 * is their one front.
 */
import type { Change } from '../../backends/backend.js';
import type { CallState, ForwardKind, HistoryEntry } from '../../backends/model.js';
import { newestFirst } from '../../util/time.js';
import type { Clock } from '../../util/clock.js';
import type { ContactBook } from './contacts.js';
import { EngineError } from './errors.js';
import type { Scenario, ScenarioExternal, ScenarioUser } from './scenario.js';

export type AnswerMode = 'auto' | 'manual' | 'never' | 'busy';

export interface UserRec {
  id: string;
  name: string | undefined;
  extension: string;
  online: boolean;
  dnd: boolean;
  answer: AnswerMode;
  answerAfterMs: number;
  forward: Partial<Record<ForwardKind, string>>;
}

export interface QueueRec {
  name: string;
  number: string;
  members: string[];
  paused: Map<string, string | undefined>; // member -> reason
}

/** One end of a call. */
export interface Endpoint {
  kind: 'user' | 'external' | 'queue' | 'park';
  number: string;
  name?: string | undefined;
  /** The user id when kind is 'user'. */
  user?: string | undefined;
}

export interface CallRec {
  id: string;
  state: CallState;
  from: Endpoint;
  to: Endpoint;
  startedAt: number;
  answeredAt?: number | undefined;
  queue?: string | undefined;
  enteredQueueAt?: number | undefined;
  agent?: string | undefined;
  parkedSlot?: string | undefined;
  parkedBy?: string | undefined;
  heldBy?: string | undefined;
  /** Attended transfer: this call consults the target on behalf of the held call with this id. */
  consultFor?: string | undefined;
  /** Set on the held call of an attended transfer: the consultation call's id. */
  consultBy?: string | undefined;
  participants?: Endpoint[] | undefined;
  /** Forwarding hops taken, to stop loops. */
  hops: number;
  /** Queue members that did not answer this offer round. */
  declined?: Set<string> | undefined;
  timer?: unknown;
  /** Demo traffic: the outside caller hangs up by itself (gives up waiting, or ends the conversation). */
  demo?: boolean | undefined;
  /** When a demo caller hangs up. */
  talkTimer?: unknown;
}

export const HISTORY_CAP = 500;
export const QUEUE_OFFER_MS = 15000;
export const MAX_FORWARD_HOPS = 5;

export function normalizeDialString(n: string): string {
  const s = n.replace(/[\s().-]/g, '');
  return s.startsWith('00') ? `+${s.slice(2)}` : s;
}

/** The entry under `key`, or else the first whose number (`numberOf`) is `key`. */
function lookup<T>(map: ReadonlyMap<string, T>, key: string, numberOf: (v: T) => string): T | undefined {
  return map.get(key) ?? [...map.values()].find((v) => numberOf(v) === key);
}

export function iso(ms: number): string {
  return new Date(ms).toISOString();
}

export class EngineState {
  readonly clock: Clock;
  readonly answerAfterMs: number;
  readonly ringTimeoutMs: number;
  readonly parking: { firstSlot: number; slots: number; timeoutMs: number };
  readonly scenario: Scenario;

  readonly users = new Map<string, UserRec>();
  readonly queues = new Map<string, QueueRec>();
  readonly externals = new Map<string, ScenarioExternal>();
  readonly calls = new Map<string, CallRec>();
  readonly slots = new Map<string, string>(); // slot -> call id
  readonly histories = new Map<string, HistoryEntry[]>();
  readonly books = new Map<string, ContactBook>();
  trafficTimer: unknown;
  private seq = 0;
  private depth = 0;
  private pending = new Map<string, Change>();
  private rand = 0x2545f491;

  constructor(
    scenario: Scenario,
    clock: Clock,
    private readonly announce: (c: Change) => void,
  ) {
    this.scenario = scenario;
    this.clock = clock;
    this.answerAfterMs = scenario.answerAfterMs;
    this.ringTimeoutMs = scenario.ringTimeoutMs;
    this.parking = { ...scenario.parking };
    for (const u of scenario.users) this.users.set(u.id, this.userFrom(u));
    for (const q of scenario.queues) {
      this.queues.set(q.name, {
        name: q.name,
        number: q.number,
        members: [...q.members],
        paused: new Map(q.paused.map((m) => [m, undefined])),
      });
    }
    for (const e of scenario.externals) this.externals.set(normalizeDialString(e.number), e);
    for (const [user, entries] of Object.entries(scenario.history)) {
      this.histories.set(user, [...entries].sort((a, b) => newestFirst(a.start, b.start)));
    }
  }

  private userFrom(u: ScenarioUser): UserRec {
    return {
      id: u.id,
      name: u.name,
      extension: u.extension,
      online: u.online,
      dnd: u.dnd,
      answer: u.answer,
      answerAfterMs: u.answerAfterMs ?? this.answerAfterMs,
      forward: {},
    };
  }

  // ---------------------------------------------------------------- operations plumbing

  /** Run `fn` as one operation: changes are announced once, when the outermost operation ends. */
  op<T>(fn: () => T): T {
    this.depth++;
    try {
      return fn();
    } finally {
      if (--this.depth === 0 && this.pending.size) {
        const changes = [...this.pending.values()];
        this.pending = new Map();
        for (const c of changes) this.announce(c);
      }
    }
  }

  touch(c: Change): void {
    const key = c.topic === 'queue' ? `q:${c.queue}` : 'user' in c ? `${c.topic}:${c.user}` : c.topic;
    this.pending.set(key, c);
  }

  touchCall(rec: CallRec): void {
    this.touch({ topic: 'calls' });
    if (rec.queue) this.touch({ topic: 'queue', queue: rec.queue });
    // A queue shows whether each of its agents is on a call.
    for (const p of rec.participants ?? [rec.from, rec.to]) {
      if (!p.user) continue;
      for (const q of this.queues.values()) if (q.members.includes(p.user)) this.touch({ topic: 'queue', queue: q.name });
    }
  }

  later(fn: () => void, ms: number): unknown {
    return this.clock.setTimeout(() => this.op(fn), ms);
  }

  clearTimer(rec: CallRec): void {
    if (rec.timer !== undefined) this.clock.clearTimeout(rec.timer);
    rec.timer = undefined;
  }

  newCallId(): string {
    return `${Math.floor(this.clock.now() / 1000)}.${++this.seq}`;
  }

  /** A deterministic pseudo-random number in [0, n) (xorshift), so demo traffic replays the same way. */
  nextRand(n: number): number {
    this.rand ^= this.rand << 13;
    this.rand ^= this.rand >>> 17;
    this.rand ^= this.rand << 5;
    return (this.rand >>> 0) % n;
  }

  // ---------------------------------------------------------------- who is who

  /** Find a user by login or extension number. */
  findUser(idOrExtension: string): UserRec | undefined {
    return lookup(this.users, idOrExtension, (u) => u.extension);
  }

  requireUser(idOrExtension: string): UserRec {
    const u = this.findUser(idOrExtension);
    if (!u) throw new EngineError('not_found', `no user or extension "${idOrExtension}" on this PBX`);
    return u;
  }

  requireCall(id: string): CallRec {
    const rec = this.calls.get(id);
    if (!rec) throw new EngineError('not_found', `no active call with id ${id}`);
    return rec;
  }

  findQueue(nameOrNumber: string): QueueRec | undefined {
    return lookup(this.queues, nameOrNumber, (q) => q.number);
  }

  label(u: UserRec): string {
    return u.name ? `${u.extension} (${u.name})` : u.extension;
  }

  // ---------------------------------------------------------------- a user and their calls

  involves(rec: CallRec, user: string): boolean {
    if (rec.from.user === user || rec.to.user === user) return true;
    return rec.participants?.some((p) => p.user === user) ?? false;
  }

  /** The other party of `uid` in a two-party call. */
  farOf(rec: CallRec, uid: string): Endpoint {
    return rec.from.user === uid ? rec.to : rec.from;
  }

  /** In a call (other than `except`, the call being routed to them). */
  isBusy(uid: string, except?: CallRec): boolean {
    for (const c of this.calls.values()) {
      if (c !== except && this.involves(c, uid) && c.state !== 'parked') return true;
    }
    return false;
  }

  isAvailable(uid: string, q: QueueRec): boolean {
    const u = this.users.get(uid);
    return !!u && u.online && !u.dnd && !q.paused.has(uid) && !this.isBusy(uid);
  }

  /** Whether `uid` is in a conversation (a connected call other than `except`), or dialling out. */
  talking(uid: string, except?: CallRec): boolean {
    for (const c of this.calls.values()) {
      if (c === except || !this.involves(c, uid)) continue;
      if (c.state === 'connected' || ((c.state === 'dialing' || c.state === 'ringing') && c.from.user === uid)) return true;
    }
    return false;
  }
}
