/**
 * The sim PBX: an in-memory state machine of users, queues, calls, parking, contacts and history. The `sim`
 * backend drives it directly; each vendor simulator serves its vendor's wire protocol over it, so a test can
 * go through a real adapter and a real socket and still assert on the PBX's state here.
 *
 * Time comes from an injected Clock, so tests step through ringing, answering and timeouts instantly.
 * Every public method runs as one operation: the changes it makes are announced once, at its end.
 */
import { EventEmitter } from 'node:events';
import type { Call, CallState, Extension, ForwardKind, HistoryEntry, Party, QueueCall, QueueMember, QueueStatus } from '../../backends/model.js';
import type { Change } from '../../backends/backend.js';
import { type Clock, systemClock } from './clock.js';
import { ContactBook } from './contacts.js';
import { EngineError } from './errors.js';
import type { Scenario, ScenarioExternal, ScenarioUser } from './scenario.js';
import { newestFirst } from '../../util/time.js';

export { EngineError } from './errors.js';

export type AnswerMode = 'auto' | 'manual' | 'never' | 'busy';

interface UserRec {
  id: string;
  name: string | undefined;
  extension: string;
  online: boolean;
  dnd: boolean;
  answer: AnswerMode;
  answerAfterMs: number;
  forward: Partial<Record<ForwardKind, string>>;
}

interface QueueRec {
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

interface CallRec {
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

const HISTORY_CAP = 500;
const QUEUE_OFFER_MS = 15000;
const MAX_FORWARD_HOPS = 5;

export function normalizeDialString(n: string): string {
  const s = n.replace(/[\s().-]/g, '');
  return s.startsWith('00') ? `+${s.slice(2)}` : s;
}

function iso(ms: number): string {
  return new Date(ms).toISOString();
}

export class PbxEngine extends EventEmitter<{ change: [Change] }> {
  readonly clock: Clock;
  readonly answerAfterMs: number;
  readonly ringTimeoutMs: number;
  readonly parking: { firstSlot: number; slots: number; timeoutMs: number };

  private readonly users = new Map<string, UserRec>();
  private readonly queues = new Map<string, QueueRec>();
  private readonly externals = new Map<string, ScenarioExternal>();
  private readonly calls = new Map<string, CallRec>();
  private readonly slots = new Map<string, string>(); // slot -> call id
  private readonly histories = new Map<string, HistoryEntry[]>();
  private readonly books = new Map<string, ContactBook>();
  private readonly scenario: Scenario;
  private seq = 0;
  private depth = 0;
  private pending = new Map<string, Change>();
  private trafficTimer: unknown;
  private rand = 0x2545f491;

  constructor(scenario: Scenario, opts: { clock?: Clock } = {}) {
    super();
    this.setMaxListeners(0);
    this.scenario = scenario;
    this.clock = opts.clock ?? systemClock;
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
    for (const [user, contacts] of Object.entries(scenario.contacts)) {
      const book = this.book(user);
      for (const c of contacts) book.create(c);
    }
    this.op(() => {
      for (const c of scenario.calls) this.seedCall(c);
    });
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
  private op<T>(fn: () => T): T {
    this.depth++;
    try {
      return fn();
    } finally {
      if (--this.depth === 0 && this.pending.size) {
        const changes = [...this.pending.values()];
        this.pending = new Map();
        for (const c of changes) this.emit('change', c);
      }
    }
  }

  private touch(c: Change): void {
    const key = c.topic === 'queue' ? `q:${c.queue}` : 'user' in c ? `${c.topic}:${c.user}` : c.topic;
    this.pending.set(key, c);
  }

  private touchCall(rec: CallRec): void {
    this.touch({ topic: 'calls' });
    if (rec.queue) this.touch({ topic: 'queue', queue: rec.queue });
    // A queue shows whether each of its agents is on a call.
    for (const p of rec.participants ?? [rec.from, rec.to]) {
      if (!p.user) continue;
      for (const q of this.queues.values()) if (q.members.includes(p.user)) this.touch({ topic: 'queue', queue: q.name });
    }
  }

  private later(fn: () => void, ms: number): unknown {
    return this.clock.setTimeout(() => this.op(fn), ms);
  }

  private clearTimer(rec: CallRec): void {
    if (rec.timer !== undefined) this.clock.clearTimeout(rec.timer);
    rec.timer = undefined;
  }

  private newCallId(): string {
    return `${Math.floor(this.clock.now() / 1000)}.${++this.seq}`;
  }

  now(): number {
    return this.clock.now();
  }

  // ---------------------------------------------------------------- directory

  /** Find a user by login or extension number. */
  findUser(idOrExtension: string): UserRec | undefined {
    const byId = this.users.get(idOrExtension);
    if (byId) return byId;
    for (const u of this.users.values()) if (u.extension === idOrExtension) return u;
    return undefined;
  }

  private requireUser(idOrExtension: string): UserRec {
    const u = this.findUser(idOrExtension);
    if (!u) throw new EngineError('not_found', `no user or extension "${idOrExtension}" on this PBX`);
    return u;
  }

  user(idOrExtension: string): UserView {
    return this.userView(this.requireUser(idOrExtension));
  }

  listUsers(): UserView[] {
    return [...this.users.values()].map((u) => this.userView(u));
  }

  private userView(u: UserRec): UserView {
    const queues = [...this.queues.values()]
      .filter((q) => q.members.includes(u.id))
      .map((q) => ({ queue: q.name, paused: q.paused.has(u.id), reason: q.paused.get(u.id) }));
    return {
      id: u.id,
      name: u.name,
      extension: u.extension,
      online: u.online,
      dnd: u.dnd,
      forward: { ...u.forward },
      queues,
    };
  }

  queueNames(): string[] {
    return [...this.queues.keys()];
  }

  findQueue(nameOrNumber: string): QueueRec | undefined {
    const byName = this.queues.get(nameOrNumber);
    if (byName) return byName;
    for (const q of this.queues.values()) if (q.number === nameOrNumber) return q;
    return undefined;
  }

  extensions(): Extension[] {
    const users: Extension[] = [...this.users.values()].map((u) => ({
      id: u.id,
      number: u.extension,
      ...(u.name ? { name: u.name } : {}),
      kind: 'user',
      online: u.online,
      dnd: u.dnd,
      forward: { ...u.forward },
      queues: this.userView(u).queues.map((q) => ({ queue: q.queue, paused: q.paused, ...(q.reason ? { reason: q.reason } : {}) })),
    }));
    const queues: Extension[] = [...this.queues.values()].map((q) => ({
      id: `queue:${q.name}`,
      number: q.number,
      name: q.name,
      kind: 'queue',
      online: q.members.some((m) => this.isAvailable(m, q)),
    }));
    return [...users, ...queues];
  }

  /** Endpoint for a dialled number: a user, a queue, a parking slot or a known outside number. */
  private resolve(to: string): Endpoint {
    const n = normalizeDialString(to);
    if (!/^\+?[0-9*#]{1,20}$/.test(n)) {
      throw new EngineError('invalid', `"${to}" is not a dialable number`);
    }
    for (const u of this.users.values()) {
      if (u.extension === n) return { kind: 'user', number: u.extension, name: u.name, user: u.id };
    }
    for (const q of this.queues.values()) if (q.number === n) return { kind: 'queue', number: q.number, name: q.name };
    if (this.isSlot(n)) return { kind: 'park', number: n };
    const ext = this.externals.get(n);
    if (ext) return { kind: 'external', number: ext.number, name: ext.name };
    throw new EngineError(
      'not_found',
      `number ${to} does not exist on this PBX: it is not an extension, a queue, a parking slot or a known outside number`,
    );
  }

  private isSlot(n: string): boolean {
    if (!/^[0-9]+$/.test(n)) return false;
    const v = Number(n);
    return v >= this.parking.firstSlot && v < this.parking.firstSlot + this.parking.slots;
  }

  private answerModeOf(e: Endpoint): { mode: AnswerMode; afterMs: number } {
    if (e.kind === 'user' && e.user) {
      const u = this.users.get(e.user)!;
      return { mode: u.answer, afterMs: u.answerAfterMs };
    }
    if (e.kind === 'external') {
      const x = this.externals.get(normalizeDialString(e.number));
      return { mode: x?.answer ?? 'auto', afterMs: x?.answerAfterMs ?? this.answerAfterMs };
    }
    return { mode: 'auto', afterMs: 0 };
  }

  // ---------------------------------------------------------------- reading calls

  private involves(rec: CallRec, user: string): boolean {
    if (rec.from.user === user || rec.to.user === user) return true;
    return rec.participants?.some((p) => p.user === user) ?? false;
  }

  private view(rec: CallRec): CallView {
    const party = (e: Endpoint): Party => ({ number: e.number, ...(e.name ? { name: e.name } : {}) });
    const now = this.clock.now();
    const direction =
      rec.from.kind === 'external' ? 'inbound' : rec.to.kind === 'external' ? 'outbound' : 'internal';
    return {
      id: rec.id,
      state: rec.state,
      direction,
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

  /** Calls involving `user` (login or extension), or all calls. Oldest first. */
  listCalls(user?: string): CallView[] {
    const uid = user === undefined ? undefined : this.requireUser(user).id;
    return [...this.calls.values()].filter((c) => uid === undefined || this.involves(c, uid)).map((c) => this.view(c));
  }

  call(id: string): CallView {
    return this.view(this.requireCall(id));
  }

  private requireCall(id: string): CallRec {
    const rec = this.calls.get(id);
    if (!rec) throw new EngineError('not_found', `no active call with id ${id}`);
    return rec;
  }

  /** The call a user means by "my current call": connected first, then ringing or dialing, then held. */
  private currentCallOf(uid: string, exceptId?: string): CallRec | undefined {
    const mine = [...this.calls.values()].filter((c) => c.id !== exceptId && this.involves(c, uid));
    const rank = (c: CallRec) =>
      c.state === 'connected' ? 0 : c.state === 'ringing' || c.state === 'dialing' ? 1 : c.state === 'on_hold' ? 2 : 3;
    return mine.sort((a, b) => rank(a) - rank(b) || b.startedAt - a.startedAt)[0];
  }

  private callOf(uid: string, callId: string | undefined): CallRec {
    if (callId === undefined) {
      const c = this.currentCallOf(uid);
      if (!c) throw new EngineError('not_found', `${uid} has no active call`);
      return c;
    }
    const rec = this.requireCall(callId);
    if (!this.involves(rec, uid)) throw new EngineError('not_found', `call ${callId} is not a call of ${uid}`);
    return rec;
  }

  /** The other party of `uid` in a two-party call. */
  private farOf(rec: CallRec, uid: string): Endpoint {
    return rec.from.user === uid ? rec.to : rec.from;
  }

  /** In a call (other than `except`, the call being routed to them). */
  private isBusy(uid: string, except?: CallRec): boolean {
    for (const c of this.calls.values()) {
      if (c !== except && this.involves(c, uid) && c.state !== 'parked') return true;
    }
    return false;
  }

  private isAvailable(uid: string, q: QueueRec): boolean {
    const u = this.users.get(uid);
    return !!u && u.online && !u.dnd && !q.paused.has(uid) && !this.isBusy(uid);
  }

  // ---------------------------------------------------------------- call flow

  private createCall(from: Endpoint, to: Endpoint, extra: Partial<CallRec> = {}): CallRec {
    const rec: CallRec = { id: this.newCallId(), state: 'dialing', from, to, startedAt: this.clock.now(), hops: 0, ...extra };
    this.calls.set(rec.id, rec);
    this.touchCall(rec);
    return rec;
  }

  /**
   * Route `rec` to its `to` endpoint: a user or outside party rings (or is busy), a queue takes it in,
   * forwarding applies. Throws (busy, not found) before any state changes when the callee refuses.
   */
  private route(rec: CallRec, to: Endpoint): void {
    if (to.kind === 'user') {
      const u = this.users.get(to.user!)!;
      if (u.forward.unconditional) return this.forward(rec, u, 'unconditional');
      if (u.dnd) throw new EngineError('busy', `${this.label(u)} is in do-not-disturb: the call was rejected as busy`);
      if (!u.online) throw new EngineError('busy', `${this.label(u)} is offline (no phone registered)`);
      if (u.answer === 'busy' || (u.forward.busy && this.isBusy(u.id, rec))) {
        if (u.forward.busy) return this.forward(rec, u, 'busy');
        throw new EngineError('busy', `${this.label(u)} is busy`);
      }
    }
    if (to.kind === 'external' && this.answerModeOf(to).mode === 'busy') {
      throw new EngineError('busy', `${to.number} is busy`);
    }
    if (to.kind === 'queue') {
      rec.to = to;
      rec.queue = to.name!;
      rec.enteredQueueAt = this.clock.now();
      rec.state = 'queued';
      rec.declined = new Set();
      this.touchCall(rec);
      this.dispatch(this.queues.get(to.name!)!);
      return;
    }
    if (to.kind === 'park') throw new EngineError('invalid', 'a call cannot be routed to a parking slot');
    rec.to = to;
    this.ring(rec);
  }

  private forward(rec: CallRec, u: UserRec, kind: ForwardKind): void {
    if (rec.hops >= MAX_FORWARD_HOPS) throw new EngineError('conflict', `forwarding loop at ${this.label(u)}`);
    rec.hops++;
    const dest = this.resolve(u.forward[kind]!);
    if (dest.kind === 'park') throw new EngineError('invalid', `${this.label(u)} forwards to a parking slot`);
    this.route(rec, dest);
  }

  private ring(rec: CallRec): void {
    this.clearTimer(rec);
    rec.state = 'ringing';
    this.touchCall(rec);
    const { mode, afterMs } = this.answerModeOf(rec.to);
    const timeout = rec.queue && rec.agent ? Math.min(QUEUE_OFFER_MS, this.ringTimeoutMs) : this.ringTimeoutMs;
    const ringing = this.clock.now();
    // A person already talking does not pick up by themselves: the call waits (call waiting) until answered or the
    // ring timeout, also when they started talking while it rang.
    const autoAnswer = () => {
      const callee = rec.to.user;
      if (callee !== undefined && this.talking(callee, rec)) {
        rec.timer = this.later(() => this.noAnswer(rec), timeout - (this.clock.now() - ringing));
      } else this.connect(rec);
    };
    if (mode === 'auto' && afterMs < timeout) rec.timer = this.later(autoAnswer, afterMs);
    else rec.timer = this.later(() => this.noAnswer(rec), timeout);
  }

  /** Whether `uid` is in a conversation (a connected call other than `except`), or dialling out. */
  private talking(uid: string, except?: CallRec): boolean {
    for (const c of this.calls.values()) {
      if (c === except || !this.involves(c, uid)) continue;
      if (c.state === 'connected' || ((c.state === 'dialing' || c.state === 'ringing') && c.from.user === uid)) return true;
    }
    return false;
  }

  /** Put every connected call of `uid` but `except` on hold: a phone holds the call in progress to take another. */
  private holdOthers(uid: string, except?: CallRec): void {
    for (const c of this.calls.values()) {
      if (c === except || c.state !== 'connected' || !this.involves(c, uid)) continue;
      c.state = 'on_hold';
      c.heldBy = uid;
      this.touchCall(c);
    }
  }

  private connect(rec: CallRec): void {
    this.clearTimer(rec);
    if (!this.calls.has(rec.id)) return;
    for (const p of rec.participants ?? [rec.from, rec.to]) if (p.user) this.holdOthers(p.user, rec);
    rec.state = 'connected';
    rec.answeredAt ??= this.clock.now();
    this.touchCall(rec);
    if (rec.demo) this.hangUpLater(rec, 30_000 + this.nextRand(210_000));
  }

  private noAnswer(rec: CallRec): void {
    rec.timer = undefined;
    if (!this.calls.has(rec.id) || rec.state !== 'ringing') return;
    if (rec.queue && rec.agent) {
      // Offer not taken: back to the queue, try another member.
      rec.declined?.add(rec.agent);
      rec.agent = undefined;
      const q = this.queues.get(rec.queue)!;
      rec.to = { kind: 'queue', number: q.number, name: q.name };
      rec.state = 'queued';
      this.touchCall(rec);
      this.dispatch(q);
      return;
    }
    const callee = rec.to.kind === 'user' ? this.users.get(rec.to.user!) : undefined;
    if (callee?.forward.noanswer && rec.hops < MAX_FORWARD_HOPS) {
      try {
        this.writeHistoryFor(callee.id, rec, 'missed');
        this.forward(rec, callee, 'noanswer');
        return;
      } catch {
        // fall through: the forward target refused, the call ends unanswered
      }
    }
    this.end(rec);
  }

  /** Offer waiting calls of a queue to its available members, longest-waiting call first. */
  private dispatch(q: QueueRec): void {
    const waiting = [...this.calls.values()]
      .filter((c) => c.queue === q.name && c.state === 'queued')
      .sort((a, b) => (a.enteredQueueAt ?? 0) - (b.enteredQueueAt ?? 0));
    for (const c of waiting) {
      let member = q.members.find((m) => this.isAvailable(m, q) && !c.declined?.has(m));
      if (!member && c.declined?.size) {
        c.declined.clear(); // everyone had a turn: start a new round
        member = q.members.find((m) => this.isAvailable(m, q));
      }
      if (!member) break;
      const u = this.users.get(member)!;
      c.agent = member;
      c.to = { kind: 'user', number: u.extension, name: u.name, user: u.id };
      this.ring(c);
    }
  }

  private dispatchAll(): void {
    for (const q of this.queues.values()) this.dispatch(q);
  }

  private end(rec: CallRec): void {
    this.clearTimer(rec);
    if (rec.talkTimer !== undefined) this.clock.clearTimeout(rec.talkTimer);
    rec.talkTimer = undefined;
    if (!this.calls.delete(rec.id)) return;
    if (rec.parkedSlot) {
      this.slots.delete(rec.parkedSlot);
      this.touch({ topic: 'parking' });
    }
    const parties = rec.participants ?? [rec.from, rec.to];
    for (const p of parties) {
      if (p.kind !== 'user' || !p.user) continue;
      const role = p === rec.from || (rec.participants && p.user === rec.from.user) ? 'caller' : 'callee';
      this.writeHistoryFor(p.user, rec, role === 'caller' ? 'emitted' : rec.answeredAt !== undefined ? 'answered' : 'missed');
    }
    if (rec.consultFor) {
      const held = this.calls.get(rec.consultFor);
      if (held) held.consultBy = undefined;
    }
    if (rec.consultBy) {
      const consult = this.calls.get(rec.consultBy);
      if (consult) consult.consultFor = undefined;
    }
    this.touchCall(rec);
    this.dispatchAll();
  }

  private writeHistoryFor(uid: string, rec: CallRec, status: string): void {
    const now = this.clock.now();
    const entry: HistoryEntry = {
      start: iso(rec.startedAt),
      durationSeconds: rec.answeredAt !== undefined ? Math.max(0, Math.floor((now - rec.answeredAt) / 1000)) : 0,
      from: rec.from.number,
      to: rec.to.number,
      status,
    };
    const list = this.histories.get(uid) ?? [];
    list.unshift(entry);
    if (list.length > HISTORY_CAP) list.length = HISTORY_CAP;
    this.histories.set(uid, list);
    this.touch({ topic: 'history', user: uid });
  }

  private label(u: UserRec): string {
    return u.name ? `${u.extension} (${u.name})` : u.extension;
  }

  // ---------------------------------------------------------------- public operations

  /** `user` dials `to`: an extension, a queue, an outside number, or a parking slot (which retrieves). */
  placeCall(user: string, to: string): CallView {
    return this.op(() => {
      const u = this.requireUser(user);
      if (!u.online) throw new EngineError('conflict', `${this.label(u)} has no phone online to call from`);
      const target = this.resolve(to);
      if (target.kind === 'user' && target.user === u.id) throw new EngineError('invalid', `${this.label(u)} cannot call itself`);
      if (target.kind === 'park') {
        const picked = this.retrieve(u, target.number);
        this.holdOthers(u.id, picked);
        return this.view(picked);
      }
      const rec = this.createCall({ kind: 'user', number: u.extension, name: u.name, user: u.id }, target);
      try {
        this.route(rec, target);
      } catch (e) {
        this.calls.delete(rec.id);
        if (e instanceof EngineError && e.code === 'busy') {
          this.writeHistoryFor(u.id, rec, 'busy');
        }
        throw e;
      }
      // Dialling out holds the conversation in progress, as a phone does.
      this.holdOthers(u.id, rec);
      return this.view(rec);
    });
  }

  /** An outside caller (or another user, by extension) calls `to`. Used by scenarios, demo traffic and tests. */
  inboundCall(from: string, to: string, fromName?: string): CallView {
    return this.op(() => {
      const fromUser = this.findUser(from);
      let source: Endpoint;
      if (fromUser) source = { kind: 'user', number: fromUser.extension, name: fromUser.name, user: fromUser.id };
      else {
        const n = normalizeDialString(from);
        const ext = this.externals.get(n);
        source = { kind: 'external', number: ext?.number ?? n, name: fromName ?? ext?.name };
      }
      const target = this.resolve(to);
      const rec = this.createCall(source, target);
      try {
        this.route(rec, target);
      } catch (e) {
        this.calls.delete(rec.id);
        this.touchCall(rec);
        throw e;
      }
      return this.view(rec);
    });
  }

  private seedCall(c: Scenario['calls'][number]): void {
    const v = this.inboundCall(c.from, c.to, c.fromName);
    const rec = this.calls.get(v.id)!;
    rec.startedAt -= c.startedSecondsAgo * 1000;
    if (rec.enteredQueueAt !== undefined) rec.enteredQueueAt -= c.startedSecondsAgo * 1000;
    if (c.connected && rec.state === 'ringing') this.connect(rec);
  }

  /** The user picks up a call ringing at their phone. */
  answer(user: string, callId?: string): CallView {
    return this.op(() => {
      const u = this.requireUser(user);
      const ringing = [...this.calls.values()].filter(
        (c) => c.state === 'ringing' && c.to.user === u.id && (callId === undefined || c.id === callId),
      );
      const rec = ringing.sort((a, b) => a.startedAt - b.startedAt)[0];
      if (!rec) {
        throw new EngineError('not_found', callId ? `call ${callId} is not ringing at ${this.label(u)}` : `no call is ringing at ${this.label(u)}`);
      }
      this.connect(rec);
      return this.view(rec);
    });
  }

  /**
   * End a call. With `user`, that user hangs up (their current call if no id): in a conference they leave,
   * and hanging up the consultation of an attended transfer completes the transfer.
   */
  hangup(user: string | undefined, callId?: string): void {
    this.op(() => {
      if (user === undefined) {
        if (callId === undefined) throw new EngineError('invalid', 'say which call to hang up');
        this.end(this.requireCall(callId));
        return;
      }
      const u = this.requireUser(user);
      const rec = this.callOf(u.id, callId);
      if (rec.participants && rec.participants.length > 2) {
        this.writeHistoryFor(u.id, rec, 'answered');
        rec.participants = rec.participants.filter((p) => p.user !== u.id);
        if (rec.participants.length === 2) {
          [rec.from, rec.to] = rec.participants as [Endpoint, Endpoint];
          rec.participants = undefined;
        }
        this.touchCall(rec);
        this.dispatchAll();
        return;
      }
      if (rec.consultFor && rec.from.user === u.id) return this.completeAttended(rec, u);
      this.end(rec);
    });
  }

  /** Put a call on hold (on = true), take it off hold (false), or toggle (undefined). */
  hold(user: string, callId?: string, on?: boolean): CallView {
    return this.op(() => {
      const u = this.requireUser(user);
      const rec = this.callOf(u.id, callId);
      if (rec.state !== 'connected' && rec.state !== 'on_hold') {
        throw new EngineError('conflict', `call ${rec.id} is ${rec.state}: only a connected call can be held`);
      }
      const hold = on ?? rec.state === 'connected';
      if (!hold) this.holdOthers(u.id, rec);
      rec.state = hold ? 'on_hold' : 'connected';
      rec.heldBy = hold ? u.id : undefined;
      this.touchCall(rec);
      return this.view(rec);
    });
  }

  /** Move the far party of the user's call to `to`; the user leaves the call. */
  transferBlind(user: string, callId: string | undefined, to: string): CallView {
    return this.op(() => {
      const u = this.requireUser(user);
      const rec = this.callOf(u.id, callId);
      if (rec.participants) throw new EngineError('conflict', 'a conference call cannot be transferred');
      if (rec.state !== 'connected' && rec.state !== 'on_hold') {
        throw new EngineError('conflict', `call ${rec.id} is ${rec.state}: only an answered call can be transferred`);
      }
      const target = this.resolve(to);
      if (target.kind === 'user' && target.user === u.id) throw new EngineError('invalid', 'cannot transfer a call to yourself');
      const far = this.farOf(rec, u.id);
      if (target.kind === 'park') {
        this.parkInto(rec, far, u, target.number);
        return this.view(rec);
      }
      // Check that the target takes calls before anything changes.
      this.probe(target);
      this.writeHistoryFor(u.id, rec, rec.from.user === u.id ? 'emitted' : 'answered');
      rec.from = far;
      rec.heldBy = undefined;
      rec.answeredAt = undefined;
      rec.agent = undefined;
      this.clearTimer(rec);
      this.route(rec, target);
      this.dispatchAll();
      return this.view(rec);
    });
  }

  /** Throw as route() would if `to` cannot take a call now, without changing anything. */
  private probe(to: Endpoint): void {
    if (to.kind !== 'user') {
      if (to.kind === 'external' && this.answerModeOf(to).mode === 'busy') throw new EngineError('busy', `${to.number} is busy`);
      return;
    }
    const u = this.users.get(to.user!)!;
    if (u.forward.unconditional) return;
    if (u.dnd) throw new EngineError('busy', `${this.label(u)} is in do-not-disturb: the call was rejected as busy`);
    if (!u.online) throw new EngineError('busy', `${this.label(u)} is offline (no phone registered)`);
    if (u.answer === 'busy') throw new EngineError('busy', `${this.label(u)} is busy`);
  }

  /**
   * Start an attended transfer: the user's call goes on hold and a consultation call rings `to`.
   * The transfer completes when the user hangs up the consultation call.
   */
  transferAttended(user: string, callId: string | undefined, to: string): { held: CallView; consult: CallView } {
    return this.op(() => {
      const u = this.requireUser(user);
      const rec = this.callOf(u.id, callId);
      if (rec.participants) throw new EngineError('conflict', 'a conference call cannot be transferred');
      if (rec.state !== 'connected' && rec.state !== 'on_hold') {
        throw new EngineError('conflict', `call ${rec.id} is ${rec.state}: only an answered call can be transferred`);
      }
      if (rec.consultBy) throw new EngineError('conflict', `call ${rec.id} already has a transfer in progress`);
      const target = this.resolve(to);
      if (target.kind === 'park' || target.kind === 'queue') {
        throw new EngineError('invalid', 'an attended transfer needs a person to consult: use a blind transfer to a queue or parking slot');
      }
      if (target.kind === 'user' && target.user === u.id) throw new EngineError('invalid', 'cannot transfer a call to yourself');
      this.probe(target);
      rec.state = 'on_hold';
      rec.heldBy = u.id;
      const consult = this.createCall({ kind: 'user', number: u.extension, name: u.name, user: u.id }, target, {
        consultFor: rec.id,
      });
      rec.consultBy = consult.id;
      this.touchCall(rec);
      this.route(consult, target);
      return { held: this.view(rec), consult: this.view(consult) };
    });
  }

  private completeAttended(consult: CallRec, u: UserRec): void {
    const held = this.calls.get(consult.consultFor!);
    if (!held) return this.end(consult);
    const far = this.farOf(held, u.id);
    this.writeHistoryFor(u.id, held, held.from.user === u.id ? 'emitted' : 'answered');
    this.writeHistoryFor(u.id, consult, 'emitted');
    this.clearTimer(consult);
    this.calls.delete(consult.id);
    this.touchCall(consult);
    held.from = far;
    held.to = consult.to;
    held.heldBy = undefined;
    held.consultBy = undefined;
    held.agent = undefined;
    if (consult.state === 'connected') {
      held.answeredAt = consult.answeredAt;
      held.state = 'connected';
      this.touchCall(held);
    } else {
      held.answeredAt = undefined;
      this.route(held, consult.to);
    }
    this.dispatchAll();
  }

  /** Join the user's held call `heldId` with their other connected call into a three-way conference. */
  conference(user: string, heldId: string): CallView {
    return this.op(() => {
      const u = this.requireUser(user);
      const held = this.callOf(u.id, heldId);
      if (held.state !== 'on_hold') throw new EngineError('conflict', `call ${heldId} is ${held.state}: put it on hold first`);
      const active = [...this.calls.values()].find((c) => c.id !== held.id && c.state === 'connected' && this.involves(c, u.id));
      if (!active) throw new EngineError('conflict', `${this.label(u)} has no other connected call to join call ${heldId} with`);
      const me: Endpoint = { kind: 'user', number: u.extension, name: u.name, user: u.id };
      const others = [...(held.participants ?? [this.farOf(held, u.id)]), ...(active.participants ?? [this.farOf(active, u.id)])].filter(
        (p) => p.user !== u.id,
      );
      this.clearTimer(active);
      this.calls.delete(active.id);
      this.touchCall(active);
      held.participants = [me, ...others];
      held.state = 'connected';
      held.heldBy = undefined;
      this.touchCall(held);
      return this.view(held);
    });
  }

  /**
   * One party of a conference, named by number, is hung up (the host drops them); with two parties left the
   * conference becomes a plain call again. For vendor APIs that hang up a conference leg by its number.
   */
  dropParticipant(callId: string, number: string): CallView {
    return this.op(() => {
      const rec = this.requireCall(callId);
      const n = normalizeDialString(number);
      const gone = rec.participants?.find((p) => normalizeDialString(p.number) === n);
      if (!rec.participants || !gone) throw new EngineError('not_found', `${number} is not a party of conference call ${callId}`);
      if (gone.user) this.writeHistoryFor(gone.user, rec, 'answered');
      rec.participants = rec.participants.filter((p) => p !== gone);
      if (rec.participants.length === 2) {
        [rec.from, rec.to] = rec.participants as [Endpoint, Endpoint];
        rec.participants = undefined;
      }
      this.touchCall(rec);
      this.dispatchAll();
      return this.view(rec);
    });
  }

  /** Park a call: its far party waits in `slot` (or the first free one). Returns the slot. */
  park(callId: string, slot?: string, user?: string): string {
    return this.op(() => {
      const rec = this.requireCall(callId);
      if (rec.participants) throw new EngineError('conflict', 'a conference call cannot be parked');
      if (rec.state !== 'connected' && rec.state !== 'on_hold') {
        throw new EngineError('conflict', `call ${callId} is ${rec.state}: only an answered call can be parked`);
      }
      let parker: UserRec | undefined;
      if (user !== undefined) {
        parker = this.requireUser(user);
        if (!this.involves(rec, parker.id)) throw new EngineError('not_found', `call ${callId} is not a call of ${parker.id}`);
      } else {
        const users = [rec.from, rec.to].filter((e) => e.kind === 'user');
        if (users.length !== 1) throw new EngineError('invalid', `call ${callId} is between two users: say which one parks it`);
        parker = this.users.get(users[0]!.user!)!;
      }
      const far = this.farOf(rec, parker.id);
      let target = slot;
      if (target === undefined) {
        for (let i = 0; i < this.parking.slots; i++) {
          const s = String(this.parking.firstSlot + i);
          if (!this.slots.has(s)) {
            target = s;
            break;
          }
        }
        if (target === undefined) throw new EngineError('conflict', 'the parking lot is full');
      }
      this.parkInto(rec, far, parker, target);
      return target;
    });
  }

  private parkInto(rec: CallRec, far: Endpoint, parker: UserRec, slot: string): void {
    if (!this.isSlot(slot)) {
      const last = this.parking.firstSlot + this.parking.slots - 1;
      throw new EngineError('invalid', `${slot} is not a parking slot (slots are ${this.parking.firstSlot} to ${last})`);
    }
    if (this.slots.has(slot)) throw new EngineError('conflict', `parking slot ${slot} is taken`);
    this.writeHistoryFor(parker.id, rec, rec.from.user === parker.id ? 'emitted' : 'answered');
    this.clearTimer(rec);
    rec.from = far;
    rec.to = { kind: 'park', number: slot };
    rec.state = 'parked';
    rec.parkedSlot = slot;
    rec.parkedBy = parker.id;
    rec.heldBy = undefined;
    rec.agent = undefined;
    this.slots.set(slot, rec.id);
    this.touchCall(rec);
    this.touch({ topic: 'parking' });
    if (this.parking.timeoutMs > 0) {
      rec.timer = this.later(() => this.parkTimeout(rec), this.parking.timeoutMs);
    }
    this.dispatchAll();
  }

  private parkTimeout(rec: CallRec): void {
    rec.timer = undefined;
    if (rec.state !== 'parked' || !rec.parkedBy) return;
    const parker = this.users.get(rec.parkedBy)!;
    this.slots.delete(rec.parkedSlot!);
    rec.parkedSlot = undefined;
    this.touch({ topic: 'parking' });
    rec.to = { kind: 'user', number: parker.extension, name: parker.name, user: parker.id };
    rec.answeredAt = undefined;
    try {
      this.route(rec, rec.to);
    } catch {
      this.end(rec);
    }
  }

  private retrieve(u: UserRec, slot: string): CallRec {
    const id = this.slots.get(slot);
    const rec = id ? this.calls.get(id) : undefined;
    if (!rec) throw new EngineError('not_found', `parking slot ${slot} is empty`);
    this.clearTimer(rec);
    this.slots.delete(slot);
    rec.parkedSlot = undefined;
    rec.parkedBy = undefined;
    rec.to = { kind: 'user', number: u.extension, name: u.name, user: u.id };
    rec.state = 'connected';
    rec.answeredAt = this.clock.now();
    this.touchCall(rec);
    this.touch({ topic: 'parking' });
    return rec;
  }

  parkingInfo(): { firstSlot: number; slots: number; parked: { slot: string; callId: string }[] } {
    return {
      firstSlot: this.parking.firstSlot,
      slots: this.parking.slots,
      parked: [...this.slots.entries()].map(([slot, callId]) => ({ slot, callId })).sort((a, b) => Number(a.slot) - Number(b.slot)),
    };
  }

  setDnd(user: string, enabled: boolean): void {
    this.op(() => {
      const u = this.requireUser(user);
      if (u.dnd === enabled) return;
      u.dnd = enabled;
      this.touch({ topic: 'extensions' });
      if (!enabled) this.dispatchAll();
    });
  }

  /** How a user's phone answers from now on (tests and simulators set up ringing calls with it). */
  setAnswerMode(user: string, mode: AnswerMode, afterMs?: number): void {
    const u = this.requireUser(user);
    u.answer = mode;
    if (afterMs !== undefined) u.answerAfterMs = afterMs;
  }

  setOnline(user: string, online: boolean): void {
    this.op(() => {
      const u = this.requireUser(user);
      u.online = online;
      this.touch({ topic: 'extensions' });
      if (online) this.dispatchAll();
    });
  }

  /** Turn a forward on (with its destination) or off. The destination must be dialable from this PBX. */
  setForward(user: string, kind: ForwardKind, destination: string | undefined, enabled: boolean): void {
    this.op(() => {
      const u = this.requireUser(user);
      if (!enabled) {
        delete u.forward[kind];
      } else {
        if (!destination) throw new EngineError('invalid', `a ${kind} forward needs a destination`);
        const dest = this.resolve(destination);
        if (dest.kind === 'user' && dest.user === u.id) throw new EngineError('invalid', 'a user cannot forward to itself');
        if (dest.kind === 'park') throw new EngineError('invalid', 'cannot forward to a parking slot');
        u.forward[kind] = normalizeDialString(destination);
      }
      this.touch({ topic: 'extensions' });
    });
  }

  /** Pause or unpause the user in the given queues (all their queues when none are given). */
  pauseQueues(user: string, paused: boolean, queues?: string[], reason?: string): string[] {
    return this.op(() => {
      const u = this.requireUser(user);
      const mine = [...this.queues.values()].filter((q) => q.members.includes(u.id));
      let targets = mine;
      if (queues && queues.length) {
        targets = queues.map((name) => {
          const q = this.findQueue(name);
          if (!q) throw new EngineError('not_found', `no queue named ${name}`);
          if (!q.members.includes(u.id)) throw new EngineError('not_found', `${this.label(u)} is not a member of queue ${q.name}`);
          return q;
        });
      }
      if (!targets.length) throw new EngineError('not_found', `${this.label(u)} is not a member of any queue`);
      for (const q of targets) {
        if (paused) q.paused.set(u.id, reason);
        else q.paused.delete(u.id);
        this.touch({ topic: 'queue', queue: q.name });
      }
      this.touch({ topic: 'extensions' });
      if (!paused) this.dispatchAll();
      return targets.map((q) => q.name);
    });
  }

  queueStatus(name: string): QueueStatus {
    const q = this.findQueue(name);
    if (!q) throw new EngineError('not_found', `no queue named ${name}`);
    const now = this.clock.now();
    const mine = [...this.calls.values()].filter((c) => c.queue === q.name);
    const calls: QueueCall[] = mine
      .sort((a, b) => (a.enteredQueueAt ?? 0) - (b.enteredQueueAt ?? 0))
      .map((c) => {
        const caller = c.from;
        const connected = c.state === 'connected' || c.state === 'on_hold';
        const entered = c.enteredQueueAt ?? c.startedAt;
        const agent = c.agent ? this.users.get(c.agent) : undefined;
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
      const u = this.users.get(m)!;
      const reason = q.paused.get(m);
      const state = !u.online ? 'offline' : u.dnd ? 'dnd' : this.talking(m) ? 'on_call' : this.isBusy(m) ? 'ringing' : 'available';
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

  /** A user's call history, newest first: the last `size` calls, or those of the last `days` days. */
  history(user: string, opts: { size?: number | undefined; days?: number | undefined } = {}): HistoryEntry[] {
    const u = this.requireUser(user);
    let list = this.histories.get(u.id) ?? [];
    if (opts.days !== undefined) {
      const since = this.clock.now() - opts.days * 86400_000;
      list = list.filter((e) => Date.parse(e.start) >= since);
    }
    return list.slice(0, opts.size ?? 50).map((e) => ({ ...e }));
  }

  /** A user's contact book; mutations through `contactsChanged` announce the change. */
  book(user: string): ContactBook {
    const u = this.findUser(user);
    if (!u) throw new EngineError('not_found', `no user or extension "${user}" on this PBX`);
    let b = this.books.get(u.id);
    if (!b) this.books.set(u.id, (b = new ContactBook()));
    return b;
  }

  /** Run a contact-book mutation as an operation that announces the change. */
  withContacts<T>(user: string, fn: (book: ContactBook) => T): T {
    return this.op(() => {
      const uid = this.requireUser(user).id;
      const r = fn(this.book(uid));
      this.touch({ topic: 'contacts', user: uid });
      return r;
    });
  }

  // ---------------------------------------------------------------- demo traffic

  /**
   * Start the scenario's demo traffic, if any: outside callers ring its numbers at irregular intervals averaging
   * `everyMs`, at most `maxConcurrent` at a time, each from a caller not already on the phone. A caller hangs up by
   * themselves: after a conversation of half a minute to four minutes, or after waiting one to three minutes
   * unanswered. The scenario's own calls from outside are such callers too, so the office never fills up for good.
   */
  start(): void {
    const t = this.scenario.traffic;
    if (!t || this.trafficTimer !== undefined || !this.externals.size) return;
    this.op(() => {
      for (const rec of this.calls.values()) if (rec.from.kind === 'external') this.makeDemo(rec);
    });
    const callers = t.from ? t.from.map(normalizeDialString) : [...this.externals.keys()];
    const next = () => {
      // Irregular like real arrivals: between half and one and a half times the average interval.
      this.trafficTimer = this.later(tick, Math.round(t.everyMs * (0.5 + this.nextRand(1001) / 1000)));
    };
    const tick = () => {
      next();
      const active = [...this.calls.values()].filter((c) => c.demo).length;
      if (active >= t.maxConcurrent) return;
      const onPhone = new Set([...this.calls.values()].flatMap((c) => [c.from, c.to].filter((p) => p.kind === 'external').map((p) => normalizeDialString(p.number))));
      const free = callers.filter((n) => !onPhone.has(n));
      if (!free.length) return;
      const from = free[this.nextRand(free.length)]!;
      const to = t.to[this.nextRand(t.to.length)]!;
      try {
        const v = this.inboundCall(from, to);
        const rec = this.calls.get(v.id);
        if (rec) this.makeDemo(rec);
      } catch {
        // busy or DND: the demo caller simply gives up
      }
    };
    next();
  }

  /** An outside caller of the demo: hangs up after waiting a while unanswered, or talking a while once answered. */
  private makeDemo(rec: CallRec): void {
    rec.demo = true;
    if (rec.state === 'connected') {
      const talked = rec.answeredAt !== undefined ? this.clock.now() - rec.answeredAt : 0;
      this.hangUpLater(rec, Math.max(30_000, 30_000 + this.nextRand(210_000) - talked));
    } else {
      const waited = this.clock.now() - rec.startedAt;
      this.hangUpLater(rec, Math.max(15_000, 60_000 + this.nextRand(120_000) - waited));
    }
  }

  private hangUpLater(rec: CallRec, ms: number): void {
    if (rec.talkTimer !== undefined) this.clock.clearTimeout(rec.talkTimer);
    rec.talkTimer = this.later(() => {
      rec.talkTimer = undefined;
      this.end(rec);
    }, ms);
  }

  private nextRand(n: number): number {
    this.rand ^= this.rand << 13;
    this.rand ^= this.rand >>> 17;
    this.rand ^= this.rand << 5;
    return (this.rand >>> 0) % n;
  }

  /** Stop every timer (the engine stays readable). */
  close(): void {
    if (this.trafficTimer !== undefined) this.clock.clearTimeout(this.trafficTimer);
    this.trafficTimer = undefined;
    for (const c of this.calls.values()) {
      this.clearTimer(c);
      if (c.talkTimer !== undefined) this.clock.clearTimeout(c.talkTimer);
    }
  }
}
