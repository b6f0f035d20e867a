/** What the XUC simulator's routes share: its state, and small HTTP helpers in XUC's formats. */
import type { PbxEngine } from '../sim/engine.js';
import type { SimRequest, SimResponse } from '../simkit.js';
import type { Qualification } from '../model.js';
import type { XucClaims } from './sim-jwt.js';

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
  importAccepts: 'multipart' | 'raw' | 'both';
  historyShape: 'array' | 'wrapped';
}

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

export const need = (claims: XucClaims, acl: string): boolean => claims.acls.includes(acl);

export const forbidden = (claims: XucClaims): SimResponse =>
  fail(403, 'Forbidden', `${claims.userType} user ${claims.login} may not use this endpoint`);

export const userNotFound = (u: string): SimResponse => fail(400, 'UserNotFound', `User ${u} not found`);

/** The engine user whose login is exactly `u` (XUC knows users by login, not extension). */
export function knownUser(engine: PbxEngine, u: string) {
  const rec = engine.findUser(u);
  return rec && rec.id === u ? rec : undefined;
}
