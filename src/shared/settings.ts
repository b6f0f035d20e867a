/**
 * The `shared` config key: the store the servers of a deployment share (Redis), how long any of its commands may
 * take, and the name of this server among them. TELEPHONY_MCP_REDIS_URL and TELEPHONY_MCP_REPLICA stand in for the
 * keys left out. A password in the URL is a secret: registered with the redactor, never shown (messages and logs
 * name the store by its address only).
 */
import { z } from 'zod';
import { addSecret } from '../safety/redact.js';

export const REDIS_URL_ENV = 'TELEPHONY_MCP_REDIS_URL';
export const REPLICA_ENV = 'TELEPHONY_MCP_REPLICA';

/** A redis:// or rediss:// URL. Messages never repeat it: it may carry a password. */
const RedisUrl = z.string().superRefine((v, ctx) => {
  const u = URL.canParse(v) ? new URL(v) : undefined;
  if (!u || !['redis:', 'rediss:'].includes(u.protocol) || !u.hostname) {
    ctx.addIssue({ code: 'custom', message: 'a redis:// or rediss:// URL, e.g. redis://:password@redis.internal:6379/0' });
    return;
  }
  if (u.search || u.hash) ctx.addIssue({ code: 'custom', message: 'a Redis URL without ?query or #fragment (TLS: rediss://)' });
  if (u.pathname.length > 1 && !/^\/(?:[0-9]|1[0-5])$/.test(u.pathname)) {
    ctx.addIssue({ code: 'custom', message: 'the database after the address is a number from 0 to 15 (redis://host:6379/0)' });
  }
});

/** Names a server in its legacy session ids, so a load balancer can send a session's requests back to it. */
const Replica = z.string().regex(/^[a-z0-9][a-z0-9-]{0,31}$/, 'lower-case letters, digits and "-", at most 32 (e.g. "r1")');

export const SharedConfig = z.strictObject({
  redisUrl: RedisUrl.optional().describe(
    `Redis the servers of a deployment share (claims, limits, polls, tokens, changes, recent audit); default: ${REDIS_URL_ENV}; unset: this server keeps everything in memory`,
  ),
  keyPrefix: z
    .string()
    .regex(/^[A-Za-z0-9_.:-]{1,64}$/, 'letters, digits and _ . : - (at most 64)')
    .default('telephony-mcp:')
    .describe('Prefix of every key and channel (several deployments can share one Redis with different prefixes)'),
  commandTimeoutMs: z.number().int().min(10).max(10_000).default(1000).describe('Deadline of every Redis command, in milliseconds'),
  replica: Replica.optional().describe(`This server's name in the deployment (default: ${REPLICA_ENV}): legacy session ids start with it, for sticky routing`),
});
export type SharedConfig = z.infer<typeof SharedConfig>;

export interface SharedSettings {
  /** Undefined: this server is on its own (everything in memory, no Redis needed). */
  url?: string | undefined;
  /** The store as messages and logs name it: scheme, host, port and database, never a password. */
  where?: string | undefined;
  prefix: string;
  timeoutMs: number;
  replica?: string | undefined;
}

/** The store's address without credentials: redis://host:6379/0. */
export function describeRedisUrl(url: string): string {
  const u = new URL(url);
  return `${u.protocol}//${u.host}${u.pathname.length > 1 ? u.pathname : ''}`;
}

/**
 * The settings from the config, with the environment standing in for what it leaves out; the password of the URL
 * (and the whole URL) registered as secrets. Throws naming the variable and the fix.
 */
export function sharedSettings(config: SharedConfig, env: NodeJS.ProcessEnv): SharedSettings {
  let url = config.redisUrl;
  if (url === undefined && env[REDIS_URL_ENV]) {
    const r = RedisUrl.safeParse(env[REDIS_URL_ENV]);
    if (!r.success) throw new Error(`${REDIS_URL_ENV}: ${r.error.issues[0]?.message ?? 'not a Redis URL'} (or unset it to keep everything in this server's memory)`);
    url = r.data;
  }
  let replica = config.replica;
  if (replica === undefined && env[REPLICA_ENV]) {
    const r = Replica.safeParse(env[REPLICA_ENV]);
    if (!r.success) throw new Error(`${REPLICA_ENV}: ${r.error.issues[0]?.message ?? 'not a server name'}`);
    replica = r.data;
  }
  if (url !== undefined) {
    const u = new URL(url);
    // Only its credentials are secret: the address alone is what messages name the store by.
    if (u.password || u.username) addSecret(url);
    if (u.password) addSecret(decodeURIComponent(u.password));
  }
  return { url, where: url === undefined ? undefined : describeRedisUrl(url), prefix: config.keyPrefix, timeoutMs: config.commandTimeoutMs, replica };
}
