/**
 * Call floods: at most `maxCallsPerMinute` calls placed and `maxConcurrentCalls` calls active per PBX and user,
 * and `maxCallsPerMinutePerPbx` calls placed per PBX whatever the user (so naming other users, or one user by
 * several names, cannot multiply the rate). The rate is counted here; concurrency is read from the PBX where it
 * can list calls. Transfers to outside numbers count against the rates (they make the PBX dial out) but not
 * against concurrency.
 *
 * Admission is a reservation taken synchronously, before anything awaits: requests that arrive together (nine
 * place_call pipelined on stdio) are counted against each other even while each is still reading the PBX's call
 * list, so none of them can slip through on a count that did not include the others yet.
 */
import { PolicyError } from '../errors.js';

/** Where a PBX cannot list active calls, calls placed within this window count as active. */
export const CONCURRENCY_PROXY_MS = 2 * 60_000;

/** One admitted call, from its reservation until the tool call that placed it ends. */
export interface Reservation {
  /** The tool call ended (the call was placed, or failed after it may have been): the slot is the PBX's to count now. */
  release(): void;
  /** Nothing was dialled (refused, or the call list could not be read): the slot and the rate count are given back. */
  refund(): void;
}

interface Held {
  /** Sequence number when it was reserved (its call-list read starts right after). */
  seq: number;
  /** Sequence number when it was released; undefined while its call is being placed. */
  releasedSeq?: number;
}

export class CallLimiter {
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
    const list = (this.placed.get(key) ?? []).filter((x) => t - x < Math.max(CONCURRENCY_PROXY_MS, 60_000));
    this.placed.set(key, list);
    return list.filter((x) => t - x < windowMs);
  }

  /**
   * Reserve one more call placed on `pbx` for `user`, or throw; synchronous, so concurrent requests are counted
   * in the order they arrive. Rates are checked and counted now. Concurrency: where the PBX cannot list calls
   * (`listsCalls` false), calls placed recently stand in for active ones and are checked now; otherwise call
   * `checkActive` with the PBX's count once it is read. `rateOnly` (a transfer out) skips concurrency.
   */
  reserve(pbx: string, user: string, opts: { rateOnly?: boolean; listsCalls?: boolean } = {}): Reservation & { checkActive(active: number): void } {
    const userKey = `${pbx}\u0000${user}`;
    const pbxKey = `${pbx}\u0001`;
    const lastMinute = this.recent(userKey, 60_000);
    if (lastMinute.length >= this.maxPerMinute) {
      throw new PolicyError(
        'rate_limit',
        `${lastMinute.length} calls were placed for this user in the last minute (limit ${this.maxPerMinute})`,
        'Wait a minute before placing another call. Nothing was dialled.',
        'rate_limited',
      );
    }
    const pbxMinute = this.recent(pbxKey, 60_000);
    if (pbxMinute.length >= this.maxPerMinutePerPbx) {
      throw new PolicyError(
        'rate_limit',
        `${pbxMinute.length} calls were placed on this PBX in the last minute, for all users together (limit ${this.maxPerMinutePerPbx})`,
        'Wait a minute before placing another call. Nothing was dialled.',
        'rate_limited',
      );
    }
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
        if (!me || settled) return;
        try {
          this.refuseIfFull(active, this.othersInFlight(userKey, me));
        } catch (e) {
          settled = true;
          unstamp(userKey);
          unstamp(pbxKey);
          drop();
          throw e;
        }
      },
      release: () => {
        if (settled) return;
        settled = true;
        if (me) {
          me.releasedSeq = ++this.seq;
          this.prune(userKey);
        }
      },
      refund: () => {
        if (settled) return;
        settled = true;
        unstamp(userKey);
        unstamp(pbxKey);
        drop();
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
    const n = active + beingPlaced;
    if (n >= this.maxConcurrent) {
      throw new PolicyError(
        'concurrency',
        `this user already has ${n} active call${n === 1 ? '' : 's'}${beingPlaced ? `, counting ${beingPlaced} being placed right now` : ''} (limit ${this.maxConcurrent})`,
        'Hang up a call first. Nothing was dialled.',
        'rate_limited',
      );
    }
  }
}
