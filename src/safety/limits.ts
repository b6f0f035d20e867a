/**
 * Call floods: at most `maxCallsPerMinute` calls placed and `maxConcurrentCalls` calls active per PBX and user,
 * and `maxCallsPerMinutePerPbx` calls placed per PBX whatever the user (so naming other users, or one user by
 * several names, cannot multiply the rate). The rate is counted here; concurrency is read from the PBX where it
 * can list calls. Transfers to outside numbers count against the rates (they make the PBX dial out) but not
 * against concurrency.
 *
 * Admission is a reservation taken before anything else awaits: requests that arrive together (nine place_call
 * pipelined on stdio) are counted against each other even while each is still reading the PBX's call list, so
 * none of them can slip through on a count that did not include the others yet. CallLimits is where the counts
 * live: this process (CallLimiter, below: the reservation is taken synchronously, when reserve is called), or the
 * deployment's shared store (src/shared/redis/limits.ts: one atomic script per step, in the order they reach it).
 */
import { PolicyError } from '../errors.js';

/** Where a PBX cannot list active calls, calls placed within this window count as active. */
export const CONCURRENCY_PROXY_MS = 2 * 60_000;
/** The window of both rates. */
export const RATE_WINDOW_MS = 60_000;

export interface ReserveOptions {
  /** A transfer out: counts against the rates only. */
  rateOnly?: boolean | undefined;
  /** The PBX lists active calls: the caller reads them and calls checkActive; otherwise recent calls stand in. */
  listsCalls?: boolean | undefined;
}

/** One admitted call, from its reservation until the tool call that placed it ends. */
export interface Reservation {
  /** The tool call ended (the call was placed, or failed after it may have been): the slot is the PBX's to count now. */
  release(): Promise<void>;
  /** Nothing was dialled (refused, or the call list could not be read): the slot and the rate count are given back. */
  refund(): Promise<void>;
}

export interface Slot extends Reservation {
  /** With the PBX's count of the user's active calls: throws (and gives the slot back) when that makes too many. */
  checkActive(active: number): Promise<void>;
}

/** The call limits of a deployment: this process's memory, or a store every replica shares. */
export interface CallLimits {
  /** See CallLimits.reserve: the whole reservation is made before this returns its promise. */
  reserve(pbx: string, user: string, opts?: ReserveOptions): Promise<Slot>;
}

/** The refusal of a rate: `scope` user (per PBX and user) or pbx (all users of a PBX together). */
export function rateRefusal(scope: 'user' | 'pbx', placed: number, limit: number): PolicyError {
  return new PolicyError(
    'rate_limit',
    scope === 'user'
      ? `${placed} calls were placed for this user in the last minute (limit ${limit})`
      : `${placed} calls were placed on this PBX in the last minute, for all users together (limit ${limit})`,
    'Wait a minute before placing another call. Nothing was dialled.',
    'rate_limited',
  );
}

/** The refusal of concurrency: `n` active calls, `beingPlaced` of them still being placed by other requests. */
export function concurrencyRefusal(n: number, beingPlaced: number, limit: number): PolicyError {
  return new PolicyError(
    'concurrency',
    `this user already has ${n} active call${n === 1 ? '' : 's'}${beingPlaced ? `, counting ${beingPlaced} being placed right now` : ''} (limit ${limit})`,
    'Hang up a call first. Nothing was dialled.',
    'rate_limited',
  );
}

interface Held {
  /** Sequence number when it was reserved (its call-list read starts right after). */
  seq: number;
  /** Sequence number when it was released; undefined while its call is being placed. */
  releasedSeq?: number;
}

/** The limits of this process: everything in memory, each reservation taken synchronously when reserve is called. */
export class CallLimiter implements CallLimits {
  private readonly placed = new Map<string, number[]>();
  /** Concurrency reservations per PBX and user, pending or released recently (see `othersInFlight`). */
  private readonly held = new Map<string, Held[]>();
  private seq = 0;

  constructor(
    private readonly maxPerMinute: number,
    private readonly maxConcurrent: number,
    private readonly now: () => number = Date.now,
    private readonly maxPerMinutePerPbx: number = Infinity,
  ) {}

  private recent(key: string, windowMs: number): number[] {
    const t = this.now();
    // Keep what the longest window needs.
    const list = (this.placed.get(key) ?? []).filter((x) => t - x < Math.max(CONCURRENCY_PROXY_MS, RATE_WINDOW_MS));
    this.placed.set(key, list);
    return list.filter((x) => t - x < windowMs);
  }

  /**
   * Reserve one more call placed on `pbx` for `user`, or throw; synchronous, so concurrent requests are counted
   * in the order they arrive. Rates are checked and counted now. Concurrency: where the PBX cannot list calls
   * (`listsCalls` false), calls placed recently stand in for active ones and are checked now; otherwise call
   * `checkActive` with the PBX's count once it is read. `rateOnly` (a transfer out) skips concurrency.
   */
  reserve(pbx: string, user: string, opts: ReserveOptions = {}): Promise<Slot> {
    try {
      return Promise.resolve(this.reserveNow(pbx, user, opts));
    } catch (e) {
      return Promise.reject(e);
    }
  }

  private reserveNow(pbx: string, user: string, opts: ReserveOptions): Slot {
    const userKey = `${pbx}\u0000${user}`;
    const pbxKey = `${pbx}\u0001`;
    const lastMinute = this.recent(userKey, RATE_WINDOW_MS);
    if (lastMinute.length >= this.maxPerMinute) throw rateRefusal('user', lastMinute.length, this.maxPerMinute);
    const pbxMinute = this.recent(pbxKey, RATE_WINDOW_MS);
    if (pbxMinute.length >= this.maxPerMinutePerPbx) throw rateRefusal('pbx', pbxMinute.length, this.maxPerMinutePerPbx);
    if (!opts.rateOnly && !opts.listsCalls) this.refuseIfFull(this.recent(userKey, CONCURRENCY_PROXY_MS).length);
    const stamp = this.now();
    this.placed.get(userKey)!.push(stamp);
    this.placed.get(pbxKey)!.push(stamp);
    const me: Held | undefined = !opts.rateOnly && opts.listsCalls ? { seq: ++this.seq } : undefined;
    if (me) (this.held.get(userKey) ?? this.held.set(userKey, []).get(userKey)!).push(me);
    let settled = false;
    const unstamp = (key: string) => {
      const list = this.placed.get(key);
      const i = list?.lastIndexOf(stamp) ?? -1;
      if (i >= 0) list!.splice(i, 1);
    };
    const drop = () => {
      const list = this.held.get(userKey);
      const i = me && list ? list.indexOf(me) : -1;
      if (i >= 0) list!.splice(i, 1);
      this.prune(userKey);
    };
    return {
      checkActive: (active: number) => {
        if (!me || settled) return Promise.resolve();
        try {
          this.refuseIfFull(active, this.othersInFlight(userKey, me));
        } catch (e) {
          settled = true;
          unstamp(userKey);
          unstamp(pbxKey);
          drop();
          return Promise.reject(e);
        }
        return Promise.resolve();
      },
      release: () => {
        if (settled) return Promise.resolve();
        settled = true;
        if (me) {
          me.releasedSeq = ++this.seq;
          this.prune(userKey);
        }
        return Promise.resolve();
      },
      refund: () => {
        if (!settled) {
          settled = true;
          unstamp(userKey);
          unstamp(pbxKey);
          drop();
        }
        return Promise.resolve();
      },
    };
  }

  /**
   * Reservations of the same user that `me`'s read of the call list may have missed: those still placing their
   * call, and those released after `me` started reading (their call may or may not be in what it read; counting
   * it errs on the side of refusing).
   */
  private othersInFlight(key: string, me: Held): number {
    let n = 0;
    for (const h of this.held.get(key) ?? []) if (h !== me && (h.releasedSeq === undefined || h.releasedSeq > me.seq)) n++;
    return n;
  }

  /** Released reservations no pending one can still miss are forgotten. */
  private prune(key: string): void {
    const list = this.held.get(key);
    if (!list) return;
    const oldestPending = Math.min(...list.filter((h) => h.releasedSeq === undefined).map((h) => h.seq));
    const keep = list.filter((h) => h.releasedSeq === undefined || h.releasedSeq > oldestPending);
    if (keep.length) this.held.set(key, keep);
    else this.held.delete(key);
  }

  private refuseIfFull(active: number, beingPlaced = 0): void {
    if (active + beingPlaced >= this.maxConcurrent) throw concurrencyRefusal(active + beingPlaced, beingPlaced, this.maxConcurrent);
  }
}
