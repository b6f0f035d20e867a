/**
 * `telephony-mcp simulate xivo`: XiVO's XUC REST API 2.0 over the sim engine, at /xuc/api/2.0, as the vendor
 * doc specifies it: JWT login for CTI and web-service users (HS256, XUC's claims, a TTL configurable down to
 * seconds), /auth/check renewal, the dial, DND, forward and history endpoints for web-service users, and the
 * personal contacts and call qualification endpoints for CTI users, with the documented statuses and error
 * codes. Contacts are listed as the doc shows them (headers, no ids, Favorite "false"); history records have
 * the 1.0 fields. Where the engine decides more than a real XUC could at request time (a busy or unknown
 * destination), the simulator answers as XUC does: the dial is accepted and the call simply fails.
 *
 * Where the doc is silent or ambiguous the simulator takes a reading (XUC_READINGS; common.ts says what each
 * means): XUC's local time zone, the format and bounds of the qualification export's {FROM}/{TO}, what the
 * contact import accepts, and what a contact update does with fields it leaves out or sends as "".
 */
import type { Qualification } from '../../backends/model.js';
import { startSimServer, type SimRequest, type SimResponse } from '../kit.js';
import type { RunningSimulator, SimulatorDef, SimulatorOptions } from '../types.js';
import { ctiRoutes } from './cti.js';
import {
  body,
  fail,
  isObj,
  json,
  type CallbackExport,
  type ContactUpdate,
  type ImportAccepts,
  type QualificationRange,
  type QualificationRecord,
  type SimCallbackList,
  type XucSimState,
} from './common.js';
import { JwtSigner, type XucClaims } from './jwt.js';
import { webserviceRoutes } from './webservice.js';
import { callbackRoutes, processCallbacks, seedCallbackLists } from './callbacks.js';

/** Where the doc puts the REST API 2.0 on a XUC server. */
const API_BASE_PATH = '/xuc/api/2.0';

export type { QualificationRecord } from './common.js';

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
  'xuc.rest.callback_lists.callback_requests.csv.create',
  'xuc.rest.callback_lists.callback_tickets.csv.create',
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

/** One reading of what the doc leaves open. */
export interface XucReading {
  timeZone: string;
  qualificationRange: QualificationRange;
  importAccepts: ImportAccepts;
  contactUpdate: ContactUpdate;
  callbackExport: CallbackExport;
}

/**
 * The named readings `simulate xivo --reading` and the contract suite use; the first, the least convenient for a
 * client, is the default. Between them every value of every dimension is taken.
 */
export const XUC_READINGS = {
  strict: {
    reading: { timeZone: 'Europe/Paris', qualificationRange: 'strings', importAccepts: 'body-as-csv', contactUpdate: 'merge-strict', callbackExport: 'json' },
    description:
      'XUC on Paris time; export dates compared as text (a bare "to" day excluded); any import body read as the CSV; updates keep left-out fields and refuse ""; callback tickets wrapped in JSON',
  },
  datetimes: {
    reading: { timeZone: 'America/New_York', qualificationRange: 'datetimes', importAccepts: 'multipart', contactUpdate: 'replace', callbackExport: 'csv' },
    description: 'XUC on New York time; export bounds "YYYY-MM-DD HH:MM:SS" only; import multipart only; updates clear left-out fields',
  },
  lenient: {
    reading: { timeZone: 'UTC', qualificationRange: 'dates', importAccepts: 'both', contactUpdate: 'merge', callbackExport: 'csv' },
    description: 'XUC on UTC; export dates YYYY-MM-DD, both days included; import multipart or raw; updates keep left-out fields, "" clears',
  },
} as const satisfies Record<string, { reading: XucReading; description: string }>;
export type XucReadingName = keyof typeof XUC_READINGS;

export interface XucSimOptions extends Omit<SimulatorOptions, 'reading'> {
  /** A reading by name, or spelled out (default: the 'lenient' values; the options below override it). */
  reading?: XucReadingName | XucReading;
  /** XUC's local time zone, in which it writes history times (default UTC). */
  timeZone?: string;
  qualificationRange?: QualificationRange;
  contactUpdate?: ContactUpdate;
  /** Token lifetime in seconds (default 3600); tests use a few seconds. */
  tokenTtlSeconds?: number;
  /** The web-service user (default xuc-ws / xuc-ws-pa55). */
  webservice?: { login: string; password: string };
  /** Password of every engine user as a CTI user (default cti-pa55). */
  ctiPassword?: string;
  /** History `data` as a bare array (default) or wrapped in an object ({history: [...]}). */
  historyShape?: 'array' | 'wrapped';
  /** What the contact import accepts (default multipart `file`, the doc's curl). */
  importAccepts?: ImportAccepts;
  /** How the callback ticket export answers (default the CSV as the body). */
  callbackExport?: CallbackExport;
  /** The ACLs of the web-service user (default WEBSERVICE_ACLS). */
  webserviceAcls?: string[];
  /** Whether tokens list the user's ACLs in their claims (default true, as the doc says since Kuma). */
  aclsInToken?: boolean;
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
  importAccepts: ImportAccepts;
  /** The readings it takes (settable while it runs). */
  readonly settings: Pick<XucSimState, 'timeZone' | 'qualificationRange' | 'contactUpdate' | 'importAccepts' | 'callbackExport'>;
  /** The uuid of the callback list of a queue of the engine. */
  callbackListUuid(queue: string): string | undefined;
  /** Callback lists by uuid: pending requests and tickets. */
  readonly callbackLists: ReadonlyMap<string, SimCallbackList>;
  /** Agents call back every pending request of a list; returns how many tickets it has. */
  processCallbacks(listUuid: string, outcome?: { status?: string; agent?: string; comment?: string }): number;
}

/** Qualification options every queue starts with (the doc's sample). */
const SEED_QUALIFICATIONS: Qualification[] = [
  { id: 6, name: 'General Questions', subQualifications: [{ id: 14, name: 'Common' }, { id: 15, name: 'Technical' }] },
  { id: 5, name: 'Support', subQualifications: [{ id: 12, name: 'Technical' }, { id: 13, name: 'General' }] },
];

export async function startXucSimulator(opts: XucSimOptions): Promise<XucSimulator> {
  const engine = opts.engine;
  const signer = new JwtSigner();
  const stats = { logins: 0, checks: 0, refusedLogins: 0 };
  const ws = opts.webservice ?? { login: 'xuc-ws', password: 'xuc-ws-pa55' };
  const ctiPassword = opts.ctiPassword ?? 'cti-pa55';
  const issued = new Set<string>();
  const expired = new Set<string>();
  const queueIds = new Map<string, number>(engine.queueNames().map((q, i) => [q, i + 1]));
  const preset: Partial<XucReading> = typeof opts.reading === 'object' ? opts.reading : opts.reading ? XUC_READINGS[opts.reading].reading : {};
  const st: XucSimState = {
    engine,
    queueIds,
    qualifications: new Map([...queueIds.values()].map((id) => [id, structuredClone(SEED_QUALIFICATIONS)])),
    answers: [] as QualificationRecord[],
    unreachable: false,
    importAccepts: opts.importAccepts ?? preset.importAccepts ?? 'multipart',
    historyShape: opts.historyShape ?? 'array',
    qualificationRange: opts.qualificationRange ?? preset.qualificationRange ?? 'dates',
    contactUpdate: opts.contactUpdate ?? preset.contactUpdate ?? 'merge',
    timeZone: opts.timeZone ?? preset.timeZone ?? 'UTC',
    callbackLists: seedCallbackLists(engine.queueNames()),
    callbackExport: opts.callbackExport ?? preset.callbackExport ?? 'csv',
  };
  const webservice = webserviceRoutes(st);
  const cti = ctiRoutes(st);
  const callbacks = callbackRoutes(st);
  const wsAcls = opts.webserviceAcls ?? WEBSERVICE_ACLS;
  const aclsOf = (userType: 'cti' | 'webservice') => (userType === 'cti' ? CTI_ACLS : wsAcls);
  let ttlSeconds = opts.tokenTtlSeconds ?? 3600;

  const account = (login: string, password: string, userType: 'cti' | 'webservice'): boolean => {
    if (userType === 'webservice') return login === ws.login && password === ws.password;
    const u = engine.findUser(login);
    return !!u && u.id === login && password === ctiPassword;
  };

  const issue = (login: string, userType: 'cti' | 'webservice'): SimResponse => {
    const now = Date.now();
    const ttl = ttlSeconds;
    const claims: XucClaims = { login, issuedAt: now, expiresAt: now + ttl * 1000, userType };
    const token = signer.sign(opts.aclsInToken === false ? claims : { ...claims, acls: aclsOf(userType) });
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
    // A token that does not list the ACLs still has them: XUC knows its users' rights.
    return claims.acls ? claims : { ...claims, acls: aclsOf(claims.userType) };
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
    return webservice(req, seg, claims) ?? cti(req, seg, claims) ?? callbacks(req, seg, claims) ?? notFound();
  };

  const server = await startSimServer({ host: opts.host, port: opts.port, handle });
  return {
    server,
    stats,
    get tokenTtlSeconds() {
      return ttlSeconds;
    },
    set tokenTtlSeconds(v: number) {
      ttlSeconds = v;
    },
    get importAccepts() {
      return st.importAccepts;
    },
    set importAccepts(v) {
      st.importAccepts = v;
    },
    settings: st,
    configExample: {
      type: 'xivo',
      url: server.url,
      login: ws.login,
      password: ws.password,
      userType: 'webservice',
      defaultUser: engine.listUsers()[0]?.id,
      timeZone: st.timeZone,
    },
    // Contacts and qualifications need a CTI user: the same XUC as a second PBX entry.
    moreConfig: {
      'xivo-cti': { type: 'xivo', url: server.url, login: engine.listUsers()[0]?.id, password: ctiPassword, userType: 'cti', timeZone: st.timeZone },
    },
    expireTokens: () => {
      for (const t of issued) expired.add(t);
    },
    revokeTokens: () => signer.rotate(),
    setUnreachable: (on) => {
      st.unreachable = on;
    },
    queueId: (name) => queueIds.get(name),
    callbackListUuid: (queue) => [...st.callbackLists.values()].find((l) => l.queue === queue)?.uuid,
    callbackLists: st.callbackLists,
    processCallbacks: (uuid, outcome) => processCallbacks(st, uuid, outcome),
    qualificationAnswers: st.answers,
    close: () => server.close(),
  };
}

function notFound(): SimResponse {
  return { status: 404, headers: { 'content-type': 'text/html' }, body: '<html><body><h1>Action not found</h1></body></html>' };
}

/** `telephony-mcp simulate xivo` reads the token TTL from XUC_SIM_TOKEN_TTL_SECONDS (to watch renewals live). */
export const xivoSimulator: SimulatorDef = {
  vendor: 'xivo',
  description: 'XiVO XUC REST API 2.0',
  defaultPort: 8090,
  readings: Object.fromEntries(Object.entries(XUC_READINGS).map(([k, v]) => [k, v.description])),
  start: ({ reading, ...opts }) => {
    const ttl = Number(process.env.XUC_SIM_TOKEN_TTL_SECONDS);
    const name: XucReadingName = reading !== undefined && Object.hasOwn(XUC_READINGS, reading) ? (reading as XucReadingName) : 'strict';
    return startXucSimulator({ ...opts, reading: name, ...(Number.isInteger(ttl) && ttl > 0 ? { tokenTtlSeconds: ttl } : {}) });
  },
};
