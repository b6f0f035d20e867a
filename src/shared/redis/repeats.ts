/**
 * The no-double-action window in Redis: one key per action begun, holding its window in ms and a mark, expiring
 * with the window; its age is the window minus what is left of it (Redis's clock alone: replicas need not agree on
 * the time). Checking and noting are one script, so two identical actions on two replicas cannot both pass.
 */
import { randomBytes } from 'node:crypto';
import type { RepeatCheck, RepeatLog } from '../../safety/repeat.js';
import { type RedisStore, script } from './store.js';

// KEYS: 1 the action's key. ARGV: 1 window ms, 2 the value to note (window:nonce). Returns {window, ms left} when
// begun before, else 0.
const BEGIN = script(`
local v = redis.call('GET', KEYS[1])
if v then
  local left = redis.call('PTTL', KEYS[1])
  if left > 0 then return {tonumber(string.match(v, '^[0-9]+')), left} end
end
redis.call('SET', KEYS[1], ARGV[2], 'PX', ARGV[1])
return 0
`);

// KEYS: 1 the action's key. ARGV: 1 the value it was noted with. Deleted only while it still holds that value.
const FORGET = script(`
if redis.call('GET', KEYS[1]) == ARGV[1] then redis.call('DEL', KEYS[1]) end
return 1
`);

/** A key's value: its window (read back by BEGIN for the age) and a nonce, so only its own noting forgets it. */
function noted(windowMs: number): { ms: number; mark: string } {
  const ms = Math.max(1, Math.ceil(windowMs));
  return { ms, mark: `${ms}:${randomBytes(9).toString('base64url')}` };
}

export class RedisRepeatLog implements RepeatLog {
  constructor(private readonly store: RedisStore) {}

  private key(key: string): string {
    return this.store.key(`repeat:${key}`);
  }

  async begin(key: string, windowMs: number): Promise<RepeatCheck> {
    const { ms, mark } = noted(windowMs);
    const r = await this.store.eval(BEGIN, [this.key(key)], [ms, mark]);
    if (Array.isArray(r)) return { ago: Math.max(0, Number(r[0]) - Number(r[1])) };
    return { mark };
  }

  async forget(key: string, mark: string): Promise<void> {
    await this.store.eval(FORGET, [this.key(key)], [mark]);
  }

  async again(key: string, windowMs: number): Promise<void> {
    const { ms, mark } = noted(windowMs);
    await this.store.run((c) => c.set(this.key(key), mark, { PX: ms }));
  }
}
