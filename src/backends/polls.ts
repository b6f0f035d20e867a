/**
 * Polled vendor APIs: one answer per query per interval, whoever asks. PollCache is the floor of one process;
 * SharedPollCache holds it for a whole deployment of servers, over a PollLeases store (src/shared/redis/polls.ts).
 *
 * PollCache: one answer per query per interval, whoever asks: every read of a query (tool calls of any session, resource
 * reads, the subscription poller) shares the answer fetched within the last `intervalMs`, and reads that come
 * while a fetch is under way wait for that same fetch. The interval runs from the START of a fetch, so two
 * requests for the same query never start closer than `intervalMs` apart, failures included (a failed answer
 * is shared for the interval too): the vendor asks for no more than one poll every 3 seconds.
 *
 * A fetch belongs to no caller: a caller that gives up (its signal aborts) stops waiting, and the fetch goes on
 * for the others. The clock is injectable so tests move time instead of waiting.
 */
import { randomBytes } from 'node:crypto';
import type { Logger } from '../log.js';
import { BackendError, type ErrorKind } from '../errors.js';

export interface CacheClock {
  now(): number;
}

interface Entry<T> {
  startedAt: number;
  promise: Promise<T>;
  settled: boolean;
}

/** Answers to queries, each fetched at most once per interval: what a polling backend reads through. */
export interface PollSource<T> {
  /** The answer to `key`: shared if fresh or under way, else fetched now with `load`. */
  get(key: string, load: () => Promise<T>, signal?: AbortSignal): Promise<T>;
  /** Fetches this server started so far (for diagnostics and tests). */
  readonly fetchCount: number;
  clear(): void;
}

export class PollCache<T> implements PollSource<T> {
  private readonly entries = new Map<string, Entry<T>>();
  private fetches = 0;

  constructor(
    private readonly clock: CacheClock,
    readonly intervalMs: number,
  ) {}

  /** The answer to `key`: shared if fresh or under way, else fetched now with `load`. */
  get(key: string, load: () => Promise<T>, signal?: AbortSignal): Promise<T> {
    const now = this.clock.now();
    let e = this.entries.get(key);
    if (!e || (e.settled && now - e.startedAt >= this.intervalMs)) {
      this.fetches++;
      const promise = (async () => load())();
      const entry: Entry<T> = { startedAt: now, settled: false, promise };
      const done = () => void (entry.settled = true);
      promise.then(done, done);
      this.entries.set(key, (e = entry));
    }
    return signal ? abortable(e.promise, signal) : e.promise;
  }

  /** Fetches started so far (for diagnostics and tests). */
  get fetchCount(): number {
    return this.fetches;
  }

  clear(): void {
    this.entries.clear();
  }
}

/**
 * The poll of a query for a deployment: a lease that whoever fetches takes for the interval (so no two fetches of
 * the query start closer than that, on any server), and the answer its holder publishes for the others.
 */
export interface PollLeases {
  /**
   * Takes the lease of `key` as `token` for `intervalMs` unless a holder has it: returns the holder (`token` itself
   * when taken), the answer published under the lease (any holder's, latest), and how long the lease still runs.
   * Rejects when the store cannot be reached.
   */
  take(key: string, token: string, intervalMs: number): Promise<{ holder: string; answer?: string | undefined; ttlMs: number }>;
  /**
   * Publishes the answer of `key` fetched under `token`, kept `keepMs`, and renews the lease of `token` (if it still
   * holds it) for `intervalMs` from now: the lease counted from its taking, a request that left late after it (a
   * busy event loop) could reach the PBX less than an interval before the next one; counted from the answer, no
   * two requests reach the PBX closer than the interval, whatever their delays.
   */
  publish(key: string, token: string, answer: string, keepMs: number, intervalMs: number): Promise<void>;
}

/** An answer as published: the lease it was fetched under, and the value or the error. */
type Published<T> = { t: string; ok: true; v: T } | { t: string; ok: false; e: { kind: ErrorKind; message: string; hint?: string | undefined; code?: string | undefined } };

interface SharedEntry<T> {
  promise: Promise<T>;
  settled: boolean;
  /** Local clock: the answer is shared until then (the lease's end). */
  until: number;
}

/**
 * PollCache for a deployment. A read within the interval of the last answer this server saw is served from it;
 * otherwise the lease decides: its holder fetches and publishes, the others read what it published, or wait for it
 * (a holder that dies leaves a lease that lapses within the interval, and the next reader takes over). Concurrent
 * readers on one server share one such round, as with PollCache. When the store cannot be reached, this server
 * falls back to its own floor (one fetch per query per interval for this server) until it answers again.
 * Answers must be JSON data; errors are shared as BackendErrors (kind, message, hint, code).
 */
export class SharedPollCache<T> implements PollSource<T> {
  private readonly entries = new Map<string, SharedEntry<T>>();
  private readonly local: PollCache<T>;
  private fetches = 0;
  private rounds = 0;
  private readonly id = randomBytes(9).toString('base64url');
  private storeDown = false;

  constructor(
    private readonly leases: PollLeases,
    private readonly clock: CacheClock,
    readonly intervalMs: number,
    /** How long a reader waits for another server's answer (its PBX deadline, plus an interval for a takeover). */
    private readonly maxWaitMs: number,
    private readonly log: Logger,
  ) {
    this.local = new PollCache(clock, intervalMs);
  }

  get(key: string, load: () => Promise<T>, signal?: AbortSignal): Promise<T> {
    let e = this.entries.get(key);
    if (!e || (e.settled && this.clock.now() >= e.until)) {
      const entry: SharedEntry<T> = { settled: false, until: 0, promise: Promise.resolve() as Promise<T> };
      entry.promise = this.round(key, load, entry);
      const done = () => void (entry.settled = true);
      entry.promise.then(done, done);
      this.entries.set(key, (e = entry));
    }
    return signal ? abortable(e.promise, signal) : e.promise;
  }

  get fetchCount(): number {
    return this.fetches + this.local.fetchCount;
  }

  clear(): void {
    this.entries.clear();
    this.local.clear();
  }

  private async round(key: string, load: () => Promise<T>, entry: SharedEntry<T>): Promise<T> {
    const token = `${this.id}.${++this.rounds}`;
    const giveUpAt = this.clock.now() + this.maxWaitMs;
    for (let delay = 10; ; delay = Math.min(delay * 2, 200)) {
      let lease: Awaited<ReturnType<PollLeases['take']>>;
      try {
        lease = await this.leases.take(key, token, this.intervalMs);
      } catch (e) {
        if (!this.storeDown) {
          this.storeDown = true;
          // The store logs the outage once for the whole server; each cache only notes its own fallback.
          this.log.debug('the shared store is unreachable: this server polls the PBX on its own floor until it answers again', { error: (e as Error).message });
        }
        // Read again through the store next time; this server's own floor holds meanwhile.
        entry.until = this.clock.now();
        return this.local.get(key, load);
      }
      if (this.storeDown) {
        this.storeDown = false;
        this.log.debug('the shared store answers again: polls are shared by the deployment again');
      }
      if (lease.holder === token) return this.fetch(key, token, load, entry);
      const published = lease.answer === undefined ? undefined : (JSON.parse(lease.answer) as Published<T>);
      if (published?.t === lease.holder) {
        entry.until = this.clock.now() + lease.ttlMs;
        if (published.ok) return published.v;
        throw new BackendError(published.e.kind, published.e.message, { hint: published.e.hint, code: published.e.code });
      }
      // Another server is fetching (or died fetching: its lease lapses within the interval, and this one takes over).
      if (this.clock.now() >= giveUpAt) {
        throw new BackendError('unavailable', `another server of this deployment is reading the PBX and has not shared its answer within ${this.maxWaitMs} ms`);
      }
      await new Promise((r) => setTimeout(r, Math.max(1, Math.min(delay, lease.ttlMs))));
    }
  }

  private async fetch(key: string, token: string, load: () => Promise<T>, entry: SharedEntry<T>): Promise<T> {
    this.fetches++;
    entry.until = this.clock.now() + this.intervalMs;
    let published: Published<T>;
    try {
      published = { t: token, ok: true, v: await load() };
    } catch (e) {
      const err = e instanceof BackendError ? e : new BackendError('unavailable', 'reading the PBX failed unexpectedly', { cause: e });
      published = { t: token, ok: false, e: { kind: err.kind, message: err.message, hint: err.hint, code: err.code } };
      void this.share(key, published);
      throw e;
    }
    void this.share(key, published);
    return published.v;
  }

  private async share(key: string, published: Published<T>): Promise<void> {
    try {
      // Kept past the lease, so a reader whose lease check raced the end of it still finds the answer.
      await this.leases.publish(key, published.t, JSON.stringify(published), this.intervalMs * 2 + 60_000, this.intervalMs);
    } catch (e) {
      // The others wait for the lease to lapse and fetch themselves: one more poll in that interval, never two at once.
      this.log.warn('could not share a PBX answer with the other servers', { error: (e as Error).message });
    }
  }
}

function cancelled(): BackendError {
  return new BackendError('unavailable', 'the read was cancelled before the PBX answered');
}

/** `p`, or a rejection as soon as `signal` aborts (the work behind `p` goes on). */
function abortable<T>(p: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) return Promise.reject(cancelled());
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(cancelled());
    signal.addEventListener('abort', onAbort, { once: true });
    p.then(
      (v) => {
        signal.removeEventListener('abort', onAbort);
        resolve(v);
      },
      (e: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(e);
      },
    );
  });
}
