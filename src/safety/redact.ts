/**
 * Secrets never leave the process. Every known secret (passwords, their hashes, tokens) is registered here at
 * start-up, and masked where text that may carry one enters what we write:
 * - log lines and audit-file lines (`redact`): the operator's channels, every registered secret of 4 or more
 *   characters, in every escaped form serialization gives it;
 * - text a PBX sends that goes into a message (`maskSecrets`, through `pbxText` in sanitize.ts): vendor error
 *   text, transport errors.
 * Nothing else is searched. A client's own text (a note, a contact, a call id echoed in an error, its audit
 * entries) comes back exactly as it was sent, whether or not it equals a secret: masking it would tell whoever
 * sent a guess whether it was right. For the same reason `maskSecrets` leaves a secret alone when the client's
 * current request itself carries it (the PBX only repeated what the client said).
 */
import { AsyncLocalStorage } from 'node:async_hooks';

const secrets = new Set<string>();
/** Every form a registered secret is masked in (see `escapedForms`), and the secret each form is of. */
const forms = new Map<string, string>();
let pattern: RegExp | undefined;

/**
 * Below this length a value is too short to mask: "abc" or "12" would mask ordinary words and numbers in every log
 * line. Such secrets are never written by telephony-mcp itself (it puts them only into requests to the PBX);
 * start-up warns about them (see `shortSecrets`).
 */
export const MIN_MASKED_LENGTH = 4;
/** A secret shorter than this is reported at start-up as too short to be masked reliably. */
export const WARN_SECRET_LENGTH = 8;

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

const toPattern = (keys: Iterable<string>): RegExp | undefined => {
  const list = [...keys];
  return list.length
    ? new RegExp(
        // Longest first, so a secret that contains another (or its escaped form) is masked whole.
        list
          .sort((a, b) => b.length - a.length)
          .map((x) => x.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'))
          .join('|'),
        'g',
      )
    : undefined;
};

/** Register a secret value; it is masked in logs, audit lines and PBX text, escaped or not. */
export function addSecret(value: string | undefined): void {
  if (!value || value.length < MIN_MASKED_LENGTH || secrets.has(value)) return;
  secrets.add(value);
  for (const f of escapedForms(value)) if (!forms.has(f)) forms.set(f, value);
  pattern = toPattern(forms.keys());
}

/** Credentials in well-known textual forms, masked in logs and audit lines even when not registered. */
const FORMS: [RegExp, string][] = [
  [/\b(Bearer|Basic)\s+[A-Za-z0-9._~+/=-]{6,}/gi, '$1 ***'],
  [/(<pwd_md5>)[^<]*(<)/gi, '$1***$2'],
  [/("(?:password|passwordMd5|pwd_md5|token|secret|confirm_token)"\s*:\s*")[^"]*(")/gi, '$1***$2'],
  [/\b(https?:\/\/)[^/\s:@]+:[^/\s@]+@/gi, '$1***:***@'],
  // A Redis URL's user is often left empty (redis://:password@host).
  [/\b(rediss?:\/\/)[^/\s:@]*:[^/\s@]+@/gi, '$1***:***@'],
];

/** A log or audit-file line with every registered secret and every credential-looking form masked. */
export function redact(text: string): string {
  let out = pattern ? text.replace(pattern, '***') : text;
  for (const [re, rep] of FORMS) out = out.replace(re, rep);
  return out;
}

/** What the client request being served sent (tool arguments, a resource URI), for `maskSecrets`. */
const clientText = new AsyncLocalStorage<{ sent: unknown; strings?: string[] }>();

/** The strings anywhere in `value` (arguments as a client sent them), bounded in number and depth. */
function stringsOf(value: unknown, out: string[] = [], depth = 0): string[] {
  if (out.length >= 1000 || depth > 16) return out;
  if (typeof value === 'string') out.push(value);
  else if (Array.isArray(value)) for (const v of value) stringsOf(v, out, depth + 1);
  else if (value !== null && typeof value === 'object') for (const v of Object.values(value)) stringsOf(v, out, depth + 1);
  return out;
}

/** Run `fn` (serving one client request) knowing what the client sent in it: see `maskSecrets`. */
export function withClientText<T>(sent: unknown, fn: () => T): T {
  // Its strings are collected only if a secret ever shows up in PBX text during the request (rare): not per call.
  return clientText.run({ sent }, fn);
}

/**
 * Text that enters a message from a PBX (or a transport error) with registered secrets masked, except a secret
 * the client's current request itself carries: a PBX repeating a call id or a note key the client sent tells the
 * client nothing new, while masking it would tell it that its text equals a secret.
 */
export function maskSecrets(text: string): string {
  if (!pattern) return text;
  const request = clientText.getStore();
  return text.replace(pattern, (form) => {
    const secret = forms.get(form) ?? form;
    const sent = request ? (request.strings ??= stringsOf(request.sent)) : [];
    return sent.some((s) => s.includes(secret)) ? form : '***';
  });
}

/** Keys whose values are secrets wherever they appear in a config or in tool arguments. */
export const SECRET_KEY = /pass(word)?|pwd|secret|token|api[-_]?key|credential/i;

/**
 * Register every string under a secret-looking key, anywhere in `value`. Returns the key paths of the ones too
 * short to be masked reliably (shorter than WARN_SECRET_LENGTH), for a start-up warning.
 */
export function addSecretsFrom(value: unknown): { key: string; length: number }[] {
  const short: { key: string; length: number }[] = [];
  const walk = (v: unknown, path: string[]) => {
    const key = path.at(-1);
    if (typeof v === 'string') {
      if (key !== undefined && SECRET_KEY.test(key) && v !== '') {
        addSecret(v);
        if (v.length < WARN_SECRET_LENGTH) short.push({ key: path.join('.'), length: v.length });
      }
    } else if (Array.isArray(v)) v.forEach((x) => walk(x, path));
    else if (v && typeof v === 'object') for (const [k, x] of Object.entries(v)) walk(x, [...path, k]);
  };
  walk(value, []);
  return short;
}

/** Nesting redactValue follows; deeper parts (only refused arguments can nest so) are replaced, never walked. */
const REDACT_DEPTH = 32;

/**
 * A deep copy of `value` with the values under secret-looking keys replaced (a confirm_token, say), whatever they
 * are: what an audit entry keeps of the arguments. Other values are kept as sent (see the module comment).
 */
export function redactValue(value: unknown, depth = 0): unknown {
  if (value === null || typeof value !== 'object') return value;
  if (depth >= REDACT_DEPTH) return '(nested too deep)';
  if (Array.isArray(value)) return value.map((v) => redactValue(v, depth + 1));
  return Object.fromEntries(
    Object.entries(value).map(([k, v]) => [k, SECRET_KEY.test(k) && v !== undefined && v !== null ? '***' : redactValue(v, depth + 1)]),
  );
}
