/**
 * The PBXpress simulator's XML-RPC, spoken as a Python xmlrpc server would (the guide's sample client is Python's
 * xmlrpclib, and its faults are undone with 'string-escape'): a methodCall read the way Python's unmarshaller reads
 * one (an untyped value is a string, a boolean is 0 or 1, <nil/> is None), and answers written in the marshaller's
 * layout (a line break after each element of the envelope and after each value; only &, < and > escaped).
 *
 * Its own code, not the adapter's codec (backends/pbxpress/xmlrpc.ts): an adapter checked against a simulator that
 * shares its codec would pass with the codec's mistakes.
 */
import { XMLParser, XMLValidator } from 'fast-xml-parser';
import { resolveRefs } from '../xml.js';

export type XmlRpcValue = null | boolean | number | string | XmlRpcValue[] | XmlRpcStruct;
export interface XmlRpcStruct {
  [member: string]: XmlRpcValue;
}

/** A request body that is not a methodCall this server can read (answered with a parse fault). */
export class Unreadable extends Error {}

/** Deeper than any request of the guide; a bound against hostile input. */
const MAX_NESTING = 64;

const parser = new XMLParser({
  preserveOrder: true,
  ignoreAttributes: true,
  parseTagValue: false,
  processEntities: false,
  trimValues: false,
  ignoreDeclaration: true,
  ignorePiTags: true,
});

/** fast-xml-parser's ordered tree: an element is { tag: children }, a text run is { '#text': text }. */
type Ordered = Record<string, unknown>;

const isText = (n: Ordered): boolean => Object.hasOwn(n, '#text');
const tagOf = (n: Ordered): string => Object.keys(n).find((k) => k !== ':@') ?? '';
const inside = (n: Ordered): Ordered[] => (n[tagOf(n)] as Ordered[] | undefined) ?? [];

/** The elements among `nodes`; any text between them must be blank. */
function elementsIn(nodes: Ordered[]): Ordered[] {
  const out: Ordered[] = [];
  for (const n of nodes) {
    if (!isText(n)) out.push(n);
    else if (String(n['#text']).trim() !== '') throw new Unreadable('text between elements');
  }
  return out;
}

/** The text of an element that holds only text, references resolved. */
function textIn(nodes: Ordered[]): string {
  let raw = '';
  for (const n of nodes) {
    if (!isText(n)) throw new Unreadable(`<${tagOf(n)}> where text was expected`);
    raw += String(n['#text']);
  }
  const text = resolveRefs(raw);
  if (text === undefined) throw new Unreadable('a reference XML does not define');
  return text;
}

function one(nodes: Ordered[], tag: string): Ordered[] {
  const els = elementsIn(nodes);
  if (els.length !== 1 || tagOf(els[0]!) !== tag) throw new Unreadable(`not one <${tag}>`);
  return inside(els[0]!);
}

/** The content of a <value>, as Python's unmarshaller reads it. */
function valueOf(nodes: Ordered[], depth: number): XmlRpcValue {
  if (depth > MAX_NESTING) throw new Unreadable('nested too deeply');
  const typed = elementsIn(nodes);
  if (typed.length === 0) return textIn(nodes);
  if (typed.length > 1) throw new Unreadable('a <value> of two types');
  const el = typed[0]!;
  const content = inside(el);
  switch (tagOf(el)) {
    case 'string':
      return textIn(content);
    case 'int':
    case 'i4':
    case 'i8': {
      const t = textIn(content).trim();
      if (!/^[+-]?[0-9]+$/.test(t)) throw new Unreadable('an integer that is not one');
      return Number(t);
    }
    case 'boolean': {
      const t = textIn(content).trim();
      if (t !== '0' && t !== '1') throw new Unreadable('bad boolean value');
      return t === '1';
    }
    case 'double': {
      const t = textIn(content).trim();
      if (t === '' || Number.isNaN(Number(t))) throw new Unreadable('a double that is not a number');
      return Number(t);
    }
    case 'nil':
      return null;
    case 'dateTime.iso8601':
      return textIn(content).trim();
    case 'base64':
      return Buffer.from(textIn(content), 'base64').toString('utf8');
    case 'array':
      return elementsIn(one(content, 'data')).map((v) => {
        if (tagOf(v) !== 'value') throw new Unreadable(`<${tagOf(v)}> in an array`);
        return valueOf(inside(v), depth + 1);
      });
    case 'struct': {
      const struct = Object.create(null) as XmlRpcStruct;
      for (const member of elementsIn(content)) {
        if (tagOf(member) !== 'member') throw new Unreadable(`<${tagOf(member)}> in a struct`);
        const parts = elementsIn(inside(member));
        const name = parts.find((p) => tagOf(p) === 'name');
        const value = parts.find((p) => tagOf(p) === 'value');
        if (!name || !value || parts.length !== 2) throw new Unreadable('a member without its name and value');
        struct[textIn(inside(name))] = valueOf(inside(value), depth + 1);
      }
      return struct;
    }
    default:
      throw new Unreadable(`an unknown type <${tagOf(el)}>`);
  }
}

/** A methodCall: its method name and parameters. Throws Unreadable for anything else. */
export function readCall(body: string): { method: string; params: XmlRpcValue[] } {
  if (/<!DOCTYPE/i.test(body) || XMLValidator.validate(body) !== true) throw new Unreadable('not well-formed XML');
  const call = one(parser.parse(body) as Ordered[], 'methodCall');
  const parts = elementsIn(call);
  const name = parts.find((p) => tagOf(p) === 'methodName');
  const params = parts.find((p) => tagOf(p) === 'params');
  if (!name || parts.some((p) => p !== name && p !== params)) throw new Unreadable('not a methodCall');
  const method = textIn(inside(name)).trim();
  const values = params ? elementsIn(inside(params)).map((p) => {
    if (tagOf(p) !== 'param') throw new Unreadable(`<${tagOf(p)}> in params`);
    return valueOf(one(inside(p), 'value'), 0);
  }) : [];
  return { method, params: values };
}

export function isStruct(v: XmlRpcValue | undefined): v is XmlRpcStruct {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

const escape = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

/** One value, in the marshaller's layout (nil without the line break, as Python writes it). */
function write(v: XmlRpcValue, out: string[]): void {
  if (v === null) out.push('<value><nil/></value>');
  else if (typeof v === 'boolean') out.push(`<value><boolean>${v ? '1' : '0'}</boolean></value>\n`);
  else if (typeof v === 'number') {
    const tag = !Number.isInteger(v) ? 'double' : Math.abs(v) < 2 ** 31 ? 'int' : 'i8';
    out.push(`<value><${tag}>${v}</${tag}></value>\n`);
  } else if (typeof v === 'string') out.push(`<value><string>${escape(v)}</string></value>\n`);
  else if (Array.isArray(v)) {
    out.push('<value><array><data>\n');
    for (const x of v) write(x, out);
    out.push('</data></array></value>\n');
  } else {
    out.push('<value><struct>\n');
    for (const [k, x] of Object.entries(v)) {
      out.push(`<member>\n<name>${escape(k)}</name>\n`);
      write(x, out);
      out.push('</member>\n');
    }
    out.push('</struct></value>\n');
  }
}

const PROLOG = "<?xml version='1.0'?>\n<methodResponse>\n";

/** A methodResponse with `value`, or with no param at all when undefined. */
export function response(value: XmlRpcValue | undefined): string {
  const out = [PROLOG, '<params>\n'];
  if (value !== undefined) {
    out.push('<param>\n');
    write(value, out);
    out.push('</param>\n');
  }
  out.push('</params>\n</methodResponse>\n');
  return out.join('');
}

export function fault(code: number, faultString: string): string {
  const out = [PROLOG, '<fault>\n'];
  write({ faultCode: code, faultString }, out);
  out.push('</fault>\n</methodResponse>\n');
  return out.join('');
}

const NAMED_ESCAPES: Readonly<Record<number, string>> = { 0x5c: '\\\\', 0x27: "\\'", 0x0a: '\\n', 0x0d: '\\r', 0x09: '\\t' };

/** Python 2's str.encode('string-escape') of the UTF-8 bytes: what the guide's sample undoes with decode('string-escape'). */
export function stringEscape(s: string): string {
  return Array.from(Buffer.from(s, 'utf8'), (b) => NAMED_ESCAPES[b] ?? (b >= 0x20 && b < 0x7f ? String.fromCharCode(b) : `\\x${b.toString(16).padStart(2, '0')}`)).join('');
}
