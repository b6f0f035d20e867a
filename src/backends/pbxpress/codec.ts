/**
 * PBXpress records <-> the shared model. Pure functions over decoded XML-RPC values.
 *
 * The guide leaves types open (abbreviated, slot, duration, ids may come as int or string), so every field is
 * converted defensively and identifiers become strings. A record too broken to use is skipped rather than
 * failing a whole list; an answer of the wrong shape altogether is a typed error.
 */
import { BackendError } from '../../errors.js';
import type { Call, CallState, Extension, Favorite, ParkingInfo, Party } from '../model.js';
import { FAVORITE_SIZES } from '../model.js';
import { pbxText } from '../../safety/sanitize.js';
import { decodeEscapes, isStruct, type XmlRpcFault, type XmlRpcStruct, type XmlRpcValue } from './xmlrpc.js';

/** PBXpress entity types, and the model's kinds for them. */
export const ENTITY_TYPES = ['extension', 'queue', 'attendant'] as const;
export type EntityType = (typeof ENTITY_TYPES)[number];
const KIND_OF: Record<EntityType, Extension['kind']> = { extension: 'user', queue: 'queue', attendant: 'attendant' };
const TYPE_OF: Record<Extension['kind'], EntityType> = { user: 'extension', queue: 'queue', attendant: 'attendant' };

function shape(what: string): BackendError {
  return new BackendError('unavailable', `the PBX sent ${what} in a shape telephony-mcp does not understand`, { code: 'pbxpress.shape' });
}

/** Text of a scalar: strings as they are, integers without decimals; anything else undefined. */
export function text(v: XmlRpcValue | undefined): string | undefined {
  if (typeof v === 'string') return v;
  if (typeof v === 'number' && Number.isFinite(v)) return String(v);
  return undefined;
}

/** An integer from an int, an integral double or a numeric string. */
export function integer(v: XmlRpcValue | undefined): number | undefined {
  if (typeof v === 'number') return Number.isInteger(v) ? v : undefined;
  if (typeof v === 'string' && /^\s*[+-]?[0-9]{1,15}\s*$/.test(v)) return Number(v.trim());
  return undefined;
}

/** A numeric identifier in canonical form ("0701" -> "701"), other identifiers trimmed. */
export function ident(v: XmlRpcValue | undefined): string | undefined {
  const n = integer(v);
  if (n !== undefined) return String(n);
  const t = text(v)?.trim();
  return t ? t : undefined;
}

/** A list where "none" may come as nil, an empty string, false or 0. */
function list(v: XmlRpcValue | undefined, what: string): XmlRpcValue[] {
  if (Array.isArray(v)) return v;
  if (v === undefined || v === null || v === '' || v === false || v === 0) return [];
  // Some servers marshal an empty list as an empty struct.
  if (isStruct(v) && Object.keys(v).length === 0) return [];
  throw shape(what);
}

// ------------------------------------------------------------------ calls

export interface WireParty {
  id?: string;
  number: string;
  name?: string;
  /** extension, queue, attendant, vm or unknown (lowercased). */
  type: string;
}

export interface WireCall {
  id: string;
  state: string;
  from: WireParty;
  to: WireParty;
  duration: number;
  via: string;
  qcall: boolean;
}

function party(v: XmlRpcValue | undefined): WireParty {
  if (!isStruct(v)) return { number: text(v) ?? '', type: 'unknown' };
  // Optional keys assigned, not spread: this runs for every leg of every get_calls answer.
  const p: WireParty = { number: text(v.number)?.trim() ?? '', type: (text(v.type) ?? 'unknown').trim().toLowerCase() };
  const id = ident(v.id);
  if (id !== undefined) p.id = id;
  const name = text(v.name);
  if (name) p.name = name;
  return p;
}

function flag(v: XmlRpcValue | undefined): boolean {
  if (typeof v === 'boolean') return v;
  return integer(v) === 1 || (typeof v === 'string' && v.trim().toLowerCase() === 'true');
}

/** The call records of get_calls. Records without an id are skipped: nothing could act on them. */
export function decodeCalls(v: XmlRpcValue | undefined): WireCall[] {
  const out: WireCall[] = [];
  for (const r of list(v, 'the call list')) {
    if (!isStruct(r)) continue;
    const id = ident(r.id);
    if (id === undefined) continue;
    const duration = typeof r.duration === 'number' ? Math.floor(r.duration) : integer(r.duration);
    out.push({
      id,
      state: (text(r.state) ?? 'unknown').trim().toLowerCase(),
      from: party(r.from),
      to: party(r.to),
      duration: duration !== undefined && duration >= 0 ? duration : 0,
      via: text(r.via)?.trim() ?? '',
      qcall: flag(r.qcall),
    });
  }
  return out;
}

/** PBXpress call states in the model's words. */
export function callState(s: string): CallState {
  switch (s.replace(/[^a-z]/g, '')) {
    case 'setup':
      return 'dialing';
    case 'connected':
      return 'connected';
    case 'onhold':
    case 'hold':
      return 'on_hold';
    case 'ringing':
      return 'ringing';
    case 'parked':
      return 'parked';
    default:
      return 'unknown';
  }
}

const INTERNAL_TYPES = new Set(['extension', 'queue', 'attendant', 'vm']);

function direction(c: WireCall): Call['direction'] {
  const fromIn = INTERNAL_TYPES.has(c.from.type);
  const toIn = INTERNAL_TYPES.has(c.to.type);
  if (fromIn && toIn) return 'internal';
  if (!fromIn && toIn) return 'inbound';
  if (fromIn && !toIn) return 'outbound';
  return undefined;
}

function modelParty(p: WireParty): Party {
  return p.name ? { number: p.number, name: p.name } : { number: p.number };
}

/** A call as the adapter reports it, with every party of its legs (to filter by user). */
export interface GroupedCall {
  call: Call;
  parties: WireParty[];
}

const ANSWERED_STATES: ReadonlySet<CallState> = new Set(['connected', 'on_hold', 'parked']);

function single(c: WireCall, startedAt: (id: string, duration: number) => string): GroupedCall {
  const state = callState(c.state);
  const dir = direction(c);
  const queue = c.qcall && c.from.type === 'queue' ? c.from.name || c.from.number : undefined;
  return {
    call: {
      id: c.id,
      state,
      ...(dir ? { direction: dir } : {}),
      from: modelParty(c.from),
      to: modelParty(c.to),
      answered: ANSWERED_STATES.has(state),
      startedAt: startedAt(c.id, c.duration),
      durationSeconds: c.duration,
      ...(queue ? { queue } : {}),
    },
    parties: [c.from, c.to],
  };
}

function sameParty(a: WireParty, b: WireParty): boolean {
  if (a.id !== undefined && b.id !== undefined) return a.id === b.id && a.type === b.type;
  return a.number !== '' && a.number === b.number;
}

/**
 * get_calls records -> calls. A call to a queue comes as several records with qcall = 1 and nothing linking
 * them: the incoming leg to the queue, and one outgoing leg per ringing extension. A member leg belongs to the
 * queue leg whose caller it shows (caller ID passed through), else to a queue leg of the queue it comes from,
 * else to the only queue leg there is; among several candidates the longest-waiting call (queues offer the
 * head of the line first). A member leg that matches nothing is reported on its own.
 */
export function groupCalls(records: WireCall[], startedAt: (id: string, duration: number) => string): GroupedCall[] {
  const queueLegs = records.filter((r) => r.qcall && r.to.type === 'queue');
  const members = new Map<WireCall, WireCall[]>(queueLegs.map((q) => [q, []]));
  const loose: WireCall[] = [];
  const byWait = (a: WireCall, b: WireCall) => b.duration - a.duration;
  for (const r of records) {
    if (!r.qcall || r.to.type === 'queue') continue;
    let candidates = r.from.type !== 'queue' && r.from.number ? queueLegs.filter((q) => q.from.number === r.from.number) : [];
    if (!candidates.length) candidates = queueLegs.filter((q) => sameParty(r.from, q.to));
    if (!candidates.length && queueLegs.length === 1) candidates = queueLegs;
    if (!candidates.length) {
      loose.push(r);
      continue;
    }
    // An answered leg goes to a call nobody answered yet, when there is one.
    const free = candidates.filter((q) => !members.get(q)!.some((m) => callState(m.state) === 'connected'));
    const target = [...(callState(r.state) === 'connected' && free.length ? free : candidates)].sort(byWait)[0]!;
    members.get(target)!.push(r);
  }
  const out: GroupedCall[] = [];
  for (const r of records) {
    if (!r.qcall) out.push(single(r, startedAt));
    else if (members.has(r)) out.push(queueCall(r, members.get(r)!, startedAt));
    else if (loose.includes(r)) out.push(single(r, startedAt));
  }
  return out;
}

function queueCall(q: WireCall, legs: WireCall[], startedAt: (id: string, duration: number) => string): GroupedCall {
  const legState = (l: WireCall) => callState(l.state);
  const answeredLeg = legs.find((l) => legState(l) === 'connected') ?? legs.find((l) => legState(l) === 'on_hold');
  const ringing = legs.filter((l) => legState(l) === 'ringing' || legState(l) === 'dialing');
  const own = callState(q.state);
  let state: CallState;
  let to = modelParty(q.to);
  if (answeredLeg) {
    state = legState(answeredLeg);
    to = modelParty(answeredLeg.to);
  } else if (own === 'on_hold' || own === 'parked') {
    state = own;
  } else if (ringing.length) {
    state = 'ringing';
    if (ringing.length === 1) to = modelParty(ringing[0]!.to);
  } else {
    // No extension is ringing: the caller waits in the queue, whatever the queue leg's own state says.
    state = 'queued';
  }
  const dir = direction(q);
  const queue = q.to.name || q.to.number;
  return {
    call: {
      id: q.id,
      state,
      ...(dir ? { direction: dir } : {}),
      from: modelParty(q.from),
      to,
      answered: ANSWERED_STATES.has(state),
      startedAt: startedAt(q.id, q.duration),
      durationSeconds: Math.max(q.duration, ...legs.map((l) => l.duration)),
      ...(queue ? { queue } : {}),
    },
    parties: [q.from, q.to, ...legs.flatMap((l) => [l.from, l.to])],
  };
}

/** Whether `user` (an extension number, or an extensions-resource id such as "extension:12") is a party. */
export function involves(g: GroupedCall, user: string): boolean {
  const entity = splitEntityId(user);
  return g.parties.some(
    (p) => (p.number !== '' && p.number === user) || (entity !== undefined && p.id === entity.id && p.type === entity.type),
  );
}

// ------------------------------------------------------------------ extensions

/** "extension:12" -> {type: extension, id: 12}: the pair that identifies a PBXpress entity. */
export function entityId(type: EntityType, id: string): string {
  return `${type}:${id}`;
}

export function splitEntityId(s: string): { type: EntityType; id: string } | undefined {
  const m = /^(extension|queue|attendant):(.+)$/.exec(s);
  return m ? { type: m[1] as EntityType, id: m[2]! } : undefined;
}

function entityType(v: XmlRpcValue | undefined): EntityType | undefined {
  const t = text(v)?.trim().toLowerCase();
  return (ENTITY_TYPES as readonly string[]).includes(t ?? '') ? (t as EntityType) : undefined;
}

/** online/offline (liberally: a boolean or 0/1 too); undefined when the PBX says something else. */
function onlineState(v: XmlRpcValue | undefined): boolean | undefined {
  if (typeof v === 'boolean') return v;
  const t = text(v)?.trim().toLowerCase();
  if (t === 'online' || t === '1') return true;
  if (t === 'offline' || t === '0') return false;
  return undefined;
}

/** get_extensions records -> extensions, with ids "type:id". Records of an unknown type are skipped. */
export function decodeExtensions(v: XmlRpcValue | undefined): Extension[] {
  const out: Extension[] = [];
  for (const r of list(v, 'the extension list')) {
    if (!isStruct(r)) continue;
    const id = ident(r.id);
    const type = entityType(r.type);
    if (id === undefined || type === undefined) continue;
    const callerid: XmlRpcStruct = isStruct(r.callerid) ? r.callerid : {};
    const number = ident(r.abbreviated) ?? text(callerid.phone)?.trim() ?? '';
    const name = text(callerid.name);
    const online = onlineState(r.state);
    out.push({
      id: entityId(type, id),
      number,
      ...(name ? { name } : {}),
      kind: KIND_OF[type],
      ...(online !== undefined ? { online } : {}),
    });
  }
  return out;
}

// ------------------------------------------------------------------ favorites

/** get_favorites entries -> favorites (ids "type:id"), in slot order, named from `extensions` when given. */
export function decodeFavorites(v: XmlRpcValue | undefined, extensions: Extension[] = []): Favorite[] {
  const byId = new Map(extensions.map((e) => [e.id, e]));
  const out: Favorite[] = [];
  for (const r of list(v, 'the favorites')) {
    if (!isStruct(r)) continue;
    const id = ident(r.id);
    const type = entityType(r.type);
    const slot = integer(r.slot);
    if (id === undefined || type === undefined || slot === undefined || slot < 0) continue;
    const sizeText = text(r.size)?.trim().toLowerCase();
    const size = (FAVORITE_SIZES as readonly string[]).includes(sizeText ?? '') ? (sizeText as Favorite['size']) : 'single';
    const key = entityId(type, id);
    const e = byId.get(key);
    out.push({ id: key, kind: KIND_OF[type], slot, size, ...(e ? { number: e.number } : {}), ...(e?.name ? { name: e.name } : {}) });
  }
  return out.sort((a, b) => a.slot - b.slot);
}

/** Favorites -> the set_favorites argument: structs {id, slot, size, type} with the integer id the guide names. */
export function encodeFavorites(favorites: Favorite[]): XmlRpcValue {
  return favorites.map((f) => {
    const e = splitEntityId(f.id);
    if (!e || e.type !== TYPE_OF[f.kind]) {
      throw new BackendError('invalid', `favorite ${f.id} is not an entity of this PBX (ids look like "extension:12")`, {
        hint: 'Use the ids of the pbx://{pbx}/extensions resource.',
      });
    }
    const n = integer(e.id);
    const id = n !== undefined && Math.abs(n) <= 2_147_483_647 ? n : e.id;
    return { id, slot: f.slot, size: f.size, type: e.type };
  });
}

// ------------------------------------------------------------------ parking

const PARKING_KEYS = {
  extension: ['parking_extension', 'parkingExtension', 'extension', 'first_slot'],
  slots: ['slots', 'max_slots', 'size'],
  parked: ['parked_calls', 'parkedCalls', 'parked', 'calls'],
};

function pick(s: XmlRpcStruct, keys: string[]): XmlRpcValue | undefined {
  for (const k of keys) if (Object.prototype.hasOwnProperty.call(s, k)) return s[k];
  return undefined;
}

function parkedEntries(v: XmlRpcValue | undefined): { slot: string; callId: string }[] {
  const out: { slot: string; callId: string }[] = [];
  const add = (slot: XmlRpcValue | undefined, call: XmlRpcValue | undefined) => {
    const s = ident(typeof slot === 'string' ? slot.trim() : slot);
    const c = ident(call);
    if (s !== undefined && c !== undefined) out.push({ slot: s, callId: c });
  };
  if (isStruct(v)) {
    // Struct keys are strings on the wire: the slot numbers arrive as text.
    for (const [k, c] of Object.entries(v)) add(k, c);
  } else if (Array.isArray(v)) {
    for (const e of v) {
      if (Array.isArray(e) && e.length >= 2) add(e[0], e[1]);
      else if (isStruct(e)) add(e.slot, pick(e, ['callid', 'call_id', 'callId', 'id']));
    }
  } else if (!(v === undefined || v === null || v === '' || v === false || v === 0)) {
    throw shape('the parked calls');
  }
  return out.sort((a, b) => (integer(a.slot) ?? Infinity) - (integer(b.slot) ?? Infinity) || a.slot.localeCompare(b.slot));
}

/** get_parking_info: <parking_extension, slots, parked_calls> as a 3-element array or as a struct. */
export function decodeParking(v: XmlRpcValue | undefined): ParkingInfo {
  let ext: XmlRpcValue | undefined;
  let slots: XmlRpcValue | undefined;
  let parked: XmlRpcValue | undefined;
  if (Array.isArray(v)) [ext, slots, parked] = v;
  else if (isStruct(v)) {
    ext = pick(v, PARKING_KEYS.extension);
    slots = pick(v, PARKING_KEYS.slots);
    parked = pick(v, PARKING_KEYS.parked);
  } else if (!(v === undefined || v === null || v === '' || v === false)) {
    throw shape('the parking lot');
  }
  const firstSlot = ident(ext);
  const count = integer(slots);
  return {
    ...(firstSlot !== undefined ? { firstSlot } : {}),
    ...(count !== undefined && count >= 0 ? { slots: count } : {}),
    parked: parkedEntries(parked),
  };
}

/** park's "slot taken": an int or a string; undefined when the PBX said nothing usable. */
export function decodeSlot(v: XmlRpcValue | undefined): string | undefined {
  if (isStruct(v)) return ident(v.slot);
  if (typeof v === 'boolean' || v === null || v === undefined) return undefined;
  const s = ident(v);
  return s === '0' ? undefined : s;
}

// ------------------------------------------------------------------ storage

/** A JSON value as XML-RPC (objects become structs, null nil). */
export function toXmlRpc(v: unknown, depth = 0): XmlRpcValue {
  if (depth > 32) throw new BackendError('invalid', 'the JSON note is nested too deeply');
  if (v === null || v === undefined) return null;
  if (typeof v === 'string' || typeof v === 'boolean' || typeof v === 'number') return v;
  if (Array.isArray(v)) return v.map((x) => toXmlRpc(x, depth + 1));
  if (typeof v === 'object') {
    const out: XmlRpcStruct = {};
    for (const [k, x] of Object.entries(v)) if (x !== undefined) out[k] = toXmlRpc(x, depth + 1);
    return out;
  }
  throw new BackendError('invalid', 'the JSON note holds a value XML-RPC cannot carry');
}

/** An XML-RPC value as plain JSON (structs become ordinary objects). */
export function toJson(v: XmlRpcValue | undefined): unknown {
  if (v === undefined) return null;
  if (Array.isArray(v)) return v.map(toJson);
  if (isStruct(v)) return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, toJson(x)]));
  return v;
}

/** A stored value as the text `get` returns: strings as they are, anything else as JSON. */
export function noteText(v: XmlRpcValue): string {
  return typeof v === 'string' ? v : JSON.stringify(toJson(v));
}

// ------------------------------------------------------------------ faults

const NOT_FOUND = /no such|not found|does ?n[o']t exist|unknown (call|key|extension|slot|queue|attendant|entity)|keyerror|no (call|key|extension|slot)\b/i;
const CONFLICT = /busy|taken|occupied|in use|already|full|not (answered|connected)|only an? (answered|connected)|conflict/i;
const DENIED = /permission|denied|not allowed|forbidden|access|admin group/i;

/** Longest fault text shown; the PBX's words are data, bounded and cleaned. */
const FAULT_TEXT_MAX = 200;

/** The fault's text, unescaped, cleaned and bounded. */
export function faultText(f: XmlRpcFault): string {
  return pbxText(decodeEscapes(f.string), FAULT_TEXT_MAX) || '(no reason given)';
}

/**
 * An XML-RPC fault as a typed error. faultCode > 0 is an internal server error: for a read, nothing happened
 * (unavailable); for an action, the server failed midway and it may or may not have acted (outcome_unknown).
 * faultCode <= 0 is a user-level error: the request was refused, so nothing happened; the kind comes from the text.
 */
export function faultError(f: XmlRpcFault, req: { read: boolean; what: string }): BackendError {
  const said = faultText(f);
  const code = `fault ${f.code}`;
  if (f.code > 0) {
    if (req.read) {
      return new BackendError('unavailable', `the PBX hit an internal error when asked to ${req.what} (it said: "${said}")`, { code });
    }
    return new BackendError(
      'outcome_unknown',
      `the PBX hit an internal error while asked to ${req.what} (it said: "${said}"): it may or may not have happened`,
      { code },
    );
  }
  // A refusal for lack of rights is about the login, like XUC's ACL refusals: auth, whatever else the text says.
  const denied = DENIED.test(said);
  const kind = denied ? 'auth' : NOT_FOUND.test(said) ? 'not_found' : CONFLICT.test(said) ? 'conflict' : 'invalid';
  const hint = denied
    ? 'The PBX login in the config may manage only the calls, extensions and favorites of its own admin group. Nothing was done.'
    : kind === 'not_found'
      ? 'Nothing was done. Read the current calls, extensions or parking lot for valid ids.'
      : 'Nothing was done.';
  return new BackendError(kind, `the PBX refused to ${req.what} (it said: "${said}")`, { code, hint });
}
