/**
 * Text from a PBX (caller names, contact fields, queue names, vendor error text) is untrusted: it may carry
 * control characters, invisible or direction-changing characters, or instructions aimed at a model. It is
 * cleaned and bounded here and only ever returned as field values, never in tool descriptions.
 */

// Invisible characters, stripped in every field:
// - every format character (\p{Cf}): soft hyphen, Arabic number signs and end of ayah (U+0600–U+0605, U+06DD),
//   Syriac abbreviation mark (U+070F), zero-width space/joiners (U+200B–U+200D), direction marks, embeddings,
//   overrides and isolates, invisible operators, the BOM, interlinear annotation, Kaithi/Egyptian format controls
//   (U+110BD, U+13430–U+1343F), shorthand and musical format controls, Unicode tags (U+E0001, U+E0020–U+E007F);
// - private-use characters (\p{Co}: U+E000–U+F8FF, planes 15 and 16): no agreed meaning, a covert channel;
// - characters that render as nothing: combining grapheme joiner (U+034F), Hangul fillers (U+115F, U+1160,
//   U+3164, U+FFA0), Khmer inherent vowels (U+17B4, U+17B5), Mongolian variation selectors (U+180B–U+180F),
//   the braille blank (U+2800), unassigned U+2065, variation selectors (U+FE00–U+FE0F, U+E0100–U+E01EF) and the
//   rest of the tag block.
// Stripping the zero-width joiner (a format character) splits an emoji ZWJ sequence (👨‍👩‍👧) into its emoji
// (👨👩👧), and dropping U+FE0F can change an emoji's presentation: both are accepted for safety. The class is a
// u-flag regex, so it works on code points and never splits a surrogate pair.
const INVISIBLE =
  /[\p{Cf}\p{Co}\u034F\u115F\u1160\u17B4\u17B5\u180B-\u180F\u2060-\u206F\u2800\u3164\uFE00-\uFE0F\uFFA0\u{E0000}-\u{E01EF}]/gu;
// C0/C1 controls (newline, carriage return and tab kept only in multi-line fields).
const CONTROL_SINGLE = /[\u0000-\u001F\u007F-\u009F]/g;
const CONTROL_MULTI = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F-\u009F]/g;
// Multi-line fields: line and paragraph separators become newlines, and every space other than U+0020 (no-break,
// ideographic U+3000, the U+2000 block…) a plain space, as single-line fields collapse them.
const LINE_SEPARATOR = /[\u2028\u2029]/g;
const OTHER_SPACE = /[\u00A0\u1680\u2000-\u200A\u202F\u205F\u3000]/g;
// Lone surrogates cannot be encoded and confuse consumers. They are replaced before anything is stripped, so two
// halves around a stripped character never join into a new character (a tag character, say).
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;

import { maskSecrets } from './redact.js';

export const DEFAULT_MAX_LENGTH = 256;
// Printable ASCII, and the arrow and ellipsis our own summaries use, with single spaces between: nothing to clean.
const PLAIN = /^(?! )(?:[!-~\u2192\u2026]| (?=[!-~\u2192\u2026]))*$/;

/** Clean one string: no controls or invisible characters, whitespace collapsed, at most `max` characters. */
export function cleanText(s: string, max = DEFAULT_MAX_LENGTH, multiline = false): string {
  // Plain printable ASCII without runs of spaces needs none of the work below (most PBX data).
  if (s.length <= max && PLAIN.test(s)) return s;
  // Normalized after stripping, so a character removed from between two others cannot leave them uncomposed.
  let out = s.replace(LONE_SURROGATE, '\uFFFD').replace(INVISIBLE, '').normalize('NFC');
  if (multiline) {
    out = out.replace(CONTROL_MULTI, '').replace(LINE_SEPARATOR, '\n').replace(OTHER_SPACE, ' ');
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
/**
 * Single-line keys with a bound of their own: a tool's `message` is our sentence around PBX parts the tool
 * bounded already (a party label, a queue name), so the default bound for a PBX string would cut our words.
 */
const LONG_LINE: Record<string, number> = { message: 2000 };

/**
 * Clean every string in a JSON-like value, keys included. Arrays are capped at `maxItems`. Secrets are not searched
 * for here: a result carries PBX data and the client's own text, which come back as they are (see redact.ts).
 */
export function sanitizeDeep<T>(value: T, maxItems = 10_000): T {
  return walk(value, undefined, maxItems) as T;
}

// A plain loop rather than closures and Object.entries: every tool result passes through here.
function walk(v: unknown, key: string | undefined, maxItems: number): unknown {
  if (typeof v === 'string') {
    // Own keys only: a key such as "constructor" or "__proto__" must not find an inherited value.
    const bound = key !== undefined && Object.hasOwn(MULTILINE, key) ? MULTILINE[key] : undefined;
    const long = key !== undefined && Object.hasOwn(LONG_LINE, key) ? LONG_LINE[key] : undefined;
    return bound !== undefined ? cleanText(v, bound, true) : cleanText(v, long);
  }
  if (Array.isArray(v)) {
    const n = Math.min(v.length, maxItems);
    const out: unknown[] = new Array<unknown>(n);
    for (let i = 0; i < n; i++) out[i] = walk(v[i], key, maxItems);
    return out;
  }
  if (v !== null && typeof v === 'object') {
    const out: Record<string, unknown> = {};
    const src = v as Record<string, unknown>;
    for (const k of Object.keys(src)) {
      const clean = cleanText(k, 64);
      const x = walk(src[k], k, maxItems);
      // A key "__proto__" (JSON from a PBX can hold one) stays a key; assigning it would set the prototype.
      if (clean === '__proto__') Object.defineProperty(out, clean, { value: x, enumerable: true, writable: true, configurable: true });
      else out[clean] = x;
    }
    return out;
  }
  return v;
}

/**
 * Text a PBX sent that goes into one of our messages (a vendor's error text, a transport error): registered
 * secrets masked (a PBX may echo our credentials in an error), then cleaned and bounded like any PBX string.
 * The boundary where vendor text enters a message; nothing downstream searches for secrets again.
 */
export function pbxText(s: string, max = DEFAULT_MAX_LENGTH): string {
  // Bounded before masking (masking is linear, but a 5 MB error body need not be walked), masked again after
  // cleaning, which may have joined a secret split by an invisible character.
  return maskSecrets(cleanText(maskSecrets(s.length > max * 4 ? s.slice(0, max * 4) : s), max));
}
