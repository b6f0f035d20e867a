/**
 * The XUC simulator's callback lists: the import of callback requests and the export of callback tickets, for
 * web-service users with the two ACLs the doc names. One list per queue of the engine, each with the periods
 * "Morning" (the default) and "Afternoon" (the doc's sample). Agents working a list are simulated by
 * XucSimulator.processCallbacks, which turns pending requests into tickets.
 *
 * Where the doc is silent the simulator takes the least convenient reading a real XUC could take:
 * - the CSV is split at every line break and every "|", with no quoting (the doc shows none): a quote is a
 *   character like any other, and a value with a "|" shifts its row (refused: wrong number of fields);
 * - the header must name the documented columns; a row with another number of fields, no number, a number with
 *   anything but digits, + and spaces, a date that is not YYYY-MM-DD, or a period the list does not define makes
 *   XUC refuse the whole import (400 JsonErrorDecoding);
 * - a list it does not know is an unclassified error (500 NotHandledError), as for anything the doc does not list;
 * - the body must be JSON with a JSON content type (the doc's text/json, or application/json);
 * - the ticket export answers the CSV as text/csv, or wrapped as {"res":"success","data":"<csv>"} (reading
 *   `callbackExport`), in the import's pipe dialect with the ticket's fields after the request's.
 */
import { randomUUID } from 'node:crypto';
import type { SimResponse } from '../kit.js';
import { formatWallClock } from '../../util/time.js';
import { isIsoDate } from '../../util/time.js';
import { body, fail, forbidden, isObj, json, need, REQUEST_COLUMNS, SUCCESS, TICKET_COLUMNS, type Route, type SimCallbackList, type SimCallbackRequest, type SimCallbackTicket, type XucSimState } from './common.js';

/** One list per queue, each with the same two periods. */
export function seedCallbackLists(queues: readonly string[]): Map<string, SimCallbackList> {
  return new Map(
    queues.map((queue) => {
      const uuid = randomUUID();
      return [
        uuid,
        {
          uuid,
          name: `${queue} callbacks`,
          queue,
          periods: [
            { name: 'Morning', start: '08:00:00', end: '12:00:00', default: true },
            { name: 'Afternoon', start: '14:00:00', end: '18:00:00', default: false },
          ],
          requests: [],
          tickets: [],
        },
      ];
    }),
  );
}

const isJsonType = (t: string | string[] | undefined) => typeof t === 'string' && /^(text|application)\/json\s*(;|$)/i.test(t.trim());

/** The requests of an import CSV, or why XUC refuses the whole import. */
function readImport(csv: string, list: SimCallbackList, today: string): SimCallbackRequest[] | string {
  const lines = csv.split('\n').map((l) => (l.endsWith('\r') ? l.slice(0, -1) : l));
  while (lines.length && lines[lines.length - 1] === '') lines.pop();
  const header = (lines.shift() ?? '').split('|');
  const missing = REQUEST_COLUMNS.filter((c) => !header.includes(c));
  if (missing.length) return `the header lacks ${missing.join(', ')}`;
  const out: SimCallbackRequest[] = [];
  for (const [i, line] of lines.entries()) {
    const at = `line ${i + 2}`;
    if (line === '') continue;
    const fields = line.split('|');
    if (fields.length !== header.length) return `${at}: ${fields.length} fields, the header has ${header.length}`;
    const get = (c: string) => fields[header.indexOf(c)]!.trim();
    const r = { uuid: randomUUID() } as SimCallbackRequest;
    for (const c of REQUEST_COLUMNS) r[c] = get(c);
    if (!r.phoneNumber && !r.mobilePhoneNumber) return `${at}: no phoneNumber or mobilePhoneNumber`;
    for (const n of [r.phoneNumber, r.mobilePhoneNumber]) if (n && !/^\+?[0-9 ]{2,20}$/.test(n)) return `${at}: "${n}" is not a phone number`;
    if (r.dueDate && !isIsoDate(r.dueDate)) return `${at}: dueDate "${r.dueDate}" is not a date YYYY-MM-DD`;
    if (r.period && !list.periods.some((p) => p.name === r.period)) return `${at}: the list has no period "${r.period}"`;
    r.dueDate ||= today;
    r.period ||= list.periods.find((p) => p.default)!.name;
    out.push(r);
  }
  return out;
}

/** Pipe CSV, as the import's, with the ticket's fields. */
function ticketCsv(tickets: readonly SimCallbackTicket[]): string {
  return [TICKET_COLUMNS.join('|'), ...tickets.map((t) => TICKET_COLUMNS.map((c) => t[c]).join('|'))].join('\n') + '\n';
}

export function callbackRoutes(st: XucSimState): Route {
  return (req, seg, claims) => {
    if (seg[0] !== 'callback_lists' || seg[2] !== 'csv' || seg.length !== 3 || req.method !== 'POST') return undefined;
    const importing = seg[1] === 'callback_requests';
    if (!importing && seg[1] !== 'callback_tickets') return undefined;
    if (!need(claims, importing ? 'xuc.rest.callback_lists.callback_requests.csv.create' : 'xuc.rest.callback_lists.callback_tickets.csv.create')) {
      return forbidden(claims);
    }
    if (!isJsonType(req.headers['content-type'])) return fail(400, 'JsonBodyNotFound', 'Expecting a JSON body (text/json)');
    const payload = body(req);
    if (payload === undefined) return fail(400, 'JsonBodyNotFound', 'No JSON body');
    if (!isObj(payload) || typeof payload.listUuid !== 'string') return fail(400, 'JsonErrorDecoding', 'listUuid is required');
    const list = st.callbackLists.get(payload.listUuid);
    if (!list) return fail(500, 'NotHandledError', `callback list ${payload.listUuid} not found`);
    if (!importing) {
      const csv = ticketCsv(list.tickets);
      return st.callbackExport === 'json'
        ? json(200, { res: 'success', data: csv })
        : ({ status: 200, headers: { 'content-type': 'text/csv; charset=utf-8' }, body: csv } satisfies SimResponse);
    }
    if (typeof payload.csv !== 'string') return fail(400, 'JsonErrorDecoding', 'csv is required');
    const read = readImport(payload.csv, list, formatWallClock(st.engine.now(), st.timeZone).slice(0, 10));
    if (typeof read === 'string') return fail(400, 'JsonErrorDecoding', read);
    list.requests.push(...read);
    return SUCCESS();
  };
}

/** Agents call back every pending request of a list: each becomes a ticket with `status`. */
export function processCallbacks(st: XucSimState, listUuid: string, outcome: { status?: string; agent?: string; comment?: string } = {}): number {
  const list = st.callbackLists.get(listUuid);
  if (!list) throw new Error(`no callback list ${listUuid}`);
  const when = formatWallClock(st.engine.now(), st.timeZone);
  for (const r of list.requests.splice(0)) {
    list.tickets.push({ ...r, start: when, lastUpdate: when, status: outcome.status ?? 'Answered', comment: outcome.comment ?? '', agent: outcome.agent ?? '2000' });
  }
  return list.tickets.length;
}
