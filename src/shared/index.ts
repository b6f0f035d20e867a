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
 * | recent audit | RecentAudit (safety/audit.ts) | none: the audit's own LocalRecent | redis/recent.ts |
 * | no double action | RepeatLog (safety/repeat.ts) | MemoryRepeatLog | redis/repeats.ts |
 *
 * Adding a concern: its interface beside the code that uses it, a memory implementation, a Redis one under
 * redis/, and one field here.
 */
import { localShared } from '../backends/shared.js';
import { MemoryClaimStore } from '../safety/claims.js';
import { CallLimiter } from '../safety/limits.js';
import { MemoryRepeatLog } from '../safety/repeat.js';
import { LocalBus } from './bus.js';
import type { Shared, SharedOptions } from './types.js';

export type { Shared, SharedOptions } from './types.js';

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
    close: () => Promise.resolve(),
  };
}
