/**
 * Single use of confirmations without sessions: a confirmation (an MRTR requestState or a confirm_token) names a
 * nonce, and acting on it claims that nonce first. The claim is the only state a confirmation keeps on the
 * server, behind this interface so that replicas can share one store (src/shared/redis/claims.ts).
 */
export interface ClaimStore {
  /**
   * Claims `id` for `ttlMs`: true the first time, false while an earlier claim holds. `forgotten` when the store
   * cannot tell: it lost its claims (a shared store restarted empty) after `issuedAt` (ms since the epoch), when the
   * confirmation was issued, so an earlier claim of it may be lost. A store that cannot lose claims while it
   * serves (this process's memory) never says so.
   */
  claim(id: string, ttlMs: number, issuedAt?: number): Promise<boolean | 'forgotten'>;
}

/** Claims of this process, forgotten once they expire (a confirmation is useless after its own expiry). */
export class MemoryClaimStore implements ClaimStore {
  private readonly held = new Map<string, number>();
  private nextSweep = 0;

  constructor(private readonly now: () => number = Date.now) {}

  claim(id: string, ttlMs: number): Promise<boolean> {
    const t = this.now();
    if (t >= this.nextSweep) this.sweep(t);
    const until = this.held.get(id);
    if (until !== undefined && until > t) return Promise.resolve(false);
    this.held.set(id, t + ttlMs);
    return Promise.resolve(true);
  }

  private sweep(t: number): void {
    for (const [id, until] of this.held) if (until <= t) this.held.delete(id);
    this.nextSweep = t + 60_000;
  }

  get size(): number {
    return this.held.size;
  }
}
