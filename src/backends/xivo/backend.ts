/**
 * The `xivo` backend: XiVO's XUC REST API 2.0. What it can do depends on the XUC user it logs in as:
 * a web-service user dials (number, user, from and to a queue), sets DND and forwarding and reads history; a
 * CTI user keeps its own personal contacts and qualifies calls. Call control (answer, hangup, hold, transfer)
 * and live call or queue state exist only in XUC's WebSocket API, so they are not declared. Two PBX entries
 * may point at one XUC with the two user types.
 */
import type { Backend, Capability, ContactStore, Operations } from '../backend.js';
import { BackendError } from '../../errors.js';
import type { BackendType } from '../types.js';
import { localShared } from '../shared.js';
import { XivoConfig } from './config.js';
import { readCaFile } from '../tls.js';
import {
  apiBaseUrl,
  dialFromQueueBody,
  dialNumberBody,
  dialToQueueBody,
  dialUserBody,
  dndBody,
  forwardBody,
  parseHistory,
  parseQualifications,
  qualificationBody,
  seg,
} from './codec.js';
import { XucClient, type XucRequest, type XucUserType } from './client.js';
import { xucContactStore } from './contacts.js';
import { readJson } from './json.js';
import { formatXucTime } from './time.js';
import { isIsoDate } from '../../util/time.js';
import { counted } from '../../util/words.js';
import { exportBounds, keepDays } from './range.js';
import { aclGrants, callbackCsv, callbackImportBody, EXPORT_ACL, IMPORT_ACL, parseTicketExport, ticketExportBody } from './callbacks.js';


/** Capabilities per XUC user type (the ACLs XiVO gives each). */
export const WEBSERVICE_CAPABILITIES: readonly Capability[] = [
  'placeCall',
  'dialUser',
  'dialFromQueue',
  'dialToQueue',
  'setDnd',
  'setForward',
  'history',
  'importCallbacks',
  'exportCallbackTickets',
];
export const CTI_CAPABILITIES: readonly Capability[] = ['contacts', 'listQualifications', 'recordQualification', 'exportQualifications'];

/** What XUC does only over its WebSocket CTI API (or not at all). */
const WEBSOCKET_ONLY: ReadonlySet<Capability> = new Set<Capability>([
  'answer',
  'hangup',
  'hold',
  'transferBlind',
  'transferAttended',
  'conference',
  'activeCalls',
  'listQueue',
  'listQueues',
  'listExtensions',
  'parkCall',
  'parkingInfo',
]);

/**
 * XUC REST 2.0 has no pause. The deprecated 1.0 API's togglePause is not used: XUC answers it only for IP addresses
 * on its DEPRECATED_API_HOST allow-list, with no credentials at all, and it flips the agent between ready and pause
 * without saying which state it left them in (and there is no REST read of that state), so "pause" could resume.
 */
const NO_PAUSE =
  "XUC's REST API 2.0 has no agent pause; its deprecated 1.0 API has togglePause, which telephony-mcp does not use: it answers only " +
  "IP addresses on XUC's DEPRECATED_API_HOST allow-list, takes no credentials, and flips between ready and pause with no way to read " +
  'which state it left the agent in. Pause the agent in the XiVO client';

/** The dial endpoints' precondition (the doc: the CTI user "must be an authenticated"), whose failure is undocumented. */
const dialPrecondition = (user: string) =>
  `XUC dials only for a CTI user who is logged in (the XiVO client, web or mobile application): check that ${user} is.`;

/** Words for the messages below (registry.ts has the general labels; importing it here would be circular). */
const NEEDS_WORDS: Partial<Record<Capability, string>> = {
  placeCall: 'dialing',
  dialUser: 'dialing',
  dialFromQueue: 'dialing from a queue',
  dialToQueue: 'dialing into a queue',
  setDnd: 'do-not-disturb',
  setForward: 'forwarding',
  history: 'call history',
  contacts: 'personal contacts',
  listQualifications: 'call qualification',
  recordQualification: 'call qualification',
  exportQualifications: 'call qualification',
  importCallbacks: 'callback lists',
  exportCallbackTickets: 'callback lists',
};

const HISTORY_DEFAULT_SIZE = 50;

export class XivoBackend implements Backend {
  readonly type = 'xivo';
  readonly userModel = 'many' as const;
  readonly capabilities: ReadonlySet<Capability>;
  readonly defaultUser: string | undefined;
  /** XUC is a shared server: polled resources ask it at most every 5 s. */
  readonly minPollIntervalMs = 5000;
  readonly contacts: ContactStore | undefined;

  constructor(
    readonly name: string,
    readonly client: XucClient,
    private readonly opts: { defaultUser?: string | undefined; timeZone?: string | undefined },
  ) {
    const cti = client.userType === 'cti';
    this.capabilities = new Set(cti ? CTI_CAPABILITIES : WEBSERVICE_CAPABILITIES);
    this.defaultUser = opts.defaultUser ?? (cti ? client.login : undefined);
    this.contacts = cti ? xucContactStore(client, (user) => this.self(user)) : undefined;
  }

  whyUnsupported(cap: Capability): string | undefined {
    if (cap === 'pauseQueues') return NO_PAUSE;
    if (WEBSOCKET_ONLY.has(cap)) {
      return "XiVO's XUC REST API has no call control and no live call or queue state (XiVO offers those only over its WebSocket CTI API, which telephony-mcp does not use); do it on the phone or in the XiVO client";
    }
    const label = NEEDS_WORDS[cap] ?? cap;
    if (this.client.userType === 'cti' && WEBSERVICE_CAPABILITIES.includes(cap)) {
      return `this PBX entry logs in to XUC as CTI user "${this.client.login}", and ${label} needs a web-service user: use a PBX entry of this XUC with userType "webservice"`;
    }
    if (this.client.userType === 'webservice' && CTI_CAPABILITIES.includes(cap)) {
      return `this PBX entry logs in to XUC as a web-service user, and ${label} needs a CTI user (XUC keeps contacts and qualifications per CTI user): use a PBX entry of this XUC with userType "cti"`;
    }
    return undefined;
  }

  /** Log in now (for tests and start-up checks); calls log in by themselves otherwise. */
  connect(): Promise<void> {
    return this.client.connect();
  }

  private need(user: string | undefined): string {
    if (user === undefined) {
      throw new BackendError('invalid', 'this operation acts for a XUC user, and none was named', {
        hint: `Pass \`user\` (the XiVO login), or set \`defaultUser\` for PBX ${this.name} in the config.`,
      });
    }
    return user;
  }

  /** A CTI user's contacts and qualifications are its own: refuse to act for anyone else. */
  private self(user: string | undefined): void {
    if (user !== undefined && user !== this.client.login) {
      throw new BackendError('invalid', `this PBX entry is CTI user "${this.client.login}" and can only act for itself, not for "${user}"`, {
        hint: `Leave out \`user\`, or configure a PBX entry with userType "cti" that logs in as ${user}.`,
      });
    }
  }

  /**
   * An action, sent once. XUC answers {"res":"success"}; an empty 2xx is taken as done too. A 2xx whose body
   * cannot be read (a proxy's page, a cut answer) leaves us not knowing what happened: outcome unknown.
   */
  private async action(req: Omit<XucRequest, 'read'>): Promise<void> {
    const res = await this.client.send({ ...req, read: false });
    const body = res.body.trim();
    if (body === '') return;
    let parsed: unknown;
    try {
      // The same relaxed reading as every other XUC answer: the doc's own samples are JavaScript-style objects.
      parsed = readJson(body);
    } catch {
      parsed = undefined;
    }
    const answer = parsed && typeof parsed === 'object' ? (parsed as { res?: unknown }).res : undefined;
    if (parsed === undefined || (answer !== undefined && answer !== 'success')) {
      throw new BackendError('outcome_unknown', `XUC answered the request to ${req.what} with something unreadable: it may or may not have happened`);
    }
  }

  /**
   * A dial for `user`: XUC places it only if that CTI user is logged in, and the doc does not say what it answers
   * when they are not (an unclassified 500, a 400...), so a failed dial names the precondition.
   */
  private async dial(user: string, req: Omit<XucRequest, 'read'>): Promise<void> {
    try {
      await this.action(req);
    } catch (e) {
      // Not for an unknown user (not_found: the hint says to use the login), credentials or an unreachable XUC.
      if (!(e instanceof BackendError) || !['invalid', 'outcome_unknown', 'conflict'].includes(e.kind)) throw e;
      const base = e.hint ?? '';
      throw new BackendError(e.kind, e.message, {
        code: e.code,
        cause: e,
        hint: `${base} ${dialPrecondition(user)}`.trim(),
      });
    }
  }

  placeCall: Operations['placeCall'] = async (a, o) => {
    const user = this.need(a.user);
    await this.dial(user, {
      method: 'POST',
      path: `dial/number/${seg(user)}`,
      body: dialNumberBody(a.to),
      what: `dial ${a.to} for ${user}`,
      user,
      signal: o?.signal,
    });
    return {};
  };

  dialUser: Operations['dialUser'] = async (a, o) => {
    const user = this.need(a.user);
    await this.dial(user, {
      method: 'POST',
      path: `dial/user/${seg(user)}`,
      body: dialUserBody(a.username),
      what: `call user ${a.username} for ${user}`,
      user,
      otherUser: a.username,
      signal: o?.signal,
    });
    return {};
  };

  dialFromQueue: Operations['dialFromQueue'] = async (a, o) => {
    const user = this.need(a.user);
    await this.dial(user, {
      method: 'POST',
      path: `dial/fromqueue/${seg(user)}`,
      body: dialFromQueueBody(a.to, a.queueId),
      what: `dial ${a.to} for ${user} from queue ${a.queueId}`,
      user,
      signal: o?.signal,
    });
    return {};
  };

  dialToQueue: Operations['dialToQueue'] = async (a, o) => {
    await this.action({
      method: 'POST',
      path: 'dial/toqueue',
      body: dialToQueueBody(a.to, a.queue, a.callerId),
      what: `dial ${a.to} into queue ${a.queue}`,
      signal: o?.signal,
    });
    return {};
  };

  setDnd: Operations['setDnd'] = async (a, o) => {
    const user = this.need(a.user);
    await this.action({
      method: 'POST',
      path: `dnd/${seg(user)}`,
      body: dndBody(a.enabled),
      what: `set do-not-disturb for ${user}`,
      user,
      signal: o?.signal,
    });
  };

  setForward: Operations['setForward'] = async (a, o) => {
    const user = this.need(a.user);
    if (a.enabled && !a.destination) {
      throw new BackendError('invalid', `a ${a.kind} forward needs a destination`);
    }
    await this.action({
      method: 'POST',
      path: `forward/${seg(a.kind)}/${seg(user)}`,
      body: forwardBody(a.destination, a.enabled),
      what: `set the ${a.kind} forward of ${user}`,
      user,
      signal: o?.signal,
    });
  };

  history: Operations['history'] = async (a, o) => {
    const user = this.need(a.user);
    const byDays = a.days !== undefined;
    const path = byDays
      ? `history/days/${seg(user)}?days=${seg(a.days!)}`
      : `history/${seg(user)}?size=${seg(a.size ?? HISTORY_DEFAULT_SIZE)}`;
    const req = { what: `read the call history of ${user}`, read: true } as const;
    const res = await this.client.send({ method: 'GET', path, ...req, user, signal: o?.signal });
    const entries = this.client.decode(res, req, (b) => parseHistory(b, this.opts.timeZone));
    return a.size !== undefined ? entries.slice(0, a.size) : entries;
  };

  listQualifications: Operations['listQualifications'] = async (a, o) => {
    const req = { what: `read the call qualifications of queue ${a.queueId}`, read: true } as const;
    const res = await this.client.send({ method: 'GET', path: `call_qualification/queue/${seg(a.queueId)}`, ...req, signal: o?.signal });
    return this.client.decode(res, req, parseQualifications);
  };

  /** XUC writes times in its local time (the doc's sample): the default time is now there, or in UTC, said so. */
  recordQualification: Operations['recordQualification'] = async (a, o) => {
    const tz = this.opts.timeZone;
    const time = a.answer.time ?? formatXucTime(Date.now(), tz);
    await this.action({
      method: 'POST',
      path: 'call_qualification',
      body: qualificationBody({ ...a.answer, time }),
      what: `record the qualification of call ${a.answer.callId}`,
      signal: o?.signal,
    });
    if (a.answer.time !== undefined) return { time };
    return tz
      ? { time }
      : {
          time,
          note: `The time was set to now in UTC: XUC writes times in its local time, and PBX ${this.name} has no timeZone in the telephony-mcp config. Set it, or pass the time.`,
        };
  };

  /** The form of {FROM}/{TO} this XUC took last (range.ts): dates until it refuses them. */
  private exportForm: 'dates' | 'times' = 'dates';

  /** The day range, read robustly whatever XUC makes of {FROM}/{TO} (range.ts). */
  exportQualifications: Operations['exportQualifications'] = async (a, o) => {
    for (const d of [a.from, a.to]) {
      if (!isIsoDate(d)) throw new BackendError('invalid', `"${d}" is not a date (YYYY-MM-DD)`);
    }
    const get = (form: 'dates' | 'times') => {
      const [from, to] = exportBounds(a.from, a.to, form);
      return this.client.send({
        method: 'GET',
        path: `call_qualification/csv/${seg(a.queueId)}/${seg(from)}/${seg(to)}`,
        accept: 'text/csv, */*',
        read: true,
        what: `export the call qualifications of queue ${a.queueId} from ${a.from} to ${a.to}`,
        signal: o?.signal,
      });
    };
    const first = this.exportForm;
    const other = first === 'dates' ? 'times' : 'dates';
    let res;
    try {
      res = await get(first);
    } catch (e) {
      // A 4xx to a read changed nothing: this XUC may want the other form. Asked once more, and its refusal is the
      // error then; the form it took is asked first from now on (not rediscovered with a refused request per export).
      if (!(e instanceof BackendError) || e.kind !== 'invalid') throw e;
      res = await get(other);
      this.exportForm = other;
    }
    return keepDays(res.body, a.from, a.to);
  };

  /**
   * Refuse before sending when the session token lists its ACLs and `acl` is not among them (XUC would answer 403);
   * a token without the claim is left to XUC, whose refusal names the ACL too.
   */
  private async requireAcl(acl: string, what: string): Promise<void> {
    const granted = await this.client.grantedAcls();
    if (granted === undefined || aclGrants(granted, acl)) return;
    throw new BackendError('auth', `XUC user "${this.client.login}" may not ${what}: XUC requires the ACL ${acl}, which its token does not grant`, {
      code: 'missing_acl',
      hint: `A XiVO administrator grants ${acl} to web-service user "${this.client.login}". Nothing was sent.`,
    });
  }

  importCallbacks: Operations['importCallbacks'] = async (a, o) => {
    const n = a.requests.length;
    const what = `import ${counted(n, 'callback request')} into callback list ${a.listUuid}`;
    await this.requireAcl(IMPORT_ACL, what);
    const { csv, changed } = callbackCsv(a.requests);
    try {
      await this.action({
        method: 'POST',
        path: 'callback_lists/callback_requests/csv',
        // The doc's header: not application/json.
        contentType: 'text/json',
        body: callbackImportBody(a.listUuid, csv),
        what,
        acl: IMPORT_ACL,
        signal: o?.signal,
      });
    } catch (e) {
      // A 4xx: XUC read the request and refused it. The doc lists only generic codes for this endpoint and does not
      // say whether it refuses an import whole or after the lines it could take.
      if (!(e instanceof BackendError) || e.kind !== 'invalid') throw e;
      throw new BackendError(
        'invalid',
        `XUC refused the import into callback list ${a.listUuid} (${e.code ?? 'HTTP 4xx'}): a list it does not know, a period the list does not define, or a date it does not take`,
        {
          code: e.code,
          cause: e,
          hint: 'Check the list and its periods in the XiVO CCManager (Callbacks tab), and look there whether any request was created before importing again.',
        },
      );
    }
    if (!changed) return;
    return {
      note: `${counted(changed, 'value')} held a "|" or a line break, which XUC's callback CSV cannot carry: "|" was sent as "¦" and line breaks as spaces.`,
    };
  };

  exportCallbackTickets: Operations['exportCallbackTickets'] = async (a, o) => {
    const what = `export the tickets of callback list ${a.listUuid}`;
    await this.requireAcl(EXPORT_ACL, what);
    const req = { what, read: true } as const;
    const res = await this.client.send({
      method: 'POST',
      path: 'callback_lists/callback_tickets/csv',
      body: ticketExportBody(a.listUuid),
      accept: 'text/csv, application/json;q=0.9, */*;q=0.5',
      acl: EXPORT_ACL,
      ...req,
      signal: o?.signal,
    });
    return this.client.decode(res, req, parseTicketExport);
  };

  close(): Promise<void> {
    return this.client.close();
  }
}

export const xivoType: BackendType<typeof XivoConfig> = {
  type: 'xivo',
  config: XivoConfig,
  create(name, config, deps) {
    const ca = config.caFile ? readCaFile(name, config.caFile, deps.baseDir) : undefined;
    const client = new XucClient({
      pbx: name,
      url: config.url,
      login: config.login,
      password: config.password,
      userType: config.userType as XucUserType,
      timeoutMs: config.timeoutMs,
      log: deps.log,
      ca,
      rejectUnauthorized: config.insecureTls ? false : undefined,
      // One login per token lifetime for all the servers of a deployment that use this XUC login.
      share: (deps.shared ?? localShared).tokens(`xuc ${apiBaseUrl(config.url)} ${config.userType} ${config.login}`),
    });
    return new XivoBackend(name, client, { defaultUser: config.defaultUser, timeZone: config.timeZone });
  },
};
