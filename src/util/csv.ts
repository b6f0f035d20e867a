/** RFC 4180 CSV: quoted fields, doubled quotes, CRLF or LF line ends, newlines inside quotes. */

export class CsvError extends Error {}

/** Parse CSV text into rows of fields. Blank lines are skipped. A BOM at the start is ignored. */
export function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = '';
  let quoted = false;
  let fieldStarted = false;
  let i = text.charCodeAt(0) === 0xfeff ? 1 : 0;
  let line = 1;
  const endRow = () => {
    row.push(field);
    if (!(row.length === 1 && row[0] === '' && !fieldStarted)) rows.push(row);
    row = [];
    field = '';
    fieldStarted = false;
  };
  for (; i < text.length; i++) {
    const c = text[i]!;
    if (quoted) {
      if (c === '"') {
        if (text[i + 1] === '"') {
          field += '"';
          i++;
        } else quoted = false;
      } else {
        if (c === '\n') line++;
        field += c;
      }
      continue;
    }
    if (c === '"') {
      if (field !== '') throw new CsvError(`line ${line}: a quote inside an unquoted field`);
      quoted = true;
      fieldStarted = true;
    } else if (c === ',') {
      row.push(field);
      field = '';
      fieldStarted = true;
    } else if (c === '\r' || c === '\n') {
      if (c === '\r' && text[i + 1] === '\n') i++;
      endRow();
      line++;
    } else {
      field += c;
    }
  }
  if (quoted) throw new CsvError(`line ${line}: unterminated quoted field`);
  if (field !== '' || row.length > 0 || fieldStarted) endRow();
  return rows;
}

function quote(v: string): string {
  return /[",\r\n]/.test(v) || v !== v.trim() ? `"${v.replace(/"/g, '""')}"` : v;
}

/** Serialize rows with CRLF line ends (RFC 4180). */
export function toCsv(rows: readonly (readonly string[])[]): string {
  return rows.map((r) => r.map(quote).join(',')).join('\r\n') + (rows.length ? '\r\n' : '');
}

/** Parse CSV with a header row into records keyed by the (trimmed, lower-cased) header names. */
export function parseCsvRecords(text: string): { headers: string[]; records: { line: number; values: Record<string, string> }[] } {
  const rows = parseCsv(text);
  const header = rows.shift();
  if (!header) return { headers: [], records: [] };
  const headers = header.map((h) => h.trim().toLowerCase());
  return {
    headers,
    records: rows.map((r, idx) => {
      const values: Record<string, string> = {};
      headers.forEach((h, j) => {
        values[h] = r[j] ?? '';
      });
      return { line: idx + 2, values };
    }),
  };
}

/**
 * The header line and the first `limit` records of CSV `text`, cut at a record end (a newline outside quotes), and
 * how many records there are in all. Blank lines are not records. A linear scan: nothing is parsed.
 */
export function firstCsvRecords(text: string, limit: number, opts: { quotes?: boolean } = {}): { csv: string; records: number } {
  // A dialect without quoting (XUC's callback CSV): a lone quote in a comment is text, and rows are lines.
  const quotes = opts.quotes ?? true;
  let quoted = false;
  let records = -1; // the header is not a record
  let cut = -1;
  let blank = true;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (quotes && c === 34 /* " */) quoted = !quoted;
    if (!quoted && c === 10 /* \n */) {
      if (!blank) {
        records++;
        if (records === limit) cut = i + 1;
      }
      blank = true;
    } else if (c !== 13 && c !== 0xfeff) blank = false;
  }
  if (!blank) records++;
  return { csv: cut >= 0 && records > limit ? text.slice(0, cut) : text, records: Math.max(0, records) };
}
