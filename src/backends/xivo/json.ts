/**
 * Reading XUC's JSON. Real servers send JSON, but the vendor doc shows its samples as JavaScript literals
 * (`{login: "...", TTL: 3600}`) and an error object missing a comma; a server or proxy written from the doc
 * may send exactly that. So: JSON.parse first, and only if that fails a relaxed reading that also takes
 * unquoted keys, single quotes, bare placeholders such as `$TTL` or `${ERROR_CODE}` (as strings), and
 * missing or trailing commas. The top level must be an object or an array; anything else is not an answer.
 */

export class JsonReadError extends Error {}

const MAX_DEPTH = 64;
const NOT_JSON = Symbol('not JSON');
const BARE = /\$\{[^}\s]*\}|[^\s,:[\]{}"']+/y;

/** Parse `text` as JSON, else as a relaxed JavaScript-like literal. Throws JsonReadError. */
export function readJson(text: string): unknown {
  const t = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
  let parsed: unknown;
  try {
    parsed = JSON.parse(t);
  } catch {
    parsed = NOT_JSON;
  }
  if (parsed !== NOT_JSON) {
    if (typeof parsed !== 'object' || parsed === null) throw new JsonReadError('not a JSON object or array');
    return parsed;
  }
  const trimmed = t.trim();
  if (!trimmed.startsWith('{') && !trimmed.startsWith('[')) throw new JsonReadError('not a JSON object or array');
  try {
    return new Relaxed(trimmed).document();
  } catch (e) {
    if (e instanceof JsonReadError) throw e;
    throw new JsonReadError(`unreadable JSON (${(e as Error).name})`);
  }
}

class Relaxed {
  private i = 0;
  private depth = 0;

  constructor(private readonly s: string) {}

  document(): unknown {
    const v = this.value();
    this.ws();
    if (this.i !== this.s.length) this.fail('text after the end of the value');
    return v;
  }

  private fail(what: string): never {
    throw new JsonReadError(`${what} at offset ${this.i}`);
  }

  private ws(): void {
    while (this.i < this.s.length && /\s/.test(this.s[this.i]!)) this.i++;
  }

  private value(): unknown {
    this.ws();
    const c = this.s[this.i];
    if (c === undefined) this.fail('unexpected end');
    if (c === '{' || c === '[') {
      if (++this.depth > MAX_DEPTH) this.fail('nested too deeply');
      const v = c === '{' ? this.object() : this.array();
      this.depth--;
      return v;
    }
    if (c === '"' || c === "'") return this.string();
    return this.bare(true);
  }

  private object(): Record<string, unknown> {
    this.i++;
    const out: Record<string, unknown> = {};
    for (;;) {
      this.ws();
      const c = this.s[this.i];
      if (c === undefined) this.fail('unterminated object');
      if (c === '}') {
        this.i++;
        return out;
      }
      if (c === ',') {
        this.i++;
        continue;
      }
      const key = c === '"' || c === "'" ? this.string() : String(this.bare(false));
      this.ws();
      if (this.s[this.i] !== ':') this.fail('expected ":"');
      this.i++;
      const v = this.value();
      // Never let a key reach the prototype.
      if (key !== '__proto__') out[key] = v;
    }
  }

  private array(): unknown[] {
    this.i++;
    const out: unknown[] = [];
    for (;;) {
      this.ws();
      const c = this.s[this.i];
      if (c === undefined) this.fail('unterminated array');
      if (c === ']') {
        this.i++;
        return out;
      }
      if (c === ',') {
        this.i++;
        continue;
      }
      out.push(this.value());
    }
  }

  private string(): string {
    const q = this.s[this.i]!;
    let j = this.i + 1;
    let raw = '';
    for (; j < this.s.length; j++) {
      const c = this.s[j]!;
      if (c === '\\') {
        raw += c + (this.s[j + 1] ?? '');
        j++;
        continue;
      }
      if (c === q) break;
      if (c === '"') raw += '\\"';
      else if (c < ' ') raw += `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`;
      else raw += c;
    }
    if (j >= this.s.length) this.fail('unterminated string');
    this.i = j + 1;
    try {
      return JSON.parse(`"${q === "'" ? raw.replace(/\\'/g, "'") : raw}"`) as string;
    } catch {
      this.fail('bad escape in string');
    }
  }

  private bare(asValue: boolean): unknown {
    BARE.lastIndex = this.i;
    const m = BARE.exec(this.s);
    if (!m) this.fail('unexpected character');
    this.i += m[0].length;
    const w = m[0];
    if (!asValue) return w;
    if (w === 'true') return true;
    if (w === 'false') return false;
    if (w === 'null') return null;
    if (/^-?\d+(\.\d+)?([eE][+-]?\d+)?$/.test(w)) return Number(w);
    return w;
  }
}

export function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
