/**
 * xCALLY phone bar API v2 wire format <-> the shared model. Pure functions only.
 *
 * The phone bar answers `GET /xcally/svc/{method}[/xml][/{param}]` with
 *   JSON: {"method":"channels","response":"true","rows":[{...,"event":"","duration":6,...}]}
 *   XML:  <root ...><method>channels</method><response>true</response><row>...<evt/>...</row></root>
 * The vendor's own JSON sample is written with typographic quotes (U+201C/U+201D, and U+2033 after "600"), so
 * JSON is parsed strictly first and, only if that fails, again with those characters replaced by '"'.
 * Rows of both dialects are normalized to one shape (keys lowercased, `evt` -> `event`, duration in seconds).
 */
import { XMLParser, XMLValidator } from 'fast-xml-parser';
import { BackendError } from '../../errors.js';
import type { Call, CallState, Extension, HistoryEntry, Party } from '../model.js';

export type XcDialect = 'json' | 'xml';

/** The documented methods (v2). */
export type XcMethod =
  | 'originate'
  | 'answer'
  | 'hangup'
  | 'holding'
  | 'channels'
  | 'channel'
  | 'recents'
  | 'queues'
  | 'peer'
  | 'transfer'
  | 'atxfer'
  | 'conference'
  | 'reload';

/** One row of an answer, whatever the dialect: trimmed string fields (lowercase keys), duration in seconds. */
export interface XcRow {
  readonly fields: Readonly<Record<string, string>>;
  /** `duration` as whole seconds (a number in JSON, text in XML), when present and readable. */
  readonly duration?: number;
}

export interface XcAnswer {
  /** The `method` the phone bar echoed, if any. */
  method?: string;
  /** `response` was "true" (or the boolean true). */
  ok: boolean;
  rows: XcRow[];
}

/** Error code of an answer that is neither the JSON nor the XML dialect. */
export const MALFORMED = 'xcally.malformed';

const PATH_NUMBER = /^\+?[0-9]{1,20}$/;

/**
 * A number that goes into a URL path: digits with an optional leading +, nothing else (no "/", "..", "?", "#",
 * spaces or letters). Destinations arrive already checked by the dial policy; numbers that identify a call come
 * from the phone bar itself, so both are checked here, just before they touch a path.
 */
export function pathNumber(n: string, role: 'destination' | 'call'): string {
  if (PATH_NUMBER.test(n)) return n;
  const shown = /^[\x20-\x7e]{0,24}$/.test(n) ? `"${n}"` : 'a value with unusual characters';
  throw new BackendError(
    'invalid',
    role === 'destination'
      ? `${shown} is not a phone number the phone bar API can be given (digits with an optional leading + only); nothing was sent`
      : `the phone bar identifies this call by ${shown}, which is not a plain phone number, so telephony-mcp will not put it in a request; nothing was sent`,
    { code: 'xcally.bad_number', hint: role === 'call' ? 'Act on this call from the phone bar itself.' : 'Give the number as digits.' },
  );
}

/** `/xcally/svc/{method}[/xml][/{param}]`, the parameter percent-encoded ("+" becomes %2B). */
export function svcPath(method: XcMethod, param?: string, dialect: XcDialect = 'json'): string {
  const xml = dialect === 'xml' ? '/xml' : '';
  return `/xcally/svc/${method}${xml}${param === undefined ? '' : `/${encodeURIComponent(param)}`}`;
}

function malformed(what: string, why: string): BackendError {
  return new BackendError('unavailable', `the phone bar's answer to ${what} could not be read (${why})`, {
    code: MALFORMED,
    hint: 'Check that the url in the config points at the xCALLY phone bar (port 9888) and that it is running.',
  });
}

// ------------------------------------------------------------------ rows

/** No call lasts a year: a longer "duration" is not one. */
const MAX_SECONDS = 366 * 86_400;

/** "6", 6, "6.4", "00:01:05", "01:05" -> whole seconds; anything else (or absurdly long) -> undefined. */
export function toSeconds(v: unknown): number | undefined {
  let n: number | undefined;
  if (typeof v === 'number') n = v;
  else if (typeof v === 'string') {
    const s = v.trim();
    const hms = /^(?:([0-9]{1,6}):)?([0-9]{1,2}):([0-9]{1,2})$/.exec(s);
    if (/^[0-9]{1,12}(\.[0-9]+)?$/.test(s)) n = Number(s);
    else if (hms) n = Number(hms[1] ?? 0) * 3600 + Number(hms[2]) * 60 + Number(hms[3]);
  }
  return n !== undefined && Number.isFinite(n) && n >= 0 && n <= MAX_SECONDS ? Math.floor(n) : undefined;
}

/** A row of either dialect as the shared row shape; nested values (undocumented) are left out. */
export function normalizeRow(raw: Record<string, unknown>): XcRow {
  const fields: Record<string, string> = {};
  let duration: number | undefined;
  for (const [k, v] of Object.entries(raw)) {
    let key = k.trim().toLowerCase();
    if (key === 'evt') key = 'event';
    if (!key || key === '__proto__') continue;
    if (key === 'duration') duration = toSeconds(v);
    if (typeof v === 'string') fields[key] = v.trim();
    else if (typeof v === 'number' || typeof v === 'boolean') fields[key] = String(v);
    else if (v === null || v === undefined) fields[key] = '';
  }
  return duration === undefined ? { fields } : { fields, duration };
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function rowsFrom(v: unknown): XcRow[] {
  const list = Array.isArray(v) ? v : v === undefined || v === null || v === '' ? [] : [v];
  // An empty <row/> parses as ''; a non-object row carries nothing to read.
  return list.filter(isRecord).map(normalizeRow);
}

function isTrue(v: unknown): boolean {
  return v === true || (typeof v === 'string' && v.trim().toLowerCase() === 'true');
}

// ------------------------------------------------------------------ answers

const TYPOGRAPHIC = /[\u201C\u201D\u2033]/g;

export function decodeJson(body: string, what = 'the request'): XcAnswer {
  let v: unknown;
  try {
    v = JSON.parse(body);
  } catch {
    try {
      // The vendor's sample quotes with U+201C/U+201D (and U+2033): read it as the JSON it means.
      v = JSON.parse(body.replace(TYPOGRAPHIC, '"'));
    } catch {
      throw malformed(what, 'not JSON');
    }
  }
  if (!isRecord(v)) throw malformed(what, 'not a JSON object');
  return {
    ...(typeof v.method === 'string' ? { method: v.method } : {}),
    ok: isTrue(v.response),
    rows: rowsFrom(v.rows ?? v.row),
  };
}

const xml = new XMLParser({
  ignoreAttributes: true,
  parseTagValue: false,
  parseAttributeValue: false,
  trimValues: true,
  processEntities: true,
  htmlEntities: false,
  ignoreDeclaration: true,
  ignorePiTags: true,
});

export function decodeXml(body: string, what = 'the request'): XcAnswer {
  // No document type: nothing in this API needs one, and entity definitions are an expansion risk.
  if (/<!DOCTYPE|<!ENTITY/i.test(body)) throw malformed(what, 'XML with a document type');
  if (XMLValidator.validate(body) !== true) throw malformed(what, 'not well-formed XML');
  let doc: unknown;
  try {
    doc = xml.parse(body);
  } catch {
    throw malformed(what, 'not well-formed XML');
  }
  if (!isRecord(doc)) throw malformed(what, 'no XML root element');
  const roots = Object.entries(doc).filter(([k]) => !k.startsWith('?') && !k.startsWith('#'));
  const root = roots.length === 1 ? roots[0]![1] : undefined;
  if (!isRecord(root)) throw malformed(what, roots.length === 1 ? 'an empty XML root element' : 'not one XML root element');
  const nested = isRecord(root.rows) ? root.rows.row : undefined;
  return {
    ...(typeof root.method === 'string' ? { method: root.method } : {}),
    ok: isTrue(root.response),
    rows: rowsFrom(root.row ?? nested),
  };
}

/** An answer of either dialect. Throws BackendError (code MALFORMED) on anything else, never a raw error. */
export function decodeAnswer(body: string, dialect: XcDialect, what?: string): XcAnswer {
  return dialect === 'json' ? decodeJson(body, what) : decodeXml(body, what);
}

// ------------------------------------------------------------------ channels -> calls

/**
 * What a channel's `status` says of the call's phase, or undefined when it says no more than that the call is
 * there. ACTIVE, the only status the doc shows, is such a word: a phone bar may report a ringing, a held and a
 * connected call alike as ACTIVE. Other words (HOLD, RINGING, UP...) are undocumented but unambiguous where a
 * phone bar sends them; an unknown word says nothing.
 */
export function channelState(status: string | undefined): CallState | undefined {
  const s = (status ?? '').toUpperCase().replace(/[\s_-]/g, '');
  if (['UP', 'CONNECTED', 'ANSWERED', 'TALKING', 'BRIDGED', 'INCALL', 'BUSYINCALL'].includes(s)) return 'connected';
  if (['RINGING', 'RING', 'ALERTING', 'INCOMING'].includes(s)) return 'ringing';
  if (['DIALING', 'DIAL', 'DIALINGOFFHOOK', 'OFFHOOK', 'PRERING', 'RSRVD', 'PROGRESS', 'CALLING', 'OUTGOING'].includes(s)) return 'dialing';
  if (['HOLD', 'ONHOLD', 'HOLDING', 'HELD', 'MOH'].includes(s)) return 'on_hold';
  if (['QUEUED', 'WAITING'].includes(s)) return 'queued';
  return undefined;
}

/** The number a channel row carries: the other party, or (on some phone bars) the agent's own line. */
export function rowNumber(row: XcRow): string {
  const f = row.fields;
  return f.extension || f.number || f.phonenumber || f.callerid || '';
}

/** Two numbers the same line: equal once spaces, dots, dashes and parentheses are left out. */
export function sameNumber(a: string, b: string): boolean {
  const n = (x: string) => x.replace(/[\s().-]/g, '');
  return a !== '' && n(a) === n(b);
}

const CALL_ID = /^[A-Za-z0-9._:@-]{1,128}$/;

/** A call id for a row without a usable uniqueid: stable while the call lasts, derived from its number. */
function idFromNumber(n: string): string {
  const s = n.replace(/^\+/, '00').replace(/[^A-Za-z0-9._:@-]/g, '');
  return s ? `tel-${s}`.slice(0, 120) : '';
}

/** A call as the adapter sees it: the model call plus the numbers the API uses to name it. */
export interface ChannelCall {
  call: Call;
  /** The other parties' numbers as the phone bar reported them (one; several in a conference). */
  numbers: string[];
  /**
   * Some row of this call carries the agent's own line instead of the other party: the doc does not say which
   * `extension` holds, so such a row names no other party, and no number can safely name this call in a path.
   */
  ownLine: boolean;
  /** What the phone bar's status words said of the call (undefined: only that it is there, e.g. ACTIVE). */
  said: CallState | undefined;
}

export interface ChannelContext {
  /** The agent's side of every call; its number is the agent's own extension. */
  agent: Party;
  /** Now (ms since the epoch), to turn durations into start times. */
  now: number;
  /** Whether the call `id` with the other party `number` is one the agent placed (the API does not say). */
  outbound(id: string, number: string): boolean;
  /** The call's state from what the phone bar said (default: that, or unknown); see ledger.ts. */
  stateOf?(id: string, said: CallState | undefined): CallState;
}

/**
 * Channel rows as calls. Rows that share a non-empty uniqueid are legs of one call (a conference). The API
 * reports only a number per row, not the direction: calls `ctx.outbound` knows the agent placed are outbound
 * (agent -> number); the others are shown from the other party to the agent, direction unknown. A row whose
 * number is the agent's own extension names no other party: the call shows an empty number there.
 */
export function rowsToCalls(rows: XcRow[], ctx: ChannelContext): ChannelCall[] {
  const groups = new Map<string, XcRow[]>();
  rows.forEach((row, i) => {
    const uid = row.fields.uniqueid ?? '';
    const key = uid ? `u:${uid}` : `r:${i}`;
    const g = groups.get(key);
    if (g) g.push(row);
    else groups.set(key, [row]);
  });
  const used = new Set<string>();
  const nextDup = new Map<string, number>();
  const out: ChannelCall[] = [];
  let n = 0;
  for (const group of groups.values()) {
    n++;
    const first = group[0]!;
    const listed = group.map(rowNumber);
    const ownLine = listed.some((x) => sameNumber(x, ctx.agent.number));
    const numbers = listed.filter((x) => x !== '' && !sameNumber(x, ctx.agent.number));
    const uid = first.fields.uniqueid ?? '';
    let id = CALL_ID.test(uid) ? uid : idFromNumber(numbers[0] ?? '') || `channel-${n}`;
    if (used.has(id)) {
      // The next free -dupN of this base, remembered: starting again from 2 for every repeat made a hostile answer
      // of 20,000 rows with one number (400 KB) cost 200 million probes, a stall of minutes.
      const base = id.replace(/-dup[0-9]+$/, '');
      let k = nextDup.get(base) ?? 2;
      while (used.has(`${base}-dup${k}`)) k++;
      id = `${base}-dup${k}`;
      nextDup.set(base, k + 1);
    }
    used.add(id);
    const words = group.map((r) => channelState(r.fields.status));
    const said = words.includes('connected') ? 'connected' : words.find((w) => w !== undefined);
    const state = ctx.stateOf ? ctx.stateOf(id, said) : (said ?? 'unknown');
    const durationSeconds = Math.max(0, ...group.map((r) => r.duration ?? 0));
    const far: Party[] = (numbers.length ? numbers : ['']).map((number) => ({ number }));
    const queue = first.fields.queue;
    const base = {
      id,
      state,
      answered: state === 'connected' || state === 'on_hold',
      startedAt: new Date(ctx.now - durationSeconds * 1000).toISOString(),
      durationSeconds,
      ...(queue ? { queue } : {}),
    };
    let call: Call;
    if (far.length > 1) {
      call = { ...base, from: ctx.agent, to: far[0]!, participants: [ctx.agent, ...far] };
    } else if (ctx.outbound(id, numbers[0] ?? '')) {
      call = { ...base, direction: 'outbound', from: ctx.agent, to: far[0]! };
    } else {
      call = { ...base, from: far[0]!, to: ctx.agent };
    }
    out.push({ call, numbers, ownLine, said });
  }
  return out;
}

// ------------------------------------------------------------------ recents -> history

const OUT = /^(out|outgoing|outbound|dialed|dialled|placed|emitted)/i;
const IN = /^(in|incoming|inbound|received|answered|missed)/i;

function historyStatus(dir: 'in' | 'out' | undefined, raw: string): string {
  const s = raw.toUpperCase().replace(/[\s_-]/g, '');
  if (s === 'BUSY') return 'busy';
  if (['FAILED', 'CONGESTION', 'CHANUNAVAIL', 'ERROR'].includes(s)) return 'failed';
  if (s.startsWith('ABANDON')) return 'abandoned';
  if (dir === 'out') return 'emitted';
  if (['ANSWERED', 'ANSWER', 'ACTIVE', 'COMPLETED', 'OK'].includes(s)) return 'answered';
  if (['NOANSWER', 'MISSED', 'UNANSWERED', 'CANCEL', 'CANCELLED'].includes(s)) return 'missed';
  return raw ? raw.toLowerCase().slice(0, 40) : 'unknown';
}

/** An ISO 8601 time from the phone bar's date text or epoch number; other text is kept as it came. */
export function toIso(v: string | undefined): string {
  const s = (v ?? '').trim();
  if (!s) return '';
  if (/^[0-9]{9,13}(\.[0-9]+)?$/.test(s)) {
    const n = Number(s);
    return new Date(n < 1e11 ? n * 1000 : n).toISOString();
  }
  const t = Date.parse(s.replace(/^(\d{4}-\d{2}-\d{2}) (\d)/, '$1T$2'));
  return Number.isNaN(t) ? s : new Date(t).toISOString();
}

/**
 * A `recents` row as a history entry. The shape of recents is undocumented: this reads the channel-like fields
 * (`extension`, `duration`, `status`) plus the usual names for a direction (`direction`, `type`) and a time
 * (`calldate`, `start`, `date`, `time`). A row with neither a number nor a time says nothing and is dropped.
 */
export function rowToHistory(row: XcRow, agent: string): HistoryEntry | undefined {
  const f = row.fields;
  const number = rowNumber(row) || f.phone || f.destination || '';
  const start = toIso(f.calldate || f.start || f.starttime || f.date || f.datetime || f.time || f.timestamp);
  if (!number && !start) return undefined;
  const dirText = f.direction || f.type || f.calltype || '';
  const dir = OUT.test(dirText) ? 'out' : IN.test(dirText) ? 'in' : undefined;
  const durationSeconds = row.duration ?? toSeconds(f.billsec) ?? 0;
  const status = historyStatus(dir, f.status || f.disposition || f.result || (/missed/i.test(dirText) ? 'missed' : ''));
  return dir === 'out'
    ? { start, durationSeconds, from: agent, to: number, status }
    : { start, durationSeconds, from: number, to: agent, status };
}

// ------------------------------------------------------------------ queues and peer (undocumented shapes)

/** Longest queue name taken from the phone bar (names are data from outside). */
const MAX_QUEUE_NAME = 80;

/**
 * The queue names in a `queues` answer. Its shape is undocumented: a row names its queue in `queue` (as channel
 * rows do), `name`, `queuename` or `queue_name`. Names are trimmed, bounded, de-duplicated, in the order given.
 */
export function rowsToQueueNames(rows: XcRow[]): string[] {
  const names = new Set<string>();
  for (const { fields: f } of rows) {
    const name = (f.queue || f.name || f.queuename || f.queue_name || '').trim();
    if (name && name.length <= MAX_QUEUE_NAME && !/[\u0000-\u001f\u007f]/.test(name)) names.add(name);
  }
  return [...names];
}

const OFFLINE = /unreach|unregister|unavail|offline|unknown|lagged|down|not ?logged|logged ?out/i;
const ONLINE = /^(ok|reachable|registered|online|available|idle|ready|not ?in ?use|in ?use|busy|ringing|on ?hold|paused|logged ?in)/i;

/** "true", "1", "yes", "on" (any case) as true; "false", "0", "no", "off" as false; anything else unknown. */
function flag(v: string | undefined): boolean | undefined {
  const s = (v ?? '').trim().toLowerCase();
  if (['true', '1', 'yes', 'on'].includes(s)) return true;
  if (['false', '0', 'no', 'off'].includes(s)) return false;
  return undefined;
}

/**
 * The agent's own extension from a `peer` answer (undocumented: the phone bar describes only its own peer).
 * The number is `extension` (as in channel rows), `peer`, `number`, `username` or `name`; `status`/`state` say
 * whether the phone is reachable ("OK", "UNREACHABLE"... as Asterisk's peer status), `dnd` whether it rejects calls.
 */
export function peerToExtensions(rows: XcRow[], fallbackNumber: string): Extension[] {
  const out: Extension[] = [];
  for (const { fields: f } of rows) {
    const number = (f.extension || f.peer || f.number || f.username || f.exten || fallbackNumber || f.name || '').trim();
    if (!number) continue;
    const name = f.fullname || f.callerid_name || f.displayname || (f.name && f.name !== number ? f.name : '');
    const status = f.status || f.state || f.peerstatus || '';
    const online = OFFLINE.test(status) ? false : ONLINE.test(status) ? true : undefined;
    const dnd = flag(f.dnd);
    out.push({
      id: number,
      number,
      kind: 'user',
      ...(name ? { name } : {}),
      ...(online !== undefined ? { online } : {}),
      ...(dnd !== undefined ? { dnd } : {}),
    });
    // One peer: the agent's own. A second row would be another view of it.
    break;
  }
  return out;
}
