/**
 * Which call a user means when they name none, and which calls ring at them: the one rule, used by the tools,
 * by the adapters that pick a call themselves, by the simulators and by the sim engine.
 *
 * - The current call is one the user has in hand: connected first, then ringing or dialing, then on hold, and,
 *   where the PBX does not tell a call's state (unknown), such a call last; the newest among equals. A call
 *   waiting in a queue or parked is never picked for the user: it is named by its id.
 * - A call rings at the user when it rings and the user did not place it (a call they place rings at the other
 *   end). Where no call is known to ring, a call whose state the PBX does not tell and that is not answered may.
 */
import type { Call, CallState } from './model.js';
import { newestFirst } from '../util/time.js';

/** What the rules read of a call: the model's fields, with a start time as the model or the engine keeps it. */
export interface CallFacts {
  id: string;
  state: CallState;
  startedAt: string | number;
  answered?: boolean | undefined;
  direction?: Call['direction'];
  role?: Call['role'];
}

const RANK: Partial<Record<CallState, number>> = { connected: 0, ringing: 1, dialing: 1, on_hold: 2, unknown: 3 };

/** Newest first: ISO times (the model's) compare as text, the engine's as milliseconds. */
const newer = (a: string | number, b: string | number): number =>
  typeof a === 'string' && typeof b === 'string' ? newestFirst(a, b) : Number(b) - Number(a);

/** A call the user has in hand, or may have (its state untold): what an action without a call id may pick. */
export function mayBeCurrent(c: Pick<CallFacts, 'state'>): boolean {
  return RANK[c.state] !== undefined;
}

/** The call a user means by "my current call", or undefined when they have none in hand. */
export function currentCall<C extends CallFacts>(calls: readonly C[]): C | undefined {
  return calls
    .filter(mayBeCurrent)
    .sort((a, b) => RANK[a.state]! - RANK[b.state]! || newer(a.startedAt, b.startedAt))[0];
}

/** The user placed the call: the PBX says so, or, where it does not say the user's part, calls it outbound. */
export function placedByUser(c: CallFacts): boolean {
  return c.role === 'caller' || (c.role === undefined && c.direction === 'outbound');
}

/** Every call that rings, or may ring (its state untold, not answered), at the user: none they placed. */
export function mayRingAt<C extends CallFacts>(calls: readonly C[]): C[] {
  return calls.filter((c) => !placedByUser(c) && (c.state === 'ringing' || (c.state === 'unknown' && !c.answered)));
}

/**
 * The calls ringing at the user: those known to ring (`sure`), or, when there is none, those that may
 * (mayRingAt: their state untold).
 */
export function ringingAt<C extends CallFacts>(calls: readonly C[]): { calls: C[]; sure: boolean } {
  const may = mayRingAt(calls);
  const ringing = may.filter((c) => c.state === 'ringing');
  return ringing.length ? { calls: ringing, sure: true } : { calls: may, sure: false };
}

/** Why the user cannot answer call `c`, or undefined when it may ring at them. */
export function cannotAnswer(c: CallFacts): 'answered' | 'placed_by_user' | 'not_ringing' | undefined {
  if (c.answered || c.state === 'connected' || c.state === 'on_hold') return 'answered';
  if (placedByUser(c) || c.state === 'dialing') return 'placed_by_user';
  if (c.state !== 'ringing' && c.state !== 'unknown') return 'not_ringing';
  return undefined;
}

/** The user's calls on hold: what taking a call off hold without a call id may mean. */
export function heldCalls<C extends CallFacts>(calls: readonly C[]): C[] {
  return calls.filter((c) => c.state === 'on_hold');
}

/** The call a held call `heldId` joins in a conference: the user's current connected one (or one whose state is untold). */
export function conferencePartner<C extends CallFacts>(calls: readonly C[], heldId: string): C | undefined {
  return currentCall(calls.filter((c) => c.id !== heldId && (c.state === 'connected' || c.state === 'unknown')));
}
