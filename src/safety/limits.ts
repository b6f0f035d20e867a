/**
 * Call floods: at most `maxCallsPerMinute` calls placed and `maxConcurrentCalls` calls active per PBX and user.
 * The rate is counted here; concurrency is read from the PBX where it can list calls.
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
  ) {}

  private recent(key: string, windowMs: number): number[] {
    const t = this.now();
    // Keep what the longest window needs.
    const list = (this.placed.get(key) ?? []).filter((x) => t - x < Math.max(CONCURRENCY_PROXY_MS, 60_000));
    this.placed.set(key, list);
    return list.filter((x) => t - x < windowMs);
  }

  /**
   * Admit one more call for `key` (pbx + user), or throw. `activeCalls` is what the PBX reports, or undefined
   * when it cannot tell.
   */
  admit(key: string, activeCalls: number | undefined): void {
    const lastMinute = this.recent(key, 60_000);
    if (lastMinute.length >= this.maxPerMinute) {
      throw new PolicyError(
        'rate_limit',
        `${lastMinute.length} calls were placed for this user in the last minute (limit ${this.maxPerMinute})`,
        'Wait a minute before placing another call. Nothing was dialled.',
        'rate_limited',
      );
    }
    const active = activeCalls ?? this.recent(key, CONCURRENCY_PROXY_MS).length;
    if (active >= this.maxConcurrent) {
      throw new PolicyError(
        'concurrency',
        `this user already has ${active} active call${active === 1 ? '' : 's'} (limit ${this.maxConcurrent})`,
        'Hang up a call first. Nothing was dialled.',
        'rate_limited',
      );
    }
    this.placed.get(key)!.push(this.now());
  }
}
