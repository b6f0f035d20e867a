/**
 * The audit trail: one JSON line per state-changing tool call (done, refused, unconfirmed or failed), with
 * secrets redacted. Lines are appended without blocking the tool call; a failed write is logged, never
 * silently dropped. The last entries stay in memory for the audit://recent resource.
 */
import { createHash } from 'node:crypto';
import { createWriteStream, mkdirSync, type WriteStream } from 'node:fs';
import { dirname } from 'node:path';
import type { Logger } from '../log.js';
import { redact, redactValue } from './redact.js';
import { cleanText } from './sanitize.js';
import type { ConfirmOutcome } from './confirm.js';

export interface AuditEntry {
  time: string;
  /** The session (2025-11-25 clients) or request (2026-07-28 clients) the call came in. */
  session: string;
  /** Who called: the id of the principal (token:<name>, local, process:<uuid>); audit://recent shows a caller its own. */
  principal: string;
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

/**
 * An argument string too long to keep in an audit entry (an import_csv CSV, a long note), stored in its place as
 * this JSON object: the SHA-256 of the text (hex, of its UTF-8 bytes; in the file line taken after secrets were
 * masked, so it matches the original whenever nothing in it was masked), its length in UTF-16 code units (JavaScript's
 * String.length), its line count (\r\n, \r and \n each end a line; a last line without a break counts), and
 * its first characters, cleaned as a single-line field (at most AUDIT_LIMITS.start, ending in "…" when cut).
 */
export interface AuditSummary {
  sha256: string;
  chars: number;
  lines: number;
  start: string;
}

/** Bounds on what an entry keeps: every entry stays a few KB, however large the arguments (a 2 MB CSV). */
export const AUDIT_LIMITS = {
  /** Longer argument strings become an AuditSummary. */
  string: 200,
  /** Characters of the summary's `start`, "…" included. */
  start: 40,
  /** Array items kept; the rest are counted in a last item, "… N more items". */
  items: 20,
  /** Object keys kept; the rest are counted under the key "…", as "N more keys". */
  keys: 30,
  /** Key length. */
  key: 64,
  /** Nesting depth of objects and arrays; a deeper one becomes the AuditSummary of its JSON text. */
  depth: 4,
  /** The JSON text of all arguments: over this, the arguments as a whole become the AuditSummary of it. */
  args: 8_192,
  /** session, client, tool, pbx, user and error kind. */
  field: 200,
  /** The result summary and the error message. */
  text: 2_000,
} as const;

function lineCount(s: string): number {
  let n = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c === 10 || (c === 13 && s.charCodeAt(i + 1) !== 10)) n++;
  }
  const last = s.charCodeAt(s.length - 1);
  return s.length && last !== 10 && last !== 13 ? n + 1 : n;
}

export function summarize(s: string): AuditSummary {
  return {
    sha256: createHash('sha256').update(s, 'utf8').digest('hex'),
    chars: s.length,
    lines: lineCount(s),
    start: cleanText(s.slice(0, AUDIT_LIMITS.start * 4), AUDIT_LIMITS.start),
  };
}

/** A bounded copy of (already redacted) arguments: see AUDIT_LIMITS. */
export function boundArgs(args: unknown): unknown {
  const L = AUDIT_LIMITS;
  const walk = (v: unknown, depth: number): unknown => {
    if (typeof v === 'string') return v.length > L.string ? summarize(v) : v;
    if (v === null || typeof v !== 'object') return typeof v === 'bigint' ? String(v) : v;
    if (depth >= L.depth) return summarize(JSON.stringify(v) ?? '');
    if (Array.isArray(v)) {
      const out = v.slice(0, L.items).map((x) => walk(x, depth + 1));
      if (v.length > L.items) out.push(`… ${v.length - L.items} more items`);
      return out;
    }
    const entries = Object.entries(v);
    const out: Record<string, unknown> = {};
    for (const [k, x] of entries.slice(0, L.keys)) out[k.length > L.key ? cleanText(k, L.key) : k] = walk(x, depth + 1);
    if (entries.length > L.keys) out['…'] = `${entries.length - L.keys} more keys`;
    return out;
  };
  const bounded = walk(args, 0);
  const json = JSON.stringify(bounded) ?? '';
  return json.length > L.args ? summarize(json) : bounded;
}

const clip = (s: string, max: number): string => (s.length > max ? cleanText(s, max) : s);

/** Every string in `v` (already depth-bounded by redactValue) with registered secrets masked, for the file line. */
function redactStrings(v: unknown): unknown {
  if (typeof v === 'string') return redact(v);
  if (v === null || typeof v !== 'object') return v;
  if (Array.isArray(v)) return v.map(redactStrings);
  return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, redactStrings(x)]));
}

export class Audit {
  private readonly recentEntries: AuditEntry[] = [];
  private stream: WriteStream | undefined;
  private failed = false;
  private readonly listeners = new Set<() => void>();

  constructor(
    /** The file lines are appended to, or "-" for stderr. */
    readonly file: string,
    private readonly keep: number,
    private readonly log: Logger,
    /** makeDir: create the file's directory (the default location); a configured path must exist. */
    private readonly opts: { makeDir?: boolean } = {},
  ) {}

  private open(): WriteStream | undefined {
    if (this.file === '-' || this.failed) return undefined;
    if (!this.stream) {
      if (this.opts.makeDir) {
        try {
          // The trail names who called whom: its directory is created private (an existing one is left as it is).
          mkdirSync(dirname(this.file), { recursive: true, mode: 0o700 });
        } catch {
          // The stream's error below reports it.
        }
      }
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
    const F = AUDIT_LIMITS.field;
    // Every field is bounded (see AUDIT_LIMITS): the entries are kept in memory, served by audit://recent and
    // written to the file, for every attempt, confirmed or not. In memory (what audit://recent shows the session
    // that made the call) the arguments are kept as the client sent them, values under secret-looking keys
    // replaced: text equal to a secret must not come back masked (redact.ts says why). The file line, the
    // operator's, has every registered secret masked, before anything is cut or hashed.
    const args = redactValue(entry.args);
    const e: AuditEntry = {
      time: new Date().toISOString(),
      ...entry,
      session: clip(entry.session, F),
      principal: clip(entry.principal, F),
      tool: clip(entry.tool, F),
      ...(typeof entry.client === 'string' ? { client: clip(entry.client, F) } : {}),
      ...(typeof entry.pbx === 'string' ? { pbx: clip(entry.pbx, F) } : {}),
      ...(typeof entry.user === 'string' ? { user: clip(entry.user, F) } : {}),
      args: boundArgs(args),
      ...(entry.result !== undefined ? { result: clip(entry.result, AUDIT_LIMITS.text) } : {}),
      ...(entry.error ? { error: { kind: clip(entry.error.kind, F), message: clip(entry.error.message, AUDIT_LIMITS.text) } } : {}),
    };
    this.recentEntries.push(e);
    if (this.recentEntries.length > this.keep) this.recentEntries.splice(0, this.recentEntries.length - this.keep);
    const line = redact(JSON.stringify({ ...e, args: boundArgs(redactStrings(args)) }));
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
