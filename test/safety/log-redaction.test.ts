/**
 * Log lines are redacted after formatting, so a secret must be masked in every form the formats give it: raw,
 * JSON-escaped (text format quotes values with JSON.stringify; the JSON format escapes every string), and escaped
 * twice (a field holding JSON text that already carries the escaped secret).
 */
import { describe, expect, it } from 'vitest';
import { LogHub, type Fields } from '../../src/log.js';
import { addSecret, redact } from '../../src/safety/redact.js';
import { sanitizeDeep } from '../../src/safety/sanitize.js';

const PASSWORD = 'pa"ss\\word!9';
const SHORT = 'q"\\z'; // 4 characters: masked in logs (not in data, where it is below the data length)
addSecret(PASSWORD);
addSecret(SHORT);

const escape = (s: string) => JSON.stringify(s).slice(1, -1);
/** Each secret in every form a log line could carry it, plus distinctive fragments of it. */
const FORMS = [PASSWORD, SHORT].flatMap((s) => [s, escape(s), escape(escape(s))]);
const FRAGMENTS = ['ss\\word', 'ss\\\\word', 'word!9', 'q"', 'q\\"', '\\z'];

function expectNoSecret(out: string): void {
  for (const f of [...FORMS, ...FRAGMENTS]) expect(out, `output contains ${JSON.stringify(f)}:\n${out}`).not.toContain(f);
  expect(out).toContain('***');
}

function fields(): Fields {
  const cause = new Error(`upstream said: wrong password ${PASSWORD}`);
  const error = new Error(`login refused for ${PASSWORD} / ${SHORT}`, { cause });
  return {
    error,
    cause,
    detail: `tried ${PASSWORD} then ${SHORT}`,
    body: JSON.stringify({ pw: PASSWORD, pin: SHORT }),
    nested: { attempt: { secret: PASSWORD, list: [SHORT] } },
  };
}

describe('log redaction of secrets with quotes and backslashes (L5)', () => {
  for (const format of ['text', 'json'] as const) {
    it(`masks them in every field of a ${format} log line, Errors and their causes included`, () => {
      let out = '';
      const hub = new LogHub({ level: 'debug', format, write: (l) => void (out += l) });
      const log = hub.logger({ component: 'test' });
      log.error(`failed with ${PASSWORD}`, fields());
      log.warn('again', { error: fields().cause, text: (fields().error as Error).stack });
      expect(out.split('\n').length).toBeGreaterThan(2);
      expectNoSecret(out);
    });
  }

  it('masks them where a sink serializes the record as JSON (as the MCP logging notification does)', () => {
    const hub = new LogHub({ level: 'error', write: () => {} });
    const sent: string[] = [];
    hub.addSink((r) => {
      const data = { message: r.msg, detail: r.fields.detail, body: r.fields.body };
      const wire = redact(JSON.stringify(data));
      sent.push(wire, JSON.stringify(sanitizeDeep(JSON.parse(wire))));
    });
    hub.logger().info(`login as ${SHORT}`, fields());
    expectNoSecret(sent.join('\n'));
  });

  it('still masks the raw forms and leaves unrelated quoted text alone', () => {
    expect(redact(`a ${PASSWORD} b ${SHORT} c`)).toBe('a *** b *** c');
    expect(redact('say "hello" \\ world')).toBe('say "hello" \\ world');
  });
});
