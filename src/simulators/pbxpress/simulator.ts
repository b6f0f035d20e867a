/**
 * A PBXpress XML-RPC server over the sim engine: POST /RPC2 behind HTTP Basic, the guide's methods (plus the
 * sample's undocumented get_all), records in the guide's shapes, and faults for errors. It reports a call to a
 * queue as the guide says: one incoming leg to the queue plus one outgoing leg per ringing extension, all with
 * qcall = 1 and no field linking them. Things the guide leaves open can be switched to each documented variant:
 * get_parking_info as the 3-element array (default) or a struct; "none" results as nil (default), an empty
 * answer, a boolean, 0 or an empty string.
 *
 * The login works its admin group: here, the whole engine. For transfer and park, which do not say which party
 * leaves the call, the login's own extension leaves if it is in the call, else the call's one extension, else
 * the called extension. A parked call transferred to an extension is picked up there. A call still waiting in
 * a queue cannot be transferred here (the engine moves calls only from an extension): a fault says so. A transfer
 * to a voicemail box (the guide's "vm-abbreviated form", read literally as vm-<abbreviated>) ends the call and
 * records the caller's visit to the box.
 */
import { type CallView, EngineError, type PbxEngine } from '../engine/engine.js';
import { startSimServer, type SimRequest, type SimResponse, type SimServer } from '../kit.js';
import type { RunningSimulator, SimulatorDef } from '../types.js';
import { basicAuth } from '../../util/basic-auth.js';
import { fault as faultAnswer, isStruct, readCall, response, stringEscape, type XmlRpcStruct, type XmlRpcValue } from './xmlrpc.js';

export type NoneStyle = 'nil' | 'empty' | 'true' | 'zero' | 'string';
export type ParkingShape = 'array' | 'struct';

export interface PbxpressSimOptions {
  engine: PbxEngine;
  host?: string;
  port?: number;
  username?: string;
  password?: string;
  parkingShape?: ParkingShape;
  noneStyle?: NoneStyle;
  /** Serve https with this key and certificate. */
  tls?: { key: string; cert: string };
}

/** A message a caller was sent to leave: a call transferred to a voicemail box. */
export interface VoicemailDeposit {
  /** The destination as transfer() got it (vm-<abbreviated>). */
  box: string;
  /** The extension whose box it is. */
  extension: string;
  /** The caller who went there. */
  caller: string;
  callId: string;
}

export interface PbxpressSim extends RunningSimulator {
  /** The XML-RPC endpoint (…/RPC2). */
  endpoint: string;
  username: string;
  password: string;
  /** Switches between the documented variants; tests may change them while the simulator runs. */
  settings: { parkingShape: ParkingShape; noneStyle: NoneStyle };
  /** The stored favorites, as the wire has them. */
  favorites(): XmlRpcStruct[];
  /** The storage of a login: key -> stored value. */
  storage(login?: string): Map<string, Stored>;
  /** Calls sent to a voicemail box, oldest first. */
  voicemails(): VoicemailDeposit[];
}

type Stored = { kind: 'text'; value: string } | { kind: 'object'; value: XmlRpcValue };

/** Fault codes: <= 0 user-level (the request was refused), > 0 internal (as the guide defines them). */
const FAULT = { not_found: -1, busy: -2, invalid: -3, conflict: -4, parse: -32700, internal: 1 } as const;

class Fault extends Error {
  constructor(
    readonly code: number,
    message: string,
  ) {
    super(message);
  }
}

const MAX_KEY = 256;
const MAX_VALUE = 65_536;
const MAX_KEYS = 10_000;
const TYPES = ['extension', 'queue', 'attendant'];

const WIRE_STATE: Record<CallView['state'], string> = {
  dialing: 'setup',
  ringing: 'ringing',
  connected: 'connected',
  on_hold: 'onhold',
  parked: 'parked',
  queued: 'ringing',
  unknown: 'unknown',
};

export const DEFAULT_SIM_PASSWORD = 'pbxpress-sim';

export async function startPbxpressSim(opts: PbxpressSimOptions): Promise<PbxpressSim> {
  const engine = opts.engine;
  const username = opts.username ?? '201';
  // Not the vendor's name: a password is masked wherever it appears in results, and a PBX is often named so.
  const password = opts.password ?? DEFAULT_SIM_PASSWORD;
  const expectedAuth = basicAuth(username, password);
  const settings = { parkingShape: opts.parkingShape ?? 'array', noneStyle: opts.noneStyle ?? 'nil' };
  let favorites: XmlRpcStruct[] = [];
  const deposits: VoicemailDeposit[] = [];
  const stores = new Map<string, Map<string, Stored>>();
  const storage = (login = username) => {
    let s = stores.get(login);
    if (!s) stores.set(login, (s = new Map()));
    return s;
  };
  // Member legs get ids of their own, as separate records would.
  const legIds = new Map<string, string>();
  const legOwner = new Map<string, string>();
  let legSeq = 9000;

  // Internal ids per type, in scenario order: a user and a queue may share an id (the pair identifies).
  const userIds = () => new Map(engine.listUsers().map((u, i) => [u.id, i + 1]));
  const queueIds = () => new Map(engine.queueNames().map((q, i) => [q, i + 1]));

  const party = (kind: CallView['fromKind'], p: { number: string; name?: string | undefined }, user: string | undefined): XmlRpcStruct => {
    if (kind === 'user') return { id: userIds().get(user ?? '') ?? 0, number: p.number, name: p.name ?? '', type: 'extension' };
    if (kind === 'queue') {
      const q = engine.findQueue(p.number);
      return { id: q ? (queueIds().get(q.name) ?? 0) : 0, number: p.number, name: q?.name ?? p.name ?? '', type: 'queue' };
    }
    return { id: 0, number: p.number, name: p.name ?? '', type: 'unknown' };
  };

  const legId = (callId: string, user: string) => {
    const k = `${callId}\u0000${user}`;
    let id = legIds.get(k);
    if (!id) {
      id = String(++legSeq);
      legIds.set(k, id);
      legOwner.set(id, callId);
    }
    return id;
  };

  const calls = (): XmlRpcValue => {
    const out: XmlRpcStruct[] = [];
    for (const c of engine.listCalls()) {
      const via = c.fromKind === 'external' || c.toKind === 'external' ? 'sip-trunk' : '';
      const from = party(c.fromKind, c.from, c.fromUser);
      // A call offered through a queue (waiting, or at a member the queue chose) is reported as queue legs.
      if (!c.queue || (c.state !== 'queued' && c.agent === undefined)) {
        out.push({ id: c.id, state: WIRE_STATE[c.state], from, to: party(c.toKind, c.to, c.toUser), duration: c.durationSeconds, via, qcall: 0 });
        continue;
      }
      const q = engine.findQueue(c.queue)!;
      const queueParty = party('queue', { number: q.number, name: q.name }, undefined);
      out.push({ id: c.id, state: WIRE_STATE[c.state], from, to: queueParty, duration: c.durationSeconds, via, qcall: 1 });
      if (c.toKind === 'user' && c.toUser) {
        // The outgoing leg to the ringing (or answering) extension shows the caller, with its own id.
        out.push({
          id: legId(c.id, c.toUser),
          state: WIRE_STATE[c.state],
          from,
          to: party('user', c.to, c.toUser),
          duration: c.durationSeconds,
          via: '',
          qcall: 1,
        });
      }
    }
    return out;
  };

  const extensions = (): XmlRpcValue => {
    const ids = userIds();
    const qids = queueIds();
    const users = engine.listUsers().map((u) => ({
      id: ids.get(u.id)!,
      type: 'extension',
      abbreviated: u.extension,
      callerid: { phone: u.extension, name: u.name ?? '' },
      voicemail: 1,
      email: `${u.id}@pbx.example`,
      state: u.online ? 'online' : 'offline',
    }));
    const queues = engine
      .extensions()
      .filter((e) => e.kind === 'queue')
      .map((e) => ({
        id: qids.get(e.name ?? '') ?? 0,
        type: 'queue',
        abbreviated: e.number,
        callerid: { phone: e.number, name: e.name ?? '' },
        voicemail: 0,
        email: '',
        state: e.online ? 'online' : 'offline',
      }));
    return [...users, ...queues];
  };

  const entityExists = (type: string, id: number): boolean =>
    type === 'extension' ? [...userIds().values()].includes(id) : type === 'queue' ? [...queueIds().values()].includes(id) : false;

  const none = (): XmlRpcValue | undefined => {
    switch (settings.noneStyle) {
      case 'nil':
        return null;
      case 'empty':
        return undefined;
      case 'true':
        return true;
      case 'zero':
        return 0;
      case 'string':
        return '';
    }
  };

  const str = (v: XmlRpcValue | undefined, what: string): string => {
    if (typeof v === 'string') return v;
    if (typeof v === 'number' && Number.isInteger(v)) return String(v);
    throw new Fault(FAULT.invalid, `${what} must be a string`);
  };

  const callOf = (raw: XmlRpcValue | undefined): CallView => {
    const id = str(raw, 'callid');
    try {
      return engine.call(legOwner.get(id) ?? id);
    } catch {
      throw new Fault(FAULT.not_found, `no such call '${id}'`);
    }
  };

  /** Which user leaves a call the login transfers or parks. */
  const actor = (c: CallView): string | undefined => {
    const self = engine.findUser(username)?.id;
    if (self && (c.fromUser === self || c.toUser === self)) return self;
    const users = [c.fromUser, c.toUser].filter((u): u is string => u !== undefined);
    if (users.length === 1) return users[0];
    return c.toUser;
  };

  const key = (v: XmlRpcValue | undefined): string => {
    const k = str(v, 'key');
    if (!k || k.length > MAX_KEY) throw new Fault(FAULT.invalid, `a key must have 1 to ${MAX_KEY} characters`);
    return k;
  };

  const put = (k: string, s: Stored) => {
    const store = storage();
    if (!store.has(k) && store.size >= MAX_KEYS) throw new Fault(FAULT.conflict, 'storage full');
    store.set(k, s);
  };

  const stored = (k: string): Stored => {
    const s = storage().get(k);
    if (!s) throw new Fault(FAULT.not_found, `no such key '${k}'`);
    return s;
  };

  const methods: Record<string, (p: XmlRpcValue[]) => XmlRpcValue | undefined> = {
    get_calls: () => calls(),
    get_extensions: () => extensions(),
    get_favorites: () => favorites.map((f) => ({ ...f })),
    set_favorites: ([list]) => {
      if (!Array.isArray(list)) throw new Fault(FAULT.invalid, 'set_favorites takes an array of favorites');
      const next: XmlRpcStruct[] = [];
      const seen = new Set<string>();
      for (const f of list) {
        if (!isStruct(f)) throw new Fault(FAULT.invalid, 'a favorite must be a struct');
        const { id, slot, size, type } = f;
        if (typeof id !== 'number' || !Number.isInteger(id)) throw new Fault(FAULT.invalid, 'favorite id must be an integer');
        if (typeof type !== 'string' || !TYPES.includes(type)) throw new Fault(FAULT.invalid, 'favorite type must be extension, queue or attendant');
        if (typeof slot !== 'number' || !Number.isInteger(slot) || slot < 0) throw new Fault(FAULT.invalid, 'favorite slot must be a number');
        if (size !== 'single' && size !== 'double') throw new Fault(FAULT.invalid, 'favorite size must be single or double');
        if (!entityExists(type, id)) throw new Fault(FAULT.not_found, `no such ${type} ${id}`);
        if (seen.has(`${type}:${id}`)) throw new Fault(FAULT.invalid, `${type} ${id} is listed twice`);
        seen.add(`${type}:${id}`);
        next.push({ id, slot, size, type });
      }
      favorites = next;
      return none();
    },
    transfer: ([callid, destination]) => {
      const c = callOf(callid);
      const dest = str(destination, 'destination');
      // A voicemail box "in vm-abbreviated form": read literally, "vm-" and the abbreviated number of an
      // extension with voicemail (every simulated one has it). The caller leaves the calls for the box.
      const vm = /^vm-([0-9]+)$/i.exec(dest);
      if (vm || /^vm/i.test(dest)) {
        const owner = vm ? engine.listUsers().find((u) => u.extension === vm[1]) : undefined;
        if (!owner) throw new Fault(FAULT.not_found, `no voicemail box '${dest}'`);
        const caller = c.fromUser === owner.id ? c.to.number : c.from.number;
        engine.hangup(undefined, c.id);
        deposits.push({ box: dest, extension: owner.extension, caller, callId: c.id });
        return none();
      }
      if (c.state === 'parked' && c.parkedSlot) {
        // Transferring a parked call sends it to the destination's phone: the engine's pick-up from the slot.
        const target = engine.findUser(dest);
        if (!target) throw new Fault(FAULT.invalid, `a parked call can only be transferred to an extension, not '${dest}'`);
        engine.placeCall(target.id, c.parkedSlot);
        return none();
      }
      const user = actor(c);
      if (!user) throw new Fault(FAULT.conflict, `call '${c.id}' is not answered by an extension yet`);
      engine.transferBlind(user, c.id, dest);
      return none();
    },
    drop: ([callid]) => {
      engine.hangup(undefined, callOf(callid).id);
      return none();
    },
    get_parking_info: () => {
      const p = engine.parkingInfo();
      const parked: XmlRpcStruct = {};
      for (const x of p.parked) parked[x.slot] = x.callId;
      return settings.parkingShape === 'struct'
        ? { parking_extension: p.firstSlot, slots: p.slots, parked_calls: parked }
        : [p.firstSlot, p.slots, parked];
    },
    park: ([callid, slot]) => {
      const c = callOf(callid);
      const s = slot === undefined || slot === null ? undefined : str(slot, 'slot');
      return Number(engine.park(c.id, s, actor(c)));
    },
    dict_set: ([k, value]) => {
      put(key(k), { kind: 'text', value: bounded(str(value, 'value')) });
      return none();
    },
    dict_set_many: ([pairs]) => {
      if (!isStruct(pairs)) throw new Fault(FAULT.invalid, 'dict_set_many takes a struct of key/value pairs');
      const entries = Object.entries(pairs).map(([k, v]) => [key(k), bounded(str(v, 'value'))] as const);
      for (const [k, v] of entries) put(k, { kind: 'text', value: v });
      return none();
    },
    dict_get: ([k]) => {
      const s = stored(key(k));
      return s.kind === 'text' ? s.value : JSON.stringify(s.value);
    },
    dict_set_serialized: ([k, obj]) => {
      const name = key(k);
      if (!Array.isArray(obj) && !isStruct(obj)) throw new Fault(FAULT.invalid, 'obj must be an array or a struct');
      if (JSON.stringify(obj).length > MAX_VALUE) throw new Fault(FAULT.invalid, 'value too large');
      put(name, { kind: 'object', value: obj });
      return none();
    },
    dict_get_serialized: ([k]) => {
      const name = key(k);
      const s = stored(name);
      if (s.kind !== 'object') throw new Fault(FAULT.invalid, `'${name}' holds a string, not a serialized object`);
      return s.value;
    },
    dict_delete: ([k]) => {
      const name = key(k);
      stored(name);
      storage().delete(name);
      return none();
    },
    get_all: () => {
      const out: XmlRpcStruct = {};
      for (const [k, s] of storage()) out[k] = s.kind === 'text' ? s.value : JSON.stringify(s.value);
      return out;
    },
  };

  const xml = (body: string): SimResponse => ({ status: 200, headers: { 'content-type': 'text/xml' }, body });
  // Fault strings carry backslash escapes, as the guide's sample expects ('string-escape').
  const fault = (code: number, message: string) => xml(faultAnswer(code, stringEscape(message)));

  const handle = (req: SimRequest): SimResponse => {
    if (req.path !== '/RPC2') return { status: 404, headers: { 'content-type': 'text/plain' }, body: 'Not Found' };
    if (req.method !== 'POST') return { status: 405, headers: { allow: 'POST', 'content-type': 'text/plain' }, body: 'Method Not Allowed' };
    if (req.headers.authorization !== expectedAuth) {
      return { status: 401, headers: { 'www-authenticate': 'Basic realm="PBXpress XML-RPC"', 'content-type': 'text/plain' }, body: 'Unauthorized' };
    }
    let call;
    try {
      call = readCall(req.body);
    } catch {
      return fault(FAULT.parse, 'parse error: not well formed');
    }
    const fn = Object.prototype.hasOwnProperty.call(methods, call.method) ? methods[call.method] : undefined;
    if (!fn) return fault(FAULT.internal, `method "${call.method}" is not supported`);
    try {
      return xml(response(fn(call.params)));
    } catch (e) {
      if (e instanceof Fault) return fault(e.code, e.message);
      if (e instanceof EngineError) return fault(FAULT[e.code], e.message);
      return fault(FAULT.internal, 'internal error');
    }
  };

  const server: SimServer = await startSimServer({
    handle,
    ...(opts.host ? { host: opts.host } : {}),
    ...(opts.port !== undefined ? { port: opts.port } : {}),
    ...(opts.tls ? { tls: opts.tls } : {}),
  });
  const endpoint = `${server.url}/RPC2`;
  return {
    server,
    endpoint,
    username,
    password,
    settings,
    configExample: { type: 'pbxpress', url: endpoint, username, password },
    favorites: () => favorites.map((f) => ({ ...f })),
    voicemails: () => deposits.map((d) => ({ ...d })),
    storage,
    close: () => server.close(),
  };
}

function bounded(v: string): string {
  if (v.length > MAX_VALUE) throw new Fault(FAULT.invalid, 'value too large');
  return v;
}

export const pbxpressSimulator: SimulatorDef = {
  vendor: 'pbxpress',
  description: 'PBXpress XML-RPC',
  defaultPort: 3339,
  readings: {
    array: 'get_parking_info as a 3-element array (<parking_extension, slots, parked_calls>), "none" results as nil',
    struct: 'get_parking_info as a struct, "none" results as an empty answer',
  },
  start: (o) =>
    startPbxpressSim({
      engine: o.engine,
      ...(o.host ? { host: o.host } : {}),
      ...(o.port !== undefined ? { port: o.port } : {}),
      ...(o.password ? { password: o.password } : {}),
      ...(o.reading === 'struct' ? { parkingShape: 'struct', noneStyle: 'empty' } : {}),
    }),
};
