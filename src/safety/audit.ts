/**
 * The audit trail: one JSON line per state-changing tool call (done, refused, unconfirmed or failed), with
 * secrets redacted. Lines are appended without blocking the event loop; a failed write is logged, never
 * silently dropped. The last entries stay in memory for the audit://recent resource, and, in a deployment of
 * several servers, in the shared store too (RecentAudit), so that audit://recent shows a caller its entries
 * whichever server recorded them; each server still appends its own file, which holds everything even while the
 * store is away.
 */
import { createHash } from 'node:crypto';
import { createWriteStream, mkdirSync, type WriteStream } from 'node:fs';
import { dirname } from 'node:path';
import type { Logger } from '../log.js';
import { redact, redactValue } from './redact.js';
import { cleanText } from './sanitize.js';
import type { ConfirmOutcome } from './confirm.js';
import { type ChangeBus, LocalBus, topicOf } from '../shared/bus.js';

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

/**
 * Every string in `v` (already depth-bounded by redactValue) with registered secrets masked, for the file line; `v`
 * itself when nothing was masked, so the entry's bounded arguments serve the line too.
 */
function redactStrings(v: unknown): unknown {
  if (typeof v === 'string') return redact(v);
  if (v === null || typeof v !== 'object') return v;
  let changed = false;
  const each = (x: unknown) => {
    const y = redactStrings(x);
    if (y !== x) changed = true;
    return y;
  };
  const out = Array.isArray(v) ? v.map(each) : Object.fromEntries(Object.entries(v).map(([k, x]) => [k, each(x)]));
  return changed ? out : v;
}

/** The deployment's recent entries of each caller (src/shared/redis/recent.ts); a server on its own keeps its own (LocalRecent). */
export interface RecentAudit {
  /** Keeps `entry` (bounded already) among the recent entries of its principal. */
  push(entry: AuditEntry): Promise<void>;
  /** The recent entries of `principal`, oldest first. */
  of(principal: string): Promise<AuditEntry[]>;
}

/** The last `keep` entries of this process, whoever made them. */
export class LocalRecent {
  private readonly entries: AuditEntry[] = [];

  constructor(private readonly keep: number) {}

  add(entry: AuditEntry): void {
    this.entries.push(entry);
    if (this.entries.length > this.keep) this.entries.splice(0, this.entries.length - this.keep);
  }

  of(principal: string): Promise<AuditEntry[]> {
    return Promise.resolve(this.entries.filter((e) => e.principal === principal));
  }

  all(): AuditEntry[] {
    return [...this.entries];
  }
}

export interface AuditOptions {
  /** Create the file's directory (the default location); a configured path must exist. */
  makeDir?: boolean;
  /** The deployment's recent entries, when servers share a store. */
  shared?: RecentAudit | undefined;
  /** Where a recorded entry is announced (audit://recent subscribers); default: this process only. */
  bus?: ChangeBus | undefined;
  /**
   * settled() waits for the file line to reach the operating system: an answer sent after it is never lost with
   * its server (a replica killed right after answering). Set with a shared store; alone, lines are not waited for.
   */
  durable?: boolean | undefined;
}

/** What audit://recent shows a caller: its entries, and why they may be incomplete. */
export interface RecentView {
  entries: AuditEntry[];
  /** Set when the shared store could not be read: the entries are this server's only. */
  partial?: string;
}

export class Audit {
  private readonly local: LocalRecent;
  private stream: WriteStream | undefined;
  private failed = false;
  private readonly bus: ChangeBus;
  private readonly pending = new WeakMap<AuditEntry, Promise<void>>();

  constructor(
    /** The file lines are appended to, or "-" for stderr. */
    readonly file: string,
    keep: number,
    private readonly log: Logger,
    private readonly opts: AuditOptions = {},
  ) {
    this.local = new LocalRecent(keep);
    this.bus = opts.bus ?? new LocalBus();
  }

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
    this.local.add(e);
    const masked = redactStrings(args);
    const line = redact(JSON.stringify({ ...e, args: masked === args ? e.args : boundArgs(masked) }));
    const waits: Promise<void>[] = [];
    const stream = this.open();
    if (stream) {
      if (this.opts.durable) waits.push(new Promise<void>((resolve) => stream.write(`${line}\n`, () => resolve())));
      else stream.write(`${line}\n`);
    } else if (this.file === '-') process.stderr.write(`AUDIT ${line}\n`);
    else this.log.warn('audit (file unavailable)', { entry: line });
    const stored = this.opts.shared?.push(e).catch((err: unknown) =>
      // The file line has it: only audit://recent on the other servers misses it.
      this.log.warn('audit: the entry was written to this server\'s file but not to the shared store', { error: (err as Error).message }),
    );
    if (stored) waits.push(stored);
    // The other servers hear of it once it is stored: whoever hears of it can read it.
    this.bus.publish({ kind: 'audit', principal: e.principal }, stored);
    if (waits.length) this.pending.set(e, Promise.all(waits).then(() => {}));
    return e;
  }

  /** Resolves once `entry` is as safe as this server makes it: its line written, its shared copy stored (or logged as not). */
  settled(entry: AuditEntry): Promise<void> {
    return this.pending.get(entry) ?? Promise.resolve();
  }

  /** This server's recent entries, whoever made them. */
  recent(): AuditEntry[] {
    return this.local.all();
  }

  /** The recent entries of `principal`: the deployment's, or this server's when the shared store cannot be read. */
  async recentOf(principal: string): Promise<RecentView> {
    if (!this.opts.shared) return { entries: await this.local.of(principal) };
    try {
      return { entries: await this.opts.shared.of(principal) };
    } catch (e) {
      this.log.warn('audit: the shared store could not be read; audit://recent shows this server\'s entries only', { error: (e as Error).message });
      return {
        entries: await this.local.of(principal),
        partial: `${(e as Error).message}: these are the entries of this server only; the other servers' files have theirs`,
      };
    }
  }

  /** `listener` hears of every entry recorded for `principal`, on this server or (with a shared store) another. */
  onRecord(principal: string, listener: () => void): () => void {
    return this.bus.subscribe(topicOf({ kind: 'audit', principal }), () => listener());
  }

  close(): Promise<void> {
    const s = this.stream;
    this.stream = undefined;
    return new Promise((resolve) => (s ? s.end(resolve) : resolve()));
  }
}
