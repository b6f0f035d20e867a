/**
 * A vendor session token shared in Redis: the token (JSON, expiring with it), a lease per kind of request that
 * makes one (login, renew: SET NX PX, so one server asks the vendor and the others wait for what it shares), and a
 * refused login (expiring when it may be tried again). Redis then holds a live credential: protect it like one.
 */
import { shortDigest } from '../../util/digest.js';
import type { SharedRefusal, SharedToken, TokenShare } from '../../backends/tokens.js';
import { type RedisStore, script } from './store.js';

/** Forgets the token if it is still the one refused: another server may have shared a new one meanwhile. */
const DROP = script(`
local v = redis.call('GET', KEYS[1])
if v and cjson.decode(v).token == ARGV[1] then redis.call('DEL', KEYS[1]) return 1 end
return 0
`);

/** A token whose lifetime the vendor did not say is kept a day in the store (each server keeps it as long as it works). */
const UNKNOWN_LIFETIME_MS = 24 * 3600_000;

const finite = (n: number) => (Number.isFinite(n) ? n : null);
const infinite = (n: unknown) => (typeof n === 'number' ? n : Infinity);

export class RedisTokenShare implements TokenShare {
  private readonly base: string;

  constructor(private readonly store: RedisStore, scope: string) {
    this.base = store.key(`{token:${shortDigest(scope)}}`);
  }

  async read(): Promise<SharedToken | undefined> {
    const v = await this.store.run((c) => c.get(`${this.base}:token`));
    if (typeof v !== 'string') return undefined;
    const j = JSON.parse(v) as { token?: unknown; renewAt?: unknown; expiresAt?: unknown; acls?: unknown };
    if (typeof j.token !== 'string') return undefined;
    return {
      token: j.token,
      renewAt: infinite(j.renewAt),
      expiresAt: infinite(j.expiresAt),
      acls: Array.isArray(j.acls) ? j.acls.filter((a): a is string => typeof a === 'string') : undefined,
    };
  }

  async lease(kind: 'login' | 'renew', ms: number): Promise<boolean> {
    const r = await this.store.run((c) => c.set(`${this.base}:${kind}`, this.store.origin, { NX: true, PX: Math.ceil(ms) }));
    return r === 'OK';
  }

  async write(t: SharedToken): Promise<void> {
    const ttl = Number.isFinite(t.expiresAt) ? Math.max(1, Math.floor(t.expiresAt - Date.now())) : UNKNOWN_LIFETIME_MS;
    const value = JSON.stringify({ token: t.token, renewAt: finite(t.renewAt), expiresAt: finite(t.expiresAt), acls: t.acls });
    await this.store.run((c) => c.multi().set(`${this.base}:token`, value, { PX: ttl }).del([`${this.base}:login`, `${this.base}:renew`]).exec());
  }

  async drop(token: string): Promise<void> {
    await this.store.eval(DROP, [`${this.base}:token`], [token]);
  }

  async refuse(r: SharedRefusal): Promise<void> {
    const ttl = Math.max(1, Math.floor(r.until - Date.now()));
    await this.store.run((c) => c.set(`${this.base}:refused`, JSON.stringify(r), { PX: ttl }));
  }

  async refused(): Promise<SharedRefusal | undefined> {
    const v = await this.store.run((c) => c.get(`${this.base}:refused`));
    if (typeof v !== 'string') return undefined;
    const j = JSON.parse(v) as Partial<SharedRefusal>;
    return typeof j.message === 'string' && typeof j.until === 'number' ? { message: j.message, hint: j.hint, code: j.code, until: j.until } : undefined;
  }
}
