/**
 * The connection to the deployment's Redis (node-redis, @redis/client): one client for commands and one for
 * pub/sub. Every command has a deadline (commandTimeoutMs, also while its reply is awaited); while Redis is
 * unreachable no command is queued (it fails at once), the client reconnects with backoff, and a ping every second
 * notices a Redis that accepts connections but no longer answers. Every failure is a SharedStoreError naming the
 * store by its address. The outage and the recovery are logged once each, never per attempt.
 */
import { createHash, randomBytes } from 'node:crypto';
import { createClient, ErrorReply, TimeoutError, TimeoutReadError } from '@redis/client';
import type { Logger } from '../../log.js';
import { SharedStoreError } from '../errors.js';

/** A Lua script, run by its SHA1 (and sent whole the first time a Redis does not know it). */
export interface Script {
  lua: string;
  sha: string;
}

export function script(lua: string): Script {
  return { lua, sha: createHash('sha1').update(lua).digest('hex') };
}

export interface RedisStoreOptions {
  url: string;
  /** The store as messages name it (no password). */
  where: string;
  prefix: string;
  timeoutMs: number;
  log: Logger;
}

const PING_MS = 1000;

type Client = ReturnType<typeof createClient>;

export class RedisStore {
  readonly client: Client;
  readonly subscriber: Client;
  /** Names this process among the deployment's servers (bus messages it sent itself are not delivered twice). */
  readonly origin = randomBytes(9).toString('base64url');
  /** A command timed out, and none answered since: Redis accepts connections but does not answer. */
  private stalled = false;
  /** What must be done on every new connection before actions may use it (see prepare). */
  private readonly hooks: (() => Promise<unknown>)[] = [];
  /** The hooks ran on the current connection. */
  private prepared = false;
  private preparing = false;
  private outage: string | undefined;
  private readonly pinger: NodeJS.Timeout;
  private closed = false;

  constructor(private readonly o: RedisStoreOptions) {
    this.client = createClient({
      url: o.url,
      name: 'telephony-mcp',
      // Fail at once while disconnected: an action must be refused within its deadline, not wait for a reconnect.
      disableOfflineQueue: true,
      commandOptions: { timeout: o.timeoutMs, rejectInFlight: true },
      socket: {
        connectTimeout: Math.max(o.timeoutMs, 1000),
        // Keep trying, at most a second apart (with jitter): actions resume soon after Redis is back.
        reconnectStrategy: (retries: number) => Math.min(50 * 2 ** retries, 1000) + Math.floor(Math.random() * 100),
      },
    });
    this.subscriber = this.client.duplicate();
    this.client.on('error', (e: Error) => {
      this.prepared = false;
      this.down(e);
    });
    this.client.on('ready', () => {
      this.prepared = false;
      void this.runHooks();
    });
    // The subscriber's own failures show on the main client too; it reconnects and resubscribes by itself.
    this.subscriber.on('error', () => {});
    this.pinger = setInterval(() => {
      if (this.client.isReady && !this.prepared) void this.runHooks();
      else void this.run((c) => c.ping()).catch(() => {});
    }, PING_MS);
    this.pinger.unref();
  }

  get where(): string {
    return this.o.where;
  }

  get timeoutMs(): number {
    return this.o.timeoutMs;
  }

  /**
   * `hook` runs on every new connection (the first, and each after a reconnection) before the store counts as ready:
   * no action can start on a connection that was not prepared (claims mark their epoch this way).
   */
  prepare(hook: () => Promise<unknown>): void {
    this.hooks.push(hook);
    if (this.client.isReady) {
      this.prepared = false;
      void this.runHooks();
    }
  }

  private async runHooks(): Promise<void> {
    if (this.preparing) return;
    this.preparing = true;
    try {
      for (const h of this.hooks) await h();
      this.prepared = this.client.isReady;
      this.up();
    } catch (e) {
      // Tried again by the next ping.
      this.down(e as Error);
    } finally {
      this.preparing = false;
    }
  }

  /** Connects both clients; resolves once ready, or after `waitMs` (it goes on trying in the background). */
  async open(waitMs: number): Promise<boolean> {
    void Promise.all([this.client.connect(), this.subscriber.connect()]).catch(() => {});
    const end = Date.now() + waitMs;
    while (!(this.ready && this.subscriber.isReady) && Date.now() < end) await new Promise((r) => setTimeout(r, 10));
    if (!this.ready) this.down(new Error('no connection yet'));
    return this.ready;
  }

  /** A key (or channel) of this deployment. */
  key(name: string): string {
    return `${this.o.prefix}${name}`;
  }

  /** Whether actions can be coordinated now: connected, prepared, and answering. */
  get ready(): boolean {
    return this.client.isReady && this.prepared && !this.stalled;
  }

  /** Throws the store's error when it is known not to be ready. */
  gate(): void {
    if (!this.ready) throw this.error(this.stalled ? `did not answer within ${this.o.timeoutMs} ms` : 'is unreachable');
  }

  /**
   * What every action awaits before it starts: refused at once when the store is known to be away, else a ping. The
   * ping is not skipped when other commands answered a moment ago: a Redis stopped since may not have been noticed
   * yet, and an action that coordinates nothing else (set_dnd) would then go ahead (the e2e test caught that).
   */
  async check(): Promise<void> {
    this.gate();
    await this.run((c) => c.ping());
  }

  /** Runs commands against the store; any failure becomes a SharedStoreError. */
  async run<T>(op: (c: Client) => Promise<T>): Promise<T> {
    if (!this.client.isReady) throw this.error('is unreachable');
    try {
      const r = await op(this.client);
      if (this.stalled) {
        this.stalled = false;
        this.up();
      }
      return r;
    } catch (e) {
      if (e instanceof TimeoutReadError || e instanceof TimeoutError) {
        this.stalled = true;
        this.down(e as Error);
        throw this.error(`did not answer within ${this.o.timeoutMs} ms`, e);
      }
      if (e instanceof ErrorReply) throw this.error(`answered with an error (${e.message.slice(0, 200)})`, e);
      if (!this.client.isReady) throw this.error('is unreachable', e);
      throw this.error(`failed (${(e as Error).message.slice(0, 200)})`, e);
    }
  }

  /** Runs a Lua script by its SHA1, loading it when this Redis does not know it yet (a new or restarted one). */
  eval(s: Script, keys: string[], args: (string | number)[]): Promise<unknown> {
    const options = { keys, arguments: args.map(String) };
    return this.run(async (c) => {
      try {
        return await c.evalSha(s.sha, options);
      } catch (e) {
        if (e instanceof ErrorReply && e.message.startsWith('NOSCRIPT')) return c.eval(s.lua, options);
        throw e;
      }
    });
  }

  error(why: string, cause?: unknown): SharedStoreError {
    return new SharedStoreError(this.o.where, why, cause);
  }

  private down(e: Error): void {
    if (this.closed || this.outage !== undefined) return;
    this.outage = e.message;
    this.o.log.warn(`the shared store (Redis at ${this.o.where}) cannot be used: actions are refused until it answers again; reads go on`, {
      error: e.message,
    });
  }

  private up(): void {
    if (this.outage === undefined || this.closed || !this.ready) return;
    this.outage = undefined;
    this.o.log.info(`the shared store (Redis at ${this.o.where}) answers again: actions resume`);
  }

  async close(): Promise<void> {
    this.closed = true;
    clearInterval(this.pinger);
    // Closing waits for replies still due; a Redis that does not answer is not waited for.
    const quit = (c: Client) =>
      c.isOpen ? Promise.race([c.close(), new Promise<void>((r) => setTimeout(r, this.o.timeoutMs).unref())]).catch(() => {}) : undefined;
    await Promise.all([quit(this.client), quit(this.subscriber)]);
    for (const c of [this.client, this.subscriber]) if (c.isOpen) c.destroy();
  }
}
