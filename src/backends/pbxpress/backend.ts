/**
 * The PBXpress backend (XML-RPC, guide v2.1.2). It logs in as one self-care user and works the calls,
 * extensions and favorites of that user's admin group, like the operator console the API was made for.
 *
 * userModel 'self': the login is the actor. No method takes a user; every transfer, drop and park is done by
 * the login, on any call of its admin group. So the PBX acts as its login, and a tool's `user` cannot pick
 * someone else. Without `defaultUser` (the switchboard view) get_active_call lists every call of the admin
 * group and an action may take any of them (parked calls and calls waiting in a queue included, which no
 * extension is a party to); with `defaultUser` set to an extension number, "my calls" and "the current call"
 * mean that extension's. ('many' was the alternative: it would make `user` an extension filter, but the core
 * resolves an action's call among that user's calls only, which leaves parked and queued calls out of reach.)
 */
import {
  VOICEMAIL_BOX,
  type Backend,
  type Capability,
  type NotesResult,
  type Operations,
  type OpOptions,
} from '../backend.js';
import { currentCall } from '../current-call.js';
import { BackendError, isBackendError } from '../../errors.js';
import type { Call, Extension } from '../model.js';
import type { BackendType } from '../types.js';
import { isLoopbackHost } from '../../util/net.js';
import { PbxpressConfig } from './config.js';
import { readCaFile } from '../tls.js';
import { PBX_TYPE, PbxpressClient } from './client.js';
import {
  decodeCalls,
  decodeExtensions,
  decodeFavorites,
  decodeParking,
  decodeSlot,
  encodeFavorites,
  groupCalls,
  involves,
  noteText,
  toJson,
  toXmlRpc,
} from './codec.js';
import { isStruct, type XmlRpcStruct, type XmlRpcValue } from './xmlrpc.js';


export const PBXPRESS_CAPABILITIES: readonly Capability[] = [
  'activeCalls',
  'listExtensions',
  'transferBlind',
  'transferVoicemail',
  'hangup',
  'parkCall',
  'parkingInfo',
  'getFavorites',
  'setFavorites',
  'readNotes',
  'writeNotes',
];

/** Start times are derived from durations; remembered per call id so they do not jitter between reads. */
const STARTED_MEMO_CAP = 2000;

/** Methods whose absence (an old server, or get_all, which the guide does not document) means "cannot". */
const NO_METHOD = /not supported|no such method|unknown method|method .*not found|unsupported/i;

const MISSING_KEY = /keyerror|no such key|not found|does ?n[o']t exist/i;


export class PbxpressBackend implements Backend {
  readonly type = PBX_TYPE;
  readonly userModel = 'self' as const;
  readonly capabilities: ReadonlySet<Capability> = new Set(PBXPRESS_CAPABILITIES);
  private readonly started = new Map<string, string>();

  constructor(
    readonly name: string,
    private readonly client: PbxpressClient,
    readonly defaultUser: string | undefined,
    private readonly notesPrefix: string,
  ) {}

  private read(method: string, params: XmlRpcValue[], what: string, o?: OpOptions): Promise<XmlRpcValue | undefined> {
    return this.client.call(method, params, { read: true, what, signal: o?.signal });
  }

  private act(method: string, params: XmlRpcValue[], what: string, o?: OpOptions): Promise<XmlRpcValue | undefined> {
    return this.client.call(method, params, { read: false, what, signal: o?.signal });
  }

  private startedAt(now: number) {
    return (id: string, duration: number): string => {
      const known = this.started.get(id);
      if (known) return known;
      const at = new Date(Math.floor(now / 1000) * 1000 - duration * 1000).toISOString();
      if (this.started.size >= STARTED_MEMO_CAP) this.started.delete(this.started.keys().next().value!);
      this.started.set(id, at);
      return at;
    };
  }

  activeCalls: Operations['activeCalls'] = async (a, o) => {
    const records = decodeCalls(await this.read('get_calls', [], 'read the active calls', o));
    const grouped = groupCalls(records, this.startedAt(Date.now()));
    const live = new Set(records.map((r) => r.id));
    for (const id of this.started.keys()) if (!live.has(id)) this.started.delete(id);
    const calls = (a.user === undefined ? grouped : grouped.filter((g) => involves(g, a.user!))).map((g) => g.call);
    if (calls.some((c) => c.state === 'parked')) await this.addParkedSlots(calls, o);
    return calls;
  };

  /** Parked calls say where they wait only in get_parking_info; a failure there leaves the slot unknown. */
  private async addParkedSlots(calls: Call[], o?: OpOptions): Promise<void> {
    try {
      const info = await this.parkingInfo(o);
      const slotOf = new Map(info.parked.map((p) => [p.callId, p.slot]));
      for (const c of calls) {
        const slot = c.state === 'parked' ? slotOf.get(c.id) : undefined;
        if (slot !== undefined) c.parkedSlot = slot;
      }
    } catch {
      // the calls are still worth reporting without their slots
    }
  }

  /** The call an action means: the one named, or the user's current call (current-call.ts). */
  private async callIdFor(user: string | undefined, callId: string | undefined, o?: OpOptions): Promise<string> {
    if (callId !== undefined) return callId;
    if (user === undefined) {
      throw new BackendError('invalid', 'no call id was given, and no user whose current call it would be', { about: 'call' });
    }
    const current = currentCall(await this.activeCalls({ user }, o));
    if (!current) throw new BackendError('not_found', `extension ${user} has no active call`, { about: 'call' });
    return current.id;
  }

  listExtensions: Operations['listExtensions'] = async (o) =>
    decodeExtensions(await this.read('get_extensions', [], 'list the extensions', o));

  transferBlind: Operations['transferBlind'] = async (a, o) => {
    const id = await this.callIdFor(a.user, a.callId, o);
    await this.act('transfer', [id, a.to], `transfer call ${id} to ${a.to}`, o);
  };

  /** transfer(callid, dest) with a voicemail box "in vm-abbreviated form" (the guide), passed as the caller gave it. */
  transferVoicemail: Operations['transferVoicemail'] = async (a, o) => {
    if (!VOICEMAIL_BOX.test(a.box)) {
      throw new BackendError('invalid', `"${a.box.slice(0, 20)}" is not a voicemail box ("vm-" and its extension number); nothing was done`, {
      });
    }
    const id = await this.callIdFor(a.user, a.callId, o);
    await this.act('transfer', [id, a.box], `transfer call ${id} to voicemail box ${a.box}`, o);
  };

  hangup: Operations['hangup'] = async (a, o) => {
    const id = await this.callIdFor(a.user, a.callId, o);
    await this.act('drop', [id], `drop call ${id}`, o);
  };

  parkCall: Operations['parkCall'] = async (a, o) => {
    let params: XmlRpcValue[] = [a.callId];
    if (a.slot !== undefined) {
      if (!/^[0-9]{1,9}$/.test(a.slot)) {
        throw new BackendError('invalid', `parking slot "${a.slot}" is not a slot number`);
      }
      params = [a.callId, Number(a.slot)];
    }
    const what = `park call ${a.callId}${a.slot !== undefined ? ` in slot ${a.slot}` : ''}`;
    const slot = decodeSlot(await this.act('park', params, what, o));
    if (slot !== undefined) return { slot };
    if (a.slot !== undefined) return { slot: String(Number(a.slot)) };
    // The PBX parked the call without saying where: the parking lot tells.
    const found = await this.parkingInfo(o).then(
      (p) => p.parked.find((x) => x.callId === a.callId)?.slot,
      () => undefined,
    );
    if (found !== undefined) return { slot: found };
    throw new BackendError('outcome_unknown', `the PBX accepted the request to ${what} but did not say which slot it took`, {
      hint: 'Do not park it again: read the parking lot to find the call.',
    });
  };

  parkingInfo: Operations['parkingInfo'] = async (o) =>
    decodeParking(await this.read('get_parking_info', [], 'read the parking lot', o));

  getFavorites: Operations['getFavorites'] = async (o) => {
    const raw = await this.read('get_favorites', [], 'read the operator favorites', o);
    const bare = decodeFavorites(raw);
    if (!bare.length) return bare;
    // Names and numbers come from the extension list, joined on (id, type).
    const extensions: Extension[] = await this.listExtensions(o).catch(() => []);
    return decodeFavorites(raw, extensions);
  };

  setFavorites: Operations['setFavorites'] = async (a, o) => {
    const wire = encodeFavorites(a.favorites);
    await this.act('set_favorites', [wire], 'set the operator favorites', o);
  };

  private key(k: string): string {
    return `${this.notesPrefix}${k}`;
  }

  /**
   * Run a storage read where a "no such key" fault means "not there". A Python server may report the missing
   * key as an internal KeyError (faultCode > 0), so the text decides, not only the code.
   */
  private async lookup(method: string, key: string, o?: OpOptions): Promise<XmlRpcValue | undefined> {
    try {
      return await this.read(method, [this.key(key)], `read note ${key}`, o);
    } catch (e) {
      if (isBackendError(e) && e.code?.startsWith('fault') && (e.kind === 'not_found' || MISSING_KEY.test(e.message))) return undefined;
      throw e;
    }
  }

  readNotes: Operations['readNotes'] = async (a, o): Promise<NotesResult> => {
    if (a.op === 'list') return { found: true, notes: await this.listNotes(o) };
    const v = await this.lookup(a.op === 'get' ? 'dict_get' : 'dict_get_serialized', a.key, o);
    // "none" for a missing key may come as nil, nothing or false.
    if (v === undefined || v === null || v === false) return { found: false };
    if (a.op === 'get') return { found: true, value: noteText(v) };
    if (typeof v === 'string') {
      try {
        return { found: true, json: JSON.parse(v) as unknown };
      } catch {
        return { found: true, json: v };
      }
    }
    return { found: true, json: toJson(v) };
  };

  /** get_all (undocumented: the guide's sample prints it as "keys/values"), narrowed to our prefix. */
  private async listNotes(o?: OpOptions): Promise<{ key: string; value: string }[]> {
    let all: XmlRpcValue | undefined;
    try {
      all = await this.read('get_all', [], 'list the notes', o);
    } catch (e) {
      if (isBackendError(e) && e.code?.startsWith('fault') && NO_METHOD.test(e.message)) {
        throw new BackendError('unsupported', 'this PBX cannot list notes (it lacks get_all, which the PBXpress guide does not document)', {
          hint: 'Read notes by key with action get.',
        });
      }
      throw e;
    }
    const pairs: [string, XmlRpcValue][] = [];
    if (isStruct(all)) pairs.push(...Object.entries(all));
    else if (Array.isArray(all)) {
      for (const e of all) {
        if (Array.isArray(e) && typeof e[0] === 'string' && e.length >= 2) pairs.push([e[0], e[1]!]);
        else if (isStruct(e) && typeof e.key === 'string' && e.value !== undefined) pairs.push([e.key, e.value]);
      }
    }
    return pairs
      .filter(([k]) => k.startsWith(this.notesPrefix) && k.length > this.notesPrefix.length)
      .map(([k, v]) => ({ key: k.slice(this.notesPrefix.length), value: noteText(v) }))
      .sort((x, y) => x.key.localeCompare(y.key));
  }

  writeNotes: Operations['writeNotes'] = async (a, o) => {
    switch (a.op) {
      case 'set':
        await this.act('dict_set', [this.key(a.key), a.value], `store note ${a.key}`, o);
        return;
      case 'set_many': {
        const entries: XmlRpcStruct = {};
        for (const e of a.entries) entries[this.key(e.key)] = e.value;
        await this.act('dict_set_many', [entries], `store ${a.entries.length} notes`, o);
        return;
      }
      case 'set_json':
        await this.act('dict_set_serialized', [this.key(a.key), toXmlRpc(a.json)], `store note ${a.key}`, o);
        return;
      case 'delete':
        await this.act('dict_delete', [this.key(a.key)], `delete note ${a.key}`, o);
    }
  };

  close(): Promise<void> {
    return this.client.close();
  }
}


export const pbxpressType: BackendType<typeof PbxpressConfig> = {
  type: PBX_TYPE,
  config: PbxpressConfig,
  create(name, config, deps) {
    const host = new URL(config.url).hostname;
    if (new URL(config.url).protocol === 'http:' && !isLoopbackHost(host)) {
      deps.log.warn('the PBXpress XML-RPC url is plain http: the self-care password crosses the network readable by anyone on the path', {
        pbx: name,
      });
    }
    const client = new PbxpressClient({
      pbx: name,
      url: config.url,
      username: config.username,
      password: config.password,
      timeoutMs: config.timeoutMs,
      log: deps.log,
      ...(config.caFile !== undefined ? { ca: readCaFile(name, config.caFile, deps.baseDir) } : {}),
    });
    return new PbxpressBackend(name, client, config.defaultUser, config.notesPrefix);
  },
};
