/**
 * Text from a PBX (caller names, contact fields, queue names, vendor error text) is untrusted: it may carry
 * control characters, invisible or direction-changing characters, or instructions aimed at a model. It is
 * cleaned and bounded here and only ever returned as field values, never in tool descriptions.
 */

// C0/C1 controls (newline and tab kept only in multi-line fields), zero-width and joiners, bidi embeddings,
// overrides and isolates, the BOM, soft hyphen, invisible operators, interlinear annotation, and Unicode tags.
const INVISIBLE =
  /[\u00AD\u061C\u115F\u1160\u17B4\u17B5\u180B-\u180F\u200B-\u200F\u202A-\u202E\u2060-\u206F\u3164\uFE00-\uFE0F\uFEFF\uFFA0\uFFF9-\uFFFB]|\uDB40[\uDC00-\uDDEF]/g;
const CONTROL_SINGLE = /[\u0000-\u001F\u007F-\u009F]/g;
const CONTROL_MULTI = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F-\u009F]/g;
// Lone surrogates cannot be encoded and confuse consumers.
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;

import { redactData } from './redact.js';

export const DEFAULT_MAX_LENGTH = 256;
const PLAIN = /^(?! )(?:[!-~]| (?=[!-~]))*$/;

/** Clean one string: no controls or invisible characters, whitespace collapsed, at most `max` characters. */
export function cleanText(s: string, max = DEFAULT_MAX_LENGTH, multiline = false): string {
  // Plain printable ASCII without runs of spaces needs none of the work below (most PBX data).
  if (s.length <= max && PLAIN.test(s)) return s;
  let out = s.normalize('NFC').replace(INVISIBLE, '').replace(LONE_SURROGATE, '\uFFFD');
  if (multiline) {
    out = out.replace(CONTROL_MULTI, '');
  } else {
    out = out.replace(CONTROL_SINGLE, ' ').replace(/\s+/g, ' ').trim();
  }
  if (out.length > max) {
    // Do not split a surrogate pair.
    let cut = max - 1;
    if (/[\uD800-\uDBFF]/.test(out[cut - 1] ?? '')) cut--;
    out = `${out.slice(0, cut)}…`;
  }
  return out;
}

/** Keys whose values may span lines, with their bound. */
const MULTILINE: Record<string, number> = { csv: 5_000_000, note: 10_000, value: 100_000 };

/** Clean every string in a JSON-like value, keys included, and mask known secrets in them (a token stored in a
 * note or a contact field never comes back). Arrays are capped at `maxItems`. */
export function sanitizeDeep<T>(value: T, maxItems = 10_000): T {
  const walk = (v: unknown, key: string | undefined): unknown => {
    if (typeof v === 'string') {
      const bound = key !== undefined ? MULTILINE[key] : undefined;
      return redactData(bound !== undefined ? cleanText(v, bound, true) : cleanText(v));
    }
    if (Array.isArray(v)) return v.slice(0, maxItems).map((x) => walk(x, key));
    if (v && typeof v === 'object') {
      const out: Record<string, unknown> = {};
      for (const [k, x] of Object.entries(v)) out[cleanText(k, 64)] = walk(x, k);
      return out;
    }
    return v;
  };
  return walk(value, undefined) as T;
}
