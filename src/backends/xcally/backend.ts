/**
 * The xCALLY phone bar backend: the agent's desktop phone bar, on loopback, acting for the one agent logged in
 * there (userModel 'self').
 *
 * The API names a call by a phone number, not by an id: the number in `hangup/`, `holding/`, `channel/` and
 * `conference/` names the call, while in `originate/`, `transfer/` and `atxfer/` it is the destination (transfers
 * act on the active call). So an action on a call id first reads `channels` to find the number that names it,
 * and refuses if the call is not there, or if no number names it alone: the doc never defines a row's fields,
 * and a row whose `extension` is the agent's own line names no other party.
 *
 * The only channel status the doc shows is ACTIVE, and `holding` toggles (hold or resume a call; pause an idle
 * agent). So no action waits for a status word the doc does not promise, and the toggle is never sent on a
 * guess: what the adapter did itself (the holds it made, the calls it answered, the pause it set; ledger.ts) is
 * its knowledge, corrected by status words where a phone bar sends more than ACTIVE.
 */
import {
  type ActionNote,
  type AttendedTransferResult,
  type Backend,
  type Capability,
  type Operations,
} from '../backend.js';
import { cannotAnswer, currentCall, heldCalls, mayRingAt } from '../current-call.js';
import { BackendError } from '../../errors.js';
import type { Call, CallState, HistoryEntry, Party } from '../model.js';
import { VendorHttp } from '../http.js';
import type { BackendType } from '../types.js';
import { XcallyConfig } from './config.js';
import { type ChannelCall, type XcRow, pathNumber, peerToExtensions, rowToHistory, rowsToCalls, rowsToQueueNames } from './codec.js';
import { XcallyClient } from './client.js';
import { CallLedger } from './ledger.js';

export const XCALLY_CAPABILITIES: readonly Capability[] = [
  'placeCall',
  'answer',
  'hangup',
  'hold',
  'transferBlind',
  'transferAttended',
  'conference',
  'pauseQueues',
  'activeCalls',
  'history',
  'listQueues',
  'listExtensions',
];

/** Taking a call off hold without a call id means a held call (current-call.ts decides every other pick). */
const heldCall = (calls: readonly Call[]): Call | undefined => currentCall(heldCalls(calls));
/** States in which a call may be the phone bar's active call, or still ring: what the phone bar does not rule out. */
const MAY_BE_ACTIVE: ReadonlySet<CallState> = new Set(['connected', 'unknown']);

export const ATTENDED_COMPLETION =
  'the xCALLY API does not document how an attended transfer completes. The phone bar has put the call on hold and is ' +
  'calling the target; on the Asterisk-based PBX behind it, hanging up the consultation call (by its call id) ' +
  'normally hands the held call over. Check the active calls afterwards, and finish it from the phone bar if it did not';

/** Why an ACTIVE call that telephony-mcp has not held may be on hold anyway (for the notes of hold results). */
const ACTIVE_ONLY =
  'The phone bar reports this call only as ACTIVE, and telephony-mcp had not held it, so it sent holding (a toggle). ' +
  'If the call had been put on hold at the phone bar itself, this took it off hold instead: check the phone bar.';

export class XcallyBackend implements Backend {
  readonly type = 'xcally';
  readonly userModel = 'self' as const;
  readonly capabilities: ReadonlySet<Capability> = new Set(XCALLY_CAPABILITIES);
  readonly defaultUser: string | undefined;
  private readonly agent: Party;
  private readonly ledger = new CallLedger();

  constructor(
    readonly name: string,
    private readonly client: XcallyClient,
    opts: { agent?: string | undefined; defaultUser?: string | undefined },
  ) {
    this.defaultUser = opts.defaultUser ?? opts.agent;
    this.agent = { number: opts.agent ?? opts.defaultUser ?? '' };
  }

  private error(kind: BackendError['kind'], message: string, hint?: string, about?: 'call'): BackendError {
    return new BackendError(kind, message, { ...(hint ? { hint } : {}), ...(about ? { about } : {}) });
  }

  /** The agent's calls as the phone bar lists them, with what this adapter knows of them. */
  private async channels(what: string, signal?: AbortSignal): Promise<ChannelCall[]> {
    const a = await this.client.readRows('channels', undefined, what, signal);
    const calls = this.toCalls(a.rows);
    this.ledger.prune(new Set(calls.map((c) => c.call.id)));
    return calls;
  }

  private toCalls(rows: XcRow[]): ChannelCall[] {
    return rowsToCalls(rows, {
      agent: this.agent,
      now: Date.now(),
      outbound: (id, n) => this.ledger.outbound(id, n),
      stateOf: (id, said) => this.ledger.stateOf(id, said),
    });
  }

  /** The call `callId`, or the one `pick` chooses (the agent's current call); not_found when there is none. */
  private async find(
    callId: string | undefined,
    purpose: string,
    signal?: AbortSignal,
    pick: (calls: readonly Call[]) => Call | undefined = currentCall,
  ): Promise<{ target: ChannelCall; calls: ChannelCall[] }> {
    const calls = await this.channels(`read the active calls (to find the call to ${purpose})`, signal);
    if (callId !== undefined) {
      const target = calls.find((c) => c.call.id === callId);
      if (!target) {
        throw this.error('not_found', `the phone bar shows no call with id ${callId}; nothing was done`, undefined, 'call');
      }
      return { target, calls };
    }
    const current = pick(calls.map((c) => c.call));
    const target = calls.find((c) => c.call === current);
    if (!target) throw this.error('not_found', `the agent has no call to ${purpose}; nothing was done`, undefined, 'call');
    return { target, calls };
  }

  /**
   * The numbers that name `c` in a path (one; each leg of a conference), each checked. Refused, nothing sent,
   * when a row of the call carries the agent's own line (so it names no other party), or when one of its numbers
   * also names another call of the agent (the phone bar could act on that one).
   */
  private namesOf(c: ChannelCall, calls: readonly ChannelCall[], purpose: string): string[] {
    const id = c.call.id;
    if (c.ownLine || c.numbers.length === 0) {
      throw this.error(
        'conflict',
        c.ownLine
          ? `the phone bar lists call ${id} under the agent's own extension (${this.agent.number}), not under the other party's number, so no number names this call alone; telephony-mcp will not ${purpose} it by a number that could name another call; nothing was done`
          : `the phone bar lists call ${id} without a number, and its requests name a call by number; nothing was done`,
        'Do it at the phone bar itself. (The xCALLY doc does not say whether a row\'s extension is the other party or the agent\'s own line.)',
      );
    }
    for (const n of c.numbers) {
      const twin = calls.find((o) => o !== c && o.numbers.some((m) => m === n));
      if (twin) {
        throw this.error(
          'conflict',
          `the number ${pathNumber(n, 'call')} names both call ${id} and call ${twin.call.id}, and the phone bar's requests take a number, not a call id, so it could ${purpose} the other call; nothing was done`,
          'Do it at the phone bar itself, or hang up or finish the other call first.',
        );
      }
    }
    return c.numbers.map((n) => pathNumber(n, 'call'));
  }

  /** Send a request that dials `n`, remembering n (from before it leaves: with an unknown outcome it may ring). */
  private async dialling(n: string, send: () => Promise<unknown>): Promise<void> {
    this.ledger.dialling(n);
    try {
      await send();
    } catch (e) {
      if (!(e instanceof BackendError) || e.kind !== 'outcome_unknown') this.ledger.notDialled(n);
      throw e;
    }
  }

  placeCall: Operations['placeCall'] = async (a, o) => {
    const n = pathNumber(a.to, 'destination');
    await this.dialling(n, () => this.client.act('originate', n, `call ${n}`, o?.signal));
    return {};
  };

  /**
   * `answer` names no call and answers what rings; the conference recipe writes `answer/A`. The bare form is
   * sent unless another call may be ringing too; then the call is named, where the phone bar takes that form.
   */
  answer: Operations['answer'] = async (a, o) => {
    if (a.callId === undefined) {
      await this.client.act('answer', undefined, 'answer the ringing call', o?.signal);
      return undefined;
    }
    const { target, calls } = await this.find(a.callId, 'answer', o?.signal);
    const id = target.call.id;
    const state = target.call.state;
    const why = cannotAnswer(target.call);
    if (why === 'answered') throw this.error('conflict', `call ${id} is already answered (${state}); nothing was done`);
    if (why === 'placed_by_user') throw this.error('conflict', `call ${id} is a call the agent placed: the other party answers it; nothing was done`);
    if (why) throw this.error('conflict', `call ${id} is ${state}, not ringing at the agent's phone; nothing was done`);
    // Calls the phone bar's bare answer could pick: ringing ones, and those whose state it does not tell.
    const mayRing = mayRingAt(calls.map((c) => c.call)).map((m) => calls.find((c) => c.call === m)!);
    let named: string | undefined;
    if (mayRing.length > 1) {
      const several = `${mayRing.length} calls may be ringing (${mayRing.map((c) => c.call.id).join(', ')}) and the phone bar's answer request picks one itself`;
      try {
        named = this.namesOf(target, calls, 'answer')[0];
      } catch (e) {
        throw e instanceof BackendError ? this.error('conflict', `${several}; ${e.message}`, 'Answer it at the phone bar itself, or wait until only that call rings.') : e;
      }
      try {
        await this.client.act('answer', named, `answer call ${id} (${named})`, o?.signal);
      } catch (e) {
        if (!(e instanceof BackendError) || e.kind !== 'not_found') throw e;
        throw this.error(
          'conflict',
          `${several}, and this phone bar does not take a number in it (answer/${named} is not found), so it cannot be told to answer call ${id}; nothing was done`,
          'Answer it at the phone bar itself, or wait until only that call rings.',
        );
      }
    } else {
      await this.client.act('answer', undefined, `answer call ${id}`, o?.signal);
    }
    this.ledger.did(id, 'connected');
    // The answered call as the phone bar shows it now; the answer itself already succeeded, so a failed read only
    // means the caller gets no call back.
    try {
      const n = named ?? (target.ownLine || target.numbers.length !== 1 ? undefined : pathNumber(target.numbers[0]!, 'call'));
      const now = n === undefined ? await this.client.read('channels', undefined, `read call ${id} after answering it`, o?.signal) : await this.client.read('channel', n, `read call ${id} after answering it`, o?.signal);
      if (!now.ok) return undefined;
      return this.toCalls(now.rows).find((c) => c.call.id === id)?.call;
    } catch {
      return undefined;
    }
  };

  hangup: Operations['hangup'] = async (a, o) => {
    const { target, calls } = await this.find(a.callId, 'hang up', o?.signal);
    // A conference is hung up leg by leg (the vendor's recipe: hangup/A, hangup/B); every number is checked first.
    const numbers = this.namesOf(target, calls, 'hang up');
    for (const [i, n] of numbers.entries()) {
      try {
        await this.client.act('hangup', n, `hang up call ${target.call.id} (${n})`, o?.signal);
      } catch (e) {
        if (i === 0 || !(e instanceof BackendError)) throw e;
        throw this.error(
          e.kind === 'conflict' ? 'conflict' : 'outcome_unknown',
          `${numbers.slice(0, i).join(', ')} ${i > 1 ? 'were' : 'was'} hung up, but hanging up ${n} failed: ${e.message}`,
          'Do not repeat the whole hangup: check the active calls and hang up what is left.',
        );
      }
    }
  };

  /**
   * `holding` toggles, so it is sent only when the adapter knows where the call is: on hold because it held it
   * (or the phone bar says HOLD), connected because it answered or resumed it (or the phone bar says so). A call
   * the phone bar reports only as ACTIVE and the adapter never held is taken as not on hold, and the result says
   * so; taking such a call off hold is refused, as holding could put it on hold instead.
   */
  hold: Operations['hold'] = async (a, o) => {
    const resume = a.on === false;
    const { target, calls } = await this.find(a.callId, resume ? 'take off hold' : 'hold', o?.signal, resume && a.callId === undefined ? heldCall : currentCall);
    const state = target.call.state;
    const id = target.call.id;
    if (a.on !== undefined) {
      if (a.on && state === 'on_hold') return;
      if (resume && state === 'connected') return;
      if (state !== 'connected' && state !== 'on_hold' && state !== 'unknown') {
        throw this.error('conflict', `call ${id} is ${state}: only a connected call can be held or resumed; nothing was done`);
      }
      if (resume && state === 'unknown') {
        throw this.error(
          'conflict',
          `telephony-mcp did not put call ${id} on hold and the phone bar does not say that it is on hold (it reports it only as ACTIVE); its holding request toggles, so it could put the call on hold instead of taking it off; nothing was done`,
          'If the call is on hold at the phone bar, take it off hold there.',
        );
      }
    }
    const n = this.namesOf(target, calls, resume ? 'take off hold' : 'hold')[0]!;
    await this.client.act('holding', n, `${resume ? 'take call off hold' : a.on ? 'put call on hold' : 'toggle hold on call'} ${id} (${n})`, o?.signal);
    if (a.on !== undefined) this.ledger.did(id, a.on ? 'on_hold' : 'connected');
    else if (state === 'on_hold' || state === 'connected') this.ledger.did(id, state === 'on_hold' ? 'connected' : 'on_hold');
    const note: ActionNote | undefined = state === 'unknown' ? { note: ACTIVE_ONLY } : undefined;
    return note;
  };

  /**
   * Transfers act on the phone bar's active call: with a call id, check that it can only be that call (every
   * other call is known to be held or ringing). A call the phone bar reports only as ACTIVE might be the active one.
   */
  private async checkActive(callId: string | undefined, signal?: AbortSignal): Promise<void> {
    if (callId === undefined) return;
    const { target, calls } = await this.find(callId, 'transfer', signal);
    const state = target.call.state;
    const rivals = calls.filter((c) => c !== target && MAY_BE_ACTIVE.has(c.call.state));
    if (!MAY_BE_ACTIVE.has(state) || rivals.length > 0) {
      throw this.error(
        'conflict',
        !MAY_BE_ACTIVE.has(state)
          ? `call ${callId} is ${state}, and the phone bar transfers only its active (connected) call; nothing was done`
          : `${rivals.length + 1} calls may be the phone bar's active call (${[target, ...rivals].map((c) => c.call.id).join(', ')}) and its transfer takes no call id, so it cannot be told to transfer call ${callId}; nothing was done`,
        'Make it the only call that is not on hold first (hold or hang up the others), or transfer it at the phone bar.',
      );
    }
  }

  transferBlind: Operations['transferBlind'] = async (a, o) => {
    const n = pathNumber(a.to, 'destination');
    await this.checkActive(a.callId, o?.signal);
    await this.client.act('transfer', n, `transfer the active call to ${n}`, o?.signal);
  };

  transferAttended: Operations['transferAttended'] = async (a, o) => {
    const n = pathNumber(a.to, 'destination');
    await this.checkActive(a.callId, o?.signal);
    await this.dialling(n, () => this.client.act('atxfer', n, `start an attended transfer of the active call to ${n}`, o?.signal));
    // The phone bar holds the call while the target is consulted.
    if (a.callId !== undefined) this.ledger.did(a.callId, 'on_hold');
    const result: AttendedTransferResult = { completion: ATTENDED_COMPLETION };
    try {
      const calls = await this.channels('read the active calls (to find the consultation call)', o?.signal);
      const consult = calls.find((c) => c.call.id !== a.callId && c.numbers.includes(n));
      if (consult) result.consultCall = consult.call;
    } catch {
      // The transfer started; only the consultation call's details are missing.
    }
    return result;
  };

  /** The recipe: answer A, hold A, call B, conference A. A must not be known to be anything but on hold. */
  conference: Operations['conference'] = async (a, o) => {
    const { target, calls } = await this.find(a.callId, 'join into a conference', o?.signal);
    const state = target.call.state;
    if (state !== 'on_hold' && state !== 'unknown') {
      throw this.error(
        'conflict',
        `call ${a.callId} is ${state}, and the phone bar's conference joins a call on hold with the current call; nothing was done`,
        'Follow the recipe: answer call A, hold it, call B and wait until B is connected, then join A into the conference.',
      );
    }
    const others = calls.filter((c) => c !== target);
    if (!others.some((c) => MAY_BE_ACTIVE.has(c.call.state))) {
      throw this.error(
        'conflict',
        `there is no other connected call to join call ${a.callId} with; nothing was done`,
        'Call B first and wait until it is connected, then join A into the conference.',
      );
    }
    const n = this.namesOf(target, calls, 'join into a conference')[0]!;
    await this.client.act('conference', n, `join held call ${a.callId} (${n}) with the current call`, o?.signal);
    this.ledger.did(target.call.id, 'connected');
  };

  /**
   * The doc: `holding` puts "an agent not on a call" into Pause. It documents no way back, and no request reports
   * the pause, so the adapter pauses only an idle agent, resumes (holding again, as the toggle it is) only an
   * agent it paused itself, and says in the result what it cannot know.
   */
  pauseQueues: Operations['pauseQueues'] = async (a, o) => {
    if (a.queues?.length) {
      throw this.error('invalid', 'the phone bar pauses the agent in all of their queues at once; a list of queues cannot be paused; nothing was done', 'Pause in all queues instead.');
    }
    const calls = await this.channels('read the active calls (holding pauses only an agent who is not on a call)', o?.signal);
    if (calls.length) {
      throw this.error(
        'conflict',
        `the agent is on ${calls.length === 1 ? 'a call' : `${calls.length} calls`} (${calls.map((c) => c.call.id).join(', ')}): the phone bar's holding request would put a call on hold instead of ${a.paused ? 'pausing' : 'resuming'} the agent; nothing was done`,
        'Pause or resume the agent when they are not on a call, or at the phone bar.',
      );
    }
    const unreported = 'The phone bar API has no request that reports whether the agent is paused';
    if (this.ledger.paused === a.paused) {
      return {
        note: `telephony-mcp ${a.paused ? 'paused' : 'resumed'} this agent itself earlier, so nothing was sent (holding toggles). ${unreported}: if that was changed at the phone bar since, change it there.`,
      };
    }
    if (!a.paused && this.ledger.paused === undefined) {
      throw this.error(
        'conflict',
        `the phone bar API documents no way to resume a paused agent, and telephony-mcp did not pause this agent itself, so it cannot tell whether holding would resume or pause them; nothing was done`,
        'Resume the agent at the phone bar.',
      );
    }
    const n = pathNumber(this.agent.number, 'destination');
    await this.client.act(
      'holding',
      n,
      a.paused ? 'pause the agent (holding, with no call)' : 'resume the agent (holding again, with no call)',
      o?.signal,
      'Check that the agent is a member of a queue and not on a call, or change the pause at the phone bar.',
    );
    this.ledger.paused = a.paused;
    return {
      note: a.paused
        ? `${unreported}: holding pauses an agent who is not on a call, but if the agent had already been paused at the phone bar, a phone bar that toggles has resumed them instead. Check the phone bar.`
        : `Resuming is not documented: telephony-mcp sent holding again, which resumes the agent it paused on a phone bar where holding toggles. ${unreported}: check the phone bar.`,
    };
  };

  activeCalls: Operations['activeCalls'] = async (_a, o) => (await this.channels('read the active calls', o?.signal)).map((c) => c.call);

  history: Operations['history'] = async (a, o) => {
    const r = await this.client.readRows('recents', undefined, 'read the recent calls', o?.signal);
    let entries = r.rows.map((row) => rowToHistory(row, this.agent.number)).filter((e): e is HistoryEntry => e !== undefined);
    if (a.days !== undefined) {
      const since = Date.now() - a.days * 86_400_000;
      entries = entries.filter((e) => {
        const t = Date.parse(e.start);
        return Number.isNaN(t) || t >= since;
      });
    }
    // Newest first where the times can be read; the phone bar's own order otherwise.
    const time = (e: HistoryEntry) => {
      const t = Date.parse(e.start);
      return Number.isNaN(t) ? -Infinity : t;
    };
    entries = entries.map((e, i) => ({ e, i })).sort((x, y) => time(y.e) - time(x.e) || x.i - y.i).map((x) => x.e);
    return entries.slice(0, a.size ?? 50);
  };

  /** The agent's queues (the phone bar knows no others). */
  listQueues: Operations['listQueues'] = async (o) =>
    rowsToQueueNames((await this.client.readRows('queues', undefined, "read the agent's queues", o?.signal)).rows);

  /** The agent's own extension, as `peer` describes it: the phone bar knows no other. */
  listExtensions: Operations['listExtensions'] = async (o) =>
    peerToExtensions((await this.client.readRows('peer', undefined, "read the agent's extension (peer)", o?.signal)).rows, this.agent.number);

  close(): Promise<void> {
    return this.client.close();
  }
}

export const xcallyType: BackendType<typeof XcallyConfig> = {
  type: 'xcally',
  config: XcallyConfig,
  create(name, config, deps) {
    const http = new VendorHttp({ pbx: name, pbxType: 'xcally', baseUrl: config.url, timeoutMs: config.timeoutMs, log: deps.log });
    return new XcallyBackend(name, new XcallyClient(http), {
      agent: config.agent,
      defaultUser: config.defaultUser,
    });
  },
};
