/**
 * A small strict XML reader for XML-RPC answers: elements, text, entities, CDATA, comments and processing
 * instructions; no DOCTYPE (so no entity expansion). It yields an ordered tree: text as strings (adjacent text
 * joined), elements as {tag, kids} with namespace prefixes removed and attributes ignored.
 *
 * Why not fast-xml-parser here: measured on a 3 KB get_calls answer, its validation pass plus parse cost about
 * 0.5 ms per call (0.27 ms with v4), most of the PBXpress adapter's overhead; XML-RPC needs only this subset.
 */
export interface XElement {
  tag: string;
  kids: XNode[];
}
export type XNode = string | XElement;

export class XmlError extends Error {}

const NAMED: Record<string, string> = { lt: '<', gt: '>', amp: '&', quot: '"', apos: "'" };
const NAME_ONLY = /^[A-Za-z_][A-Za-z0-9_.:-]*$/;
/**
 * The XML-RPC names, valid by construction: an answer repeats a dozen of them hundreds of times. Fixed, not
 * learned from answers: a name sliced from an answer would keep the whole answer alive in a cache.
 */
const XMLRPC_NAMES: ReadonlySet<string> = new Set([
  'methodResponse', 'methodCall', 'methodName', 'params', 'param', 'value', 'struct', 'member', 'name', 'array',
  'data', 'string', 'int', 'i4', 'i8', 'boolean', 'double', 'nil', 'dateTime.iso8601', 'base64', 'fault',
]);
const ATTRS = /^(?:\s+[A-Za-z_][A-Za-z0-9_.:-]*\s*=\s*(?:"[^"<]*"|'[^'<]*'))*\s*$/;
/** Open elements allowed at once: far beyond any XML-RPC answer, a bound against hostile input. */
const MAX_OPEN = 1000;

/** XML end-of-line handling: a raw CRLF or CR is read as LF (a &#13; reference stays a CR). */
function newlines(raw: string): string {
  return raw.includes('\r') ? raw.replace(/\r\n?/g, '\n') : raw;
}

function decodeText(rawText: string): string {
  const raw = newlines(rawText);
  if (!raw.includes('&')) return raw;
  return raw.replace(/&([^;&\s]{0,32});|&/g, (whole, ref: string | undefined) => {
    if (ref === undefined) throw new XmlError('a bare & in text');
    if (ref.startsWith('#')) {
      const cp = ref[1] === 'x' || ref[1] === 'X' ? Number.parseInt(ref.slice(2), 16) : Number(ref.slice(1));
      const ok = Number.isInteger(cp) && (cp === 0x9 || cp === 0xa || cp === 0xd || (cp >= 0x20 && cp <= 0x10ffff && !(cp >= 0xd800 && cp <= 0xdfff)));
      if (!ok || !/^#(?:[0-9]+|[xX][0-9a-fA-F]+)$/.test(ref)) throw new XmlError(`a bad character reference ${whole.slice(0, 12)}`);
      return String.fromCodePoint(cp);
    }
    const named = NAMED[ref];
    if (named === undefined) throw new XmlError(`an undefined entity &${ref.slice(0, 12)};`);
    return named;
  });
}

function isSpace(c: number): boolean {
  return c === 32 || c === 9 || c === 10 || c === 13;
}

function pushText(children: XNode[], text: string): void {
  if (text === '') return;
  const last = children.length - 1;
  if (last >= 0 && typeof children[last] === 'string') children[last] += text;
  else children.push(text);
}

/** The XML-RPC names by length, to recognize one in place, without slicing it out of the answer. */
const NAMES_BY_LENGTH: string[][] = [];
for (const n of XMLRPC_NAMES) (NAMES_BY_LENGTH[n.length] ??= []).push(n);

/** The XML-RPC name written at xml[from, to), if it is one. */
function knownName(xml: string, from: number, to: number): string | undefined {
  const candidates = NAMES_BY_LENGTH[to - from];
  if (candidates) for (const n of candidates) if (xml.startsWith(n, from)) return n;
  return undefined;
}

/** A name from xml[from, to): a known XML-RPC name, or any other valid XML name; undefined when invalid. */
function nameAt(xml: string, from: number, to: number): string | undefined {
  const known = knownName(xml, from, to);
  if (known !== undefined) return known;
  const name = xml.slice(from, to);
  return NAME_ONLY.test(name) ? name : undefined;
}

/** The index of the `>` that ends the tag starting at `from`, skipping quoted attribute values. */
function tagEnd(xml: string, from: number): number {
  // One walk over the tag itself: searching the document for the next quote instead (as this once did) scanned
  // to its end for every tag of a quote-free answer, quadratic in the answer's size.
  let quote = 0;
  for (let i = from; i < xml.length; i++) {
    const c = xml.charCodeAt(i);
    if (quote) {
      if (c === quote) quote = 0;
    } else if (c === 34 || c === 39) quote = c;
    else if (c === 62) return i;
    else if (c === 60) break;
  }
  throw new XmlError('an unterminated tag');
}

/** Parse a whole document into its top-level nodes. Throws XmlError on anything that is not well-formed. */
export function parseXmlTree(xml: string): XNode[] {
  const root: XNode[] = [];
  // The open elements: their names as written (prefix included, for the end tag) and their children.
  const openNames: string[] = [];
  const openKids: XNode[][] = [];
  let children = root;
  let i = xml.charCodeAt(0) === 0xfeff ? 1 : 0;
  while (i < xml.length) {
    const lt = xml.indexOf('<', i);
    const end = lt < 0 ? xml.length : lt;
    if (end > i) {
      const raw = xml.slice(i, end);
      // Outside the root element XML allows only whitespace, comments and processing instructions.
      if (openNames.length === 0) {
        if (raw.trim() !== '') throw new XmlError('text outside the root element');
      } else pushText(children, decodeText(raw));
    }
    if (lt < 0) break;
    const next = xml.charCodeAt(lt + 1);
    if (next === 33 /* ! */ && xml.startsWith('<!--', lt)) {
      const e = xml.indexOf('-->', lt + 4);
      if (e < 0) throw new XmlError('an unterminated comment');
      i = e + 3;
    } else if (next === 33 && xml.startsWith('<![CDATA[', lt)) {
      const e = xml.indexOf(']]>', lt + 9);
      if (e < 0) throw new XmlError('an unterminated CDATA section');
      pushText(children, newlines(xml.slice(lt + 9, e)));
      i = e + 3;
    } else if (next === 63 /* ? */) {
      const e = xml.indexOf('?>', lt + 2);
      if (e < 0) throw new XmlError('an unterminated processing instruction');
      i = e + 2;
    } else if (next === 33) {
      throw new XmlError('a DOCTYPE or markup declaration');
    } else if (next === 47 /* / */) {
      const e = xml.indexOf('>', lt + 2);
      if (e < 0) throw new XmlError('an unterminated end tag');
      const top = openNames.pop();
      openKids.pop();
      // </name> with optional whitespace before the `>`, compared in place.
      let after = lt + 2 + (top !== undefined ? top.length : 0);
      while (after < e && isSpace(xml.charCodeAt(after))) after++;
      if (top === undefined || after !== e || !xml.startsWith(top, lt + 2)) {
        const name = xml.slice(lt + 2, e).trimEnd();
        throw new XmlError(`</${name.slice(0, 40)}> does not close ${top !== undefined ? `<${top}>` : 'anything'}`);
      }
      children = openKids.length ? openKids[openKids.length - 1]! : root;
      i = e + 1;
    } else {
      // The name ends at whitespace, `/` or `>`; a plain <name> (most tags) needs no look at attributes.
      let nameEnd = lt + 1;
      let colon = -1;
      let c = xml.charCodeAt(nameEnd);
      while (nameEnd < xml.length && c !== 62 && c !== 47 && !isSpace(c)) {
        if (c === 58) colon = nameEnd;
        c = xml.charCodeAt(++nameEnd);
      }
      let e: number;
      let close: number;
      let selfClosing: boolean;
      if (c === 62) {
        e = close = nameEnd;
        selfClosing = false;
      } else {
        e = tagEnd(xml, nameEnd);
        close = e;
        selfClosing = xml.charCodeAt(e - 1) === 47; // '/'
        if (selfClosing) close--;
      }
      const name = nameAt(xml, lt + 1, nameEnd);
      // Anything between the name and the end must be well-formed attributes (ignored).
      if (name === undefined || (nameEnd < close && !ATTRS.test(xml.slice(nameEnd, close)))) {
        throw new XmlError('a malformed start tag');
      }
      // The namespace prefix goes: <ex:nil/> is <nil/>.
      const local = colon < 0 ? name : (knownName(xml, colon + 1, nameEnd) ?? xml.slice(colon + 1, nameEnd));
      const kids: XNode[] = [];
      children.push({ tag: local, kids });
      if (!selfClosing) {
        if (openNames.length >= MAX_OPEN) throw new XmlError('elements nested too deeply');
        openNames.push(name);
        openKids.push(kids);
        children = kids;
      }
      i = e + 1;
    }
  }
  if (openNames.length) throw new XmlError(`<${openNames[openNames.length - 1]!}> is never closed`);
  return root;
}
