/**
 * When the board reads the PBX again. Pure (timers and clock injected): the view and the tests use it.
 *
 * Reads start at least one interval apart, the interval being the PBX's own pace as the server knows it (the
 * resource watcher's: IPPS caches each query for its poll interval, XUC asks for 5 s). After a failed round the
 * wait doubles up to a minute, with jitter, like the server's own retries of reads; one good round resets it. An
 * action asks for a read "soon": as soon as the pace allows, never sooner.
 */

export const MAX_BACKOFF_MS = 60_000;
/** The pace when the server named none for this PBX. */
export const FALLBACK_PACE_MS = 5_000;
/** No PBX is read more often than this, whatever a page says. */
export const MIN_PACE_MS = 1_000;

/** The wait before the next round after `failures` failed rounds in a row. */
export function nextDelay(intervalMs: number, failures: number, random: () => number = Math.random): number {
  if (failures <= 0) return intervalMs;
  const backoff = Math.min(MAX_BACKOFF_MS, intervalMs * 2 ** Math.min(failures, 6));
  return Math.max(intervalMs, Math.round(backoff * (0.75 + random() * 0.5)));
}

/** The pace of `pbx` from the page's settings (`{pace: {pbx: ms}}`); unknown PBX: the slowest one named. */
export function paceOf(settings: unknown, pbx: string | undefined): number {
  const pace = (settings as { pace?: unknown } | undefined)?.pace;
  const table = pace && typeof pace === 'object' ? (pace as Record<string, unknown>) : {};
  const valid = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v) && v > 0;
  const own = pbx !== undefined && Object.hasOwn(table, pbx) ? table[pbx] : undefined;
  const ms = valid(own) ? own : Math.max(FALLBACK_PACE_MS, ...Object.values(table).filter(valid));
  return Math.max(MIN_PACE_MS, ms);
}

export interface PollerDeps {
  now(): number;
  setTimer(fn: () => void, ms: number): unknown;
  clearTimer(t: unknown): void;
  random?: () => number;
}

/**
 * Runs `round` over and over at the pace. `round` resolves true when it read something and false when every read
 * in it failed (then the next one waits longer); it should not throw, but a throw counts as a failure.
 */
export class Poller {
  private timer: unknown;
  private running = false;
  private stopped = true;
  private lastStart = -Infinity;
  /** Failed rounds in a row. */
  failures = 0;
  /** When the next round is due (ms, the deps' clock), for the status line. */
  dueAt: number | undefined;

  constructor(
    private readonly round: () => Promise<boolean>,
    private readonly interval: () => number,
    private readonly deps: PollerDeps,
  ) {}

  /**
   * Start: now, or as soon as the pace allows after the last round, or after `readAt` when the PBX was just read
   * another way (the tool call whose result opened the view).
   */
  start(readAt?: number): void {
    if (readAt !== undefined) this.lastStart = Math.max(this.lastStart, readAt);
    if (!this.stopped) return;
    this.stopped = false;
    this.soon();
  }

  stop(): void {
    this.stopped = true;
    this.dueAt = undefined;
    if (this.timer !== undefined) this.deps.clearTimer(this.timer);
    this.timer = undefined;
  }

  /** A round as soon as the pace allows (after an action, say). A round under way is not doubled. */
  soon(): void {
    if (this.stopped || this.running) return;
    this.schedule(Math.max(0, this.lastStart + this.interval() - this.deps.now()));
  }

  private schedule(ms: number): void {
    if (this.timer !== undefined) this.deps.clearTimer(this.timer);
    this.dueAt = this.deps.now() + ms;
    this.timer = this.deps.setTimer(() => void this.tick(), ms);
  }

  private async tick(): Promise<void> {
    this.timer = undefined;
    if (this.stopped || this.running) return;
    this.running = true;
    this.lastStart = this.deps.now();
    let ok = false;
    try {
      ok = await this.round();
    } catch {
      ok = false;
    }
    this.running = false;
    this.failures = ok ? 0 : this.failures + 1;
    if (this.stopped) return;
    const wait = nextDelay(this.interval(), this.failures, this.deps.random);
    this.schedule(Math.max(0, this.lastStart + wait - this.deps.now()));
  }
}
