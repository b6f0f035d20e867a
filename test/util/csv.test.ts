import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CsvError, parseCsv, parseCsvRecords, toCsv } from '../../src/util/csv.js';

describe('CSV (RFC 4180)', () => {
  it('reads quoted fields, doubled quotes, embedded commas and newlines, CRLF or LF, a BOM, blank lines', () => {
    expect(parseCsv('\uFEFFa,"b,c","d ""e""",\r\n\r\n"multi\nline",x\n')).toEqual([
      ['a', 'b,c', 'd "e"', ''],
      ['multi\nline', 'x'],
    ]);
    expect(parseCsv('')).toEqual([]);
    expect(() => parseCsv('"open')).toThrow(CsvError);
    expect(() => parseCsv('ab"c')).toThrow(CsvError);
  });

  it('round-trips any table (property)', () => {
    fc.assert(
      fc.property(fc.array(fc.array(fc.string({ maxLength: 10 }), { minLength: 2, maxLength: 5 }), { minLength: 1, maxLength: 10 }), (rows) => {
        const width = rows[0]!.length;
        const table = rows.map((r) => Array.from({ length: width }, (_, i) => r[i] ?? 'x'));
        expect(parseCsv(toCsv(table))).toEqual(table);
      }),
      { numRuns: 300 },
    );
  });

  it('keys records by lower-cased header with line numbers', () => {
    expect(parseCsvRecords('FirstName,lastname\nAda,Lovelace\n')).toEqual({
      headers: ['firstname', 'lastname'],
      records: [{ line: 2, values: { firstname: 'Ada', lastname: 'Lovelace' } }],
    });
  });
});
