/** Decoding vendor answers: declared charsets, XML declarations, and the guess when nothing is declared. */
import { describe, expect, it } from 'vitest';
import { decodeBody } from '../../src/backends/charset.js';

const NAME = 'Zoë Müller';
const latin1 = (s: string) => Buffer.from(s, 'latin1');

describe('decodeBody', () => {
  it('ASCII and UTF-8 come out as they are, with or without a charset', () => {
    expect(decodeBody(Buffer.from('plain, ascii\n'))).toBe('plain, ascii\n');
    expect(decodeBody(Buffer.from(NAME, 'utf8'))).toBe(NAME);
    expect(decodeBody(Buffer.from(NAME, 'utf8'), 'application/json; charset=utf-8')).toBe(NAME);
  });

  it('honours a Content-Type charset, quoted or not, in any case', () => {
    expect(decodeBody(latin1(NAME), 'text/csv; charset=ISO-8859-1')).toBe(NAME);
    expect(decodeBody(latin1(NAME), 'text/csv;Charset="iso-8859-1"')).toBe(NAME);
    expect(decodeBody(Buffer.from(NAME, 'utf16le'), 'text/plain; charset=utf-16le')).toBe(NAME);
  });

  it('honours the encoding of an XML declaration; the Content-Type charset wins over it', () => {
    const xml = `<?xml version="1.0" encoding="ISO-8859-1"?><string>${NAME}</string>`;
    expect(decodeBody(latin1(xml), 'text/xml')).toBe(xml);
    const utf8Xml = `<?xml version='1.0' encoding='ISO-8859-1'?><s>${NAME}</s>`;
    expect(decodeBody(Buffer.from(utf8Xml, 'utf8'), 'text/xml; charset=utf-8')).toBe(utf8Xml);
  });

  it('without a usable declaration, invalid UTF-8 is read as Windows-1252 (Latin-1 plus € and friends)', () => {
    expect(decodeBody(latin1(`1236606951.132,99532356420,${NAME},WAITING`))).toBe(`1236606951.132,99532356420,${NAME},WAITING`);
    expect(decodeBody(latin1(NAME), 'text/html; charset=UTF-8')).toBe(NAME);
    expect(decodeBody(Buffer.from([0x80, 0x20, 0x35]), 'text/plain; charset=x-unknown-charset')).toBe('€ 5');
  });
});
