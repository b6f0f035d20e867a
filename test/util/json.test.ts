import { describe, expect, it } from 'vitest';
import { JsonSyntaxError, parseJsonText } from '../../src/util/json.js';

const where = (text: string) => {
  try {
    parseJsonText(text);
  } catch (e) {
    expect(e).toBeInstanceOf(JsonSyntaxError);
    return (e as Error).message;
  }
  throw new Error('expected a syntax error');
};

describe('parseJsonText: where a hand-written JSON file is wrong', () => {
  it('parses valid JSON, with or without a byte-order mark', () => {
    expect(parseJsonText('\uFEFF{"a": [1, "x", null]}')).toEqual({ a: [1, 'x', null] });
  });

  it('names the line and column and what was expected, the usual mistakes first', () => {
    expect(where('{\n  "a": 1,\n}')).toBe('line 3, column 1: a comma before } (JSON allows no trailing comma)');
    expect(where('{\n  "pbxes": {\n    "lab": { "type": "sim" }\n    "x": 1\n  }\n}')).toBe(
      "line 4, column 5: expected ',' or '}' after a value, found '\"'",
    );
    expect(where("{ 'a': 1 }")).toBe("line 1, column 3: expected a key in double quotes, found '''");
    expect(where('{ "a": nul }')).toBe("line 1, column 11: unexpected ' ' in null");
    expect(where('{ "a": 1 ')).toBe("line 1, column 10: expected ',' or '}' after a value, found the end of the file");
    expect(where('{ "f": "C:\\Users" }')).toBe('line 1, column 11: unknown escape \\U in a string (a Windows path needs \\\\)');
    expect(where('{ "a": 1 }}')).toBe("line 1, column 11: unexpected '}' after the end of the JSON value");
    expect(where('')).toBe('line 1, column 1: expected a value, found the end of the file');
  });

  it('never quotes the text back (a config file may hold a password)', () => {
    expect(where('{ "password": "hunter2 }')).not.toContain('hunter2');
  });
});
