import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { addSecret, addSecretsFrom, redact, redactValue } from '../../src/safety/redact.js';
import { cleanText, sanitizeDeep } from '../../src/safety/sanitize.js';

describe('cleanText', () => {
  it('strips control, zero-width, bidi and tag characters and collapses whitespace', () => {
    expect(cleanText('Giu\u200Bseppe\u202E Test\u0007\u{E0049}\u{E0047}')).toBe('Giuseppe Test');
    expect(cleanText('  a\n\tb  ')).toBe('a b');
    expect(cleanText('\uFEFFBOM')).toBe('BOM');
  });

  it('keeps newlines in multi-line fields and bounds length without splitting a surrogate pair', () => {
    expect(cleanText('a\r\nb\u0000', 100, true)).toBe('a\r\nb');
    expect(cleanText('x'.repeat(300)).length).toBe(256);
    const emoji = '😀'.repeat(200);
    const out = cleanText(emoji, 11);
    expect(out.endsWith('…')).toBe(true);
    expect(out).not.toMatch(/[\uD800-\uDBFF](?![\uDC00-\uDFFF])/);
  });

  it('never leaves invisible or control characters, whatever the input (property)', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 400 }), (s) => {
        const out = cleanText(s);
        expect(out).not.toMatch(/[\u0000-\u001F\u007F-\u009F\u200B-\u200F\u202A-\u202E\u2066-\u2069\uFEFF]|\uDB40[\uDC00-\uDDEF]/);
        expect(out.length).toBeLessThanOrEqual(256);
      }),
      { numRuns: 500 },
    );
  });

  it('sanitizes every string of a result, keys included, keeping CSV multi-line', () => {
    expect(sanitizeDeep({ a: ['x\u200B'], 'k\u0000': 1, csv: 'a,b\r\nc,d\r\n', n: 5, ok: true })).toEqual({
      a: ['x'],
      k: 1,
      csv: 'a,b\r\nc,d\r\n',
      n: 5,
      ok: true,
    });
  });
});

describe('redaction', () => {
  it('masks registered secrets, credentials in common textual forms, and secret-looking keys', () => {
    addSecret('hunter2-secret');
    addSecretsFrom({ pbxes: { a: { password: 'p4ssw0rd!', url: 'http://x' } } });
    expect(redact('login with hunter2-secret and p4ssw0rd! now')).toBe('login with *** and *** now');
    expect(redact('Authorization: Bearer abcdef123456')).toBe('Authorization: Bearer ***');
    expect(redact('<pwd_md5>353f9bfab2d01dbb1db343fdaf9ab02e</pwd_md5>')).toBe('<pwd_md5>***</pwd_md5>');
    expect(redact('http://user:pw@host/x')).toBe('http://***:***@host/x');
    expect(redactValue({ token: 'abc', nested: { password: 'x' }, to: '202' })).toEqual({ token: '***', nested: { password: '***' }, to: '202' });
  });
});

describe('cleanText fast path', () => {
  it('gives the same answer as the full path for plain ASCII (property)', () => {
    fc.assert(
      fc.property(fc.string({ unit: fc.constantFrom(' ', 'a', 'Z', '0', '+', '~', '\t'), maxLength: 30 }), (s) => {
        const slow = s.normalize('NFC').replace(/[\u0000-\u001F\u007F-\u009F]/g, ' ').replace(/\s+/g, ' ').trim();
        expect(cleanText(s)).toBe(slow);
      }),
      { numRuns: 500 },
    );
  });
});
