/**
 * Text of a vendor answer. Most answers are UTF-8 or plain ASCII, but the vendor docs leave the encoding open
 * (IPPS's CSV) or show Latin-1 (an XML-RPC server of 2007 declaring encoding="ISO-8859-1"): a caller named
 * "Zoë Müller" must not come out with replacement characters. So: the charset the answer declares (Content-Type,
 * then an XML declaration); without one, or with a UTF-8 the bytes are not, UTF-8 when they are valid UTF-8, else
 * Windows-1252 (the superset of Latin-1 such servers send in practice).
 */
import { isAscii, isUtf8 } from 'node:buffer';

const XML_DECL = /^\s*<\?xml[^>]*?\bencoding\s*=\s*["']([A-Za-z0-9._:-]{1,40})["']/;

function charsetOf(contentType: string | undefined): string | undefined {
  const m = contentType ? /;\s*charset\s*=\s*"?([^";\s]{1,40})"?/i.exec(contentType) : null;
  return m?.[1];
}

const UTF8 = /^utf-?8$/i;

/** Windows-1252's 0x80-0x9F (Node 20's TextDecoder reads them as C1 controls); undefined bytes stay as they are. */
const CP1252_HIGH = '\u20ac\x81\u201a\u0192\u201e\u2026\u2020\u2021\u02c6\u2030\u0160\u2039\u0152\x8d\u017d\x8f\x90\u2018\u2019\u201c\u201d\u2022\u2013\u2014\u02dc\u2122\u0161\u203a\u0153\x9d\u017e\u0178';

function windows1252(buf: Buffer): string {
  return buf.toString('latin1').replace(/[\x80-\x9f]/g, (c) => CP1252_HIGH[c.charCodeAt(0) - 0x80]!);
}

/** Labels the WHATWG Encoding standard reads as Windows-1252 (the common ones). */
const CP1252_LABELS = /^(?:windows-1252|cp1252|x-cp1252|iso-8859-1|iso8859-1|iso_8859-1|latin1|l1|us-ascii|ascii)$/i;

function decodeAs(label: string, buf: Buffer): string | undefined {
  if (CP1252_LABELS.test(label)) return windows1252(buf);
  try {
    return new TextDecoder(label.toLowerCase()).decode(buf);
  } catch {
    // A label this Node does not know: fall back to guessing.
    return undefined;
  }
}

export function decodeBody(buf: Buffer, contentType?: string): string {
  // ASCII reads the same in every charset the vendors could use: the common case costs one scan.
  if (isAscii(buf)) return buf.toString('latin1');
  const declared = charsetOf(contentType) ?? XML_DECL.exec(buf.subarray(0, 200).toString('latin1'))?.[1];
  // A declared UTF-8 that is not valid UTF-8 is a server default over Latin-1 text (common with PHP): guess.
  const text = declared && !UTF8.test(declared) ? decodeAs(declared, buf) : undefined;
  if (text !== undefined) return text;
  if (isUtf8(buf)) return buf.toString('utf8');
  return windows1252(buf);
}
