/**
 * The audit trail: one JSON line per state-changing tool call (done, refused, unconfirmed or failed), with
 * secrets redacted. Lines are appended without blocking the tool call; a failed write is logged, never
 * silently dropped. The last entries stay in memory for the audit://recent resource.
 */
import { createWriteStream, type WriteStream } from 'node:fs';
import type { Logger } from '../log.js';
import { redact, redactValue } from './redact.js';
import type { ConfirmOutcome } from './confirm.js';

export interface AuditEntry {
  time: string;
  session: string;
  client?: string | undefined;
  tool: string;
  pbx?: string | undefined;
  user?: string | undefined;
  args: unknown;
  confirmation: ConfirmOutcome;
  outcome: 'done' | 'confirmation_required' | 'not_confirmed' | 'refused' | 'error';
  result?: string | undefined;
  error?: { kind: string; message: string } | undefined;
}

export class Audit {
  private readonly recentEntries: AuditEntry[] = [];
  private stream: WriteStream | undefined;
  private failed = false;
  private readonly listeners = new Set<() => void>();

  constructor(
    private readonly file: string,
    private readonly keep: number,
    private readonly log: Logger,
  ) {}

  private open(): WriteStream | undefined {
    if (this.file === '-' || this.failed) return undefined;
    if (!this.stream) {
      this.stream = createWriteStream(this.file, { flags: 'a', mode: 0o600 });
      this.stream.on('error', (e) => {
        this.failed = true;
        this.stream = undefined;
        this.log.error('audit: cannot write the audit file; audit lines go to the log from now on', {
          file: this.file,
          error: (e as NodeJS.ErrnoException).code ?? e.message,
        });
      });
    }
    return this.stream;
  }

  record(entry: Omit<AuditEntry, 'time'>): AuditEntry {
    const e: AuditEntry = {
      time: new Date().toISOString(),
      ...entry,
      args: redactValue(entry.args),
      ...(entry.result !== undefined ? { result: redact(entry.result) } : {}),
      ...(entry.error ? { error: { kind: entry.error.kind, message: redact(entry.error.message) } } : {}),
    };
    this.recentEntries.push(e);
    if (this.recentEntries.length > this.keep) this.recentEntries.splice(0, this.recentEntries.length - this.keep);
    const line = redact(JSON.stringify(e));
    const stream = this.open();
    if (stream) stream.write(`${line}\n`);
    else if (this.file === '-') process.stderr.write(`AUDIT ${line}\n`);
    else this.log.warn('audit (file unavailable)', { entry: line });
    for (const l of this.listeners) l();
    return e;
  }

  recent(): AuditEntry[] {
    return [...this.recentEntries];
  }

  onRecord(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  close(): Promise<void> {
    const s = this.stream;
    this.stream = undefined;
    return new Promise((resolve) => (s ? s.end(resolve) : resolve()));
  }
}
