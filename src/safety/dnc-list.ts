/**
 * A do-not-call list in memory: numbers and prefixes as sorted Float64Arrays, so a million entries take
 * 8 MB (a Set of strings takes ~50), load with one scan and one numeric sort, and a check is at most 16 binary
 * searches per form of the number (one per prefix length in use, one for the whole number), a few hundred
 * nanoseconds (bench/dnc.mjs).
 *
 * A digit string is stored as the number "<namespace><digits>" (namespace 1: international, the E.164 digits
 * after +; 2: national, as dialled in defaultCountry). The leading namespace digit keeps leading zeros and
 * lengths apart ("06" and "6" differ), and with at most 15 digits the value stays exact in a double.
 */

export const INTL = 1;
export const NATIONAL = 2;

/** An E.164 number has at most 15 digits; a national form with its trunk prefix fits too. */
export const MAX_DIGITS = 15;

const POW10 = Array.from({ length: MAX_DIGITS + 1 }, (_, i) => 10 ** i);

export class DncParseError extends Error {
  constructor(
    readonly line: number,
    message: string,
  ) {
    super(`line ${line}: ${message}`);
    this.name = 'DncParseError';
  }
}

function binarySearch(a: Float64Array, v: number): boolean {
  let lo = 0;
  let hi = a.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >>> 1;
    const x = a[mid]!;
    if (x === v) return true;
    if (x < v) lo = mid + 1;
    else hi = mid - 1;
  }
  return false;
}

export class DncList {
  constructor(
    private readonly exact: Float64Array,
    private readonly prefixes: Float64Array,
    /** Bit n set: some prefix of n digits exists, per namespace. */
    private readonly masks: readonly [number, number],
    /** How many entries are national (need defaultCountry to read). */
    readonly nationalEntries: number,
  ) {}

  get size(): number {
    return this.exact.length + this.prefixes.length;
  }

  /**
   * Whether a number is listed: `intl` its E.164 digits (no +), `national` the digit strings it is dialled as in
   * defaultCountry (empty when it is not of that country's calling code).
   */
  matches(intl: string, national: readonly string[]): boolean {
    if (this.hit(INTL, intl, this.masks[0])) return true;
    for (const f of national) if (this.hit(NATIONAL, f, this.masks[1])) return true;
    return false;
  }

  private hit(ns: number, digits: string, mask: number): boolean {
    const n = digits.length;
    let v = ns;
    for (let i = 0; i < n && i < MAX_DIGITS; i++) {
      v = v * 10 + (digits.charCodeAt(i) - 48);
      if ((mask >>> (i + 1)) & 1 && binarySearch(this.prefixes, v)) return true;
    }
    return n <= MAX_DIGITS && binarySearch(this.exact, v);
  }
}

/** Collects entries as they are scanned, then sorts them once. */
export class DncBuilder {
  private exact: Float64Array = new Float64Array(1024);
  private nExact = 0;
  private prefixes: Float64Array = new Float64Array(64);
  private nPrefixes = 0;
  private readonly masks: [number, number] = [0, 0];
  private national = 0;

  /**
   * One entry: text[from, to) with its comment already cut off. Returns false for a blank entry, true when added;
   * throws a DncParseError (without the entry's text: a list is personal data, and the log is not the place).
   */
  entry(text: string, from: number, to: number, line: number): boolean {
    let i = from;
    while (i < to && (text.charCodeAt(i) === 32 || text.charCodeAt(i) === 9)) i++;
    while (to > i && (text.charCodeAt(to - 1) === 32 || text.charCodeAt(to - 1) === 9 || text.charCodeAt(to - 1) === 13)) to--;
    if (i === to) return false;
    let ns = NATIONAL;
    if (text.charCodeAt(i) === 43 /* + */) {
      ns = INTL;
      i++;
    }
    let d = 0; // the digits' value (leading zeros count in n only)
    let n = 0;
    let first = -1;
    let lead = 0; // the first three digits, for "00" + country code
    let prefix = false;
    for (; i < to; i++) {
      const c = text.charCodeAt(i);
      if (c >= 48 && c <= 57) {
        if (prefix) throw new DncParseError(line, 'digits after the prefix mark *');
        if (n === MAX_DIGITS + 2) throw new DncParseError(line, `more than ${MAX_DIGITS} digits: not a phone number`);
        d = d * 10 + (c - 48);
        if (n === 0) first = c - 48;
        if (n < 3) lead = lead * 10 + (c - 48);
        n++;
      } else if (c === 42 /* * */) {
        if (prefix) throw new DncParseError(line, 'two prefix marks *');
        prefix = true;
      } else if (c === 32 || c === 46 || c === 45 || c === 40 || c === 41 || c === 9) {
        if (prefix) throw new DncParseError(line, 'the prefix mark * must end the entry');
      } else {
        throw new DncParseError(line, 'not a number or prefix (digits with an optional leading +, spaces, dots, dashes, parentheses, and * at the end of a prefix)');
      }
    }
    if (n === 0) throw new DncParseError(line, 'no digits');
    if (ns === INTL && first === 0) throw new DncParseError(line, 'a + must be followed by a country code, which never starts with 0');
    // 00 before a country code is the international prefix (as the dial policy reads numbers).
    if (ns === NATIONAL && n >= 3 && lead >= 1 && lead <= 9) {
      ns = INTL;
      n -= 2;
    }
    if (n > MAX_DIGITS) throw new DncParseError(line, `more than ${MAX_DIGITS} digits: not a phone number`);
    const v = ns * POW10[n]! + d;
    if (ns === NATIONAL) this.national++;
    if (prefix) {
      if (this.nPrefixes === this.prefixes.length) this.prefixes = grow(this.prefixes);
      this.prefixes[this.nPrefixes++] = v;
      this.masks[ns === INTL ? 0 : 1] |= 1 << n;
    } else {
      if (this.nExact === this.exact.length) this.exact = grow(this.exact);
      this.exact[this.nExact++] = v;
    }
    return true;
  }

  build(): DncList {
    const exact = this.exact.slice(0, this.nExact).sort();
    const prefixes = this.prefixes.slice(0, this.nPrefixes).sort();
    return new DncList(exact, prefixes, this.masks, this.national);
  }

  /** build(), sorting in slices with `pause` between them (one sort of a million doubles blocks ~100 ms). */
  async buildAsync(pause: () => Promise<void>): Promise<DncList> {
    const exact = await sortInSlices(this.exact.slice(0, this.nExact), pause);
    const prefixes = await sortInSlices(this.prefixes.slice(0, this.nPrefixes), pause);
    return new DncList(exact, prefixes, this.masks, this.national);
  }
}

/** Sort runs of `run` values, then merge them pairwise, pausing after each run and each ~256k values merged. */
async function sortInSlices(a: Float64Array, pause: () => Promise<void>, run = 1 << 16): Promise<Float64Array> {
  const n = a.length;
  if (n <= run) return a.sort();
  for (let s = 0; s < n; s += run) {
    a.subarray(s, Math.min(n, s + run)).sort();
    await pause();
  }
  let src = a;
  let dst: Float64Array = new Float64Array(n);
  for (let width = run; width < n; width *= 2) {
    let merged = 0;
    for (let lo = 0; lo < n; lo += 2 * width) {
      const mid = Math.min(lo + width, n);
      const hi = Math.min(lo + 2 * width, n);
      let i = lo;
      let j = mid;
      let k = lo;
      while (i < mid && j < hi) dst[k++] = src[i]! <= src[j]! ? src[i++]! : src[j++]!;
      while (i < mid) dst[k++] = src[i++]!;
      while (j < hi) dst[k++] = src[j++]!;
      merged += hi - lo;
      if (merged >= 1 << 18) {
        merged = 0;
        await pause();
      }
    }
    [src, dst] = [dst, src];
  }
  return src;
}

function grow(a: Float64Array): Float64Array {
  const b = new Float64Array(a.length * 2);
  b.set(a);
  return b;
}

/**
 * Scan plain-list lines of text from `start`, at most about `budget` characters (always whole lines); returns where
 * the next line starts, and the line number it has. A # starts a comment to the end of its line.
 */
function scanPlain(text: string, b: DncBuilder, start: number, line: number, budget: number): [number, number] {
  let i = start;
  const stop = Math.min(text.length, start + budget);
  // The next # at or after i, found again only once passed: searching from every line would scan the rest of a
  // list without comments once per line (quadratic: 6 s for 200,000 lines).
  let hash = -2;
  while (i < text.length && i < stop) {
    let end = text.indexOf('\n', i);
    if (end < 0) end = text.length;
    if (hash !== -1 && hash < i) hash = text.indexOf('#', i);
    b.entry(text, i, hash >= 0 && hash < end ? hash : end, line);
    i = end + 1;
    line++;
  }
  return [i, line];
}

/** Header names taken for the number column of a CSV list when none is configured. */
const NUMBER_COLUMNS = ['number', 'phone', 'phone_number', 'phonenumber', 'phone number', 'telephone', 'tel', 'msisdn', 'e164'];

/**
 * One RFC 4180 field starting at `i`: where its value lies, whether it was quoted with doubled quotes inside, where
 * the next field starts, and whether it ended its row. No string is built: most fields of a list are never read.
 */
function csvField(text: string, i: number, row: number): { from: number; to: number; doubled: boolean; next: number; endRow: boolean } {
  const n = text.length;
  let from = i;
  let to: number;
  let doubled = false;
  let k: number;
  if (text.charCodeAt(i) === 34 /* " */) {
    from = i + 1;
    let j = from;
    for (;;) {
      const q = text.indexOf('"', j);
      if (q < 0) throw new DncParseError(row, 'unterminated quoted field');
      if (text.charCodeAt(q + 1) === 34) {
        doubled = true;
        j = q + 2;
        continue;
      }
      to = q;
      break;
    }
    k = to + 1;
    const c = text.charCodeAt(k);
    if (k < n && c !== 44 && c !== 10 && c !== 13) throw new DncParseError(row, 'text after the closing quote of a field');
  } else {
    k = i;
    for (; k < n; k++) {
      const c = text.charCodeAt(k);
      if (c === 44 || c === 10 || c === 13) break;
      if (c === 34) throw new DncParseError(row, 'a quote inside an unquoted field');
    }
    to = k;
  }
  if (k >= n) return { from, to, doubled, next: n, endRow: true };
  if (text.charCodeAt(k) === 44) return { from, to, doubled, next: k + 1, endRow: false };
  const next = text.charCodeAt(k) === 13 && text.charCodeAt(k + 1) === 10 ? k + 2 : k + 1;
  return { from, to, doubled, next, endRow: true };
}

/** The header row of a CSV list: the index of the number column, and where the first row starts. */
function csvHeader(text: string, column: string | undefined): { at: number; start: number } {
  let i = 0;
  const header: string[] = [];
  for (;;) {
    const f = csvField(text, i, 1);
    const v = text.slice(f.from, f.to);
    header.push((f.doubled ? v.replace(/""/g, '"') : v).trim().toLowerCase());
    i = f.next;
    if (f.endRow) break;
  }
  const wanted = column?.trim().toLowerCase();
  const at = wanted !== undefined ? header.indexOf(wanted) : header.findIndex((h) => NUMBER_COLUMNS.includes(h));
  if (at < 0) {
    throw new DncParseError(1, wanted !== undefined ? `no column "${column}" in the header row` : `no number column in the header row (name it one of: ${NUMBER_COLUMNS.join(', ')}, or set "column")`);
  }
  return { at, start: i };
}

/**
 * Scan CSV rows from `start` (a row boundary), about `budget` characters of whole rows; returns where the next row
 * starts and the last row number. Rows are counted, the header being 1 (a quoted line break makes them differ from
 * text lines).
 */
function scanCsvRows(text: string, b: DncBuilder, at: number, start: number, row: number, budget: number): [number, number] {
  const n = text.length;
  const stop = Math.min(n, start + budget);
  let i = start;
  while (i < n && i < stop) {
    const c = text.charCodeAt(i);
    if (c === 10 || c === 13) {
      // A blank line.
      i += c === 13 && text.charCodeAt(i + 1) === 10 ? 2 : 1;
      continue;
    }
    row++;
    for (let col = 0; ; col++) {
      const f = csvField(text, i, row);
      if (col === at) {
        if (f.doubled) {
          const v = text.slice(f.from, f.to).replace(/""/g, '"');
          b.entry(v, 0, v.length, row);
        } else b.entry(text, f.from, f.to, row);
      }
      i = f.next;
      if (f.endRow) break;
    }
  }
  return [i, row];
}

export interface ParseOptions {
  /** A CSV with a header row (else a plain list). */
  csv: boolean;
  column?: string | undefined;
}

/** Parse a whole list at once. Throws DncParseError. */
export function parseDncList(text: string, opts: ParseOptions): DncList {
  const b = new DncBuilder();
  const body = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
  if (opts.csv) {
    const h = csvHeader(body, opts.column);
    scanCsvRows(body, b, h.at, h.start, 1, Infinity);
  } else scanPlain(body, b, 0, 1, Infinity);
  return b.build();
}

/** Parse a list in slices of about `sliceChars`, yielding to the event loop between them (a reload must not stall calls). */
export async function parseDncListAsync(text: string, opts: ParseOptions, sliceChars = 1 << 20): Promise<DncList> {
  const b = new DncBuilder();
  const body = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
  const h = opts.csv ? csvHeader(body, opts.column) : undefined;
  let at = h?.start ?? 0;
  let line = 1;
  while (at < body.length) {
    [at, line] = h ? scanCsvRows(body, b, h.at, at, line, sliceChars) : scanPlain(body, b, at, line, sliceChars);
    if (at < body.length) await pause();
  }
  return b.buildAsync(pause);
}

const pause = () => new Promise<void>((r) => setImmediate(r));
