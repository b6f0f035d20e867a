/**
 * The one way a tool acts on a call (answer_call, hangup, hold_call, transfer, conference, park_call): the PBX and
 * its operation first (one the PBX lacks fails before anything is read), the acting user, the call meant (named by
 * call_id and checked, or picked by the rules of backends/current-call.ts), a question naming it, bound to that
 * call, and the action on exactly that call id: what was confirmed is what happens. Each tool says only what
 * differs; the calls are found, described and refused here.
 */
import { cannotAnswer, conferencePartner, currentCall, heldCalls, ringingAt } from '../backends/current-call.js';
import type { Call } from '../backends/model.js';
import type { PbxHandle } from '../backends/registry.js';
import { ArgumentError } from '../errors.js';
import { formatNumber } from '../safety/numbering.js';
import { describeCall, durationWords, partyLabel, whoLabel } from './calls.js';
import type { ToolContext } from './define.js';

/** Which call an action means. Without call_id, the rule says which; with one, the call is checked for the same. */
export type CallPick =
  /** The user's current call. */
  | 'current'
  /** The one call ringing at the user. */
  | 'ringing'
  /** The one call the user has on hold. */
  | 'held'
  /** The held call call_id names, and the user's connected call it joins. */
  | 'conference';

/** The call an action acts on, as found before anyone is asked. */
export interface CallTarget {
  pbx: PbxHandle;
  user: string | undefined;
  /** The call as the PBX lists it; undefined where the PBX lists no calls. */
  call?: Call | undefined;
  /** conference: the call the held one joins. */
  partner?: Call | undefined;
  /** What the action is told: the call's id, or else the call_id given. */
  callId?: string | undefined;
  /** The call in words, for the question and the result ("the call between 201 (Alice) and ..."). */
  what: string;
}

export interface CallArgs {
  call_id?: string | undefined;
  user?: string | undefined;
  pbx?: string | undefined;
}

export interface CallActionSpec<Op, R> {
  /**
   * The operation the action runs, fetched first so that a PBX without it fails before anything is read; checks of
   * the arguments that need no PBX (a transfer target through the dial policy) go here too.
   */
  op(pbx: PbxHandle): Op;
  pick: CallPick;
  /**
   * 'optional': `user` only says who acts where the PBX needs to know, and the call may be anyone's (park_call), unless
   * the caller may act only for its own user; default: the acting user, and the call one of theirs.
   */
  user?: 'acting' | 'optional';
  /** Advice added to the refusals of the pick (conference: its recipe). */
  hint?: string;
  /** The question the person is asked, naming the call (and what `op` checked, such as a transfer's target). */
  ask(t: CallTarget, op: Op): string;
  /** A result with nothing to do (hold_call: the call already is in that state): no one is asked, nothing is sent. */
  already?(t: CallTarget): R | undefined;
  act(op: Op, t: CallTarget): Promise<R>;
}

/** Runs a call action: the prologue every one of them shares, then `spec.act` on the call confirmed. */
export async function callAction<Op, R>(ctx: ToolContext, args: CallArgs, spec: CallActionSpec<Op, R>): Promise<R> {
  const pbx = ctx.pbx(args.pbx);
  const op = spec.op(pbx);
  // 'optional': a call of anyone (park), unless the caller may act only for its own user: then that user's.
  const anyone = spec.user === 'optional' && !pbx.ownUserOnly;
  const user = anyone ? (args.user === undefined ? undefined : pbx.user(args.user)) : spec.user === 'optional' ? pbx.user(args.user) : pbx.actingUser(args.user);
  const t = await findCall(pbx, anyone ? undefined : user, args.call_id, spec.pick, spec.hint);
  const target = { ...t, user };
  const done = spec.already?.(target);
  if (done !== undefined) return done;
  await ctx.confirm(spec.ask(target, op), { bind: (target.partner ?? target.call)?.id });
  return spec.act(op, target);
}

/** A refusal of the pick: nothing was done, with the advice the tool adds. */
function refuse(kind: 'not_found' | 'invalid' | 'conflict', message: string, hint: string | undefined, about = false): ArgumentError {
  return new ArgumentError(kind, `${message}; nothing was done`, { ...(hint ? { hint } : {}), ...(about ? { about: 'call' } : {}) });
}

/** The call `pick` means, found before anyone is asked; without a call list, only words for it. */
async function findCall(
  pbx: PbxHandle,
  user: string | undefined,
  callId: string | undefined,
  pick: CallPick,
  hint: string | undefined,
): Promise<Omit<CallTarget, 'user'>> {
  const who = whoLabel(pbx, user);
  const fallback = callId !== undefined ? `call ${callId}` : pick === 'ringing' ? `the call ringing for ${who}` : `the current call of ${who}`;
  if (!pbx.can('activeCalls')) {
    return { pbx, callId, what: pick === 'conference' ? `held call ${callId} with the current call` : fallback };
  }
  const calls = await pbx.op('activeCalls')({ user });
  const named = callId === undefined ? undefined : calls.find((c) => c.id === callId);
  if (callId !== undefined && !named) {
    throw refuse('not_found', `there is no active call with id ${callId}${user && pick !== 'conference' ? ` for ${user}` : ''}`, hint, !hint);
  }
  const found = (call: Call, what = describeCall(call)) => ({ pbx, call, callId: call.id, what });
  switch (pick) {
    case 'current': {
      const call = named ?? currentCall(calls);
      if (!call) throw refuse('not_found', `${user ?? 'this user'} has no active call`, hint ?? 'Nothing to act on.', true);
      return found(call);
    }
    case 'held': {
      if (named) return found(named);
      const held = heldCalls(calls);
      if (held.length === 1) return found(held[0]!);
      throw held.length
        ? refuse('invalid', `${held.length} calls are on hold (${held.map((c) => c.id).join(', ')})`, hint ?? 'Pass call_id to say which one to resume.')
        : refuse('not_found', `${who} has no call on hold`, hint, true);
    }
    case 'ringing': {
      const call = named ?? onlyRinging(calls, who, hint);
      if (named) {
        const why = cannotAnswer(named);
        if (why === 'answered') throw refuse('conflict', `call ${callId} is already answered (${named.state})`, hint ?? 'Nothing to answer.', true);
        if (why) {
          const because = why === 'placed_by_user' ? `${who} placed it, so it rings at the other end` : `it is ${named.state}`;
          throw refuse('conflict', `call ${callId} is not ringing at ${who}: ${because}`, hint ?? 'Nothing to answer.', true);
        }
      }
      const spoken = { ...call.from, number: formatNumber(call.from.number) };
      return found(call, `the call from ${partyLabel(spoken)} ringing for ${durationWords(call.durationSeconds)}`);
    }
    case 'conference': {
      const held = named!;
      // A state the PBX does not tell (unknown) is left to the PBX to judge: the conference is no toggle.
      if (held.state !== 'on_hold' && held.state !== 'unknown') throw refuse('conflict', `call ${callId} is ${held.state}, not on hold`, hint);
      const partner = conferencePartner(calls, held.id);
      if (!partner) throw refuse('conflict', `there is no other connected call to join call ${callId} with`, hint);
      return { pbx, call: held, partner, callId: held.id, what: `${describeCall(held)} with ${describeCall(partner)}` };
    }
  }
}

/** The one call ringing at the user (answer_call without call_id). */
function onlyRinging(calls: readonly Call[], who: string, hint: string | undefined): Call {
  const { calls: ringing, sure } = ringingAt(calls);
  if (ringing.length === 0) throw refuse('not_found', `no call is ringing for ${who}`, hint, true);
  if (ringing.length > 1) {
    throw refuse(
      'invalid',
      `${ringing.length} calls ${sure ? 'are' : 'may be'} ringing (${ringing.map((c) => c.id).join(', ')})`,
      hint ?? 'Pass call_id to say which one to answer (get_active_call shows who is calling).',
    );
  }
  return ringing[0]!;
}
