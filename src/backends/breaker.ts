/**
 * The circuit breaker of one PBX's HTTP client: after `threshold` consecutive failures that say the PBX is away,
 * requests fail fast for `openMs`; then one request goes through as a trial (others wait for it), and its result
 * closes the circuit or opens it again. A failure that does not count (a refusal: the PBX answered) neither counts
 * nor resets while closed, and ends a trial as a success would.
 *
 * Hand-written: it replaced cockatiel, of which only the breaker was used (retries and their backoff, bound by
 * the request's deadline and for reads only, are in http.ts).
 */

/** Thrown instead of running the request while the circuit is open. */
export class CircuitOpenError extends Error {
  constructor() {
    super('the circuit is open');
  }
}

export interface BreakerOptions {
  /** Consecutive counted failures that open the circuit. */
  threshold: number;
  /** How long it stays open before a trial. */
  openMs: number;
  /** Whether a failure counts (the PBX is away), rather than being an answer. */
  counts(e: unknown): boolean;
  onBreak(): void;
  onReset(): void;
  now?: () => number;
}

export class Breaker {
  private failures = 0;
  private openedAt: number | undefined;
  /** Settles when the trial of a half-open circuit has (without its outcome). */
  private trial: Promise<void> | undefined;

  constructor(private readonly o: BreakerOptions) {}

  private now(): number {
    return (this.o.now ?? Date.now)();
  }

  async execute<T>(fn: () => Promise<T>): Promise<T> {
    while (this.trial) await this.trial;
    if (this.openedAt === undefined) return this.run(fn, false);
    if (this.now() - this.openedAt < this.o.openMs) throw new CircuitOpenError();
    const outcome = this.run(fn, true);
    this.trial = outcome.then(
      () => undefined,
      () => undefined,
    );
    void this.trial.then(() => (this.trial = undefined));
    return outcome;
  }

  private async run<T>(fn: () => Promise<T>, trial: boolean): Promise<T> {
    let value: T;
    try {
      value = await fn();
    } catch (e) {
      if (!this.o.counts(e)) {
        if (trial) this.close();
      } else if (trial || ++this.failures >= this.o.threshold) {
        this.open();
      }
      throw e;
    }
    if (trial) this.close();
    else this.failures = 0;
    return value;
  }

  private open(): void {
    this.openedAt = this.now();
    this.failures = 0;
    this.o.onBreak();
  }

  private close(): void {
    this.openedAt = undefined;
    this.failures = 0;
    this.o.onReset();
  }
}
