/**
 * The XUC simulator's CTI-user endpoints: the user's personal contacts (listed as the doc shows them: headers,
 * no ids, status ints, Favorite "false"; CSV export and multipart import) and call qualification, with the
 * documented statuses and error codes, and 503 Unreachable when the directory is made unreachable.
 */
import { CONTACT_FIELDS, type ContactFields } from '../../backends/model.js';
import { CSV_COLUMNS } from '../engine/contacts.js';
import { EngineError } from '../engine/engine.js';
import type { SimRequest, SimResponse } from '../kit.js';
import { parseCsv, toCsv } from '../../util/csv.js';
import {
  BAD,
  body,
  fail,
  forbidden,
  isObj,
  json,
  knownUser,
  need,
  QUALIFICATION_COLUMNS,
  type QualificationRecord,
  type Route,
  type XucSimState,
} from './common.js';
import { multipartField } from './multipart.js';

export function ctiRoutes(st: XucSimState): Route {
  const engine = st.engine;

  const contactNotFound = (id: string) => fail(404, 'ContactNotFound', `Personal contact ${id} does not exist`);

  /** A contact body: every field a string, or the documented InvalidContact. */
  const contactFields = (req: SimRequest): ContactFields | SimResponse => {
    const b = body(req);
    if (b === BAD) return fail(500, 'JsonParsingError', 'Personal Contact sent to API is not JSON valid');
    if (!isObj(b)) return fail(400, 'InvalidContact', 'Personal contact has bad format');
    const out: ContactFields = {};
    for (const k of CONTACT_FIELDS) {
      const v = b[k];
      if (v === undefined || v === null) continue;
      if (typeof v !== 'string') return fail(400, 'InvalidContact', `${k} must be a string`);
      out[k] = v;
    }
    return out;
  };

  const engineContactError = (e: unknown, id?: string): SimResponse => {
    if (!(e instanceof EngineError)) throw e;
    if (e.code === 'not_found') return contactNotFound(id ?? '?');
    if (e.code === 'conflict') return fail(409, 'DuplicateContact', 'Personal contact already exists');
    return fail(400, 'InvalidContact', e.message);
  };

  /** The doc's import: a header row, then one contact per line; bad lines are reported, good ones created. */
  const importCsv = (user: string, csv: string): SimResponse => {
    let rows: string[][];
    try {
      rows = parseCsv(csv);
    } catch (e) {
      return fail(400, 'InvalidContact', `the CSV cannot be read: ${(e as Error).message}`);
    }
    const header = (rows.shift() ?? []).map((h) => h.trim().toLowerCase());
    if (!header.some((h) => (CSV_COLUMNS as readonly string[]).includes(h))) {
      return fail(400, 'InvalidContact', `the first line must name fields among ${CSV_COLUMNS.join(',')}`);
    }
    const created: { id: string; lastname?: string }[] = [];
    const failed: { line: number; errors: string[] }[] = [];
    rows.forEach((row, i) => {
      const line = i + 2;
      if (row.length > header.length) return void failed.push({ line, errors: ['too many fields'] });
      const fields: ContactFields = {};
      header.forEach((h, j) => {
        if ((CONTACT_FIELDS as readonly string[]).includes(h) && row[j]) fields[h as keyof ContactFields] = row[j];
      });
      try {
        const c = engine.withContacts(user, (book) => book.create(fields));
        created.push({ id: c.id, ...(c.lastname ? { lastname: c.lastname } : {}) });
      } catch (e) {
        if (!(e instanceof EngineError)) throw e;
        failed.push({ line, errors: [e.message] });
      }
    });
    return json(201, { created, failed });
  };

  /**
   * The import of a reader that takes any body as the CSV (importAccepts 'body-as-csv'): lines split on commas, the
   * first one the header, unknown columns ignored, a line with no known field failed.
   */
  const importAnyBody = (user: string, text: string): SimResponse => {
    const lines = text.split(/\r?\n/);
    const header = (lines.shift() ?? '').split(',').map((h) => h.trim().toLowerCase());
    const created: { id: string; lastname?: string }[] = [];
    const failed: { line: number; errors: string[] }[] = [];
    lines.forEach((l, i) => {
      if (!l.trim()) return;
      const fields: ContactFields = {};
      l.split(',').forEach((v, j) => {
        const h = header[j] ?? '';
        if ((CONTACT_FIELDS as readonly string[]).includes(h) && v.trim()) fields[h as keyof ContactFields] = v.trim();
      });
      if (!Object.keys(fields).length) return void failed.push({ line: i + 2, errors: ['at least one of number, mobile, fax, email, lastname or firstname is required'] });
      try {
        const c = engine.withContacts(user, (book) => book.create(fields));
        created.push({ id: c.id, ...(c.lastname ? { lastname: c.lastname } : {}) });
      } catch (e) {
        if (!(e instanceof EngineError)) throw e;
        failed.push({ line: i + 2, errors: [e.message] });
      }
    });
    return json(201, { created, failed });
  };

  /** A PUT's fields as the contactUpdate reading applies them (see common.ts). */
  const updateFields = (f: ContactFields): ContactFields | SimResponse => {
    if (st.contactUpdate === 'merge-strict') {
      const empty = CONTACT_FIELDS.filter((k) => f[k] !== undefined && f[k]!.trim() === '');
      if (empty.length) return fail(400, 'InvalidContact', `${empty.join(', ')} must not be empty`);
    }
    if (st.contactUpdate === 'replace') return Object.fromEntries(CONTACT_FIELDS.map((k) => [k, f[k] ?? ''])) as ContactFields;
    return f;
  };

  const contactStatus = (n: string | undefined): number => {
    const u = n ? engine.listUsers().find((x) => x.extension === n) : undefined;
    return u ? (u.online && !u.dnd ? 0 : 1) : -2;
  };

  return (req, seg, claims) => {
    const [a, b, c, d, e] = seg;
    const user = claims.login;
    const m = req.method;
    if (a === 'contact' || a === 'call_qualification') {
      const acl = aclFor(m, seg);
      if (!acl) return undefined;
      if (!need(claims, acl)) return forbidden(claims);
      if (!knownUser(engine, user)) return fail(400, 'UserNotFound', `User ${user} not found`);
      if (st.unreachable) {
        return fail(503, 'Unreachable', a === 'contact' ? 'Directory server is not reachable' : 'Config management server is not available');
      }
    }
    if (a === 'contact' && b === 'personal' && seg.length === 2) {
      if (m === 'GET') {
        const list = engine.book(user).list();
        return json(200, {
          entries: list.map((x) => ({ status: contactStatus(x.number), entry: [x.firstname ?? '', x.lastname ?? '', x.number ?? '', x.mobile ?? '', 'false'] })),
          headers: ['Firstname', 'Lastname', 'Number', 'Mobile', 'Favorite'],
        });
      }
      if (m === 'POST') {
        const f = contactFields(req);
        if ('status' in f) return f as SimResponse;
        try {
          return json(201, engine.withContacts(user, (book) => book.create(f as ContactFields)));
        } catch (err) {
          return engineContactError(err);
        }
      }
      if (m === 'DELETE') {
        engine.withContacts(user, (book) => book.deleteAll());
        return { status: 204, body: '' };
      }
    }
    if (a === 'contact' && b === 'personal' && seg.length === 3) {
      const id = c!;
      try {
        if (m === 'GET') return json(200, engine.book(user).get(id));
        if (m === 'PUT') {
          const f = contactFields(req);
          if ('status' in f) return f as SimResponse;
          const applied = updateFields(f as ContactFields);
          if ('status' in applied) return applied as SimResponse;
          return json(200, engine.withContacts(user, (book) => book.update(id, applied as ContactFields)));
        }
        if (m === 'DELETE') {
          engine.withContacts(user, (book) => book.delete(id));
          return { status: 204, body: '' };
        }
      } catch (err) {
        return engineContactError(err, id);
      }
    }
    if (a === 'contact' && b === 'export' && c === 'personal' && seg.length === 3 && m === 'GET') {
      return { status: 200, headers: { 'content-type': 'text/csv; charset=utf-8' }, body: engine.book(user).exportCsv() };
    }
    if (a === 'contact' && b === 'import' && c === 'personal' && seg.length === 3 && m === 'POST') {
      const type = req.headers['content-type'];
      if (st.importAccepts === 'body-as-csv') return importAnyBody(user, req.body);
      const isMultipart = /^multipart\/form-data/i.test(type ?? '');
      if (isMultipart) {
        if (st.importAccepts === 'raw') return fail(400, 'InvalidContact', 'the CSV must be the body of the request');
        const file = multipartField(type, req.body, 'file');
        if (file === undefined) return fail(400, 'InvalidContact', 'no file field in the form');
        return importCsv(user, file);
      }
      if (st.importAccepts === 'multipart') return { status: 415, headers: { 'content-type': 'text/plain' }, body: 'Unsupported Media Type' };
      return importCsv(user, req.body);
    }
    if (a === 'call_qualification' && b === 'queue' && seg.length === 3 && m === 'GET') {
      if (!/^\d+$/.test(c!)) return fail(400, 'JsonErrorDecoding', 'the queue id must be an integer');
      return json(200, st.qualifications.get(Number(c)) ?? []);
    }
    if (a === 'call_qualification' && seg.length === 1 && m === 'POST') {
      const p = body(req);
      if (p === undefined) return fail(400, 'JsonBodyNotFound', 'Qualification answer sent to API is not found');
      if (!isObj(p)) return fail(400, 'JsonErrorDecoding', 'Qualification answer sent to API is not JSON valid');
      const ints = ['sub_qualification_id', 'agent', 'queue'] as const;
      const strs = ['time', 'callid', 'first_name', 'last_name', 'comment', 'custom_data'] as const;
      if (ints.some((k) => !Number.isInteger(p[k])) || strs.some((k) => typeof p[k] !== 'string')) {
        return fail(400, 'JsonErrorDecoding', 'Qualification answer sent to API is not JSON valid');
      }
      const record = Object.fromEntries(QUALIFICATION_COLUMNS.map((k) => [k, p[k]])) as unknown as QualificationRecord;
      st.answers.push(record);
      return json(201, record);
    }
    if (a === 'call_qualification' && b === 'csv' && seg.length === 5 && m === 'GET') {
      const [queue, from, to] = [c!, d!, e!];
      const form = st.qualificationRange === 'datetimes' ? /^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$/ : st.qualificationRange === 'dates' ? /^\d{4}-\d{2}-\d{2}$/ : /./;
      if (!/^\d+$/.test(queue) || !form.test(from) || !form.test(to)) {
        return fail(400, 'JsonErrorDecoding', `expected /csv/{queueId}/{from}/{to}, from and to as ${st.qualificationRange === 'datetimes' ? 'YYYY-MM-DD HH:MM:SS' : 'YYYY-MM-DD'}`);
      }
      // 'dates': whole days; otherwise the stored time compared as text, as a database does.
      const within = (t: string) => (st.qualificationRange === 'dates' ? t.slice(0, 10) >= from && t.slice(0, 10) <= to : t >= from && t <= to);
      const rows = st.answers.filter((r) => r.queue === Number(queue) && within(r.time)).map((r) => QUALIFICATION_COLUMNS.map((k) => String(r[k])));
      return { status: 200, headers: { 'content-type': 'text/csv; charset=utf-8' }, body: toCsv([[...QUALIFICATION_COLUMNS], ...rows]) };
    }
    return undefined;
  };
}

/** The ACL an endpoint of the CTI user set requires (as the doc's alias.ctiuser writes it). */
function aclFor(method: string, seg: string[]): string | undefined {
  const [a, b, c] = seg;
  const op = method === 'GET' ? 'read' : method === 'POST' ? 'create' : method === 'PUT' ? 'update' : method === 'DELETE' ? 'delete' : undefined;
  if (!op) return undefined;
  if (a === 'contact' && b === 'personal') return seg.length === 2 ? `xuc.rest.contact.personal.${op}` : `xuc.rest.contact.personal.*.${op}`;
  if (a === 'contact' && (b === 'export' || b === 'import') && c === 'personal') return `xuc.rest.contact.${b}.personal.${op}`;
  if (a === 'call_qualification') {
    if (b === 'queue') return `xuc.rest.call_qualification.queue.*.${op}`;
    if (b === 'csv') return `xuc.rest.call_qualification.csv.#.${op}`;
    return `xuc.rest.call_qualification.${op}`;
  }
  return undefined;
}
