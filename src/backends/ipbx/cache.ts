/**
 * One answer per query per interval, whoever asks: every read of a query (tool calls of any session, resource
 * reads, the subscription poller) shares the answer fetched within the last `intervalMs`, and reads that come
 * while a fetch is under way wait for that same fetch. The interval runs from the START of a fetch, so two
 * requests for the same query never start closer than `intervalMs` apart, failures included (a failed answer
 * is shared for the interval too): the vendor asks for no more than one poll every 3 seconds.
 *
 * A fetch belongs to no caller: a caller that gives up (its signal aborts) stops waiting, and the fetch goes on
 * for the others. The clock is injectable so tests move time instead of waiting.
 */
import { BackendError } from '../../errors.js';

export interface CacheClock {
  now(): number;
}

interface Entry<T> {
  startedAt: number;
  promise: Promise<T>;
  settled: boolean;
}

export class PollCache<T> {
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
