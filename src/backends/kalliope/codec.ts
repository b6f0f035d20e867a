/**
 * The KCTI4 wire format, as pure functions: requests out (XML, every value escaped), responses in.
 *
 * The vendor's response samples are not well-formed XML (the root "closed" with an opening tag, leaves closed
 * with opening tags, a `<...>` placeholder wrapper, the queue error wrapped in activeCallInfo), and a real
 * client may answer like them or in proper XML. So a response is parsed strictly first and, when that fails,
 * read by a tolerant extractor that takes leaf values by tag name and accepts `<t>v<t>` as well as `<t>v</t>`.
 * Either way the reply is the first `error_code` under the root and the `data` beside it, whatever wraps them.
 * Nothing here throws anything but BackendError.
 */
import { XMLParser, XMLValidator } from 'fast-xml-parser';
import { BackendError } from '../../errors.js';
import type { Call, Party, QueueStatus } from '../model.js';

export const COMMANDS = [
  'pauseQueues',
  'setDND',
  'click2call',
  'hangupcall',
  'transfercall',
  'attendedTransferCall',
  'activeCallInfo',
  'queuedCallsInfo',
] as const;
export type KctiCommand = (typeof COMMANDS)[number];

/** Documented codes. 1 means something different per command. */
export const CODE = { ok: 0, commandSpecific: 1, auth: 10, invalidRequest: 11, unknownCommand: 12 } as const;

export interface KctiCredentials {
  username: string;
  /** Lowercase hex MD5 of the password. */
  pwdMd5: string;
}

/** The lowercase hex MD5 of the UTF-8 password, unsalted, as KCTI4 wants it. */

// ---------------------------------------------------------------- requests

const XML_ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&apos;' };

/** Characters XML 1.0 cannot carry at all, escaped or not. */
const NOT_XML_CHAR = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

export function xmlEscape(s: string): string {
  return s.replace(/[&<>"']/g, (c) => XML_ESCAPES[c]!);
}

/**
 * `<?xml version="1.0"?><kpbx_request><CMD><username/><pwd_md5/>...params...</CMD></kpbx_request>`, the shape of
 * every request sample in the vendor doc (credentials inside the command element).
 */
export function encodeRequest(command: KctiCommand, creds: KctiCredentials, params: ReadonlyArray<readonly [string, string]> = []): string {
  const fields: (readonly [string, string])[] = [['username', creds.username], ['pwd_md5', creds.pwdMd5], ...params];
  const inner = fields
    .map(([k, v]) => {
      if (NOT_XML_CHAR.test(v)) {
        throw new BackendError('invalid', `the value of <${k}> contains characters that XML cannot carry`, {
          hint: 'Remove control characters from it.',
        });
      }
      return `<${k}>${xmlEscape(v)}</${k}>`;
    })
    .join('');
  return `<?xml version="1.0"?><kpbx_request><${command}>${inner}</${command}></kpbx_request>`;
}

// ---------------------------------------------------------------- responses

export interface KctiReply {
  code: number;
  message: string;
  /** Leaf values of `<data>`, or undefined when the reply has none. */
  data: Record<string, string> | undefined;
}

export type ParsedResponse =
  | { ok: true; reply: KctiReply; /** true when the answer was well-formed XML */ strict: boolean }
  | { ok: false; reason: string };

/** The five predefined entities and character references; anything else stays as written. */
export function decodeEntities(s: string): string {
  return s.replace(/&(amp|lt|gt|quot|apos|#[0-9]{1,7}|#x[0-9a-fA-F]{1,6});/g, (whole, e: string) => {
    if (e[0] !== '#') return { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" }[e]!;
    const cp = e[1] === 'x' ? parseInt(e.slice(2), 16) : parseInt(e.slice(1), 10);
    return cp > 0 && cp <= 0x10ffff && (cp < 0xd800 || cp > 0xdfff) ? String.fromCodePoint(cp) : whole;
  });
}

const CODE_TEXT = /^-?[0-9]{1,9}$/;

function reply(codeText: string | undefined, message: string | undefined, data: Record<string, string> | undefined, strict: boolean): ParsedResponse {
  const code = (codeText ?? '').trim();
  if (!CODE_TEXT.test(code)) {
    return { ok: false, reason: codeText === undefined ? 'its error_code has no code' : 'its error code is not a number' };
  }
  return { ok: true, strict, reply: { code: Number(code), message: (message ?? '').trim(), data } };
}

/** Read a KCTI4 response: well-formed XML or the vendor samples' dialect. Never throws. */
export function parseResponse(body: string): ParsedResponse {
  const text = body.replace(/^\uFEFF/, '');
  try {
    if (XMLValidator.validate(text) === true) return parseStrict(text);
  } catch {
    // A parser failure on odd input: the tolerant reader decides.
  }
  return parseTolerant(text);
}

/** How KCTI XML is read, requests (by the simulator) and responses alike. */
const kctiXmlParser = new XMLParser({
  ignoreAttributes: true,
  parseTagValue: false,
  processEntities: false,
  trimValues: true,
  ignoreDeclaration: true,
  ignorePiTags: true,
});

type XmlNode = string | XmlNode[] | { [k: string]: XmlNode };

function first(v: XmlNode | undefined): XmlNode | undefined {
  return Array.isArray(v) ? v[0] : v;
}

function textOf(v: XmlNode | undefined): string | undefined {
  const f = first(v);
  return typeof f === 'string' ? decodeEntities(f) : undefined;
}

/** Depth-first, in document order: the first error_code element and the element that holds it. */
function findErrorCode(node: XmlNode): { err: XmlNode; holder: Record<string, XmlNode> } | undefined {
  if (Array.isArray(node)) {
    for (const n of node) {
      const r = findErrorCode(n);
      if (r) return r;
    }
    return undefined;
  }
  if (typeof node !== 'object' || node === null) return undefined;
  for (const [k, v] of Object.entries(node)) {
    if (k === 'error_code') return { err: first(v)!, holder: node };
    const r = findErrorCode(v);
    if (r) return r;
  }
  return undefined;
}

function parseStrict(text: string): ParsedResponse {
  const doc = kctiXmlParser.parse(text) as Record<string, XmlNode>;
  const root = doc.kpbx_response;
  if (root === undefined) return { ok: false, reason: 'it is XML but not a kpbx_response' };
  const found = findErrorCode(root);
  if (!found || typeof found.err !== 'object' || Array.isArray(found.err)) return { ok: false, reason: 'it has no error_code' };
  const err = found.err;
  let data: Record<string, string> | undefined;
  const d = first(found.holder.data);
  if (d !== undefined) {
    data = {};
    if (typeof d === 'object' && !Array.isArray(d)) {
      for (const [k, v] of Object.entries(d)) {
        const t = textOf(v);
        if (t !== undefined && k !== '#text') data[k] = t;
      }
    }
  }
  return reply(textOf(err.code), textOf(err.message), data, true);
}

interface Tag {
  start: number;
  end: number;
  name: string;
  close: boolean;
  selfClosing: boolean;
}

// Linear on any input: the name must end at whitespace, "/" or ">", and attributes cannot contain < or >.
const TAG = /<(\/?)([A-Za-z_][\w.:-]*)(?=[\s/>])([^<>]*)>/g;

function tags(text: string): Tag[] {
  const out: Tag[] = [];
  for (const m of text.matchAll(TAG)) {
    out.push({
      start: m.index,
      end: m.index + m[0].length,
      name: m[2]!,
      close: m[1] === '/',
      selfClosing: m[1] !== '/' && m[3]!.trimEnd().endsWith('/'),
    });
  }
  return out;
}

/**
 * Leaf values in `text` by tag name (first occurrence wins): `<t>v</t>`, `<t>v<t>` (the samples' unclosed
 * leaves) and `<t/>`. An element holding other elements is not a leaf.
 */
function leaves(text: string, list: Tag[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (let i = 0; i < list.length; i++) {
    const t = list[i]!;
    if (t.close) continue;
    if (t.selfClosing) {
      if (!(t.name in out)) out[t.name] = '';
      continue;
    }
    const next = list[i + 1];
    if (!next || next.name !== t.name || next.selfClosing) continue;
    const value = text.slice(t.end, next.start);
    if (value.includes('<')) continue;
    if (!(t.name in out)) out[t.name] = decodeEntities(value).trim();
    i++; // `next` closed this leaf, whichever way it was written
  }
  return out;
}

/** The tags of the element opened at list[i]: up to its close tag, else up to `stop` or the end. */
function contentOf(list: Tag[], i: number, stop: (t: Tag) => boolean): Tag[] {
  const open = list[i]!;
  const rest = list.slice(i + 1);
  const end = rest.findIndex((t) => (t.close && t.name === open.name) || stop(t));
  return end < 0 ? rest : rest.slice(0, end);
}

function parseTolerant(text: string): ParsedResponse {
  const list = tags(text);
  const root = list.findIndex((t) => t.name === 'kpbx_response' && !t.close);
  if (root < 0) return { ok: false, reason: 'it is not a kpbx_response' };
  const afterRoot = list.slice(root + 1);
  const e = afterRoot.findIndex((t) => t.name === 'error_code' && !t.close && !t.selfClosing);
  if (e < 0) return { ok: false, reason: 'it has no error_code' };
  const errTags = contentOf(afterRoot, e, (t) => !t.close && (t.name === 'error_code' || t.name === 'data'));
  const err = leaves(text, errTags);
  let data: Record<string, string> | undefined;
  const d = afterRoot.findIndex((t) => t.name === 'data' && !t.close);
  if (d >= 0) {
    data = {};
    if (!afterRoot[d]!.selfClosing) {
      const inner = contentOf(afterRoot, d, (t) => !t.close && (t.name === 'data' || t.name === 'error_code'));
      const own = leaves(text, inner);
      for (const [k, v] of Object.entries(own)) data[k] = v;
    }
  }
  return reply(err.code, err.message, data, false);
}

// ---------------------------------------------------------------- data -> model

function unreadable(what: string): BackendError {
  return new BackendError('unavailable', `the Kalliope client's answer to ${what} could not be read`, {
    hint: 'Nothing was changed. Check that the url points at the Kalliope KCTI4 client API (v4.5 or later).',
  });
}

/** Numbers compared as dialled: separators dropped, a leading 00 read as +. */
function sameNumber(a: string, b: string): boolean {
  const n = (s: string) => {
    const t = s.replace(/[\s().-]/g, '');
    return t.startsWith('00') ? `+${t.slice(2)}` : t;
  };
  return a !== '' && n(a) === n(b);
}

const UID = /^([0-9]{9,11})(?:\.[0-9]+)?$/;

/**
 * The agent's one active call. The API names only the remote party, the number that was called, and whether
 * the call was answered; so:
 * - called_num equal to remote_num means the agent dialled it: from = the agent (by username, as the API does not
 *   give the agent's own number), to = the remote party. Otherwise the remote party called in: from = the remote
 *   party, to = the number it called (the agent's extension, a queue or a DID). Direction is left out: the API
 *   does not say whether a party is internal or external.
 * - is_answered 1 is `connected` (also while on hold: the API cannot tell), 0 is `ringing`.
 * - startedAt comes from the uid, an Asterisk uniqueid whose integer part is the call's start in epoch seconds;
 *   an unreadable uid gives the time of reading and a duration of 0.
 */
export function decodeActiveCall(data: Record<string, string> | undefined, ctx: { agent: string; now: number }): Call {
  const uid = data?.uid?.trim();
  if (!data || !uid) throw unreadable('activeCallInfo (no uid)');
  const remote: Party = { number: data.remote_num ?? '', ...(data.remote_name ? { name: data.remote_name } : {}) };
  const called = data.called_num ?? '';
  const agent: Party = { number: ctx.agent };
  const outbound = sameNumber(remote.number, called);
  const answered = /^(1|true|yes)$/i.test((data.is_answered ?? '').trim());
  const m = UID.exec(uid);
  const started = m ? Number(m[1]) * 1000 : ctx.now;
  return {
    id: uid,
    state: answered ? 'connected' : 'ringing',
    from: outbound ? agent : remote,
    to: outbound ? remote : called ? { number: called } : agent,
    answered,
    startedAt: new Date(started).toISOString(),
    durationSeconds: Math.max(0, Math.floor((ctx.now - started) / 1000)),
  };
}

const LOCAL_TIME = /^[0-9]{4}-[0-9]{2}-[0-9]{2}[ T][0-9]{2}:[0-9]{2}:[0-9]{2}$/;

/**
 * A queue's waiting count and oldest arrival. oldest_arrival is the PBX's local wall-clock time with no zone
 * ("YYYY-MM-DD HH:MM:SS"); it is returned as written, never dressed up as UTC. The API lists no calls.
 */
export function decodeQueue(queue: string, data: Record<string, string> | undefined): QueueStatus {
  const count = data?.queued_calls?.trim() ?? '';
  if (!/^[0-9]{1,9}$/.test(count)) throw unreadable('queuedCallsInfo (queued_calls is not a count)');
  const waitingCount = Number(count);
  const oldest = data?.oldest_arrival?.trim() ?? '';
  return {
    queue,
    waitingCount,
    ...(waitingCount > 0 && LOCAL_TIME.test(oldest) ? { oldestArrival: oldest.replace('T', ' ') } : {}),
    calls: [],
  };
}
