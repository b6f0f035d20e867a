/** The Redis implementation of every shared concern, over one connection (see src/shared/index.ts). */
import { SharedPollCache } from '../../backends/polls.js';
import type { Shared, SharedOptions } from '../types.js';
import { RedisBus } from './bus.js';
import { RedisClaims } from './claims.js';
import { RedisLimits } from './limits.js';
import { RedisPollLeases } from './polls.js';
import { RedisRecent } from './recent.js';
import { RedisRepeatLog } from './repeats.js';
import { RedisStore } from './store.js';
import { RedisTokenShare } from './tokens.js';

export async function redisShared(o: SharedOptions, url: string, where: string): Promise<Shared> {
  const log = o.log.child({ part: 'shared' });
  const store = new RedisStore({ url, where, prefix: o.settings.prefix, timeoutMs: o.settings.timeoutMs, log });
  const claims = new RedisClaims(store);
  const bus = new RedisBus(store, log);
  if (!(await store.open(Math.max(2 * o.settings.timeoutMs, 2000)))) {
    log.warn(`the shared store (Redis at ${where}) does not answer yet: actions are refused until it does; reads work meanwhile`);
  }
  log.info(`sharing state through Redis at ${where}${o.settings.replica ? ` as server ${o.settings.replica}` : ''}`);
  return {
    kind: 'redis',
    where,
    replica: o.settings.replica,
    claims,
    limits: new RedisLimits(store, { ...o.limits, pendingLeaseMs: o.pendingLeaseMs }),
    backends: {
      polls: (scope, intervalMs, p) => new SharedPollCache(new RedisPollLeases(store, scope), p.clock, intervalMs, p.maxWaitMs, p.log),
      tokens: (scope) => new RedisTokenShare(store, scope),
    },
    bus,
    repeats: new RedisRepeatLog(store),
    recent: new RedisRecent(store, o.keepRecent),
    gate: () => store.check(),
    close: () => store.close(),
  };
}
