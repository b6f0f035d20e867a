/**
 * The `xivo` backend: XiVO's XUC REST API 2.0. What it can do depends on the XUC user it logs in as:
 * a web-service user dials (number, user, from and to a queue), sets DND and forwarding and reads history; a
 * CTI user keeps its own personal contacts and qualifies calls. Call control (answer, hangup, hold, transfer)
 * and live call or queue state exist only in XUC's WebSocket API, so they are not declared. Two PBX entries
 * may point at one XUC with the two user types.
 */
import { FormData } from 'undici';
import type { Backend, Capability, ContactStore, Operations } from '../backend.js';
import { BackendError } from '../errors.js';
import { CONTACT_FIELDS, type ContactField, type ContactFields } from '../model.js';
import type { BackendType } from '../types.js';
import { XivoConfig } from './config.js';
import { readCaFile } from '../tls.js';
import {
  contactAnswer,
  contactBody,
  dialFromQueueBody,
  dialNumberBody,
  dialToQueueBody,
  dialUserBody,
  dndBody,
  forwardBody,
  parseContact,
  parseContactList,
  parseHistory,
  parseImport,
  parseQualifications,
  qualificationBody,
  seg,
} from './codec.js';
import { XucClient, type XucRequest, type XucUserType } from './client.js';
import { readJson } from './json.js';
import { formatXucTime, isIsoDate } from './time.js';


/** Capabilities per XUC user type (the ACLs XiVO gives each). */
export const WEBSERVICE_CAPABILITIES: readonly Capability[] = [
  'placeCall',
  'dialUser',
  'dialFromQueue',
  'dialToQueue',
  'setDnd',
  'setForward',
  'history',
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
  'pauseQueues',
  'parkCall',
  'parkingInfo',
]);

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
    this.contacts = cti ? this.contactStore() : undefined;
  }

  whyUnsupported(cap: Capability): string | undefined {
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
        pbx: this.name,
        pbxType: this.type,
        hint: `Pass \`user\` (the XiVO login), or set \`defaultUser\` for PBX ${this.name} in the config.`,
      });
    }
    return user;
  }

  /** A CTI user's contacts and qualifications are its own: refuse to act for anyone else. */
  private self(user: string | undefined): void {
    if (user !== undefined && user !== this.client.login) {
      throw new BackendError('invalid', `this PBX entry is CTI user "${this.client.login}" and can only act for itself, not for "${user}"`, {
        pbx: this.name,
        pbxType: this.type,
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
      throw new BackendError('outcome_unknown', `XUC answered the request to ${req.what} with something unreadable: it may or may not have happened`, {
        pbx: this.name,
        pbxType: this.type,
        hint: 'Do not retry: check the state first (call_history, or ask the user).',
      });
    }
  }

  placeCall: Operations['placeCall'] = async (a, o) => {
    const user = this.need(a.user);
    await this.action({
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
    await this.action({
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
    await this.action({
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
      throw new BackendError('invalid', `a ${a.kind} forward needs a destination`, { pbx: this.name, pbxType: this.type });
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

  recordQualification: Operations['recordQualification'] = async (a, o) => {
    const time = a.answer.time ?? formatXucTime(Date.now(), this.opts.timeZone);
    await this.action({
      method: 'POST',
      path: 'call_qualification',
      body: qualificationBody({ ...a.answer, time }),
      what: `record the qualification of call ${a.answer.callId}`,
      signal: o?.signal,
    });
  };

  exportQualifications: Operations['exportQualifications'] = async (a, o) => {
    for (const d of [a.from, a.to]) {
      if (!isIsoDate(d)) throw new BackendError('invalid', `"${d}" is not a date (YYYY-MM-DD)`, { pbx: this.name, pbxType: this.type });
    }
    const res = await this.client.send({
      method: 'GET',
      path: `call_qualification/csv/${seg(a.queueId)}/${seg(a.from)}/${seg(a.to)}`,
      accept: 'text/csv, */*',
      read: true,
      what: `export the call qualifications of queue ${a.queueId}`,
      signal: o?.signal,
    });
    return res.body;
  };

  private contactStore(): ContactStore {
    const c = this.client;
    const read = (what: string) => ({ what, read: true }) as const;
    const store: ContactStore = {
      listHasIds: false,
      list: async (a, o) => {
        this.self(a.user);
        const req = read('list the personal contacts');
        return c.decode(await c.send({ method: 'GET', path: 'contact/personal', ...req, signal: o?.signal }), req, parseContactList);
      },
      get: async (a, o) => {
        this.self(a.user);
        const req = read(`read personal contact ${a.id}`);
        const res = await c.send({ method: 'GET', path: `contact/personal/${seg(a.id)}`, ...req, id: a.id, signal: o?.signal });
        return c.decode(res, req, (b) => parseContact(b, 'the contact'));
      },
      create: async (a, o) => {
        this.self(a.user);
        const req = { what: 'create a personal contact', read: false } as const;
        const res = await c.send({ method: 'POST', path: 'contact/personal', body: contactBody(a.contact), ...req, signal: o?.signal });
        return contactAnswer(res.body, a.contact, '');
      },
      update: async (a, o) => {
        this.self(a.user);
        // Whether XUC's PUT merges or replaces is not documented: send the whole contact, merged here, with
        // the fields the person cleared as "", which is right under either reading.
        const current = await store.get({ user: a.user, id: a.id }, o);
        const merged: ContactFields = {};
        const cleared: ContactField[] = [];
        for (const k of CONTACT_FIELDS) {
          const v = a.contact[k] !== undefined ? a.contact[k] : current[k];
          if (v !== undefined && v.trim() !== '') merged[k] = v;
          else if (a.contact[k] !== undefined) cleared.push(k);
        }
        const req = { what: `update personal contact ${a.id}`, read: false } as const;
        const res = await c.send({ method: 'PUT', path: `contact/personal/${seg(a.id)}`, body: contactBody(merged, cleared), ...req, id: a.id, signal: o?.signal });
        return contactAnswer(res.body, merged, a.id);
      },
      delete: async (a, o) => {
        this.self(a.user);
        await c.send({ method: 'DELETE', path: `contact/personal/${seg(a.id)}`, what: `delete personal contact ${a.id}`, read: false, id: a.id, signal: o?.signal });
      },
      deleteAll: async (a, o) => {
        this.self(a.user);
        await c.send({ method: 'DELETE', path: 'contact/personal', what: 'delete all personal contacts', read: false, signal: o?.signal });
      },
      exportCsv: async (a, o) => {
        this.self(a.user);
        const res = await c.send({ method: 'GET', path: 'contact/export/personal', accept: 'text/csv, */*', ...read('export the personal contacts'), signal: o?.signal });
        return res.body;
      },
      importCsv: async (a, o) => {
        this.self(a.user);
        const req = { what: 'import personal contacts', read: false } as const;
        const multipart = () => {
          const form = new FormData();
          form.append('file', new Blob([a.csv], { type: 'text/csv' }), 'contacts.csv');
          return form;
        };
        let res;
        try {
          res = await c.send({ method: 'POST', path: 'contact/import/personal', body: multipart, ...req, signal: o?.signal });
        } catch (first) {
          // The doc's note says "the CSV as the body", its curl sends multipart: a 4xx to multipart means XUC
          // did not import anything, so the CSV is sent once more as the raw body.
          if (!(first instanceof BackendError) || first.kind !== 'invalid') throw first;
          try {
            res = await c.send({ method: 'POST', path: 'contact/import/personal', body: a.csv, contentType: 'text/csv; charset=utf-8', ...req, signal: o?.signal });
          } catch (second) {
            throw second instanceof BackendError && second.code === 'http_415' ? first : second;
          }
        }
        return c.decode(res, req, parseImport);
      },
    };
    return store;
  }

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
    });
    return new XivoBackend(name, client, { defaultUser: config.defaultUser, timeZone: config.timeZone });
  },
};
