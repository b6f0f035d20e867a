/**
 * Call floods: at most `maxCallsPerMinute` calls placed and `maxConcurrentCalls` calls active per PBX and user,
 * and `maxCallsPerMinutePerPbx` calls placed per PBX whatever the user (so naming other users, or one user by
 * several names, cannot multiply the rate). The rate is counted here; concurrency is read from the PBX where it
 * can list calls. Transfers to outside numbers count against the rates (they make the PBX dial out) but not
 * against concurrency.
 */
import { PolicyError } from './policy.js';

/** Where a PBX cannot list active calls, calls placed within this window count as active. */
export const CONCURRENCY_PROXY_MS = 2 * 60_000;

export class CallLimiter {
  private readonly placed = new Map<string, number[]>();

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
   * Admit one more call placed on `pbx` for `user`, or throw. `activeCalls` is what the PBX reports for the user,
   * or undefined when it cannot tell; `rateOnly` (a transfer out) skips the concurrency check.
   */
  admit(pbx: string, user: string, activeCalls: number | undefined, opts: { rateOnly?: boolean } = {}): void {
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
    if (!opts.rateOnly) {
      const active = activeCalls ?? this.recent(userKey, CONCURRENCY_PROXY_MS).length;
      if (active >= this.maxConcurrent) {
        throw new PolicyError(
          'concurrency',
          `this user already has ${active} active call${active === 1 ? '' : 's'} (limit ${this.maxConcurrent})`,
          'Hang up a call first. Nothing was dialled.',
          'rate_limited',
        );
      }
    }
    this.placed.get(userKey)!.push(this.now());
    this.placed.get(pbxKey)!.push(this.now());
  }
}
