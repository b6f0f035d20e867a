/** What the XUC simulator's routes share: its state, and small HTTP helpers in XUC's formats. */
import type { PbxEngine } from '../engine/engine.js';
import type { SimRequest, SimResponse } from '../kit.js';
import type { Qualification } from '../../backends/model.js';
import type { XucClaims } from './jwt.js';

// ---------------------------------------------------------------- callback lists (callbacks.ts serves them)

export const REQUEST_COLUMNS = ['phoneNumber', 'mobilePhoneNumber', 'firstName', 'lastName', 'company', 'description', 'dueDate', 'period'] as const;
export const TICKET_COLUMNS = [...REQUEST_COLUMNS, 'start', 'lastUpdate', 'status', 'comment', 'agent'] as const;

export type SimCallbackRequest = Record<(typeof REQUEST_COLUMNS)[number], string> & { uuid: string };
export type SimCallbackTicket = Record<(typeof TICKET_COLUMNS)[number], string> & { uuid: string };

export interface SimCallbackList {
  uuid: string;
  name: string;
  queue: string;
  periods: { name: string; start: string; end: string; default: boolean }[];
  /** Requests not yet processed by an agent. */
  requests: SimCallbackRequest[];
  tickets: SimCallbackTicket[];
}

/** How the ticket export answers: the CSV itself, or wrapped in the callback section's success format. */
export type CallbackExport = 'csv' | 'json';

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

export const QUALIFICATION_COLUMNS = ['sub_qualification_id', 'time', 'callid', 'agent', 'queue', 'first_name', 'last_name', 'comment', 'custom_data'] as const;

export interface XucSimState {
  readonly engine: PbxEngine;
  /** The numeric id XUC gives each queue of the engine. */
  readonly queueIds: ReadonlyMap<string, number>;
  readonly qualifications: Map<number, Qualification[]>;
  readonly answers: QualificationRecord[];
  unreachable: boolean;
  importAccepts: ImportAccepts;
  historyShape: 'array' | 'wrapped';
  /** How {FROM}/{TO} of the qualification export are read (the doc gives no format). */
  qualificationRange: QualificationRange;
  /** What a contact update does with the fields it leaves out, and with "" (the doc: "All fields are optional"). */
  contactUpdate: ContactUpdate;
  /** XUC's local time zone: the times it writes (history) are wall-clock times there, with no offset. */
  timeZone: string;
  /** Callback lists by uuid (callbacks.ts). */
  readonly callbackLists: Map<string, SimCallbackList>;
  /** How the ticket export answers (the doc does not show it). */
  callbackExport: CallbackExport;
}

/**
 * The contact import: multipart `file` only (the doc's curl), the raw CSV body only (the doc's note), both, or
 * any body read as the CSV itself, the multipart envelope included (a reader that never looks at the type: it
 * answers 201 with every line failed).
 */
export type ImportAccepts = 'multipart' | 'raw' | 'both' | 'body-as-csv';

/**
 * The qualification export's {FROM}/{TO}: 'dates' YYYY-MM-DD, both days included; 'strings' any text, compared
 * with the stored "YYYY-MM-DD HH:MM:SS" times as a database compares text (a bare `to` date then ends before
 * that day's first second); 'datetimes' "YYYY-MM-DD HH:MM:SS" only, anything else 400.
 */
export type QualificationRange = 'dates' | 'strings' | 'datetimes';

/**
 * A contact update: 'merge' keeps the fields left out and clears those sent as ""; 'replace' clears the fields left
 * out; 'merge-strict' keeps the fields left out and refuses "" (InvalidContact), so no field can be cleared.
 */
export type ContactUpdate = 'merge' | 'replace' | 'merge-strict';

export type Route = (req: SimRequest, seg: string[], claims: XucClaims) => SimResponse | undefined;

const JSON_TYPE = { 'content-type': 'application/json' };

export function json(status: number, body: unknown): SimResponse {
  return { status, headers: JSON_TYPE, body: JSON.stringify(body) };
}

export function fail(status: number, error: string, message: string): SimResponse {
  return json(status, { error, message });
}

export const SUCCESS = (): SimResponse => json(200, { res: 'success' });

export const BAD = Symbol('bad json');

/** A request body read as JSON: undefined for an empty body, BAD when it is not JSON. */
export function body(req: SimRequest): unknown {
  if (req.body.trim() === '') return undefined;
  try {
    return JSON.parse(req.body) as unknown;
  } catch {
    return BAD;
  }
}

export const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

export const need = (claims: XucClaims, acl: string): boolean => claims.acls?.includes(acl) ?? false;

export const forbidden = (claims: XucClaims): SimResponse =>
  fail(403, 'Forbidden', `${claims.userType} user ${claims.login} may not use this endpoint`);

export const userNotFound = (u: string): SimResponse => fail(400, 'UserNotFound', `User ${u} not found`);

/** The engine user whose login is exactly `u` (XUC knows users by login, not extension). */
export function knownUser(engine: PbxEngine, u: string) {
  const rec = engine.findUser(u);
  return rec && rec.id === u ? rec : undefined;
}
