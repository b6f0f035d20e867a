/**
 * What the servers of a deployment share, chosen here once at start-up: with a Redis URL (shared.redisUrl or
 * TELEPHONY_MCP_REDIS_URL) every concern lives in Redis; without, in this process's memory, exactly as a server on
 * its own always kept it (and the Redis client is never loaded). One concern per interface, each with its memory
 * and its Redis implementation:
 *
 * | concern | interface | memory | Redis |
 * |---|---|---|---|
 * | single-use confirmations | ClaimStore (safety/claims.ts) | MemoryClaimStore | redis/claims.ts |
 * | call limits | CallLimits (safety/limits.ts) | CallLimiter | redis/limits.ts |
 * | poll floor (IPPS) | BackendShared.polls (backends/polls.ts) | PollCache | SharedPollCache over redis/polls.ts |
 * | vendor token (XUC) | BackendShared.tokens (backends/tokens.ts) | LocalTokenShare | redis/tokens.ts |
 * | change notifications | ChangeBus (shared/bus.ts) | LocalBus | redis/bus.ts |
 * | recent audit | RecentAudit (safety/audit.ts) | LocalRecent | redis/recent.ts |
 * | no double action | RepeatLog (safety/repeat.ts) | MemoryRepeatLog | redis/repeats.ts |
 *
 * Adding a concern: its interface beside the code that uses it, a memory implementation, a Redis one under
 * redis/, and one field here.
 */
import { localShared } from '../backends/shared.js';
import type { BackendShared } from '../backends/types.js';
import type { Logger } from '../log.js';
import { type ClaimStore, MemoryClaimStore } from '../safety/claims.js';
import type { RecentAudit } from '../safety/audit.js';
import { type CallLimits, CallLimiter } from '../safety/limits.js';
import { MemoryRepeatLog, type RepeatLog } from '../safety/repeat.js';
import { type ChangeBus, LocalBus } from './bus.js';
import type { SharedSettings } from './settings.js';

export interface Shared {
  /** memory: this server is on its own; redis: it shares with the others of its deployment. */
  readonly kind: 'memory' | 'redis';
  /** The store as messages name it (never with a password). */
  readonly where?: string | undefined;
  /** This server's name in the deployment (legacy session ids start with it, for sticky routing). */
  readonly replica?: string | undefined;
  readonly claims: ClaimStore;
  readonly limits: CallLimits;
  readonly backends: BackendShared;
  readonly bus: ChangeBus;
  /** The actions done within the repeat window (safety.repeatWindowSeconds). */
  readonly repeats: RepeatLog;
  /** The deployment's recent audit entries; absent, the audit keeps this server's. */
  readonly recent?: RecentAudit | undefined;
  /** An answer waits until its audit line reached the operating system (a killed replica loses none it answered). */
  readonly durableAudit: boolean;
  /**
   * Rejects with a SharedStoreError when actions cannot be coordinated now: at once when the store is known to be
   * away, else within its deadline (one round trip, so a store that went away a moment ago is noticed before the
   * action, not after). Absent on a server on its own.
   */
  readonly gate?: (() => Promise<void>) | undefined;
  close(): Promise<void>;
}

export interface SharedOptions {
  settings: SharedSettings;
  limits: { maxPerMinute: number; maxConcurrent: number; maxPerMinutePerPbx: number };
  /** How long a call-limit reservation may stay pending (longer than any tool call's PBX requests). */
  pendingLeaseMs: number;
  /** How many recent audit entries to keep (per principal, in a shared store). */
  keepRecent: number;
  log: Logger;
  /** The clock of confirmations and limits in memory (tests move it). */
  now?: (() => number) | undefined;
}

export async function createShared(o: SharedOptions): Promise<Shared> {
  if (o.settings.url !== undefined) {
    // Loaded only when configured: a server on its own never loads the Redis client.
    const { redisShared } = await import('./redis/index.js');
    return redisShared(o, o.settings.url, o.settings.where ?? 'redis');
  }
  return {
    kind: 'memory',
    replica: o.settings.replica,
    claims: new MemoryClaimStore(o.now),
    limits: new CallLimiter(o.limits.maxPerMinute, o.limits.maxConcurrent, o.now, o.limits.maxPerMinutePerPbx),
    backends: localShared,
    bus: new LocalBus((e) => o.log.warn('a change listener failed', { error: (e as Error).message })),
    repeats: new MemoryRepeatLog(o.now),
    durableAudit: false,
    close: () => Promise.resolve(),
  };
}
