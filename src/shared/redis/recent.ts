/**
 * The recent audit entries of each principal in Redis: a list per principal (newest first, trimmed to `keep`),
 * written by whichever server recorded the entry. Each server's own file keeps every line whatever Redis does.
 */
import { shortDigest } from '../../util/digest.js';
import type { AuditEntry, RecentAudit } from '../../safety/audit.js';
import { type RedisStore, script } from './store.js';

/** A principal's list is forgotten after a week without entries. */
const KEEP_MS = 7 * 24 * 3600_000;

// KEYS: 1 the principal's list. ARGV: 1 the entry, 2 how many to keep, 3 ms to keep the list. One command, one reply.
const PUSH = script(`
redis.call('LPUSH', KEYS[1], ARGV[1])
redis.call('LTRIM', KEYS[1], 0, tonumber(ARGV[2]) - 1)
redis.call('PEXPIRE', KEYS[1], ARGV[3])
return 1
`);

export class RedisRecent implements RecentAudit {
  constructor(
    private readonly store: RedisStore,
    private readonly keep: number,
  ) {}

  private key(principal: string): string {
    return this.store.key(`audit:${shortDigest(principal)}`);
  }

  async push(entry: AuditEntry): Promise<void> {
    if (this.keep === 0) return;
    await this.store.eval(PUSH, [this.key(entry.principal)], [JSON.stringify(entry), this.keep, KEEP_MS]);
  }

  async of(principal: string): Promise<AuditEntry[]> {
    if (this.keep === 0) return [];
    const raw = await this.store.run((c) => c.lRange(this.key(principal), 0, this.keep - 1));
    const out: AuditEntry[] = [];
    for (const r of raw.reverse()) {
      try {
        const e = JSON.parse(r) as AuditEntry;
        // Another principal's entry under a colliding key is never shown.
        if (e && e.principal === principal) out.push(e);
      } catch {
        // Not an entry this server can read: left out.
      }
    }
    return out;
  }
}
