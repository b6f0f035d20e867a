/**
 * `telephony-mcp simulate xivo`: XiVO's XUC REST API 2.0 over the sim engine, at /xuc/api/2.0, as the vendor
 * doc specifies it: JWT login for CTI and web-service users (HS256, XUC's claims, a TTL configurable down to
 * seconds), /auth/check renewal, the dial, DND, forward and history endpoints for web-service users, and the
 * personal contacts and call qualification endpoints for CTI users, with the documented statuses and error
 * codes. Contacts are listed as the doc shows them (headers, no ids, Favorite "false"); history records have
 * the 1.0 fields. Where the engine decides more than a real XUC could at request time (a busy or unknown
 * destination), the simulator answers as XUC does: the dial is accepted and the call simply fails.
 */
import { CONTACT_FIELDS, type ContactFields } from '../model.js';
import { EngineError, type PbxEngine } from '../sim/engine.js';
import { CSV_COLUMNS } from '../sim/contacts.js';
import { startSimServer, type SimRequest, type SimResponse } from '../simkit.js';
import type { RunningSimulator, SimulatorDef, SimulatorOptions } from '../../simulators.js';
import { parseCsv, toCsv } from '../../util/csv.js';
import { API_BASE_PATH } from './codec.js';
import { JwtSigner, type XucClaims } from './sim-jwt.js';
import { multipartField } from './sim-multipart.js';

export const WEBSERVICE_ACLS = [
  'xuc.rest.dial.number.*.create',
  'xuc.rest.dial.user.*.create',
  'xuc.rest.dial.fromqueue.create',
  'xuc.rest.dial.toqueue.create',
  'xuc.rest.dnd.*.create',
  'xuc.rest.forward.unconditional.*.create',
  'xuc.rest.forward.noanswer.*.create',
  'xuc.rest.forward.busy.*.create',
  'xuc.rest.history.*.read',
  'xuc.rest.history.days.*.read',
];

/** alias.ctiuser, as the doc lists it. */
export const CTI_ACLS = [
  'xuc.rest.contact.personal.read',
  'xuc.rest.contact.personal.create',
  'xuc.rest.contact.personal.delete',
  'xuc.rest.contact.personal.*.read',
  'xuc.rest.contact.personal.*.update',
  'xuc.rest.contact.personal.*.delete',
  'xuc.rest.contact.export.personal.read',
  'xuc.rest.contact.import.personal.create',
  'xuc.rest.contact.display.personal.read',
  'xuc.rest.call_qualification.queue.*.read',
  'xuc.rest.call_qualification.csv.#.read',
  'xuc.rest.call_qualification.create',
  'xuc.rest.mobile.push.register.create',
];

export interface XucAccount {
  login: string;
  password: string;
  userType: 'cti' | 'webservice';
}

export interface XucSimOptions extends SimulatorOptions {
  /** Token lifetime in seconds (default 3600); tests use a few seconds. */
  tokenTtlSeconds?: number;
  /** The web-service user (default xuc-ws / xuc-ws-pa55). */
  webservice?: { login: string; password: string };
  /** Password of every engine user as a CTI user (default cti-pa55). */
  ctiPassword?: string;
  /** History `data` as a bare array (default) or wrapped in an object ({history: [...]}). */
  historyShape?: 'array' | 'wrapped';
  /** What the contact import accepts: multipart `file` (the doc's curl, default), a raw CSV body, or both. */
  importAccepts?: 'multipart' | 'raw' | 'both';
}

export interface QualificationRecord {
  sub_qualification_id: number;
  time: string;
  callid: string;
  agent: number;
  queue: number;
  first_name: string;
  last_name: string;
  comment: string;
  custom_data: string;
}

export interface XucSimulator extends RunningSimulator {
  /** Logins (POST /auth/login or /auth/webservice) and renewals (GET /auth/check) answered with a token. */
  readonly stats: { logins: number; checks: number; refusedLogins: number };
  tokenTtlSeconds: number;
  /** Every token issued so far expires now (TokenExpired). */
  expireTokens(): void;
  /** Every token issued so far stops being XUC's (InvalidToken). */
  revokeTokens(): void;
  /** The directory and configuration servers are unreachable: contacts and qualification answer 503 Unreachable. */
  setUnreachable(on: boolean): void;
  /** The numeric id XUC gives each queue of the engine (1, 2, ... in the scenario's order). */
  queueId(name: string): number | undefined;
  readonly qualificationAnswers: QualificationRecord[];
  importAccepts: 'multipart' | 'raw' | 'both';
}

/** Qualification options every queue starts with (the doc's sample). */
const SEED_QUALIFICATIONS = [
  { id: 6, name: 'General Questions', subQualifications: [{ id: 14, name: 'Common' }, { id: 15, name: 'Technical' }] },
  { id: 5, name: 'Support', subQualifications: [{ id: 12, name: 'Technical' }, { id: 13, name: 'General' }] },
];
const QUALIFICATION_COLUMNS = ['sub_qualification_id', 'time', 'callid', 'agent', 'queue', 'first_name', 'last_name', 'comment', 'custom_data'] as const;

const JSON_TYPE = { 'content-type': 'application/json' };

function json(status: number, body: unknown): SimResponse {
  return { status, headers: JSON_TYPE, body: JSON.stringify(body) };
}

function fail(status: number, error: string, message: string): SimResponse {
  return json(status, { error, message });
}

const SUCCESS = (): SimResponse => json(200, { res: 'success' });

/** A request body read as JSON: undefined for an empty body, `bad` when it is not JSON. */
function body(req: SimRequest): unknown {
  if (req.body.trim() === '') return undefined;
  try {
    return JSON.parse(req.body);
  } catch {
    return BAD;
  }
}
const BAD = Symbol('bad json');

const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const pad = (n: number) => String(n).padStart(2, '0');

/** ISO time -> "YYYY-MM-DD HH:MM:SS" (the simulated XUC runs on UTC). */
function xucTime(iso: string): string {
  return iso.slice(0, 19).replace('T', ' ');
}

function hms(seconds: number): string {
  return `${pad(Math.floor(seconds / 3600))}:${pad(Math.floor((seconds % 3600) / 60))}:${pad(seconds % 60)}`;
}

export async function startXucSimulator(opts: XucSimOptions): Promise<XucSimulator> {
  const engine: PbxEngine = opts.engine;
  const signer = new JwtSigner();
  const stats = { logins: 0, checks: 0, refusedLogins: 0 };
  const ws = opts.webservice ?? { login: 'xuc-ws', password: 'xuc-ws-pa55' };
  const ctiPassword = opts.ctiPassword ?? 'cti-pa55';
  const issued = new Set<string>();
  const expired = new Set<string>();
  const answers: QualificationRecord[] = [];
  const qualifications = new Map<number, typeof SEED_QUALIFICATIONS>();
  const queueIds = new Map<string, number>(engine.queueNames().map((q, i) => [q, i + 1]));
  for (const id of queueIds.values()) qualifications.set(id, structuredClone(SEED_QUALIFICATIONS));
  let unreachable = false;

  const sim = {
    tokenTtlSeconds: opts.tokenTtlSeconds ?? 3600,
    importAccepts: opts.importAccepts ?? 'multipart',
  };

  const account = (login: string, password: string, userType: 'cti' | 'webservice'): boolean => {
    if (userType === 'webservice') return login === ws.login && password === ws.password;
    const u = engine.findUser(login);
    return !!u && u.id === login && password === ctiPassword;
  };

  const issue = (login: string, userType: 'cti' | 'webservice'): SimResponse => {
    const now = Date.now();
    const ttl = sim.tokenTtlSeconds;
    const token = signer.sign({ login, issuedAt: now, expiresAt: now + ttl * 1000, userType, acls: userType === 'cti' ? CTI_ACLS : WEBSERVICE_ACLS });
    issued.add(token);
    if (issued.size > 10_000) issued.delete(issued.values().next().value!);
    return json(200, { login, token, TTL: ttl });
  };

  /** The claims of the request's token, or the documented error. */
  const authorize = (req: SimRequest): XucClaims | SimResponse => {
    const h = req.headers.authorization;
    if (typeof h !== 'string') return fail(400, 'AuthorizationHeaderNotFound', 'The Authorization header is not found in the request');
    const m = /^Bearer\s+(\S+)$/i.exec(h);
    if (!m) return fail(400, 'BearerNotFound', 'The token is not found in the Authorization header');
    const claims = signer.verify(m[1]!);
    if (!claims) return fail(403, 'InvalidToken', 'Token does not match XUC signature tokens');
    if (claims.expiresAt <= Date.now() || expired.has(m[1]!)) return fail(403, 'TokenExpired', 'Token expired');
    return claims;
  };

  const login = (req: SimRequest, userType: 'cti' | 'webservice'): SimResponse => {
    const b = body(req);
    if (!isObj(b) || typeof b.login !== 'string' || typeof b.password !== 'string') {
      return fail(400, 'InvalidJson', 'The request body does not follow the body model');
    }
    if (!account(b.login, b.password, userType)) {
      stats.refusedLogins++;
      return fail(401, 'InvalidCredentials', 'Invalid login and/or invalid password');
    }
    stats.logins++;
    return issue(b.login, userType);
  };

  // ---------------------------------------------------------------- web-service endpoints

  const userNotFound = (u: string) => fail(400, 'UserNotFound', `User ${u} not found`);
  const knownUser = (u: string) => {
    const rec = engine.findUser(u);
    return rec && rec.id === u ? rec : undefined;
  };

  /**
   * Dial from `user`. XUC answers before the destination is routed: a busy, absent or unknown destination is
   * still "success" (the call fails afterwards, and the user's history shows it).
   */
  const dial = (user: string, destination: string): SimResponse => {
    try {
      engine.placeCall(user, destination);
    } catch (e) {
      if (!(e instanceof EngineError)) throw e;
      if (e.code === 'invalid') return fail(400, 'BadRequest', e.message);
      if (e.code === 'conflict') return fail(500, 'NotHandledError', `user ${user} is not connected`);
    }
    return SUCCESS();
  };

  const webservice = (req: SimRequest, seg: string[], claims: XucClaims): SimResponse | undefined => {
    const [a, b, c] = seg;
    const post = req.method === 'POST';
    // Dial endpoints: BadRequest for a missing or invalid body.
    if (a === 'dial' && post) {
      if (!need(claims, b === 'toqueue' ? 'xuc.rest.dial.toqueue.create' : b === 'fromqueue' ? 'xuc.rest.dial.fromqueue.create' : `xuc.rest.dial.${b}.*.create`)) {
        return forbidden(claims);
      }
      const payload = body(req);
      if (!isObj(payload)) return fail(400, 'BadRequest', 'The body is missing or is invalid');
      if (b === 'toqueue' && seg.length === 2) {
        const { destination, queueName, callerIdNumber } = payload;
        if (typeof destination !== 'string' || typeof queueName !== 'string' || typeof callerIdNumber !== 'string') {
          return fail(400, 'BadRequest', 'destination, queueName and callerIdNumber are required');
        }
        const q = engine.findQueue(queueName);
        if (!q || q.name !== queueName) return fail(400, 'BadRequest', `unknown queue ${queueName}`);
        try {
          // The simulated destination answers at once and waits in the queue.
          engine.inboundCall(destination, q.number);
        } catch (e) {
          if (!(e instanceof EngineError)) throw e;
          if (e.code === 'invalid') return fail(400, 'BadRequest', e.message);
        }
        return SUCCESS();
      }
      if (c === undefined || seg.length !== 3) return undefined;
      if (!knownUser(c)) return userNotFound(c);
      if (b === 'number') {
        if (typeof payload.destination !== 'string') return fail(400, 'BadRequest', 'destination is required');
        return dial(c, payload.destination);
      }
      if (b === 'user') {
        if (typeof payload.username !== 'string') return fail(400, 'BadRequest', 'username is required');
        const target = knownUser(payload.username);
        if (!target) return userNotFound(payload.username);
        return dial(c, target.extension);
      }
      if (b === 'fromqueue') {
        const { destination, queueId } = payload;
        if (typeof destination !== 'string' || typeof queueId !== 'number' || !Number.isInteger(queueId)) {
          return fail(400, 'BadRequest', 'destination and an integer queueId are required');
        }
        if (![...queueIds.values()].includes(queueId)) return fail(400, 'BadRequest', `unknown queue ${queueId}`);
        return dial(c, destination);
      }
      return undefined;
    }
    // DND and forward: JsonBodyNotFound / JsonErrorDecoding / UserNotFound.
    if ((a === 'dnd' && post && seg.length === 2) || (a === 'forward' && post && seg.length === 3)) {
      const kind = a === 'forward' ? b! : undefined;
      if (kind !== undefined && !['unconditional', 'noanswer', 'busy'].includes(kind)) return undefined;
      const user = (kind ? c : b)!;
      if (!need(claims, kind ? `xuc.rest.forward.${kind}.*.create` : 'xuc.rest.dnd.*.create')) return forbidden(claims);
      const payload = body(req);
      if (payload === undefined) return fail(400, 'JsonBodyNotFound', 'No JSON body');
      if (!isObj(payload)) return fail(400, 'JsonErrorDecoding', 'Request sent to API is not JSON valid');
      if (!knownUser(user)) return userNotFound(user);
      if (!kind) {
        if (typeof payload.state !== 'boolean') return fail(400, 'JsonErrorDecoding', 'state must be a boolean');
        engine.setDnd(user, payload.state);
        return SUCCESS();
      }
      const { destination, enabled } = payload;
      if (typeof enabled !== 'boolean' || (destination !== undefined && typeof destination !== 'string')) {
        return fail(400, 'JsonErrorDecoding', 'destination must be a string and enabled a boolean');
      }
      if (enabled && !destination) return fail(400, 'JsonErrorDecoding', 'an enabled forward needs a destination');
      try {
        engine.setForward(user, kind as 'unconditional', enabled ? destination : undefined, enabled);
      } catch (e) {
        if (!(e instanceof EngineError)) throw e;
        return fail(500, 'NotHandledError', e.message);
      }
      return SUCCESS();
    }
    if (a === 'history' && req.method === 'GET') {
      const byDays = b === 'days' && seg.length === 3;
      if (!byDays && seg.length !== 2) return undefined;
      const user = (byDays ? c : b)!;
      if (!need(claims, byDays ? 'xuc.rest.history.days.*.read' : 'xuc.rest.history.*.read')) return forbidden(claims);
      const param = req.query.get(byDays ? 'days' : 'size');
      if (param !== null && !/^[1-9]\d{0,5}$/.test(param)) return fail(400, 'JsonErrorDecoding', `${byDays ? 'days' : 'size'} must be a positive integer`);
      if (!knownUser(user)) return userNotFound(user);
      const entries = engine.history(user, byDays ? { days: Number(param ?? 7), size: 500 } : { size: param === null ? undefined : Number(param) });
      const byNumber = (n: string) => engine.listUsers().find((u) => u.extension === n)?.id ?? n;
      const records = entries.map((e) => ({
        start: xucTime(e.start),
        duration: hms(e.durationSeconds),
        srcUsername: byNumber(e.from),
        dstUsername: byNumber(e.to),
        status: e.status,
      }));
      return json(200, { res: 'success', data: opts.historyShape === 'wrapped' ? { history: records } : records });
    }
    return undefined;
  };

  // ---------------------------------------------------------------- CTI endpoints

  const need = (claims: XucClaims, acl: string) => claims.acls.includes(acl);
  const forbidden = (claims: XucClaims) => fail(403, 'Forbidden', `${claims.userType} user ${claims.login} may not use this endpoint`);
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

  const contactStatus = (n: string | undefined): number => {
    const u = n ? engine.listUsers().find((x) => x.extension === n) : undefined;
    return u ? (u.online && !u.dnd ? 0 : 1) : -2;
  };

  const cti = (req: SimRequest, seg: string[], claims: XucClaims): SimResponse | undefined => {
    const [a, b, c, d, e] = seg;
    const user = claims.login;
    const m = req.method;
    if (a === 'contact' || a === 'call_qualification') {
      const acl = aclFor(m, seg);
      if (!acl) return undefined;
      if (!need(claims, acl)) return forbidden(claims);
      if (!knownUser(user)) return fail(400, 'UserNotFound', `User ${user} not found`);
      if (unreachable) {
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
          return json(200, engine.withContacts(user, (book) => book.update(id, f as ContactFields)));
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
      const isMultipart = /^multipart\/form-data/i.test(type ?? '');
      if (isMultipart) {
        if (sim.importAccepts === 'raw') return fail(400, 'InvalidContact', 'the CSV must be the body of the request');
        const file = multipartField(type, req.body, 'file');
        if (file === undefined) return fail(400, 'InvalidContact', 'no file field in the form');
        return importCsv(user, file);
      }
      if (sim.importAccepts === 'multipart') return { status: 415, headers: { 'content-type': 'text/plain' }, body: 'Unsupported Media Type' };
      return importCsv(user, req.body);
    }
    if (a === 'call_qualification' && b === 'queue' && seg.length === 3 && m === 'GET') {
      if (!/^\d+$/.test(c!)) return fail(400, 'JsonErrorDecoding', 'the queue id must be an integer');
      return json(200, qualifications.get(Number(c)) ?? []);
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
      answers.push(record);
      return json(201, record);
    }
    if (a === 'call_qualification' && b === 'csv' && seg.length === 5 && m === 'GET') {
      const [queue, from, to] = [c!, d!, e!];
      if (!/^\d+$/.test(queue) || !/^\d{4}-\d{2}-\d{2}$/.test(from) || !/^\d{4}-\d{2}-\d{2}$/.test(to)) {
        return fail(400, 'JsonErrorDecoding', 'expected /csv/{queueId}/{YYYY-MM-DD}/{YYYY-MM-DD}');
      }
      const rows = answers
        .filter((r) => r.queue === Number(queue) && r.time.slice(0, 10) >= from && r.time.slice(0, 10) <= to)
        .map((r) => QUALIFICATION_COLUMNS.map((k) => String(r[k])));
      return { status: 200, headers: { 'content-type': 'text/csv; charset=utf-8' }, body: toCsv([[...QUALIFICATION_COLUMNS], ...rows]) };
    }
    return undefined;
  };

  const handle = (req: SimRequest): SimResponse => {
    if (!req.path.startsWith(`${API_BASE_PATH}/`)) return notFound();
    let seg: string[];
    try {
      seg = req.path.slice(API_BASE_PATH.length + 1).split('/').map(decodeURIComponent);
    } catch {
      return notFound();
    }
    if (seg[seg.length - 1] === '') seg.pop();
    if (seg[0] === 'auth') {
      if (req.method === 'POST' && seg[1] === 'login' && seg.length === 2) return login(req, 'cti');
      if (req.method === 'POST' && seg[1] === 'webservice' && seg.length === 2) return login(req, 'webservice');
      if (req.method === 'GET' && seg[1] === 'check' && seg.length === 2) {
        const claims = authorize(req);
        if ('status' in claims) return claims as SimResponse;
        stats.checks++;
        return issue(claims.login, claims.userType);
      }
      return notFound();
    }
    const claims = authorize(req);
    if ('status' in claims) return claims as SimResponse;
    return webservice(req, seg, claims) ?? cti(req, seg, claims) ?? notFound();
  };

  const server = await startSimServer({ host: opts.host, port: opts.port, handle });
  return {
    server,
    stats,
    get tokenTtlSeconds() {
      return sim.tokenTtlSeconds;
    },
    set tokenTtlSeconds(v: number) {
      sim.tokenTtlSeconds = v;
    },
    get importAccepts() {
      return sim.importAccepts;
    },
    set importAccepts(v) {
      sim.importAccepts = v;
    },
    configExample: { type: 'xivo', url: server.url, login: ws.login, password: ws.password, userType: 'webservice', defaultUser: engine.listUsers()[0]?.id },
    expireTokens: () => {
      for (const t of issued) expired.add(t);
    },
    revokeTokens: () => signer.rotate(),
    setUnreachable: (on) => {
      unreachable = on;
    },
    queueId: (name) => queueIds.get(name),
    qualificationAnswers: answers,
    close: () => server.close(),
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

function notFound(): SimResponse {
  return { status: 404, headers: { 'content-type': 'text/html' }, body: '<html><body><h1>Action not found</h1></body></html>' };
}

/** `telephony-mcp simulate xivo` reads the token TTL from XUC_SIM_TOKEN_TTL_SECONDS (to watch renewals live). */
export const xivoSimulator: SimulatorDef = {
  vendor: 'xivo',
  description: 'XiVO XUC REST API 2.0',
  defaultPort: 8090,
  start: (opts) => {
    const ttl = Number(process.env.XUC_SIM_TOKEN_TTL_SECONDS);
    return startXucSimulator({ ...opts, ...(Number.isInteger(ttl) && ttl > 0 ? { tokenTtlSeconds: ttl } : {}) });
  },
};
