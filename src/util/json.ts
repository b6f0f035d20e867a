/**
 * JSON a person wrote (a config file, a scenario): parsed, and when it is not valid JSON, where the mistake is as a
 * line and column, with what was expected. The text itself is never quoted back: a config file may hold passwords.
 */

export class JsonSyntaxError extends Error {
  constructor(
    readonly line: number,
    readonly column: number,
    readonly reason: string,
  ) {
    super(`line ${line}, column ${column}: ${reason}`);
    this.name = 'JsonSyntaxError';
  }
}

/** Parse `text` (a leading byte-order mark is allowed); throws JsonSyntaxError naming the line and column. */
export function parseJsonText(text: string): unknown {
  const body = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
  try {
    return JSON.parse(body);
  } catch {
    const { offset, reason } = firstError(body);
    const before = body.slice(0, offset);
    const line = before.split('\n').length;
    const column = offset - (before.lastIndexOf('\n') + 1) + 1;
    throw new JsonSyntaxError(line, column, reason);
  }
}

/** What a character is, for a message: "'}'", "a line break", "the end of the file". */
function shown(text: string, i: number): string {
  if (i >= text.length) return 'the end of the file';
  const c = text[i]!;
  if (c === '\n' || c === '\r') return 'a line break';
  if (c === '\t') return 'a tab';
  const code = c.charCodeAt(0);
  if (code < 0x20 || code === 0x7f) return `control character U+${code.toString(16).padStart(4, '0').toUpperCase()}`;
  return `'${c}'`;
}

/** The offset of the first syntax error in `text` (which JSON.parse refused) and what was wrong there. */
function firstError(text: string): { offset: number; reason: string } {
  let i = 0;
  const fail = (reason: string): never => {
    throw { offset: i, reason };
  };
  const ws = () => {
    while (i < text.length && ' \t\n\r'.includes(text[i]!)) i++;
  };
  const literal = (word: string) => {
    for (const ch of word) {
      if (text[i] !== ch) fail(`unexpected ${shown(text, i)} in ${word}`);
      i++;
    }
  };
  const string = () => {
    i++; // opening quote
    for (;;) {
      if (i >= text.length) fail('a string is not closed (missing ")');
      const c = text[i]!;
      if (c === '"') return void i++;
      if (c.charCodeAt(0) < 0x20) fail(`${shown(text, i)} inside a string (write it as an escape such as \\n)`);
      if (c === '\\') {
        const e = text[i + 1];
        if (e === 'u') {
          if (!/^[0-9a-fA-F]{4}$/.test(text.slice(i + 2, i + 6))) fail('\\u must be followed by 4 hex digits');
          i += 6;
        } else if (e !== undefined && '"\\/bfnrt'.includes(e)) i += 2;
        else fail(`unknown escape \\${e ?? ''} in a string (a Windows path needs \\\\)`);
      } else i++;
    }
  };
  const number = () => {
    const m = /^-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?/.exec(text.slice(i));
    if (!m || m[0] === '-') fail(`unexpected ${shown(text, i)}: not a valid number`);
    i += m![0].length;
  };
  const value = (): void => {
    ws();
    const c = text[i];
    if (c === '{') return object();
    if (c === '[') return array();
    if (c === '"') return string();
    if (c === 't') return literal('true');
    if (c === 'f') return literal('false');
    if (c === 'n') return literal('null');
    if (c === '-' || (c !== undefined && c >= '0' && c <= '9')) return number();
    if (c === "'") fail("strings need double quotes (\"), not single quotes");
    fail(`expected a value, found ${shown(text, i)}`);
  };
  const object = () => {
    i++;
    ws();
    if (text[i] === '}') return void i++;
    for (;;) {
      ws();
      if (text[i] !== '"') fail(text[i] === '}' ? 'a comma before } (JSON allows no trailing comma)' : `expected a key in double quotes, found ${shown(text, i)}`);
      string();
      ws();
      if (text[i] !== ':') fail(`expected ':' after the key, found ${shown(text, i)}`);
      i++;
      value();
      ws();
      if (text[i] === ',') {
        i++;
        continue;
      }
      if (text[i] === '}') return void i++;
      fail(`expected ',' or '}' after a value, found ${shown(text, i)}`);
    }
  };
  const array = () => {
    i++;
    ws();
    if (text[i] === ']') return void i++;
    for (;;) {
      ws();
      if (text[i] === ']') fail('a comma before ] (JSON allows no trailing comma)');
      value();
      ws();
      if (text[i] === ',') {
        i++;
        continue;
      }
      if (text[i] === ']') return void i++;
      fail(`expected ',' or ']' after a value, found ${shown(text, i)}`);
    }
  };
  try {
    value();
    ws();
    if (i < text.length) fail(`unexpected ${shown(text, i)} after the end of the JSON value`);
    // JSON.parse refused what this scanner accepts: still say where, at the end.
    return { offset: text.length, reason: 'not valid JSON' };
  } catch (e) {
    if (e && typeof e === 'object' && 'offset' in e) return e as { offset: number; reason: string };
    // Nesting deep enough to exhaust the stack: the mistake is somewhere inside.
    return { offset: i, reason: 'not valid JSON (nested too deeply to say more)' };
  }
}
