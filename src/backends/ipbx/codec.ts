/**
 * Taridium IPPS wire format <-> shared model, as pure functions. IPPS answers plain text: one unquoted CSV
 * line per channel or queue call, no header, optional fields left empty (or left out), and errors as a body
 * starting with "ERROR:" whatever the HTTP status. Values are not quoted, so a name or a country may contain a
 * comma: every parse anchors on the fixed tokens (the channel state on the left and the unique id on the right
 * of a channel row; WAITING|CONNECTED in a queue row) instead of counting commas.
 *
 * Nothing here throws anything but BackendError.
 */
import { BackendError } from '../../errors.js';
import { pbxText } from '../../safety/sanitize.js';
import type { Call, CallDirection, CallState, QueueCall, QueueStatus } from '../model.js';

// ------------------------------------------------------------------------------------------------ body level

/** Lines of a body: any newline (CRLF, LF, CR), blank lines dropped, each trimmed, a BOM ignored. */
export function splitLines(body: string): string[] {
  return body
    .replace(/^\uFEFF/, '')
    .split(/\r\n|\r|\n/)
    .map((l) => l.trim())
    .filter((l) => l.length > 0);
}

/** The documented ERROR lines, as typed errors. */
const IPPS_ERRORS: Record<string, () => BackendError> = {
  'NO CHANNEL SUPPLIED': () =>
    new BackendError('invalid', 'the PBX says no channel was supplied (IPPS: ERROR: NO CHANNEL SUPPLIED)', {
      code: 'NO CHANNEL SUPPLIED',
      hint: 'List the channels to watch in `channels` (or `userChannels`) for this PBX in the telephony-mcp config.',
    }),
  'NO QUEUE NAME SUPPLIED': () =>
    new BackendError('invalid', 'the PBX says no queue name was supplied (IPPS: ERROR: NO QUEUE NAME SUPPLIED)', {
      code: 'NO QUEUE NAME SUPPLIED',
      hint: 'Name the queue as it is configured on the ipbx, and list it in `queues` for this PBX in the telephony-mcp config.',
    }),
  'SSL QUERY REQUIRED': () =>
    new BackendError('invalid', 'the PBX accepts IPPS queries over HTTPS only (IPPS: ERROR: SSL QUERY REQUIRED)', {
      code: 'SSL QUERY REQUIRED',
      hint: 'Use an https:// url for this PBX in the telephony-mcp config (the ipbx has IPPSRequireSSL set).',
    }),
  'AUTHENTICATION FAILED': () =>
    new BackendError('auth', 'the PBX refused our IPPS credentials (IPPS: ERROR: AUTHENTICATION FAILED)', {
      code: 'AUTHENTICATION FAILED',
      hint: 'Check `username` and `password` of this PBX in the telephony-mcp config against IPPSUser and IPPSPassword on the ipbx.',
    }),
};

/** What an IPPS answer is, before parsing rows: data, a typed error, or an HTTP status for the caller to map. */
export type IppsAnswer = { kind: 'data'; body: string } | { kind: 'error'; error: BackendError } | { kind: 'status' };

/** True for a web page (IPPS disabled, a proxy or login page, a PHP error), which is never IPPS data. */
export function looksLikeHtml(body: string): boolean {
  const t = body.replace(/^\uFEFF/, '').trimStart();
  return t.startsWith('<') || /<(!doctype|html|head|body)\b/i.test(body.slice(0, 4096));
}

/**
 * Classify an answer. ERROR lines win over the HTTP status (the vendor documents the text, not the status);
 * an HTML page is an error whatever the status; other non-2xx statuses go back to the caller.
 */
export function classifyAnswer(status: number, body: string): IppsAnswer {
  const t = body.replace(/^\uFEFF/, '').trim();
  const m = /^ERROR:\s*(.*)$/im.exec(t.split(/\r\n|\r|\n/, 1)[0] ?? '');
  if (m) {
    const text = m[1]!.trim().toUpperCase().replace(/\s+/g, ' ');
    const known = IPPS_ERRORS[text];
    if (known) return { kind: 'error', error: known() };
    return {
      kind: 'error',
      error: new BackendError('invalid', `the PBX answered an IPPS error: "ERROR: ${pbxText(m[1]!, 80)}"`, {
        code: pbxText(text, 40),
        hint: 'Check the configuration of this PBX (url, channels, queues) and of IPPS on the ipbx.',
      }),
    };
  }
  if (looksLikeHtml(t)) {
    const refused = status === 401 || status === 403;
    return {
      kind: 'error',
      error: new BackendError(
        refused ? 'auth' : 'unavailable',
        `the PBX answered a web page (HTTP ${status}) instead of IPPS data`,
        {
          code: 'HTML',
          hint: refused
            ? 'Check `username` and `password` of this PBX in the telephony-mcp config, and that IPPS is enabled on the ipbx.'
            : "Check that IPPS is enabled on the ipbx ($cfg['IPPSEnabled'] = TRUE) and that `url` points at the ipbx itself, not at a proxy or login page.",
        },
      ),
    };
  }
  if (status < 200 || status > 299) return { kind: 'status' };
  return { kind: 'data', body };
}

function notIpps(what: string): BackendError {
  return new BackendError('unavailable', `the PBX answered something that is not IPPS ${what} data`, {
    code: 'MALFORMED',
    hint: "Check that `url` points at the ipbx and that IPPS is enabled there ($cfg['IPPSEnabled'] = TRUE).",
  });
}

/** Asterisk unique ids: "1267042128.359", optionally prefixed with a system name ("pbx1-1267042128.359"). */
const UNIQUE_ID = /^(?:[A-Za-z0-9_.-]+-)?(\d{9,12})\.\d{1,12}$/;

/** Epoch milliseconds of a unique id (its seconds part), or undefined. */
export function uniqueIdTime(id: string): number | undefined {
  const m = UNIQUE_ID.exec(id);
  if (!m) return undefined;
  const s = Number(m[1]);
  // Anything before 2001 is not an Asterisk epoch (a bare number that only looks like an id).
  return s >= 978_307_200 ? s * 1000 : undefined;
}

// ------------------------------------------------------------------------------------------------ channels

export type ChannelStateWord = string;

export interface ChannelRow {
  /** Technology/Resource as the PBX returned it (or attributed by position, see parseChannelInfo). */
  channel?: string;
  /** The state word, lower-case (down, up, ring, ringing, or another Asterisk state). */
  state: ChannelStateWord;
  clidNumber?: string;
  clidName?: string;
  /** Opaque (the doc's sample has "5007@default" here). */
  accountCode?: string;
  uniqueId?: string;
}

export interface Parsed<R> {
  rows: R[];
  /** Lines that were not rows of this kind (ignored; the body is an error only when no line is a row). */
  malformed: number;
}

const STATE_WORD = /^[a-z][a-z -]{0,23}$/i;
const KNOWN_STATES = new Set(['down', 'up', 'ring', 'ringing', 'rsrvd', 'offhook', 'dialing', 'dialing offhook', 'pre-ring', 'busy', 'unknown']);

function opt(s: string | undefined): string | undefined {
  const t = s?.trim();
  return t ? t : undefined;
}

/** A channel name as IPPS writes it: Technology/Resource (SIP/4002, IAX2/trunk-1, Local/201@default). */
const CHANNEL_NAME = /^[A-Za-z][A-Za-z0-9_]{0,15}\/[^\s,/][^\s,]{0,79}$/;

/** One channel line, or undefined when it is not one. */
export function parseChannelLine(line: string, requested: readonly string[] = []): ChannelRow | undefined {
  const f = line.split(',');
  const first = f[0]!.trim();
  // An idle channel may come back as its name alone: the doc promises "either the channel name and/or the
  // keyword down" when no call is active, so `SIP/4002`, `down` and `SIP/4002,down,,,,` all mean idle.
  if (f.length === 1 && (CHANNEL_NAME.test(first) || requested.some((c) => c.toLowerCase() === first.toLowerCase()))) {
    return { channel: first, state: 'down' };
  }
  let s: number;
  if (first.includes('/') || requested.some((c) => c.toLowerCase() === first.toLowerCase())) s = 1;
  else if (KNOWN_STATES.has(first.toLowerCase())) s = 0;
  else return undefined;
  const state = f[s]?.trim().toLowerCase();
  if (!state || !STATE_WORD.test(state)) return undefined;
  const rest = f.slice(s + 1);
  // The unique id is the last column when the row is full width; a trimmed row may end earlier.
  let uid: string | undefined;
  let mid = rest;
  const last = rest.length ? rest[rest.length - 1]!.trim() : undefined;
  if (last !== undefined && (UNIQUE_ID.test(last) || (last === '' && rest.length >= 4))) {
    uid = last;
    mid = rest.slice(0, -1);
  }
  let clidNumber: string | undefined;
  let clidName: string | undefined;
  let accountCode: string | undefined;
  if (mid.length <= 3) [clidNumber, clidName, accountCode] = mid;
  else {
    // Extra commas belong to the caller name (the one free-text column).
    clidNumber = mid[0];
    accountCode = mid[mid.length - 1];
    clidName = mid.slice(1, -1).join(',');
  }
  const row: ChannelRow = { state };
  if (s === 1) row.channel = first;
  const put = (k: 'clidNumber' | 'clidName' | 'accountCode' | 'uniqueId', v: string | undefined) => {
    const o = opt(v);
    if (o !== undefined) row[k] = o;
  };
  put('clidNumber', clidNumber);
  put('clidName', clidName);
  put('accountCode', accountCode);
  put('uniqueId', uid);
  return row;
}

/**
 * A channelinfo.php body. `requested` are the channels asked for, in order: rows that came without a channel
 * name (an idle channel may answer just `down`) are attributed to them by position when the line count matches.
 * Throws when the body has lines and none is a channel row (garbage, a foreign page).
 */
export function parseChannelInfo(body: string, requested: readonly string[] = []): Parsed<ChannelRow> {
  const lines = splitLines(body);
  const rows: ChannelRow[] = [];
  let malformed = 0;
  for (const l of lines) {
    const r = parseChannelLine(l, requested);
    if (r) rows.push(r);
    else malformed++;
  }
  if (lines.length > 0 && rows.length === 0) throw notIpps('channel');
  if (malformed === 0 && rows.length === requested.length) {
    rows.forEach((r, i) => {
      if (r.channel === undefined) r.channel = requested[i]!;
    });
  }
  return { rows, malformed };
}

/** "SIP/4003" -> "4003": the party a channel stands for. */
export function channelResource(channel: string): string {
  const i = channel.indexOf('/');
  return i >= 0 ? channel.slice(i + 1) : channel;
}

interface RowView {
  state: CallState | undefined;
  direction: CallDirection | undefined;
  /** The watched channel is the called party of this row. */
  callee: boolean;
}

/**
 * What one row says, seen from its channel. `ring` is the caller's side and `ringing` the callee's (as the doc
 * says); both are a call not answered yet, so both are `ringing`, and the direction says which side the
 * channel is on. `up` is connected (a held call stays up in Asterisk). The caller ID is the calling
 * channel's, so an `up` channel whose caller ID is itself placed the call.
 */
function rowView(r: ChannelRow): RowView {
  const own = r.channel ? channelResource(r.channel) : undefined;
  const selfCalling = r.clidNumber !== undefined && own !== undefined && r.clidNumber === own;
  switch (r.state) {
    case 'down':
    case 'rsrvd':
      return { state: undefined, direction: undefined, callee: false };
    case 'ringing':
      return { state: 'ringing', direction: 'inbound', callee: true };
    case 'ring':
      return { state: 'ringing', direction: 'outbound', callee: false };
    case 'up':
      return {
        state: 'connected',
        direction: r.clidNumber === undefined ? undefined : selfCalling ? 'outbound' : 'inbound',
        callee: r.clidNumber !== undefined && !selfCalling,
      };
    case 'offhook':
    case 'dialing':
    case 'dialing offhook':
    case 'pre-ring':
      return { state: 'dialing', direction: 'outbound', callee: false };
    default:
      return { state: 'unknown', direction: undefined, callee: false };
  }
}

const STATE_RANK: Partial<Record<CallState, number>> = { connected: 3, ringing: 2, dialing: 1, unknown: 0 };

export interface CallsOptions {
  /** Now (epoch ms), for durations. */
  now: number;
  /** Only calls on these channels, seen from them (a user's channels); undefined: every call. */
  perspective?: ReadonlySet<string> | undefined;
  /** Numbers of watched channels: a call between two of them is internal. */
  internal?: ReadonlySet<string>;
  /** When a call without a unique id was first seen (epoch ms), keyed by its synthetic id. */
  firstSeen?: ReadonlyMap<string, number>;
}

/**
 * The id each row's call goes by: its unique id, or (when the PBX left it out) one made from the channel and
 * how many id-less rows of that channel came before, which stays put while the rows keep their order.
 */
export function callKeys(rows: readonly ChannelRow[]): string[] {
  const seen = new Map<string, number>();
  return rows.map((r) => {
    if (r.uniqueId !== undefined) return r.uniqueId;
    const ch = r.channel ?? 'channel';
    const n = seen.get(ch) ?? 0;
    seen.set(ch, n + 1);
    return `${ch}#${n}`;
  });
}

/**
 * Channel rows -> calls. Rows sharing a unique id are one call seen from both ends (two watched channels):
 * they merge, the called channel giving `to` and the caller ID giving `from`.
 */
export function channelRowsToCalls(rows: readonly ChannelRow[], o: CallsOptions): Call[] {
  const groups = new Map<string, { rows: ChannelRow[]; views: RowView[] }>();
  const keys = callKeys(rows);
  rows.forEach((r, i) => {
    const v = rowView(r);
    if (!v.state) return;
    const key = keys[i]!;
    const g = groups.get(key) ?? { rows: [], views: [] };
    g.rows.push(r);
    g.views.push(v);
    groups.set(key, g);
  });
  const calls: Call[] = [];
  for (const [id, g] of groups) {
    const mine = o.perspective ? g.rows.map((r, i) => (r.channel && o.perspective!.has(r.channel) ? i : -1)).filter((i) => i >= 0) : undefined;
    if (mine && mine.length === 0) continue;
    let state: CallState = 'unknown';
    for (const v of g.views) if ((STATE_RANK[v.state!] ?? 0) > (STATE_RANK[state] ?? 0)) state = v.state!;
    const withClid = g.rows.find((r, i) => g.views[i]!.callee && r.clidNumber !== undefined) ?? g.rows.find((r) => r.clidNumber !== undefined);
    const calleeRow = g.rows.find((r, i) => g.views[i]!.callee && r.channel !== undefined);
    const callerRow = g.rows.find((r, i) => !g.views[i]!.callee && r.channel !== undefined);
    const from = withClid
      ? { number: withClid.clidNumber!, ...(withClid.clidName ? { name: withClid.clidName } : {}) }
      : { number: callerRow ? channelResource(callerRow.channel!) : '' };
    // IPPS does not say whom a calling channel dialled: `to` stays empty unless the called channel is watched.
    const to = { number: calleeRow ? channelResource(calleeRow.channel!) : '' };
    let direction: CallDirection | undefined;
    const channels = new Set(g.rows.map((r) => r.channel).filter((c) => c !== undefined));
    if (mine) {
      const dirs = new Set(mine.map((i) => g.views[i]!.direction).filter((d) => d !== undefined));
      direction = dirs.size === 1 ? [...dirs][0] : undefined;
    } else if (channels.size > 1) direction = 'internal';
    else direction = g.views[0]!.direction;
    // Both ends are watched extensions of this PBX.
    if (to.number && o.internal?.has(from.number) && o.internal.has(to.number)) direction = 'internal';
    const started = (g.rows[0]!.uniqueId ? uniqueIdTime(g.rows[0]!.uniqueId) : undefined) ?? o.firstSeen?.get(id) ?? o.now;
    calls.push({
      id,
      state,
      ...(direction ? { direction } : {}),
      from,
      to,
      answered: state === 'connected',
      startedAt: new Date(started).toISOString(),
      durationSeconds: Math.max(0, Math.floor((o.now - started) / 1000)),
    });
  }
  return calls;
}

// ------------------------------------------------------------------------------------------------ queues

export interface QueueRow {
  uniqueId: string;
  callerId?: string;
  country?: string;
  status: 'WAITING' | 'CONNECTED';
  /** HH:MM:SS, PBX local time, as given. */
  entered?: string;
  /** As given (seconds). */
  waited?: string;
  agent?: string;
}

const STATUS = /^(WAITING|CONNECTED)$/i;
const NUMERIC_CALLER = /^\+?[0-9*#]+$/;

/** One queue line, or undefined when it is not one. */
export function parseQueueLine(line: string): QueueRow | undefined {
  const f = line.split(',');
  const id = f[0]!.trim();
  if (!id || STATUS.test(id)) return undefined;
  // STATUS is followed by ENTERED, WAITED and AGENT (none of which holds a comma); take the rightmost
  // WAITING|CONNECTED that leaves at most those three after it.
  let at = -1;
  for (let i = f.length - 1; i >= 1; i--) {
    if (f.length - 1 - i > 3) break;
    if (STATUS.test(f[i]!.trim())) {
      at = i;
      break;
    }
  }
  if (at < 0) return undefined;
  const row: QueueRow = { uniqueId: id, status: f[at]!.trim().toUpperCase() as QueueRow['status'] };
  const mid = f.slice(1, at);
  if (mid.length === 1) {
    const c = opt(mid[0]);
    if (c !== undefined) row.callerId = c;
  } else if (mid.length > 1) {
    const first = mid[0]!.trim();
    if (NUMERIC_CALLER.test(first) || first === '') {
      // A country is looked up only for a numeric caller ID, so commas after it belong to the country.
      if (first) row.callerId = first;
      const country = opt(mid.slice(1).join(','));
      if (country !== undefined) row.country = country;
    } else {
      // A non-numeric caller ID ("unknown", a name) has no country: its commas are its own.
      const parts = mid[mid.length - 1]!.trim() === '' ? mid.slice(0, -1) : mid;
      const c = opt(parts.join(','));
      if (c !== undefined) row.callerId = c;
    }
  }
  const [entered, waited, agent] = f.slice(at + 1);
  const e = opt(entered);
  if (e !== undefined) row.entered = e;
  const w = opt(waited);
  if (w !== undefined) row.waited = w;
  const a = opt(agent);
  if (a !== undefined) row.agent = a;
  return row;
}

/** A queueactive.php body; an empty body is no calls. Throws when it has lines and none is a queue row. */
export function parseQueueActive(body: string): Parsed<QueueRow> {
  const lines = splitLines(body);
  const rows: QueueRow[] = [];
  let malformed = 0;
  for (const l of lines) {
    const r = parseQueueLine(l);
    if (r) rows.push(r);
    else malformed++;
  }
  if (lines.length > 0 && rows.length === 0) throw notIpps('queue');
  return { rows, malformed };
}

/** WAITED: seconds, liberally also [H:]MM:SS. */
export function waitedSeconds(s: string | undefined): number | undefined {
  if (s === undefined) return undefined;
  if (/^\d{1,9}$/.test(s)) return Number(s);
  const m = /^(?:(\d{1,5}):)?(\d{1,2}):(\d{2})$/.exec(s);
  if (m) return Number(m[1] ?? 0) * 3600 + Number(m[2]) * 60 + Number(m[3]);
  return undefined;
}

/**
 * Queue rows -> QueueStatus. The same unique id may be listed as WAITING and then CONNECTED: one call,
 * CONNECTED winning over WAITING and otherwise the later row, in the place of its first listing.
 * `enteredAt` stays "HH:MM:SS" as the PBX gives it: PBX local time, no date.
 */
export function queueRowsToStatus(queue: string, rows: readonly QueueRow[]): QueueStatus {
  const byId = new Map<string, QueueRow>();
  for (const r of rows) {
    const prev = byId.get(r.uniqueId);
    if (prev && prev.status === 'CONNECTED' && r.status === 'WAITING') continue;
    byId.set(r.uniqueId, r);
  }
  const calls: QueueCall[] = [...byId.values()].map((r) => {
    const waited = r.status === 'CONNECTED' ? waitedSeconds(r.waited) : undefined;
    return {
      id: r.uniqueId,
      caller: r.callerId ?? '',
      ...(r.country !== undefined ? { country: r.country } : {}),
      status: r.status === 'CONNECTED' ? 'connected' : 'waiting',
      ...(r.entered !== undefined ? { enteredAt: r.entered } : {}),
      ...(waited !== undefined ? { waitedSeconds: waited } : {}),
      ...(r.status === 'CONNECTED' && r.agent !== undefined ? { agent: r.agent } : {}),
    };
  });
  const waiting = calls.filter((c) => c.status === 'waiting');
  // The longest-waiting call: the oldest unique id (HH:MM:SS alone cannot order calls across midnight).
  const oldest = [...waiting].sort((a, b) => (uniqueIdTime(a.id) ?? Infinity) - (uniqueIdTime(b.id) ?? Infinity))[0];
  return {
    queue,
    waitingCount: waiting.length,
    ...(oldest?.enteredAt ? { oldestArrival: oldest.enteredAt } : {}),
    calls,
  };
}
