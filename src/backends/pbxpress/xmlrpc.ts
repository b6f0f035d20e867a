/**
 * A small, strict XML-RPC codec (methodCall, methodResponse, fault) over a strict XML reader (xmltree.ts), for the PBXpress
 * adapter. Pure functions: malformed input is a BackendError, never a raw exception. Its server side (decodeCall,
 * encodeResponse, encodeFault, encodeEscapes) is for round-trip tests and test servers; the simulator speaks its own
 * (simulators/pbxpress/xmlrpc.ts), so that it does not share this codec's assumptions.
 *
 * Why not the `xmlrpc` package: its deserializer reads a stream through sax in non-strict mode (malformed XML
 * passes), builds structs by plain assignment (a member named __proto__ rewrites the object's prototype), pairs
 * struct names and values by position (a member without a value shifts every later one), and decodes base64
 * with the deprecated `new Buffer`. Sending is simple enough to do here with exact escaping.
 *
 * Liberal in what it reads: untyped values (strings), <nil/> with or without a namespace prefix (<ex:nil/>),
 * i8, empty <params/>, a <value/> with nothing in it, "true"/"false" booleans. Strict in what it writes.
 */
import { parseXmlTree, type XElement, XmlError, type XNode } from './xmltree.js';
import { BackendError } from '../../errors.js';

export type XmlRpcValue = null | boolean | number | string | XmlRpcValue[] | XmlRpcStruct;
export interface XmlRpcStruct {
  [member: string]: XmlRpcValue;
}

export interface XmlRpcFault {
  code: number;
  /** faultString exactly as sent (it may hold backslash escapes; see decodeEscapes). */
  string: string;
}

export type XmlRpcResponse = { fault: XmlRpcFault } | { value: XmlRpcValue | undefined };

export interface XmlRpcCall {
  method: string;
  params: XmlRpcValue[];
}

/** Deeper nesting than any PBXpress answer has; a bound against hostile input. */
const MAX_DEPTH = 64;



function malformed(reason: string): BackendError {
  return new BackendError('unavailable', `the PBX answered with something that is not XML-RPC (${reason})`, {
    code: 'xmlrpc.malformed',
    hint: 'Check that the url in the config is the XML-RPC endpoint of the PBX (for example http://pbx:3339/RPC2).',
  });
}

/** A tag name from the input, safe to put in a message. */
function shown(tag: string): string {
  return `<${tag.replace(/[^A-Za-z0-9_.:-]/g, '').slice(0, 40)}>`;
}

function isText(n: XNode): n is string {
  return typeof n === 'string';
}

function tagOf(n: XNode): string {
  return typeof n === 'string' ? '#text' : n.tag;
}

function childrenOf(n: XNode): XNode[] {
  return typeof n === 'string' ? [] : n.kids;
}

/** Text between elements may only be whitespace. */
function checkBlank(n: string, where: string): void {
  if (n.trim() !== '') throw malformed(`text inside ${shown(where)}`);
}

/** The element children; text between them may only be whitespace. */
function elements(nodes: XNode[], where: string): XElement[] {
  // Most elements hold only elements: the input array itself, without a copy.
  let i = 0;
  while (i < nodes.length && !isText(nodes[i]!)) i++;
  if (i === nodes.length) return nodes as XElement[];
  const out: XElement[] = nodes.slice(0, i) as XElement[];
  for (; i < nodes.length; i++) {
    const n = nodes[i]!;
    if (isText(n)) checkBlank(n, where);
    else out.push(n);
  }
  return out;
}

/** The text content of an element that must hold only text (adjacent text is already joined: one node). */
function textOf(nodes: XNode[], where: string): string {
  if (nodes.length === 0) return '';
  const n = nodes[0]!;
  if (nodes.length === 1 && isText(n)) return n;
  const el = nodes.find((x) => !isText(x));
  throw malformed(el ? `${shown(tagOf(el))} inside ${shown(where)}` : `split text inside ${shown(where)}`);
}

/** The one child element named `tag` (required), or undefined when optional and absent. */
function only(nodes: XNode[], where: string, tag: string, optional = false): XNode | undefined {
  const els = elements(nodes, where);
  if (els.length === 0 && optional) return undefined;
  if (els.length !== 1 || tagOf(els[0]!) !== tag) throw malformed(`${shown(where)} must hold one ${shown(tag)}`);
  return els[0];
}

function parseRoot(xml: string, root: string): XNode[] {
  if (typeof xml !== 'string' || xml.trim() === '') throw malformed('an empty answer');
  if (xml.includes('<!') && /<!DOCTYPE/i.test(xml)) throw malformed('a DOCTYPE, which XML-RPC does not use');
  let doc: XNode[];
  try {
    doc = parseXmlTree(xml);
  } catch (e) {
    throw malformed(e instanceof XmlError ? `malformed XML: ${e.message}` : 'malformed XML');
  }
  const top = elements(doc, 'document');
  if (top.length !== 1) throw malformed('not exactly one root element');
  const tag = tagOf(top[0]!);
  if (tag !== root) throw malformed(`${shown(tag)} where ${shown(root)} was expected`);
  return childrenOf(top[0]!);
}

const INT = /^[+-]?[0-9]+$/;
const DOUBLE = /^[+-]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?$/;
const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

/** The content of one <value> element. */
function decodeValue(nodes: XNode[], depth: number): XmlRpcValue {
  if (depth > MAX_DEPTH) throw malformed('nesting too deep');
  // The one typed element, with only whitespace around it; or text alone, an untyped value (a string).
  let el: XElement | undefined;
  for (const n of nodes) {
    if (!isText(n)) {
      if (el) throw malformed('a <value> with more than one type');
      el = n;
    }
  }
  if (!el) return textOf(nodes, 'value');
  if (nodes.length > 1) for (const n of nodes) if (isText(n)) checkBlank(n, 'value');
  const tag = el.tag;
  const kids = el.kids;
  switch (tag) {
    case 'string':
      return textOf(kids, tag);
    case 'int':
    case 'i4':
    case 'i8': {
      const t = textOf(kids, tag).trim();
      if (!INT.test(t)) throw malformed(`${shown(tag)} that is not an integer`);
      const n = Number(t);
      // Past 2^53 a number loses digits: keep the exact digits as text.
      return Number.isSafeInteger(n) ? n : t.replace(/^\+/, '');
    }
    case 'boolean': {
      const t = textOf(kids, tag).trim().toLowerCase();
      if (t === '1' || t === 'true') return true;
      if (t === '0' || t === 'false') return false;
      throw malformed('a <boolean> that is neither 0 nor 1');
    }
    case 'double': {
      const t = textOf(kids, tag).trim();
      if (!DOUBLE.test(t)) throw malformed('a <double> that is not a number');
      return Number(t);
    }
    case 'nil':
      if (elements(kids, tag).length || textOf(kids, tag).trim()) throw malformed('a <nil> with content');
      return null;
    case 'dateTime.iso8601':
      return textOf(kids, tag).trim();
    case 'base64': {
      const t = textOf(kids, tag).replace(/\s+/g, '');
      if (!BASE64.test(t)) throw malformed('a <base64> that is not base64');
      return Buffer.from(t, 'base64').toString('utf8');
    }
    case 'array': {
      const data = only(kids, tag, 'data', true);
      if (!data) return [];
      return elements(childrenOf(data), 'data').map((v) => {
        if (tagOf(v) !== 'value') throw malformed(`${shown(tagOf(v))} inside <data>`);
        return decodeValue(childrenOf(v), depth + 1);
      });
    }
    case 'struct': {
      const out: XmlRpcStruct = Object.create(null) as XmlRpcStruct;
      for (const m of kids) {
        if (isText(m)) {
          checkBlank(m, tag);
          continue;
        }
        if (m.tag !== 'member') throw malformed(`${shown(m.tag)} inside <struct>`);
        let name: string | undefined;
        let value: XElement | undefined;
        for (const part of m.kids) {
          if (isText(part)) {
            checkBlank(part, 'member');
            continue;
          }
          const p = part.tag;
          if (p === 'name' && name === undefined) name = textOf(part.kids, 'name');
          else if (p === 'value' && value === undefined) value = part;
          else throw malformed(`${shown(p)} inside <member>`);
        }
        if (name === undefined || value === undefined) throw malformed('a <member> without its <name> or <value>');
        out[name] = decodeValue(value.kids, depth + 1);
      }
      return out;
    }
    default:
      throw malformed(`an unknown type ${shown(tag)}`);
  }
}

function decodeParams(nodes: XNode[] | undefined): XmlRpcValue[] {
  if (!nodes) return [];
  return elements(nodes, 'params').map((p) => {
    if (tagOf(p) !== 'param') throw malformed(`${shown(tagOf(p))} inside <params>`);
    const v = only(childrenOf(p), 'param', 'value');
    return decodeValue(childrenOf(v!), 0);
  });
}

/** Decode a methodResponse: its one value (undefined for an empty <params/>), or its fault. */
export function decodeResponse(xml: string): XmlRpcResponse {
  const body = elements(parseRoot(xml, 'methodResponse'), 'methodResponse');
  if (body.length !== 1) throw malformed('a <methodResponse> without exactly one <params> or <fault>');
  const el = body[0]!;
  const tag = tagOf(el);
  if (tag === 'params') {
    const params = decodeParams(childrenOf(el));
    if (params.length > 1) throw malformed('more than one result');
    return { value: params[0] };
  }
  if (tag === 'fault') {
    const v = decodeValue(childrenOf(only(childrenOf(el), 'fault', 'value')!), 0);
    if (!isStruct(v)) throw malformed('a <fault> that is not a struct');
    const code = v.faultCode;
    const text = v.faultString;
    const n = typeof code === 'number' ? code : typeof code === 'string' && INT.test(code.trim()) ? Number(code) : NaN;
    if (!Number.isFinite(n)) throw malformed('a <fault> without a numeric faultCode');
    return { fault: { code: n, string: typeof text === 'string' ? text : text === undefined || text === null ? '' : String(text) } };
  }
  throw malformed(`${shown(tag)} inside <methodResponse>`);
}

/** Decode a methodCall (the simulator's side). */
export function decodeCall(xml: string): XmlRpcCall {
  const kids = elements(parseRoot(xml, 'methodCall'), 'methodCall');
  const nameEl = kids.find((k) => tagOf(k) === 'methodName');
  const paramsEl = kids.find((k) => tagOf(k) === 'params');
  if (!nameEl || kids.some((k) => k !== nameEl && k !== paramsEl)) throw malformed('a <methodCall> without one <methodName> and optional <params>');
  const method = textOf(childrenOf(nameEl), 'methodName').trim();
  if (!/^[A-Za-z0-9_.:/]{1,128}$/.test(method)) throw malformed('a bad method name');
  return { method, params: decodeParams(paramsEl ? childrenOf(paramsEl) : undefined) };
}

export function isStruct(v: XmlRpcValue | undefined): v is XmlRpcStruct {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

// ------------------------------------------------------------------ writing

// Characters XML 1.0 cannot carry at all, even as references.
const NOT_XML = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

function escapeText(s: string): string {
  if (NOT_XML.test(s)) {
    throw new BackendError('invalid', 'the text holds control characters that XML-RPC cannot carry', {
      hint: 'Remove control characters (other than tab and newline) and try again.',
    });
  }
  // A bare CR would be read back as LF: send it as a reference.
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/\r/g, '&#13;');
}

const INT32_MIN = -2_147_483_648;
const INT32_MAX = 2_147_483_647;

export function encodeValue(v: XmlRpcValue, depth = 0): string {
  if (depth > MAX_DEPTH) throw new BackendError('invalid', 'the value is nested too deeply to send');
  if (v === null) return '<value><nil/></value>';
  switch (typeof v) {
    case 'string':
      return `<value><string>${escapeText(v)}</string></value>`;
    case 'boolean':
      return `<value><boolean>${v ? 1 : 0}</boolean></value>`;
    case 'number':
      if (!Number.isFinite(v)) throw new BackendError('invalid', 'XML-RPC cannot carry NaN or infinite numbers');
      if (Number.isInteger(v)) {
        if (v >= INT32_MIN && v <= INT32_MAX) return `<value><int>${v}</int></value>`;
        if (Number.isSafeInteger(v)) return `<value><i8>${v}</i8></value>`;
      }
      return `<value><double>${v}</double></value>`;
  }
  if (Array.isArray(v)) return `<value><array><data>${v.map((x) => encodeValue(x, depth + 1)).join('')}</data></array></value>`;
  const members = Object.entries(v)
    .filter(([, x]) => x !== undefined)
    .map(([k, x]) => `<member><name>${escapeText(k)}</name>${encodeValue(x, depth + 1)}</member>`);
  return `<value><struct>${members.join('')}</struct></value>`;
}

const DECLARATION = '<?xml version="1.0"?>\n';

export function encodeCall(method: string, params: readonly XmlRpcValue[]): string {
  if (!/^[A-Za-z0-9_.:/]{1,128}$/.test(method)) throw new BackendError('invalid', `"${method}" is not an XML-RPC method name`);
  const ps = params.map((p) => `<param>${encodeValue(p)}</param>`).join('');
  return `${DECLARATION}<methodCall><methodName>${method}</methodName><params>${ps}</params></methodCall>\n`;
}

/** A methodResponse carrying `value`, or an empty <params/> when undefined. */
export function encodeResponse(value: XmlRpcValue | undefined): string {
  const params = value === undefined ? '<params/>' : `<params><param>${encodeValue(value)}</param></params>`;
  return `${DECLARATION}<methodResponse>${params}</methodResponse>\n`;
}

export function encodeFault(code: number, faultString: string): string {
  return `${DECLARATION}<methodResponse><fault>${encodeValue({ faultCode: code, faultString })}</fault></methodResponse>\n`;
}

// ------------------------------------------------------------------ fault text

const SIMPLE_ESCAPES: Record<string, number> = { '\\': 0x5c, "'": 0x27, '"': 0x22, a: 7, b: 8, f: 12, n: 10, r: 13, t: 9, v: 11 };

/**
 * Undo the backslash escapes a PBXpress faultString may hold, as the vendor's sample does with Python's
 * 'string-escape' codec: \\ \' \" \a \b \f \n \r \t \v, \xHH and octal \OOO are bytes; an unknown escape stays as
 * written. The bytes are read as UTF-8 (escaped multi-byte characters come back whole), else as Latin-1.
 */
export function decodeEscapes(s: string): string {
  if (!s.includes('\\')) return s;
  const bytes: number[] = [];
  const enc = new TextEncoder();
  const push = (text: string) => bytes.push(...enc.encode(text));
  for (let i = 0; i < s.length; i++) {
    const c = s[i]!;
    if (c !== '\\' || i + 1 >= s.length) {
      // Keep a surrogate pair together so it encodes as one character.
      const cp = s.codePointAt(i)!;
      const ch = String.fromCodePoint(cp);
      push(ch);
      i += ch.length - 1;
      continue;
    }
    const n = s[i + 1]!;
    if (n in SIMPLE_ESCAPES) {
      bytes.push(SIMPLE_ESCAPES[n]!);
      i++;
    } else if (n === '\n') {
      i++; // a backslash-newline is a line continuation
    } else if (n === 'x' && /^[0-9A-Fa-f]{2}$/.test(s.slice(i + 2, i + 4))) {
      bytes.push(parseInt(s.slice(i + 2, i + 4), 16));
      i += 3;
    } else if (/[0-7]/.test(n)) {
      const oct = /^[0-7]{1,3}/.exec(s.slice(i + 1))![0];
      bytes.push(parseInt(oct, 8) & 0xff);
      i += oct.length;
    } else {
      push('\\');
    }
  }
  const buf = Uint8Array.from(bytes);
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(buf);
  } catch {
    return new TextDecoder('latin1').decode(buf);
  }
}

/** The reverse, as a Python 2 server's repr-style escaping would write it (the simulator uses it). */
export function encodeEscapes(s: string): string {
  let out = '';
  for (const b of new TextEncoder().encode(s)) {
    if (b === 0x5c) out += '\\\\';
    else if (b === 0x27) out += "\\'";
    else if (b === 0x0a) out += '\\n';
    else if (b === 0x0d) out += '\\r';
    else if (b === 0x09) out += '\\t';
    else if (b < 0x20 || b >= 0x7f) out += `\\x${b.toString(16).padStart(2, '0')}`;
    else out += String.fromCharCode(b);
  }
  return out;
}
