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

describe('sanitizeDeep', () => {
  it('keeps a "__proto__" key from PBX JSON as a key, never as the result\'s prototype', () => {
    const out = sanitizeDeep(JSON.parse('{"name":"x","__proto__":{"polluted":"yes\\u200b"}}') as Record<string, unknown>);
    expect(Object.getPrototypeOf(out)).toBe(Object.prototype);
    expect((out as { polluted?: string }).polluted).toBeUndefined();
    expect(JSON.stringify(out)).toBe('{"name":"x","__proto__":{"polluted":"yes"}}');
  });

  it('bounds and flattens text under keys named like Object.prototype members, as under any other key', () => {
    const long = `line1\nline2 ${'x'.repeat(5000)}`;
    const out = sanitizeDeep(JSON.parse(JSON.stringify({ constructor: long, toString: long, note: 'a\nb' })) as Record<string, unknown>);
    for (const k of ['constructor', 'toString']) {
      expect(out[k]).toMatch(/^line1 line2 x+…$/);
      expect((out[k] as string).length).toBe(256);
    }
    expect(out.note).toBe('a\nb');
    const proto = sanitizeDeep(JSON.parse(`{"__proto__":${JSON.stringify(long)}}`) as Record<string, unknown>);
    expect(Object.getOwnPropertyDescriptor(proto, '__proto__')!.value).toHaveLength(256);
  });

  it('caps arrays at maxItems, in nested arrays too', () => {
    expect(sanitizeDeep({ a: [1, 2, 3, [4, 5, 6]] }, 3)).toEqual({ a: [1, 2, 3] });
    expect(sanitizeDeep([[1, 2, 3], 'b'], 2)).toEqual([[1, 2], 'b']);
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
  it('gives the same answer as the full path for plain ASCII, arrows and ellipses (property)', () => {
    fc.assert(
      fc.property(fc.string({ unit: fc.constantFrom(' ', 'a', 'Z', '0', '+', '~', '\t', '\u2192', '\u2026'), maxLength: 30 }), (s) => {
        const slow = s.normalize('NFC').replace(/[\u0000-\u001F\u007F-\u009F]/g, ' ').replace(/\s+/g, ' ').trim();
        expect(cleanText(s)).toBe(slow);
      }),
      { numRuns: 500 },
    );
  });
});

describe('cleanText: format, private-use and blank-looking characters (L4)', () => {
  // Invisible format characters (\p{Cf}) across the planes, private use (\p{Co}), and characters that render blank.
  const INVISIBLE = [
    '\u0600', '\u0601', '\u0602', '\u0603', '\u0604', '\u0605', '\u06DD', '\u070F', '\u0890', '\u08E2', '\u180E',
    '\u200D', '\u2064', '\u{110BD}', '\u{110CD}', '\u{13430}', '\u{1343F}', '\u{1BCA0}', '\u{1D173}', '\u{E0001}',
    '\uE000', '\uF8FF', '\u{F0000}', '\u{FFFFD}', '\u{100000}', '\u{10FFFD}',
    '\u034F', '\u2800', '\u115F', '\u1160', '\u3164', '\uFFA0',
  ];
  // What must never come out of either mode.
  // (In a u-flag class, a surrogate range matches only unpaired halves.)
  const FORBIDDEN = /[\p{Cf}\p{Co}\u034F\u2800\u115F\u1160\u3164\uFFA0\uD800-\uDFFF]/u;

  it.each(INVISIBLE.map((c) => [`U+${c.codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0')}`, c]))('strips %s in single- and multi-line fields', (_name, c) => {
    expect(cleanText(`a${c}b ${c}${c}c${c}`)).toBe('ab c');
    expect(cleanText(`a${c}b\n${c}c${c}`, 100, true)).toBe('ab\nc');
  });

  it('turns line and paragraph separators into newlines and other spaces into a space in multi-line fields', () => {
    expect(cleanText('a\u2028b\u2029c', 100, true)).toBe('a\nb\nc');
    expect(cleanText('a\u3000b\u00A0c\u2003d\u202Fe', 100, true)).toBe('a b c d e');
    expect(cleanText('a\u2028b\u3000c')).toBe('a b c');
    expect(cleanText('a,b\r\n\tc,d\n', 100, true)).toBe('a,b\r\n\tc,d\n');
  });

  it('keeps legitimate text intact: accents, CJK, Hangul, Arabic, Hebrew, Devanagari, emoji', () => {
    const samples = [
      'Crème brûlée à Zürich, Ærøskøbing, Łódź, Ñandú',
      '東京都渋谷区 — 北京市',
      '김철수 님',
      'مرحبا بالعالم ٣٤٥',
      'שלום עולם',
      'नमस्ते दुनिया',
      'Δοκιμή Привет',
      '😀 👍🏽 🇮🇹 ✅ 𝒳 𠜎',
    ];
    for (const s of samples) {
      expect(cleanText(s)).toBe(s);
      expect(cleanText(s, 1000, true)).toBe(s);
    }
    // Decomposed input comes back composed.
    expect(cleanText('Cre\u0300me')).toBe('Crème');
  });

  it('strips the zero-width joiner, so an emoji ZWJ sequence becomes its separate emoji (a documented choice)', () => {
    expect(cleanText('👨\u200D👩\u200D👧')).toBe('👨👩👧');
  });

  it('never pairs up lone surrogates around a stripped character (no tag character smuggled in)', () => {
    expect(cleanText('\uDB40\u200B\uDC49x')).toBe('\uFFFD\uFFFDx');
    expect(cleanText('\uD83D\u2064\uDE00', 100, true)).toBe('\uFFFD\uFFFD');
  });

  it('never leaves format, private-use or blank characters or lone surrogates, in either mode (property)', () => {
    const tricky = fc.constantFrom(
      'a', ' ', 'é', 'e', '\u0301', '\n', '\u2028', '\u3000', '\uDB40', '\uDC49', '\uD83D', '\uDE00',
      ...INVISIBLE, '\u200B', '\u202E', '\uFEFF', '\u{E0049}',
    );
    fc.assert(
      fc.property(
        fc.oneof(fc.string({ unit: 'binary', maxLength: 300 }), fc.string({ unit: tricky, maxLength: 300 })),
        fc.boolean(),
        (s, multi) => {
          const out = cleanText(s, 256, multi);
          expect(out).not.toMatch(FORBIDDEN);
          expect(out.length).toBeLessThanOrEqual(256);
          if (multi) expect(out).not.toMatch(/[\u2028\u2029\u3000]/);
        },
      ),
      { numRuns: 1000 },
    );
  });
});
