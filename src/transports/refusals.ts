/**
 * Requests refused before authentication (a foreign Host or Origin, a missing or wrong token) are anyone's to
 * send, as fast as they like: each kind is logged once per interval with a bounded sample of what was refused,
 * and the rest of the interval is one line with a count. They are process-wide records (no session), which the
 * server never forwards to a client as notifications/message (server.ts, registerLogging).
 * (Port note: transport-level only; the v2 transport can keep this as it is.)
 */
import type { Logger } from '../log.js';
import { cleanText } from '../safety/sanitize.js';

export const REFUSAL_LOG_INTERVAL_MS = 60_000;
/** Characters of the refused value (a Host header, an Origin) a log line shows. */
const SAMPLE_CHARS = 100;

interface Kind {
  /** When the current interval started; undefined when none is open. */
  since?: number;
  /** Refusals in the current interval after the one logged. */
  more: number;
  timer?: NodeJS.Timeout;
}

export class RefusalLog {
  private readonly kinds = new Map<string, Kind>();

  constructor(
    private readonly log: Logger,
    private readonly intervalMs = REFUSAL_LOG_INTERVAL_MS,
  ) {}

  /** One refused request: `what` names the kind ("a foreign Host header"), `value` what was refused. */
  refused(what: string, field: string, value: string | undefined): void {
    let k = this.kinds.get(what);
    if (!k) this.kinds.set(what, (k = { more: 0 }));
    if (k.since !== undefined) {
      k.more++;
      return;
    }
    k.since = Date.now();
    this.log.warn(`refused a request with ${what}`, {
      [field]: value === undefined ? undefined : cleanText(value, SAMPLE_CHARS),
      ...(value !== undefined && value.length > SAMPLE_CHARS ? { length: value.length } : {}),
      note: `further ones are counted for ${Math.round(this.intervalMs / 1000)} s`,
    });
    k.timer = setTimeout(() => this.close(what), this.intervalMs).unref();
  }

  private close(what: string): void {
    const k = this.kinds.get(what);
    if (!k) return;
    if (k.more > 0) this.log.warn(`refused ${k.more} more request${k.more === 1 ? '' : 's'} with ${what}`, { seconds: Math.round(this.intervalMs / 1000) });
    this.kinds.delete(what);
  }

  stop(): void {
    for (const [what, k] of this.kinds) {
      clearTimeout(k.timer);
      this.close(what);
    }
  }
}
