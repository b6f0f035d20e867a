/**
 * The xCALLY phone bar backend: the agent's desktop phone bar, on loopback, acting for the one agent logged in
 * there (userModel 'self').
 *
 * The API names a call by its phone number, not by an id: the number in `hangup/`, `holding/`, `channel/` and
 * `conference/` is the call's other party, while in `originate/`, `transfer/` and `atxfer/` it is the
 * destination (transfers act on the active call). So an action on a call id first reads `channels` to find that
 * call's number, and refuses if the call is not there. `holding` toggles: before holding or resuming, the call's
 * state is read so that "hold" never resumes a held call (and the reverse).
 */
import { IN_HAND_STATES, currentCall, type AttendedTransferResult, type Backend, type Capability, type Operations } from '../backend.js';
import { BackendError } from '../errors.js';
import type { CallState, HistoryEntry, Party } from '../model.js';
import { VendorHttp } from '../http.js';
import type { BackendType } from '../types.js';
import { XcallyConfig } from './config.js';
import { type ChannelCall, type XcRow, pathNumber, peerToExtensions, rowToHistory, rowsToCalls, rowsToQueueNames } from './codec.js';
import { XcallyClient } from './client.js';


export const XCALLY_CAPABILITIES: readonly Capability[] = [
  'placeCall',
  'answer',
  'hangup',
  'hold',
  'transferBlind',
  'transferAttended',
  'conference',
  'activeCalls',
  'history',
  'listQueues',
  'listExtensions',
];

/** How long a number this adapter dialled waits to show up in channels as the agent's outbound call. */
const PLACED_GRACE_MS = 15_000;

/** What an action without a call id may pick: a call in hand, or one in a state the phone bar does not name. */
const PICKABLE: ReadonlySet<CallState> = new Set([...IN_HAND_STATES, 'unknown']);
/** Taking a call off hold without a call id means a held call. */
const HELD: ReadonlySet<CallState> = new Set(['on_hold']);

export const ATTENDED_COMPLETION =
  'the xCALLY API does not document how an attended transfer completes. The phone bar has put the call on hold and is ' +
  'calling the target; on the Asterisk-based PBX behind it, hanging up the consultation call (hangup with its call_id) ' +
  'normally hands the held call over. Check get_active_call afterwards, and finish it from the phone bar if it did not';

export class XcallyBackend implements Backend {
  readonly type = 'xcally';
  readonly userModel = 'self' as const;
  readonly capabilities: ReadonlySet<Capability> = new Set(XCALLY_CAPABILITIES);
  readonly defaultUser: string | undefined;
  private readonly agent: Party;
  /**
   * The API does not report a call's direction. Numbers this adapter dialled (originate, atxfer), and when, until
   * a call to them shows up in channels; then that call's id, for as long as it lasts.
   */
  private readonly placed = new Map<string, number>();
  private readonly outboundIds = new Set<string>();

  constructor(
    readonly name: string,
    private readonly client: XcallyClient,
    opts: { agent?: string | undefined; defaultUser?: string | undefined },
  ) {
    this.defaultUser = opts.defaultUser ?? opts.agent;
    this.agent = { number: opts.agent ?? opts.defaultUser ?? '' };
  }

  private error(kind: BackendError['kind'], message: string, hint?: string): BackendError {
    return new BackendError(kind, message, { pbx: this.name, pbxType: this.type, ...(hint ? { hint } : {}) });
  }

  /** The agent's calls as the phone bar lists them. */
  private async channels(what: string, signal?: AbortSignal): Promise<ChannelCall[]> {
    const a = await this.client.readRows('channels', undefined, what, signal);
    const now = Date.now();
    const calls = this.toCalls(a.rows, now);
    const ids = new Set(calls.map((c) => c.call.id));
    for (const id of this.outboundIds) if (!ids.has(id)) this.outboundIds.delete(id);
    for (const [n, at] of this.placed) if (now - at > PLACED_GRACE_MS) this.placed.delete(n);
    return calls;
  }

  private toCalls(rows: XcRow[], now = Date.now()): ChannelCall[] {
    return rowsToCalls(rows, {
      agent: this.agent,
      now,
      outbound: (id, n) => {
        if (this.outboundIds.has(id)) return true;
        if (!this.placed.delete(n)) return false;
        this.outboundIds.add(id);
        return true;
      },
    });
  }

  /** The call `callId`, or the agent's current call among those in `states`; not_found when there is none. */
  private async find(
    callId: string | undefined,
    purpose: string,
    signal?: AbortSignal,
    states: ReadonlySet<CallState> = PICKABLE,
  ): Promise<{ target: ChannelCall; calls: ChannelCall[] }> {
    const calls = await this.channels(`read the active calls (to find the call to ${purpose})`, signal);
    if (callId !== undefined) {
      const target = calls.find((c) => c.call.id === callId);
      if (!target) {
        throw this.error('not_found', `the phone bar shows no call with id ${callId}; nothing was done`, 'Use get_active_call to see the current calls and their ids.');
      }
      return { target, calls };
    }
    const candidates = calls.filter((c) => states.has(c.call.state));
    const current = currentCall(candidates.map((c) => c.call));
    const target = candidates.find((c) => c.call === current);
    if (!target) throw this.error('not_found', `the agent has no call to ${purpose}; nothing was done`, 'get_active_call shows the current calls.');
    return { target, calls };
  }

  /** The number that names `c` in the API, checked before it goes into a path. */
  private numberOf(c: ChannelCall): string {
    return pathNumber(c.numbers[0] ?? '', 'call');
  }

  /** Send a request that dials `n`, remembering n (from before it leaves: with an unknown outcome it may ring). */
  private async dialling(n: string, send: () => Promise<unknown>): Promise<void> {
    this.placed.set(n, Date.now());
    try {
      await send();
    } catch (e) {
      if (!(e instanceof BackendError) || e.kind !== 'outcome_unknown') this.placed.delete(n);
      throw e;
    }
  }

  placeCall: Operations['placeCall'] = async (a, o) => {
    const n = pathNumber(a.to, 'destination');
    await this.dialling(n, () => this.client.act('originate', n, `call ${n}`, o?.signal));
    return {};
  };

  answer: Operations['answer'] = async (a, o) => {
    let target: ChannelCall | undefined;
    if (a.callId !== undefined) {
      const found = await this.find(a.callId, 'answer', o?.signal);
      target = found.target;
      const state = target.call.state;
      if (state === 'connected' || state === 'on_hold') throw this.error('conflict', `call ${a.callId} is already answered (${state}); nothing was done`);
      if (target.call.direction === 'outbound' || state === 'dialing') {
        throw this.error('conflict', `call ${a.callId} is a call the agent placed: the other party answers it; nothing was done`);
      }
      const ringing = found.calls.filter((c) => c.call.state === 'ringing' && c.call.direction !== 'outbound');
      if (ringing.length > 1) {
        throw this.error(
          'conflict',
          `${ringing.length} calls are ringing and the phone bar's answer takes no call id, so it cannot be told to answer call ${a.callId}; nothing was done`,
          'Answer it from the phone bar itself, or wait until only that call rings.',
        );
      }
    }
    await this.client.act('answer', undefined, target ? `answer call ${target.call.id}` : 'answer the ringing call', o?.signal);
    if (!target) return undefined;
    // The answered call as the phone bar shows it now; the answer itself already succeeded, so a failed read only
    // means the caller gets no call back.
    try {
      const n = this.numberOf(target);
      const now = await this.client.read('channel', n, `read call ${target.call.id} after answering it`, o?.signal);
      if (!now.ok) return undefined;
      const calls = this.toCalls(now.rows);
      return calls.find((c) => c.call.id === target.call.id)?.call;
    } catch {
      return undefined;
    }
  };

  hangup: Operations['hangup'] = async (a, o) => {
    const { target } = await this.find(a.callId, 'hang up', o?.signal);
    // A conference is hung up leg by leg (the vendor's recipe: hangup/A, hangup/B); every number is checked first.
    const numbers = target.numbers.length > 1 ? target.numbers.map((n) => pathNumber(n, 'call')) : [this.numberOf(target)];
    for (const [i, n] of numbers.entries()) {
      try {
        await this.client.act('hangup', n, `hang up call ${target.call.id} (${n})`, o?.signal);
      } catch (e) {
        if (i === 0 || !(e instanceof BackendError)) throw e;
        throw this.error(
          e.kind === 'conflict' ? 'conflict' : 'outcome_unknown',
          `${numbers.slice(0, i).join(', ')} ${i > 1 ? 'were' : 'was'} hung up, but hanging up ${n} failed: ${e.message}`,
          'Do not retry the whole hangup: check get_active_call and hang up what is left.',
        );
      }
    }
  };

  hold: Operations['hold'] = async (a, o) => {
    const resume = a.on === false;
    const { target } = await this.find(a.callId, resume ? 'take off hold' : 'hold', o?.signal, resume && a.callId === undefined ? HELD : PICKABLE);
    const state = target.call.state;
    const id = target.call.id;
    if (a.on !== undefined) {
      // holding/ toggles: never send it when the call is already where it should be.
      if (a.on && state === 'on_hold') return;
      if (resume && state === 'connected') return;
      if (state !== 'connected' && state !== 'on_hold') {
        throw this.error(
          'conflict',
          state === 'unknown'
            ? `the phone bar reports call ${id} in a state telephony-mcp cannot read; because its holding request toggles, it could ${resume ? 'hold' : 'resume'} the call instead, so nothing was done`
            : `call ${id} is ${state}: only a connected call can be held or resumed; nothing was done`,
          state === 'unknown' ? 'Use the hold button of the phone bar itself.' : undefined,
        );
      }
    }
    const n = this.numberOf(target);
    await this.client.act('holding', n, `${resume ? 'take call off hold' : a.on ? 'put call on hold' : 'toggle hold on call'} ${id} (${n})`, o?.signal);
  };

  /** Transfers act on the phone bar's active call: with a call id, check that it is that call. */
  private async checkActive(callId: string | undefined, signal?: AbortSignal): Promise<void> {
    if (callId === undefined) return;
    const { target, calls } = await this.find(callId, 'transfer', signal);
    const connected = calls.filter((c) => c.call.state === 'connected');
    if (target.call.state !== 'connected' || connected.length > 1) {
      throw this.error(
        'conflict',
        target.call.state !== 'connected'
          ? `call ${callId} is ${target.call.state}, and the phone bar transfers only its active (connected) call; nothing was done`
          : `${connected.length} calls are connected and the phone bar's transfer takes no call id, so it cannot be told to transfer call ${callId}; nothing was done`,
        'Make it the only connected call first (take it off hold, hold or hang up the others).',
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

  conference: Operations['conference'] = async (a, o) => {
    const { target, calls } = await this.find(a.callId, 'join into a conference', o?.signal);
    const state = target.call.state;
    if (state !== 'on_hold' && state !== 'unknown') {
      throw this.error(
        'conflict',
        `call ${a.callId} is ${state}, and the phone bar's conference joins a call on hold with the current call; nothing was done`,
        'Follow the recipe: answer call A, hold it (hold_call), call B (place_call) and wait until B is connected, then conference with A\'s call_id.',
      );
    }
    const others = calls.filter((c) => c !== target);
    if (!others.some((c) => c.call.state === 'connected' || c.call.state === 'unknown')) {
      throw this.error(
        'conflict',
        `there is no other connected call to join call ${a.callId} with; nothing was done`,
        'Call B first (place_call), wait until it is connected (get_active_call), then conference with A\'s call_id.',
      );
    }
    const n = this.numberOf(target);
    await this.client.act('conference', n, `join held call ${a.callId} (${n}) with the current call`, o?.signal);
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
    return new XcallyBackend(name, new XcallyClient(http, { pbx: name, pbxType: 'xcally' }), {
      agent: config.agent,
      defaultUser: config.defaultUser,
    });
  },
};
