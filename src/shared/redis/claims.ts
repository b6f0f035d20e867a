/**
 * Single-use claims of confirmations in Redis: SET NX PX, in a script that also keeps the store's epoch, the time
 * its memory of claims begins. A Redis that restarted empty (or was flushed) has forgotten the claims made before;
 * a confirmation issued before its epoch may have been used already, so it is refused ("forgotten": the person is
 * asked again) instead of being allowed a second time. A Redis with persistence (appendonly) keeps both.
 */
import type { ClaimStore } from '../../safety/claims.js';
import { type RedisStore, script } from './store.js';

/** The time on Redis's clock, in ms (every server reads the same clock). */
export const LUA_NOW = "local t = redis.call('TIME')\nlocal now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)\n";

const CLAIM = script(`${LUA_NOW}
local since = tonumber(redis.call('GET', KEYS[2]))
if not since then
  since = now
  redis.call('SET', KEYS[2], now)
end
if ARGV[2] ~= '' and tonumber(ARGV[2]) < since then return 2 end
if redis.call('SET', KEYS[1], '1', 'NX', 'PX', ARGV[1]) then return 1 end
return 0
`);

/** Begins the epoch if there is none: a fresh deployment's store begins now, with nothing to forget. */
const EPOCH = script(`${LUA_NOW}
redis.call('SET', KEYS[1], now, 'NX')
return tonumber(redis.call('GET', KEYS[1]))
`);

export class RedisClaims implements ClaimStore {
  private readonly epochKey: string;

  constructor(private readonly store: RedisStore) {
    this.epochKey = store.key('{claims}:epoch');
    // On every connection, before any action: a Redis that restarted empty begins a new epoch first.
    store.prepare(() => this.begin());
  }

  /** Marks the beginning of the store's memory (on every connection: a Redis that restarted empty begins again). */
  begin(): Promise<number> {
    return this.store.eval(EPOCH, [this.epochKey], []) as Promise<number>;
  }

  async claim(id: string, ttlMs: number, issuedAt?: number): Promise<boolean | 'forgotten'> {
    const r = await this.store.eval(CLAIM, [this.store.key(`{claims}:${id}`), this.epochKey], [Math.ceil(ttlMs), issuedAt === undefined ? '' : Math.floor(issuedAt)]);
    return r === 1 ? true : r === 2 ? 'forgotten' : false;
  }
}
