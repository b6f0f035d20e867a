/**
 * The sim PBX: an in-memory state machine of users, queues, calls, parking, contacts and history. The `sim`
 * backend drives it directly; each vendor simulator serves its vendor's wire protocol over it, so a test can
 * go through a real adapter and a real socket and still assert on the PBX's state here.
 *
 * This class is the one front. What it holds is state.ts; each concern is a file of its own: directory.ts
 * (numbering), routing.ts (how a call moves), actions.ts (what a user does with calls), parking.ts, settings.ts
 * (DND, forwards), queues.ts, history.ts, phonebooks.ts (contacts) and traffic.ts (the demo's callers).
 *
 * Time comes from an injected Clock, so tests step through ringing, answering and timeouts instantly.
 * Every public method runs as one operation: the changes it makes are announced once, at its end.
 */
import { EventEmitter } from 'node:events';
import type { Change } from '../../backends/backend.js';
import type { Extension, ForwardKind, HistoryEntry, QueueStatus } from '../../backends/model.js';
import * as actions from './actions.js';
import { type Clock, systemClock } from '../../util/clock.js';
import type { ContactBook } from './contacts.js';
import { extensions } from './directory.js';
import { history } from './history.js';
import * as parking from './parking.js';
import { bookOf, withContacts } from './phonebooks.js';
import { pauseQueues, queueStatus } from './queues.js';
import type { Scenario } from './scenario.js';
import * as settings from './settings.js';
import { type AnswerMode, EngineState, type QueueRec, type UserRec } from './state.js';
import { startTraffic, stopTimers } from './traffic.js';
import { type CallView, callView, type UserView, userView } from './view.js';

export { EngineError } from './errors.js';
export { normalizeDialString, type AnswerMode, type Endpoint } from './state.js';
export type { CallView, UserView } from './view.js';

export class PbxEngine extends EventEmitter<{ change: [Change] }> {
  private readonly s: EngineState;

  constructor(scenario: Scenario, opts: { clock?: Clock } = {}) {
    super();
    this.setMaxListeners(0);
    this.s = new EngineState(scenario, opts.clock ?? systemClock, (c) => this.emit('change', c));
    for (const [user, contacts] of Object.entries(scenario.contacts)) {
      const book = bookOf(this.s, user);
      for (const c of contacts) book.create(c);
    }
    this.s.op(() => {
      for (const c of scenario.calls) actions.seedCall(this.s, c);
    });
  }

  get clock(): Clock {
    return this.s.clock;
  }
  get answerAfterMs(): number {
    return this.s.answerAfterMs;
  }
  get ringTimeoutMs(): number {
    return this.s.ringTimeoutMs;
  }
  get parking(): { firstSlot: number; slots: number; timeoutMs: number } {
    return this.s.parking;
  }

  now(): number {
    return this.s.clock.now();
  }

  // ---------------------------------------------------------------- directory

  /** Find a user by login or extension number. */
  findUser(idOrExtension: string): UserRec | undefined {
    return this.s.findUser(idOrExtension);
  }

  user(idOrExtension: string): UserView {
    return userView(this.s, this.s.requireUser(idOrExtension));
  }

  listUsers(): UserView[] {
    return [...this.s.users.values()].map((u) => userView(this.s, u));
  }

  queueNames(): string[] {
    return [...this.s.queues.keys()];
  }

  findQueue(nameOrNumber: string): QueueRec | undefined {
    return this.s.findQueue(nameOrNumber);
  }

  extensions(): Extension[] {
    return extensions(this.s);
  }

  // ---------------------------------------------------------------- calls

  /** Calls involving `user` (login or extension), or all calls. Oldest first. */
  listCalls(user?: string): CallView[] {
    return actions.listCalls(this.s, user);
  }

  call(id: string): CallView {
    return callView(this.s, this.s.requireCall(id));
  }

  /** `user` dials `to`: an extension, a queue, an outside number, or a parking slot (which retrieves). */
  placeCall(user: string, to: string): CallView {
    return actions.placeCall(this.s, user, to);
  }

  /** An outside caller (or another user, by extension) calls `to`. Used by scenarios, demo traffic and tests. */
  inboundCall(from: string, to: string, fromName?: string): CallView {
    return actions.inboundCall(this.s, from, to, fromName);
  }

  /** The user picks up a call ringing at their phone. */
  answer(user: string, callId?: string): CallView {
    return actions.answer(this.s, user, callId);
  }

  /**
   * End a call. With `user`, that user hangs up (their current call if no id): in a conference they leave,
   * and hanging up the consultation of an attended transfer completes the transfer.
   */
  hangup(user: string | undefined, callId?: string): void {
    actions.hangup(this.s, user, callId);
  }

  /** Put a call on hold (on = true), take it off hold (false), or toggle (undefined). */
  hold(user: string, callId?: string, on?: boolean): CallView {
    return actions.hold(this.s, user, callId, on);
  }

  /** Move the far party of the user's call to `to`; the user leaves the call. */
  transferBlind(user: string, callId: string | undefined, to: string): CallView {
    return actions.transferBlind(this.s, user, callId, to);
  }

  /** Start an attended transfer; it completes when the user hangs up the consultation call. */
  transferAttended(user: string, callId: string | undefined, to: string): { held: CallView; consult: CallView } {
    return actions.transferAttended(this.s, user, callId, to);
  }

  /** Join the user's held call `heldId` with their other connected call into a three-way conference. */
  conference(user: string, heldId: string): CallView {
    return actions.conference(this.s, user, heldId);
  }

  /** One party of a conference, named by number, is hung up (for vendor APIs that drop a leg by its number). */
  dropParticipant(callId: string, number: string): CallView {
    return actions.dropParticipant(this.s, callId, number);
  }

  // ---------------------------------------------------------------- parking

  /** Park a call: its far party waits in `slot` (or the first free one). Returns the slot. */
  park(callId: string, slot?: string, user?: string): string {
    return parking.park(this.s, callId, slot, user);
  }

  parkingInfo(): { firstSlot: number; slots: number; parked: { slot: string; callId: string }[] } {
    return parking.parkingInfo(this.s);
  }

  // ---------------------------------------------------------------- user settings

  setDnd(user: string, enabled: boolean): void {
    settings.setDnd(this.s, user, enabled);
  }

  /** How a user's phone answers from now on (tests and simulators set up ringing calls with it). */
  setAnswerMode(user: string, mode: AnswerMode, afterMs?: number): void {
    settings.setAnswerMode(this.s, user, mode, afterMs);
  }

  setOnline(user: string, online: boolean): void {
    settings.setOnline(this.s, user, online);
  }

  /** Turn a forward on (with its destination) or off. The destination must be dialable from this PBX. */
  setForward(user: string, kind: ForwardKind, destination: string | undefined, enabled: boolean): void {
    settings.setForward(this.s, user, kind, destination, enabled);
  }

  // ---------------------------------------------------------------- queues, history, contacts

  /** Pause or unpause the user in the given queues (all their queues when none are given). */
  pauseQueues(user: string, paused: boolean, queues?: string[], reason?: string): string[] {
    return pauseQueues(this.s, user, paused, queues, reason);
  }

  queueStatus(name: string): QueueStatus {
    return queueStatus(this.s, name);
  }

  /** A user's call history, newest first: the last `size` calls, or those of the last `days` days. */
  history(user: string, opts: { size?: number | undefined; days?: number | undefined } = {}): HistoryEntry[] {
    return history(this.s, user, opts);
  }

  /** A user's contact book; mutations through `withContacts` announce the change. */
  book(user: string): ContactBook {
    return bookOf(this.s, user);
  }

  /** Run a contact-book mutation as an operation that announces the change. */
  withContacts<T>(user: string, fn: (book: ContactBook) => T): T {
    return withContacts(this.s, user, fn);
  }

  // ---------------------------------------------------------------- demo traffic

  /** Start the scenario's demo traffic, if any (traffic.ts). */
  start(): void {
    startTraffic(this.s);
  }

  /** Stop every timer (the engine stays readable). */
  close(): void {
    stopTimers(this.s);
  }
}
