/**
 * The call limits of a deployment in Redis: the same rules as CallLimiter (src/safety/limits.ts), each step one Lua
 * script, so that no two servers can both pass a count that only one of them fits in (no read-then-write). Per PBX
 * and user: a sorted set of the calls placed (the per-user rate, and concurrency where the PBX cannot list calls),
 * and, where it can, the reservations still placing their call (with a sequence number, and a lease: a server that
 * dies mid-call leaves one that lapses) and those released since a pending one began reading the PBX's calls.
 * Per PBX: a sorted set of the calls placed by every user (the per-PBX rate). Times are Redis's clock.
 */
import { randomBytes } from 'node:crypto';
import { CONCURRENCY_PROXY_MS, type CallLimits, concurrencyRefusal, RATE_WINDOW_MS, rateRefusal, type ReserveOptions, type Slot } from '../../safety/limits.js';
import { LUA_NOW } from './claims.js';
import { type RedisStore, script } from './store.js';

// KEYS: 1 the user's calls placed, 2 the PBX's calls placed, 3 pending (id -> seq), 4 their leases (id -> until),
// 5 released (id -> seq when released), 6 the sequence.

/** Pending reservations whose lease passed (their server went away) are forgotten; so are released ones no pending one can miss. */
const LUA_TIDY = `
local function forgetLapsed()
  local lapsed = redis.call('ZRANGEBYSCORE', KEYS[4], '-inf', now)
  for _, id in ipairs(lapsed) do
    redis.call('ZREM', KEYS[3], id)
    redis.call('ZREM', KEYS[4], id)
  end
end
local function prune()
  local oldest = redis.call('ZRANGE', KEYS[3], 0, 0, 'WITHSCORES')
  if #oldest == 0 then redis.call('DEL', KEYS[5]) else redis.call('ZREMRANGEBYSCORE', KEYS[5], '-inf', oldest[2]) end
end
`;

// ARGV: 1 id, 2 per user per minute, 3 per PBX per minute, 4 concurrent, 5 mode (rate | proxy | lists), 6 lease ms,
// 7 rate window ms, 8 proxy window ms. Returns {refusal or 'ok', count}.
const RESERVE = script(`${LUA_NOW}${LUA_TIDY}
local window, proxy = tonumber(ARGV[7]), tonumber(ARGV[8])
local keep = math.max(window, proxy)
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - keep)
redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', now - keep)
local user = redis.call('ZCOUNT', KEYS[1], '(' .. (now - window), '+inf')
if user >= tonumber(ARGV[2]) then return {'user', user} end
local pbx = redis.call('ZCOUNT', KEYS[2], '(' .. (now - window), '+inf')
if pbx >= tonumber(ARGV[3]) then return {'pbx', pbx} end
if ARGV[5] == 'proxy' then
  local recent = redis.call('ZCOUNT', KEYS[1], '(' .. (now - proxy), '+inf')
  if recent >= tonumber(ARGV[4]) then return {'concurrency', recent} end
end
redis.call('ZADD', KEYS[1], now, ARGV[1])
redis.call('ZADD', KEYS[2], now, ARGV[1])
redis.call('PEXPIRE', KEYS[1], keep)
redis.call('PEXPIRE', KEYS[2], keep)
if ARGV[5] == 'lists' then
  forgetLapsed()
  local seq = redis.call('INCR', KEYS[6])
  redis.call('ZADD', KEYS[3], seq, ARGV[1])
  redis.call('ZADD', KEYS[4], now + tonumber(ARGV[6]), ARGV[1])
  for i = 3, 6 do redis.call('PEXPIRE', KEYS[i], ARGV[6]) end
end
return {'ok', 0}
`);

// ARGV: 1 id, 2 active calls the PBX listed, 3 concurrent. Returns {total counted, of them being placed}; the total
// is -1 when admitted. Refused: the reservation and its rate counts are given back (nothing will be dialled).
const CHECK = script(`${LUA_NOW}${LUA_TIDY}
forgetLapsed()
local mine = redis.call('ZSCORE', KEYS[3], ARGV[1])
local others
if mine then
  others = redis.call('ZCARD', KEYS[3]) - 1 + redis.call('ZCOUNT', KEYS[5], '(' .. mine, '+inf')
else
  others = redis.call('ZCARD', KEYS[3]) + redis.call('ZCARD', KEYS[5])
end
local n = tonumber(ARGV[2]) + others
if n >= tonumber(ARGV[3]) then
  for i = 1, 4 do redis.call('ZREM', KEYS[i], ARGV[1]) end
  prune()
  return {n, others}
end
return {-1, others}
`);

// ARGV: 1 id, 2 lease ms. The call is placed (or may be): the PBX's list counts it from now on.
const RELEASE = script(`${LUA_NOW}${LUA_TIDY}
if redis.call('ZREM', KEYS[3], ARGV[1]) == 1 then
  redis.call('ZREM', KEYS[4], ARGV[1])
  local seq = redis.call('INCR', KEYS[6])
  redis.call('ZADD', KEYS[5], seq, ARGV[1])
  redis.call('PEXPIRE', KEYS[5], ARGV[2])
  redis.call('PEXPIRE', KEYS[6], ARGV[2])
end
prune()
return 1
`);

// ARGV: 1 id. Nothing was dialled: the reservation and its rate counts are given back.
const REFUND = script(`${LUA_NOW}${LUA_TIDY}
for i = 1, 4 do redis.call('ZREM', KEYS[i], ARGV[1]) end
prune()
return 1
`);

export interface RedisLimitsOptions {
  maxPerMinute: number;
  maxConcurrent: number;
  maxPerMinutePerPbx: number;
  /** How long a reservation may stay pending before it is taken for one whose server went away. */
  pendingLeaseMs: number;
}

/** A key part that cannot run into the next: PBX and user names are free text. */
const part = (s: string) => encodeURIComponent(s);

export class RedisLimits implements CallLimits {
  constructor(
    private readonly store: RedisStore,
    private readonly o: RedisLimitsOptions,
  ) {}

  async reserve(pbx: string, user: string, opts: ReserveOptions = {}): Promise<Slot> {
    // One hash tag per PBX: the keys of one script live together (what a Redis Cluster would need).
    const base = this.store.key(`{limits:${part(pbx)}}`);
    const u = `${base}:u:${part(user)}`;
    const keys = [`${u}:placed`, `${base}:placed`, `${u}:pending`, `${u}:leases`, `${u}:released`, `${u}:seq`];
    const id = randomBytes(12).toString('base64url');
    const mode = opts.rateOnly ? 'rate' : opts.listsCalls ? 'lists' : 'proxy';
    const [verdict, count] = (await this.store.eval(RESERVE, keys, [
      id,
      this.o.maxPerMinute,
      this.o.maxPerMinutePerPbx,
      this.o.maxConcurrent,
      mode,
      this.o.pendingLeaseMs,
      RATE_WINDOW_MS,
      CONCURRENCY_PROXY_MS,
    ])) as [string, number];
    if (verdict === 'user') throw rateRefusal('user', count, this.o.maxPerMinute);
    if (verdict === 'pbx') throw rateRefusal('pbx', count, this.o.maxPerMinutePerPbx);
    if (verdict === 'concurrency') throw concurrencyRefusal(count, 0, this.o.maxConcurrent);
    let settled = false;
    const settle = (s: typeof RELEASE, args: (string | number)[]) => {
      if (settled) return Promise.resolve();
      settled = true;
      return this.store.eval(s, keys, args).then(() => {});
    };
    return {
      checkActive: async (active: number) => {
        if (mode !== 'lists' || settled) return;
        const [n, others] = (await this.store.eval(CHECK, keys, [id, active, this.o.maxConcurrent])) as [number, number];
        if (n >= 0) {
          settled = true;
          throw concurrencyRefusal(n, others, this.o.maxConcurrent);
        }
      },
      // Only a reservation that counted in concurrency has anything to release.
      release: () => (mode === 'lists' ? settle(RELEASE, [id, this.o.pendingLeaseMs]) : ((settled = true), Promise.resolve())),
      refund: () => settle(REFUND, [id]),
    };
  }
}
