/**
 * XUC REST 2.0 wire format <-> the shared model, as pure functions. Decoders are liberal (JSON or the doc's
 * JavaScript-literal samples, every documented shape and the undocumented ones the notes expect); encoders
 * send exactly the documented field names. Unreadable answers become BackendErrors with code `unreadable`
 * (the client decides what they mean for a read or an action); vendor error bodies become typed errors by
 * their error code, else by HTTP status, never by their prose.
 */
import { BackendError } from '../../errors.js';
import {
  CONTACT_FIELDS,
  type Contact,
  type ContactField,
  type ContactFields,
  type ContactImportResult,
  type HistoryEntry,
  type Qualification,
  type QualificationAnswer,
} from '../model.js';
import { isRecord, JsonReadError, readJson } from './json.js';
import { parseDuration, xucTimeToIso } from './time.js';

export const API_BASE_PATH = '/xuc/api/2.0';

/** The API base URL: the configured url with /xuc/api/2.0 appended unless it already ends with it. */
export function apiBaseUrl(url: string): string {
  const u = url.replace(/\/+$/, '');
  return u.endsWith(API_BASE_PATH) ? u : `${u}${API_BASE_PATH}`;
}

/** A path segment: every value going into a URL path is percent-encoded. */
export const seg = (v: string | number): string => encodeURIComponent(String(v));

function unreadable(what: string, detail?: string): BackendError {
  return new BackendError('unavailable', `XUC's answer to ${what} could not be read${detail ? ` (${detail})` : ''}`, {
    code: 'unreadable',
  });
}

/** Parse a JSON body, or throw `unreadable`. */
export function parseBody(body: string, what: string): unknown {
  if (body.trim() === '') throw unreadable(what, 'empty body');
  try {
    return readJson(body);
  } catch (e) {
    throw unreadable(what, e instanceof JsonReadError ? 'not JSON' : undefined);
  }
}

const str = (v: unknown): string | undefined =>
  typeof v === 'string' ? v : typeof v === 'number' && Number.isFinite(v) ? String(v) : undefined;

const int = (v: unknown): number | undefined => {
  const n = typeof v === 'number' ? v : typeof v === 'string' && /^\s*-?\d+\s*$/.test(v) ? Number(v) : NaN;
  return Number.isSafeInteger(n) ? n : undefined;
};

// ------------------------------------------------------------------ authentication

export interface JwtClaims {
  login?: string;
  /** Milliseconds since the epoch. */
  expiresAt?: number;
  issuedAt?: number;
  userType?: string;
  acls?: string[];
}

export interface XucAuth {
  login?: string;
  token: string;
  /** TTL in seconds, when the answer has a usable one. */
  ttlSeconds?: number;
  claims?: JwtClaims;
}

/** The claims of a JWT, without verifying it (only XUC can); undefined when it is not a readable JWT. */
export function decodeJwt(token: string): JwtClaims | undefined {
  const parts = token.split('.');
  if (parts.length !== 3) return undefined;
  try {
    const p = JSON.parse(Buffer.from(parts[1]!, 'base64url').toString('utf8')) as unknown;
    if (!isRecord(p)) return undefined;
    const claims: JwtClaims = {};
    if (typeof p.login === 'string') claims.login = p.login;
    const exp = int(p.expiresAt);
    if (exp !== undefined) claims.expiresAt = exp;
    const iat = int(p.issuedAt);
    if (iat !== undefined) claims.issuedAt = iat;
    if (typeof p.userType === 'string') claims.userType = p.userType;
    if (Array.isArray(p.acls)) claims.acls = p.acls.filter((a): a is string => typeof a === 'string');
    return claims;
  } catch {
    return undefined;
  }
}

/** {login, token, TTL} from /auth/login, /auth/webservice or /auth/check. */
export function parseAuth(body: string): XucAuth {
  const v = parseBody(body, 'the login');
  if (!isRecord(v) || typeof v.token !== 'string' || v.token.trim() === '') throw unreadable('the login', 'no token');
  const out: XucAuth = { token: v.token.trim() };
  if (typeof v.login === 'string') out.login = v.login;
  const ttl = typeof v.TTL === 'number' ? v.TTL : typeof v.TTL === 'string' && /^\d+$/.test(v.TTL.trim()) ? Number(v.TTL) : NaN;
  if (Number.isFinite(ttl) && ttl > 0) out.ttlSeconds = ttl;
  const claims = decodeJwt(out.token);
  if (claims) out.claims = claims;
  return out;
}

/**
 * How long a token lives, in ms: the TTL of the answer, else (SSO-style answers have none) the JWT's
 * expiresAt - issuedAt. Undefined when neither is known; then only a TokenExpired answer tells.
 */
export function tokenLifetimeMs(auth: XucAuth): number | undefined {
  if (auth.ttlSeconds !== undefined) return auth.ttlSeconds * 1000;
  const c = auth.claims;
  if (c?.expiresAt !== undefined && c.issuedAt !== undefined && c.expiresAt > c.issuedAt) return c.expiresAt - c.issuedAt;
  return undefined;
}

// ------------------------------------------------------------------ errors

export interface XucError {
  status: number;
  /** The `error` code of a {error, message} body, when there is a plausible one. */
  code?: string;
}

/** The error code of an answer, from a JSON (or doc-style) {error, message} body; proxy pages have none. */
export function parseError(status: number, body: string): XucError {
  let v: unknown;
  try {
    v = readJson(body);
  } catch {
    return { status };
  }
  const code = isRecord(v) ? v.error : undefined;
  return typeof code === 'string' && /^[A-Za-z][A-Za-z0-9_.]{0,63}$/.test(code) ? { status, code } : { status };
}

const TOKEN_REJECTIONS: ReadonlySet<string> = new Set(['TokenExpired', 'InvalidToken']);

/** XUC refused the token (expired or not one of its own): log in again and replay; the server did not act. */
export function isTokenRejection(e: XucError): boolean {
  return (e.status === 401 || e.status === 403) && e.code !== undefined && TOKEN_REJECTIONS.has(e.code);
}

export interface ErrorContext {
  /** What was asked, for messages: "set do-not-disturb for alice". */
  what: string;
  /** A read (may be retried; failures are `unavailable`) or an action. */
  read: boolean;
  /** The XUC user in the path, if any. */
  user?: string | undefined;
  /** Another user the request names (dial by username), if any. */
  otherUser?: string | undefined;
  /** The contact id in the path, if any. */
  id?: string | undefined;
  /** The login telephony-mcp uses, for permission messages. */
  login?: string | undefined;
  /** The ACL the request needs, for permission messages. */
  acl?: string | undefined;
}

const REQUEST_UNREADABLE = new Set(['JsonBodyNotFound', 'JsonErrorDecoding', 'InvalidJson', 'JsonParsingError']);
const UNHANDLED = new Set(['NotHandledError', 'UnhandledError']);
const NOT_DONE = 'Nothing was done.';

/** A typed error for an XUC error answer: by code when known, else by HTTP status. */
export function errorFor(e: XucError, ctx: ErrorContext): BackendError {
  const tag = e.code ? `${e.code}, HTTP ${e.status}` : `HTTP ${e.status}`;
  const at = `when asked to ${ctx.what}`;
  const mk = (kind: BackendError['kind'], message: string, hint?: string) =>
    new BackendError(kind, message, { code: e.code ?? `http_${e.status}`, ...(hint ? { hint } : {}) });
  switch (e.code) {
    case 'UserNotFound':
      return mk(
        'not_found',
        ctx.user === undefined
          ? `XUC does not know the user (${tag}) ${at}`
          : `XUC has no user "${ctx.user}"${ctx.otherUser !== undefined ? ` or no user "${ctx.otherUser}"` : ''} (${tag}) ${at}`,
        'Use the XiVO login (username) of the user, not the extension number. Nothing was done.',
      );
    case 'ContactNotFound':
      return mk(
        'not_found',
        `there is no personal contact${ctx.id !== undefined ? ` with id ${ctx.id}` : ''} (${tag}) ${at}`,
        'XiVO lists contacts without ids: use an id returned by create, import_csv or get.',
      );
    case 'DuplicateContact':
      return mk('conflict', `a personal contact with the same details already exists (${tag}) ${at}`, 'Update the existing contact instead. Nothing was done.');
    case 'InvalidContact':
      return mk(
        'invalid',
        `XUC refused the contact as invalid (${tag}) ${at}`,
        'A contact needs a firstname or lastname and at least one of number, mobile, fax or email, each well formed. Nothing was done.',
      );
    case 'Unreachable':
      // XUC says its own directory or configuration server could not be reached: it did not act.
      return mk('unavailable', `XUC could not reach its directory or configuration server (${tag}) ${at}; nothing was done`);
    case 'BadRequest':
      return mk('invalid', `XUC refused the request as malformed or impossible (${tag}) ${at}`, `Check the arguments (numbers, queue, user). ${NOT_DONE}`);
    case 'InvalidCredentials':
      return mk('auth', `XUC refused the login of "${ctx.login ?? '?'}" (${tag}) ${at}`, 'Check login, password and userType of this PBX in the telephony-mcp config.');
    case 'TokenExpired':
    case 'InvalidToken':
      return mk('auth', `XUC refused the session token of "${ctx.login ?? '?'}" even after a fresh login (${tag}) ${at}`, 'Check that the XUC clock and token settings are sane; nothing was done.');
    case 'BearerNotFound':
    case 'AuthorizationHeaderNotFound':
      return mk(
        'auth',
        `the Authorization header did not reach XUC (${tag}) ${at}`,
        'A proxy between telephony-mcp and XUC may strip it; check the url in the config. Nothing was done.',
      );
    default:
      break;
  }
  if (e.code && REQUEST_UNREADABLE.has(e.code)) {
    return mk(
      'invalid',
      `XUC could not read the request (${tag}) ${at}`,
      'This points at a telephony-mcp bug or an XUC version it does not know; please report it. Nothing was done.',
    );
  }
  const s = e.status;
  if ((e.code && UNHANDLED.has(e.code)) || s >= 500) {
    const why = e.code ? `XUC failed with an unclassified error (${tag})` : `XUC failed (${tag})`;
    return ctx.read ? mk('unavailable', `${why} ${at}`) : mk('outcome_unknown', `${why} ${at}: it may or may not have happened`);
  }
  if (s === 401) return mk('auth', `XUC refused our credentials (${tag}) ${at}`, 'Check login, password and userType of this PBX in the telephony-mcp config.');
  if (s === 403 && ctx.acl) {
    return mk(
      'auth',
      `XUC user "${ctx.login ?? '?'}" is not allowed to ${ctx.what}: XUC requires the ACL ${ctx.acl} (${tag})`,
      `A XiVO administrator grants ${ctx.acl} to this web-service user. ${NOT_DONE}`,
    );
  }
  if (s === 403) {
    return mk(
      'auth',
      `XUC user "${ctx.login ?? '?'}" is not allowed to ${ctx.what} (${tag})`,
      'Its XiVO ACLs lack this permission, or this needs the other user type (webservice for dial, DND, forwarding and history; cti for contacts and call qualification). Nothing was done.',
    );
  }
  if (s === 404) return mk('not_found', `XUC has no such resource (${tag}) ${at}`, `Check the url in the config (it must reach ${API_BASE_PATH}). ${NOT_DONE}`);
  if (s === 409) return mk('conflict', `XUC refused the request as conflicting with existing data (${tag}) ${at}`);
  if (s === 429) return mk('rate_limited', `XUC is throttling requests (${tag}) ${at}`);
  if (s >= 400) return mk('invalid', `XUC rejected the request (${tag}) ${at}`, NOT_DONE);
  // 1xx/3xx: the answer is not XUC's (a redirecting proxy or login page); the request did not reach it.
  return mk('unavailable', `XUC did not answer the request (${tag}, probably a proxy redirect) ${at}`, `Check the url in the config. ${NOT_DONE}`);
}

// ------------------------------------------------------------------ contacts

const HEADER_FIELDS: Record<string, ContactField> = {
  firstname: 'firstname',
  lastname: 'lastname',
  company: 'company',
  email: 'email',
  mail: 'email',
  number: 'number',
  phone: 'number',
  mobile: 'mobile',
  fax: 'fax',
};

function contactFrom(get: (k: ContactField) => unknown, id: string): Contact {
  const c: Contact = { id };
  for (const k of CONTACT_FIELDS) {
    const v = str(get(k))?.trim();
    if (v) c[k] = v;
  }
  return c;
}

/** A contact object {id, firstname, ...}; id '' when the object has none. */
export function contactFromObject(v: unknown): Contact | undefined {
  if (!isRecord(v)) return undefined;
  return contactFrom((k) => v[k], str(v.id ?? v.uuid) ?? '');
}

/** GET /contact/personal: {entries:[{status, entry:[...]}], headers:[...]}, fields mapped by header; no ids. */
export function parseContactList(body: string): Contact[] {
  const v = parseBody(body, 'the contact list');
  if (Array.isArray(v)) return v.map(contactFromObject).filter((c): c is Contact => c !== undefined);
  if (!isRecord(v) || !Array.isArray(v.entries)) throw unreadable('the contact list', 'no entries');
  const headers = Array.isArray(v.headers) ? v.headers.map((h) => (typeof h === 'string' ? h.toLowerCase().replace(/[\s_-]/g, '') : '')) : [];
  const idAt = headers.findIndex((h) => h === 'id' || h === 'uuid');
  const out: Contact[] = [];
  for (const e of v.entries) {
    if (isRecord(e) && Array.isArray(e.entry)) {
      const row = e.entry;
      const get = (k: ContactField) => {
        const j = headers.findIndex((h) => HEADER_FIELDS[h] === k);
        return j >= 0 ? row[j] : undefined;
      };
      out.push(contactFrom(get, idAt >= 0 ? (str(row[idAt]) ?? '') : ''));
    } else {
      const c = contactFromObject(e);
      if (c) out.push(c);
    }
  }
  return out;
}

/** GET/POST/PUT /contact/personal[/id]: one contact object. */
export function parseContact(body: string, what: string): Contact {
  const c = contactFromObject(parseBody(body, what));
  if (!c) throw unreadable(what, 'not a contact');
  return c;
}

/**
 * The contact a 2xx create/update answer describes. XUC sends the contact; an answer without one (empty, a
 * bare {"res":"success"}) still means it was done, so the fields sent stand in, with `id` when known.
 */
export function contactAnswer(body: string, sent: ContactFields, id: string): Contact {
  const c = contactInAnswer(body);
  if (c) return c.id ? c : { ...c, id };
  return contactFrom((k) => sent[k], id);
}

/** The contact a 2xx create/update answer describes, or undefined when it describes none (empty, {"res":...}). */
export function contactInAnswer(body: string): Contact | undefined {
  let c: Contact | undefined;
  try {
    c = contactFromObject(readJson(body));
  } catch {
    return undefined;
  }
  return c && (c.id || CONTACT_FIELDS.some((k) => c[k] !== undefined)) ? c : undefined;
}

/**
 * A contact as the create/update body: each documented key once, in the doc's order. `clear` lists fields to
 * send as "" (update: the person cleared them).
 */
export function contactBody(fields: ContactFields, clear: readonly ContactField[] = []): string {
  const order: ContactField[] = ['lastname', 'firstname', 'company', 'email', 'number', 'mobile', 'fax'];
  const out: Record<string, string> = {};
  for (const k of order) {
    const v = fields[k]?.trim();
    if (v) out[k] = v;
    else if (clear.includes(k)) out[k] = '';
  }
  return JSON.stringify(out);
}

/** POST /contact/import/personal: {created:[{id, lastname}], failed:[{line, errors:[...]}]}. */
export function parseImport(body: string): ContactImportResult {
  const v = parseBody(body, 'the contact import');
  if (!isRecord(v)) throw unreadable('the contact import', 'not an object');
  const created: ContactImportResult['created'] = [];
  for (const c of Array.isArray(v.created) ? v.created : []) {
    if (!isRecord(c)) continue;
    const lastname = str(c.lastname)?.trim();
    created.push({ id: str(c.id ?? c.uuid) ?? '', ...(lastname ? { lastname } : {}) });
  }
  const failed: ContactImportResult['failed'] = [];
  for (const f of Array.isArray(v.failed) ? v.failed : []) {
    if (!isRecord(f)) continue;
    const errs = Array.isArray(f.errors) ? f.errors : f.errors !== undefined ? [f.errors] : f.error !== undefined ? [f.error] : [];
    failed.push({ line: int(f.line) ?? 0, errors: errs.map((x) => str(x) ?? JSON.stringify(x)) });
  }
  if (!Array.isArray(v.created) && !Array.isArray(v.failed)) throw unreadable('the contact import', 'no created or failed lists');
  return { created, failed };
}

// ------------------------------------------------------------------ history

const WRAPPERS = ['history', 'calls', 'list', 'entries', 'items', 'records', 'data', 'result'];

/** The array of records in a history answer: data as an array, a wrapped array, or a bare array (1.0). */
function historyRecords(v: unknown): unknown[] | undefined {
  if (Array.isArray(v)) return v;
  if (!isRecord(v)) return undefined;
  if ('data' in v) {
    const d = v.data;
    if (Array.isArray(d)) return d;
    if (isRecord(d)) {
      for (const k of WRAPPERS) if (Array.isArray(d[k])) return d[k] as unknown[];
      const arrays = Object.values(d).filter(Array.isArray);
      if (arrays.length === 1) return arrays[0] as unknown[];
    }
    if (d === null) return [];
    return undefined;
  }
  for (const k of WRAPPERS) if (Array.isArray(v[k])) return v[k] as unknown[];
  return undefined;
}

/** GET /history[/days]/{user}: 1.0-style records {start, duration "HH:MM:SS", srcUsername, dstUsername, status}. */
export function parseHistory(body: string, timeZone?: string): HistoryEntry[] {
  const records = historyRecords(parseBody(body, 'the call history'));
  if (!records) throw unreadable('the call history', 'no list of calls');
  const out: HistoryEntry[] = [];
  for (const r of records) {
    if (!isRecord(r)) continue;
    const start = str(r.start);
    out.push({
      start: start ? xucTimeToIso(start, timeZone) : '',
      durationSeconds: parseDuration(r.duration) ?? 0,
      from: str(r.srcUsername) || str(r.srcNum) || '',
      to: str(r.dstUsername) || str(r.dstNum) || '',
      status: (str(r.status) ?? 'unknown').toLowerCase(),
    });
  }
  return out;
}

// ------------------------------------------------------------------ call qualification

/** GET /call_qualification/queue/{id}: [{id, name, subQualifications:[{id, name}]}]. */
export function parseQualifications(body: string): Qualification[] {
  const v = parseBody(body, 'the call qualifications');
  const list = Array.isArray(v) ? v : isRecord(v) && Array.isArray(v.data) ? v.data : undefined;
  if (!list) throw unreadable('the call qualifications', 'not a list');
  const out: Qualification[] = [];
  for (const q of list) {
    if (!isRecord(q)) continue;
    const id = int(q.id);
    if (id === undefined) continue;
    const subs = Array.isArray(q.subQualifications) ? q.subQualifications : Array.isArray(q.sub_qualifications) ? q.sub_qualifications : [];
    out.push({
      id,
      name: str(q.name) ?? '',
      subQualifications: subs.flatMap((s) => {
        const sid = isRecord(s) ? int(s.id) : undefined;
        return isRecord(s) && sid !== undefined ? [{ id: sid, name: str(s.name) ?? '' }] : [];
      }),
    });
  }
  return out;
}

/** POST /call_qualification body: every documented key, "" for the optional texts left out. */
export function qualificationBody(a: QualificationAnswer & { time: string }): string {
  return JSON.stringify({
    sub_qualification_id: a.subQualificationId,
    time: a.time,
    callid: a.callId,
    agent: a.agent,
    queue: a.queue,
    first_name: a.firstName ?? '',
    last_name: a.lastName ?? '',
    comment: a.comment ?? '',
    custom_data: a.customData ?? '',
  });
}

// ------------------------------------------------------------------ requests

/**
 * The dial bodies. `variables` is optional in the prose but listed in every body table; an empty object is what
 * "no variables" means, and sending it keeps a strict reading of the tables happy.
 */
export const dialNumberBody = (destination: string): string => JSON.stringify({ destination, variables: {} });
export const dialUserBody = (username: string): string => JSON.stringify({ username, variables: {} });
export const dialFromQueueBody = (destination: string, queueId: number): string => JSON.stringify({ destination, queueId, variables: {} });
export const dialToQueueBody = (destination: string, queueName: string, callerIdNumber: string): string =>
  JSON.stringify({ destination, queueName, callerIdNumber, variables: {} });
export const dndBody = (state: boolean): string => JSON.stringify({ state });
export const forwardBody = (destination: string | undefined, enabled: boolean): string =>
  JSON.stringify({ destination: destination ?? '', enabled });
export const loginBody = (login: string, password: string): string => JSON.stringify({ login, password });
