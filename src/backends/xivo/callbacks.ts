/**
 * XUC's callback-list wire format, as pure functions: the pipe-separated CSV of the callback import (the doc's
 * header and dialect: one request per line, fields split at "|", nothing quoted), the request bodies, the ticket
 * export's answer, and XiVO's ACL patterns.
 *
 * The doc shows no quoting and no escape, so the least convenient reading is that XUC splits at every "|" and
 * every line break: a value holding one would shift the fields of its row or start a new one. Such characters
 * are replaced (a pipe by "¦", a line break by a space) and counted, so the person is told.
 */
import type { CallbackRequest } from '../backend.js';
import { BackendError } from '../../errors.js';
import { isRecord, readJson } from './json.js';

/** The import's header, in the doc's order. */
export const CALLBACK_COLUMNS = ['phoneNumber', 'mobilePhoneNumber', 'firstName', 'lastName', 'company', 'description', 'dueDate', 'period'] as const;

export const IMPORT_ACL = 'xuc.rest.callback_lists.callback_requests.csv.create';
export const EXPORT_ACL = 'xuc.rest.callback_lists.callback_tickets.csv.create';

/** Every line break a CSV reader might split at, \r\n first so it becomes one space. */
const LINE_BREAKS = /\r\n|[\n\r\u000B\u000C\u0085\u2028\u2029]/g;

/** One value made safe for the pipe dialect, and whether it had to change. */
export function pipeField(v: string | undefined): { value: string; changed: boolean } {
  if (v === undefined) return { value: '', changed: false };
  const value = v.replace(LINE_BREAKS, ' ').replace(/\|/g, '¦');
  return { value, changed: value !== v };
}

/** The import CSV (header and one line per request, "\n" between lines), and how many values were changed. */
export function callbackCsv(requests: readonly CallbackRequest[]): { csv: string; changed: number } {
  let changed = 0;
  const lines: string[] = [CALLBACK_COLUMNS.join('|')];
  for (const r of requests) {
    lines.push(
      CALLBACK_COLUMNS.map((k) => {
        const f = pipeField(r[k]);
        if (f.changed) changed++;
        return f.value;
      }).join('|'),
    );
  }
  return { csv: lines.join('\n'), changed };
}

/** POST /callback_lists/callback_requests/csv: {listUuid, csv}, the CSV as one JSON string ("\n" escaped). */
export const callbackImportBody = (listUuid: string, csv: string): string => JSON.stringify({ listUuid, csv });

/** POST /callback_lists/callback_tickets/csv: {listUuid}. */
export const ticketExportBody = (listUuid: string): string => JSON.stringify({ listUuid });

/**
 * The ticket export's answer, which the doc does not show: the CSV as the body, or wrapped as the callback section's
 * success format {"res":"success","data":...} with the CSV as data (or data.csv). An empty answer is no tickets.
 */
export function parseTicketExport(body: string): string {
  const t = body.trim();
  if (t === '' || (t[0] !== '{' && t[0] !== '"')) return body;
  let v: unknown;
  try {
    v = t[0] === '"' ? JSON.parse(t) : readJson(t);
  } catch {
    // Not JSON after all: a CSV whose first field starts with a brace or a quote.
    return body;
  }
  if (typeof v === 'string') return v;
  const data = isRecord(v) ? v.data : undefined;
  if (typeof data === 'string') return data;
  if (isRecord(data) && typeof data.csv === 'string') return data.csv;
  if (data === null || data === undefined || (Array.isArray(data) && data.length === 0)) return '';
  throw new BackendError('unavailable', "XUC's answer to the ticket export could not be read (no CSV in it)", { code: 'unreadable' });
}

/**
 * Whether XiVO ACL patterns grant `acl`: dot-separated, "*" standing for one segment and "#" for any number of
 * them (none included), as xivo-auth matches them.
 */
export function aclGrants(granted: readonly string[], acl: string): boolean {
  const want = acl.split('.');
  const match = (p: readonly string[], i: number, j: number): boolean => {
    if (i === p.length) return j === want.length;
    if (p[i] === '#') {
      for (let k = j; k <= want.length; k++) if (match(p, i + 1, k)) return true;
      return false;
    }
    return j < want.length && (p[i] === '*' || p[i] === want[j]) && match(p, i + 1, j + 1);
  };
  return granted.some((g) => match(g.split('.'), 0, 0));
}
