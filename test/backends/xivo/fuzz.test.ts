/** Every XUC codec function on arbitrary input: it returns, or throws a typed error, never anything raw. */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { BackendError } from '../../../src/errors.js';
import {
  contactBody,
  parseAuth,
  parseBody,
  parseContact,
  parseContactList,
  parseError,
  parseHistory,
  parseImport,
  parseQualifications,
} from '../../../src/backends/xivo/codec.js';

/** Text that is sometimes JSON of the shapes XUC uses, sometimes near it, sometimes anything. */
const jsonish = fc.oneof(
  fc.string({ maxLength: 200 }),
  fc.json({ maxDepth: 4 }),
  fc.constantFrom('{login: "$LOGIN", token: "$TOKEN", TTL: $TTL}', '{"res":"success","data":[{"start":1}]}', '{"entries":[{"status":0}],"headers":["Firstname"]}', '{"error":"UserNotFound"'),
  fc.record({ res: fc.constant('success'), data: fc.anything() }).map((v) => JSON.stringify(v)),
  fc.record({ entries: fc.array(fc.record({ status: fc.integer(), entry: fc.array(fc.string()) })), headers: fc.array(fc.string()) }).map((v) => JSON.stringify(v)),
);

function typedOrValue(fn: () => unknown): void {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(BackendError);
    expect((e as Error).message).not.toMatch(/\n\s+at /);
  }
}

describe('XUC codec on arbitrary input (property)', () => {
  it('parses or types its errors, never throws raw', () => {
    fc.assert(
      fc.property(jsonish, fc.integer({ min: 100, max: 599 }), (body, status) => {
        typedOrValue(() => parseBody(body, 'x'));
        typedOrValue(() => parseAuth(body));
        typedOrValue(() => parseContactList(body));
        typedOrValue(() => parseContact(body, 'x'));
        typedOrValue(() => parseImport(body));
        typedOrValue(() => parseHistory(body, 'Europe/Paris'));
        typedOrValue(() => parseQualifications(body));
        expect(typeof parseError(status, body)).toBe('object');
      }),
      { numRuns: 1000 },
    );
  });

  it('writes contact bodies that are valid JSON and carry each value as sent', () => {
    const field = fc.string({ unit: 'binary', maxLength: 40 });
    fc.assert(
      fc.property(fc.record({ firstname: field, lastname: field, email: field, number: field }, { requiredKeys: [] }), (c) => {
        const body = JSON.parse(contactBody(c)) as Record<string, string>;
        for (const [k, v] of Object.entries(c)) if (v.trim()) expect(body[k]).toBe(v.trim());
      }),
      { numRuns: 500 },
    );
  });
});
