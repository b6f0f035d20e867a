/**
 * Secrets never leave the process: every known secret (passwords, their hashes, tokens) is registered here at
 * start-up, and every log line, error text and audit line passes through `redact` on its way out.
 */
const secrets = new Set<string>();
/** Every form a registered secret is masked in: the secret and its escaped forms (see `escapedForms`). */
const forms = new Set<string>();
const longForms = new Set<string>();
let pattern: RegExp | undefined;
let longPattern: RegExp | undefined;

/** Secrets at least this long are also masked in tool results and resources (shorter ones, such as a 4-digit
 * PIN, would mangle ordinary data like phone numbers there; they stay masked in logs, errors and audit lines). */
export const DATA_SECRET_LENGTH = 8;

const MIN_SECRET_LENGTH = 4;

/**
 * Lines are redacted after they are serialized, so a secret holding a quote, a backslash or a control character
 * must also be masked as serialization writes it. Every output format escapes strings with JSON.stringify: the
 * JSON log format, the text log format (it quotes a value holding a space, `"` or `=`, an Error's stack, and
 * any object, with JSON.stringify), the audit lines and the MCP logging notifications. A string field holding
 * JSON text (a vendor's request body echoed in an error, an audit line logged as a field) is escaped twice.
 * Unicode escapes (\u0022 for `"`) are never produced by JSON.stringify for these characters, so they are not
 * registered.
 */
function escapedForms(value: string): string[] {
  const once = JSON.stringify(value).slice(1, -1);
  const twice = JSON.stringify(once).slice(1, -1);
  return [value, once, twice];
}

const toPattern = (set: Set<string>): RegExp | undefined =>
  set.size
    ? new RegExp(
        // Longest first, so a secret that contains another (or its escaped form) is masked whole.
        [...set]
          .sort((a, b) => b.length - a.length)
          .map((x) => x.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'))
          .join('|'),
        'g',
      )
    : undefined;

/** Register a secret value; occurrences are replaced with *** wherever text leaves the process, escaped or not. */
export function addSecret(value: string | undefined): void {
  if (!value || value.length < MIN_SECRET_LENGTH || secrets.has(value)) return;
  secrets.add(value);
  for (const f of escapedForms(value)) {
    forms.add(f);
    if (value.length >= DATA_SECRET_LENGTH) longForms.add(f);
  }
  pattern = toPattern(forms);
  longPattern = toPattern(longForms);
}

/** Mask the long registered secrets in data (tool results, resources): a token stored in a note, say. */
export function redactData(text: string): string {
  return longPattern && text.length >= DATA_SECRET_LENGTH ? text.replace(longPattern, '***') : text;
}

/** Credentials in well-known textual forms, masked even when not registered. */
const FORMS: [RegExp, string][] = [
  [/\b(Bearer|Basic)\s+[A-Za-z0-9._~+/=-]{6,}/gi, '$1 ***'],
  [/(<pwd_md5>)[^<]*(<)/gi, '$1***$2'],
  [/("(?:password|passwordMd5|pwd_md5|token|secret|confirm_token)"\s*:\s*")[^"]*(")/gi, '$1***$2'],
  [/\b(https?:\/\/)[^/\s:@]+:[^/\s@]+@/gi, '$1***:***@'],
];

export function redact(text: string): string {
  let out = pattern ? text.replace(pattern, '***') : text;
  for (const [re, rep] of FORMS) out = out.replace(re, rep);
  return out;
}

/** Keys whose values are secrets wherever they appear in a config or in tool arguments. */
export const SECRET_KEY = /pass(word)?|pwd|secret|token|api[-_]?key|credential/i;

/** Register every string under a secret-looking key, anywhere in `value`. */
export function addSecretsFrom(value: unknown): void {
  const walk = (v: unknown, key: string | undefined) => {
    if (typeof v === 'string') {
      if (key !== undefined && SECRET_KEY.test(key)) addSecret(v);
    } else if (Array.isArray(v)) v.forEach((x) => walk(x, key));
    else if (v && typeof v === 'object') for (const [k, x] of Object.entries(v)) walk(x, k);
  };
  walk(value, undefined);
}

/** Nesting redactValue follows; deeper parts (only refused arguments can nest so) are replaced, never walked. */
const REDACT_DEPTH = 32;

/** A deep copy of `value` with values under secret-looking keys replaced (for audit lines). */
export function redactValue(value: unknown, depth = 0): unknown {
  if (typeof value === 'string') return redact(value);
  if (value === null || typeof value !== 'object') return value;
  if (depth >= REDACT_DEPTH) return '(nested too deep)';
  if (Array.isArray(value)) return value.map((v) => redactValue(v, depth + 1));
  return Object.fromEntries(
    Object.entries(value).map(([k, v]) => [k, SECRET_KEY.test(k) && v !== undefined && v !== null ? '***' : redactValue(v, depth + 1)]),
  );
}
