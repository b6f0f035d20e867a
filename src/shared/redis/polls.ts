/**
 * The poll leases of a deployment in Redis: taking the lease is SET PX in a script that, when a holder has it,
 * answers who, what answer was published last and how long the lease still runs (one round trip either way);
 * publishing the answer renews the holder's lease for an interval from then (one round trip too).
 */
import { shortDigest } from '../../util/digest.js';
import type { PollLeases } from '../../backends/polls.js';
import { type RedisStore, script } from './store.js';

// KEYS: 1 the lease, 2 the published answer. ARGV: 1 token, 2 interval ms. Returns {holder, answer or '', ttl ms}.
const TAKE = script(`
local holder = redis.call('GET', KEYS[1])
if not holder then
  redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
  return {ARGV[1], '', tonumber(ARGV[2])}
end
return {holder, redis.call('GET', KEYS[2]) or '', redis.call('PTTL', KEYS[1])}
`);

// KEYS: 1 the lease, 2 the published answer. ARGV: 1 the answer, 2 ms to keep it, 3 the holder's token, 4 interval ms.
// The holder's lease runs one more interval from now: the next fetch leaves an interval after this one's answer.
const PUBLISH = script(`
redis.call('SET', KEYS[2], ARGV[1], 'PX', ARGV[2])
if redis.call('GET', KEYS[1]) == ARGV[3] then redis.call('PEXPIRE', KEYS[1], ARGV[4]) end
return 1
`);

export class RedisPollLeases implements PollLeases {
  private readonly base: string;

  constructor(
    private readonly store: RedisStore,
    scope: string,
  ) {
    // The scope names a PBX by its URL and login: hashed, so no key shows them.
    this.base = store.key(`{poll:${shortDigest(scope)}}`);
  }

  private keys(key: string): [string, string] {
    const k = `${this.base}:${encodeURIComponent(key)}`;
    return [`${k}:lease`, `${k}:answer`];
  }

  async take(key: string, token: string, intervalMs: number): Promise<{ holder: string; answer?: string; ttlMs: number }> {
    const [holder, answer, ttl] = (await this.store.eval(TAKE, this.keys(key), [token, intervalMs])) as [string, string, number];
    return { holder, ...(answer ? { answer } : {}), ttlMs: Math.max(0, ttl) };
  }

  async publish(key: string, token: string, answer: string, keepMs: number, intervalMs: number): Promise<void> {
    await this.store.eval(PUBLISH, this.keys(key), [answer, Math.ceil(keepMs), token, Math.ceil(intervalMs)]);
  }
}
