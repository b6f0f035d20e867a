/**
 * Do-not-call lists: files named in safety.dialPolicy.doNotCall, loaded at start (a list that cannot be read
 * stops the start: calling someone who asked not to be called is worse than not starting) and re-read when
 * they change, without a restart. A change is read once the file has stopped changing; a file that then cannot
 * be read or parsed keeps the last good list, and the log says why. A listed number is refused on every use
 * (call, transfer, forward, callback) with rule do_not_call; the refusal names the number asked about and the
 * list, never another entry.
 */
import type { Stats } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import { resolve } from 'node:path';
import type { Logger } from '../log.js';
import { DncParseError, parseDncListAsync, type DncList } from './dnc-list.js';
import type { DoNotCallConfig } from './outbound-config.js';
import type { DialTarget, DialUse, OutboundRule } from './dialing.js';
import { loadNumberingPlan } from './numbering.js';
import { ConfigError, PolicyError } from '../errors.js';

/** How often each file is looked at, and how long a change must rest before it is read. */
const POLL_MS = 1000;
const SETTLE_MS = 250;

interface ListFile {
  /** As configured, for messages. */
  label: string;
  abs: string;
  csv: boolean;
  column: string | undefined;
  list: DncList;
  /** size, mtime and inode of the version loaded. */
  stamp: string;
  /** A reload waiting for the file to rest. */
  timer?: NodeJS.Timeout | undefined;
  poll?: NodeJS.Timeout | undefined;
  polling: boolean;
  loading: boolean;
  again: boolean;
  /** The file was missing at the last look (said once in the log, not every second). */
  missing: boolean;
}

const stampOf = (s: Stats) => `${s.size}:${s.mtimeMs}:${s.ino}`;

const USE_WORDS: Record<DialUse, string> = {
  call: 'call',
  transfer: 'transfer calls to',
  forward: 'forward calls to',
  callback: 'schedule callbacks to',
};

export class DoNotCall implements OutboundRule {
  private closed = false;

  private constructor(
    private readonly files: ListFile[],
    /** defaultCountry's calling code and national prefix (to match national entries), when it is set. */
    private readonly home: { callingCode: string; nationalPrefix: string | undefined } | undefined,
    private readonly log: Logger,
    private readonly pollMs: number,
  ) {
    for (const f of files) this.watch(f);
  }

  static async open(
    cfg: DoNotCallConfig,
    opts: { baseDir: string; defaultCountry: string | undefined; log: Logger; pollMs?: number | undefined },
  ): Promise<DoNotCall> {
    const entries = (Array.isArray(cfg) ? cfg : [cfg]).map((e) => (typeof e === 'string' ? { file: e, column: undefined } : e));
    const files: ListFile[] = [];
    for (const [i, e] of entries.entries()) {
      const key = `safety.dialPolicy.doNotCall${Array.isArray(cfg) ? `.${i}` : ''}`;
      const abs = resolve(opts.baseDir, e.file);
      const csv = /\.csv$/i.test(e.file);
      let text: string;
      let st: Stats;
      try {
        st = await stat(abs);
        text = await readFile(abs, 'utf8');
      } catch (err) {
        throw new ConfigError(`${key}: cannot read the do-not-call list ${abs} (${(err as NodeJS.ErrnoException).code ?? 'error'})`);
      }
      let list: DncList;
      try {
        list = await parseDncListAsync(text, { csv, column: e.column });
      } catch (err) {
        if (err instanceof DncParseError) throw new ConfigError(`${key}: the do-not-call list ${abs}, ${err.message}`);
        throw err;
      }
      if (list.nationalEntries && !opts.defaultCountry) {
        throw new ConfigError(
          `${key}: the do-not-call list ${abs} has numbers in national form and safety.dialPolicy.defaultCountry is not set to read them; set it, or write the numbers with + and the country code`,
        );
      }
      files.push({ label: e.file, abs, csv, column: e.column, list, stamp: stampOf(st), polling: false, loading: false, again: false, missing: false });
      opts.log.info('do-not-call list loaded', { file: e.file, entries: list.size });
    }
    let home: { callingCode: string; nationalPrefix: string | undefined } | undefined;
    if (opts.defaultCountry) {
      // The numbering plan is loaded here only when lists are configured (the policy loads it for every action anyway).
      const { phoneUtil } = await loadNumberingPlan();
      const region = opts.defaultCountry as Parameters<typeof phoneUtil.getCountryCodeForRegion>[0];
      const np = phoneUtil.getNddPrefixForRegion(region, true);
      home = { callingCode: String(phoneUtil.getCountryCodeForRegion(region)), nationalPrefix: np ? np : undefined };
    }
    return new DoNotCall(files, home, opts.log, opts.pollMs ?? POLL_MS);
  }

  check(target: DialTarget, use: DialUse): void {
    // Lists hold public numbers; an extension is refused with a deny pattern instead.
    if (target.internal) return;
    const p = target.phone;
    const intl = p.number.slice(1);
    const national = this.home && p.countryCallingCode === this.home.callingCode ? this.nationalForms(p.nationalNumber, p.formatNational()) : [];
    const hit = this.files.find((f) => f.list.matches(intl, national));
    if (!hit) return;
    throw new PolicyError(
      'do_not_call',
      `${p.formatInternational()} is on the do-not-call list ${hit.label}; telephony-mcp does not ${USE_WORDS[use]} it`,
      'Nothing was dialled. Do not call this number. If it is listed by mistake, an administrator edits the list (it is re-read within seconds).',
    );
  }

  /** How the number may be written nationally: its significant number, as formatted, and with the trunk prefix. */
  private nationalForms(nsn: string, formatted: string): string[] {
    const forms = [nsn];
    const digits = formatted.replace(/[^0-9]/g, '');
    if (digits !== nsn) forms.push(digits);
    const np = this.home?.nationalPrefix;
    if (np && !forms.includes(np + nsn)) forms.push(np + nsn);
    return forms;
  }

  /**
   * Look at the file every pollMs and compare it with the version loaded. (fs.watchFile compares with its own first
   * look, taken asynchronously after it starts: a change made in between would never be noticed.)
   */
  private watch(f: ListFile): void {
    f.poll = setInterval(() => void this.look(f), this.pollMs);
    f.poll.unref();
  }

  private async look(f: ListFile): Promise<void> {
    if (this.closed || f.polling || f.loading || f.timer) return;
    f.polling = true;
    try {
      const st = await stat(f.abs);
      f.missing = false;
      if (stampOf(st) !== f.stamp) this.schedule(f);
    } catch (e) {
      if (!f.missing) {
        f.missing = true;
        this.log.warn('do-not-call list cannot be read; the last good list stays in force', { file: f.label, error: (e as NodeJS.ErrnoException).code ?? String(e) });
      }
    } finally {
      f.polling = false;
    }
  }

  private schedule(f: ListFile): void {
    if (this.closed) return;
    if (f.loading) {
      f.again = true;
      return;
    }
    clearTimeout(f.timer);
    f.timer = setTimeout(() => void this.reload(f), SETTLE_MS);
    f.timer.unref();
  }

  private async reload(f: ListFile): Promise<void> {
    f.timer = undefined;
    f.loading = true;
    try {
      let before: Stats;
      let text: string;
      try {
        before = await stat(f.abs);
        if (stampOf(before) === f.stamp) return;
        text = await readFile(f.abs, 'utf8');
      } catch (e) {
        this.log.warn('do-not-call list cannot be read; the last good list stays in force', { file: f.label, error: (e as NodeJS.ErrnoException).code ?? String(e) });
        return;
      }
      // Still being written: read it again once it rests.
      const after = await stat(f.abs).catch(() => undefined);
      if (!after || stampOf(after) !== stampOf(before)) {
        f.again = true;
        return;
      }
      let list: DncList;
      try {
        list = await parseDncListAsync(text, { csv: f.csv, column: f.column });
      } catch (e) {
        if (!(e instanceof DncParseError)) throw e;
        f.stamp = stampOf(before);
        this.log.warn('do-not-call list does not parse; the last good list stays in force', { file: f.label, error: e.message });
        return;
      }
      f.stamp = stampOf(before);
      if (list.nationalEntries && !this.home) {
        this.log.warn('do-not-call list has national numbers and no defaultCountry to read them; the last good list stays in force', { file: f.label });
        return;
      }
      if (this.closed) return;
      f.list = list;
      this.log.info('do-not-call list reloaded', { file: f.label, entries: list.size });
    } finally {
      f.loading = false;
      if (f.again) {
        f.again = false;
        this.schedule(f);
      }
    }
  }

  close(): void {
    this.closed = true;
    for (const f of this.files) {
      clearInterval(f.poll);
      clearTimeout(f.timer);
    }
  }
}
