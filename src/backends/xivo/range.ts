/**
 * The day range of a call-qualification export. The doc's path is /call_qualification/csv/{QUEUE_ID}/{FROM}/{TO}
 * and gives no format (its curl example writes "home/office" and leaves out /csv). What the adapter sends is
 * chosen to be right under every reading a XUC could take of a date there:
 * - from the first day, to the day AFTER the last one: a XUC that compares the stored "YYYY-MM-DD HH:MM:SS"
 *   times with the bounds as text (or as instants at midnight) then still includes the whole last day;
 * - the rows are then kept only if their time falls on the days asked for: a XUC that reads both bounds as
 *   whole days includes the extra day, and it is dropped here;
 * - a XUC that wants times, not dates (it refuses a bare date as malformed), is asked again with
 *   "YYYY-MM-DD 00:00:00" and "YYYY-MM-DD 23:59:59".
 * Dates are XUC's local days (its times carry no offset).
 */
import { parseCsv, toCsv } from '../../util/csv.js';

/** The calendar day after `date` (YYYY-MM-DD, already checked). */
export function nextDay(date: string): string {
  const d = new Date(`${date}T00:00:00Z`);
  d.setUTCDate(d.getUTCDate() + 1);
  return d.toISOString().slice(0, 10);
}

/** The bounds to send: dates (the first form tried) or times (the second). */
export function exportBounds(from: string, to: string, form: 'dates' | 'times'): [string, string] {
  return form === 'dates' ? [from, nextDay(to)] : [`${from} 00:00:00`, `${to} 23:59:59`];
}

/**
 * The export CSV with only the rows whose `time` falls on a day from `from` to `to`. Rows whose time cannot be
 * read are kept (they are data the PBX returned for the range); a body that is not CSV with a `time` column is
 * returned as it came.
 */
export function keepDays(csv: string, from: string, to: string): string {
  let rows: string[][];
  try {
    rows = parseCsv(csv);
  } catch {
    return csv;
  }
  const at = rows[0]?.findIndex((h) => h.trim().toLowerCase() === 'time') ?? -1;
  if (at < 0) return csv;
  const kept = rows.slice(1).filter((r) => {
    const day = /^(\d{4}-\d{2}-\d{2})/.exec((r[at] ?? '').trim())?.[1];
    return day === undefined || (day >= from && day <= to);
  });
  return kept.length === rows.length - 1 ? csv : toCsv([rows[0]!, ...kept]);
}
