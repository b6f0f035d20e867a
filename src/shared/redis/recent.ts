/**
 * The recent audit entries of each principal in Redis: a list per principal (newest first, trimmed to `keep`),
 * written by whichever server recorded the entry. Each server's own file keeps every line whatever Redis does.
 */
import { createHash } from 'node:crypto';
import type { AuditEntry, RecentAudit } from '../../safety/audit.js';
import type { RedisStore } from './store.js';

/** A principal's list is forgotten after a week without entries. */
const KEEP_MS = 7 * 24 * 3600_000;

export class RedisRecent implements RecentAudit {
  constructor(
    private readonly store: RedisStore,
    private readonly keep: number,
  ) {}

  private key(principal: string): string {
    return this.store.key(`audit:${createHash('sha256').update(principal).digest('base64url').slice(0, 22)}`);
  }

  async push(entry: AuditEntry): Promise<void> {
    if (this.keep === 0) return;
    const k = this.key(entry.principal);
    await this.store.run((c) => c.multi().lPush(k, JSON.stringify(entry)).lTrim(k, 0, this.keep - 1).pExpire(k, KEEP_MS).exec());
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
