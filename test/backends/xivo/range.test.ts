/** The qualification export's day range: the bounds sent, and the rows kept, whatever XUC makes of the bounds. */
import { describe, expect, it } from 'vitest';
import { exportBounds, keepDays, nextDay } from '../../../src/backends/xivo/range.js';

describe('bounds', () => {
  it('dates: the first day to the day after the last, across months, years and a leap day', () => {
    expect(nextDay('2026-01-31')).toBe('2026-02-01');
    expect(nextDay('2025-12-31')).toBe('2026-01-01');
    expect(nextDay('2028-02-28')).toBe('2028-02-29');
    expect(nextDay('2026-02-28')).toBe('2026-03-01');
    expect(exportBounds('2026-01-05', '2026-01-05', 'dates')).toEqual(['2026-01-05', '2026-01-06']);
    expect(exportBounds('2026-01-05', '2026-01-07', 'times')).toEqual(['2026-01-05 00:00:00', '2026-01-07 23:59:59']);
  });
});

describe('keepDays', () => {
  // The doc's export sample, plus rows on the days around it, a comment with a comma and a newline, and a time that cannot be read.
  const CSV = [
    'sub_qualification_id,time,callid,agent,queue,first_name,last_name,comment,custom_data',
    '1,2018-03-20 23:59:59,before,1,1,john,doe,,',
    '1,2018-03-21 17:00:00,callid1,1,1,john,doe,some comment,some custom data',
    '1,2018-03-21 23:59:59,"late, ""quoted""",1,1,,,"two\nlines",',
    '1,2018-03-22 00:00:00,after,1,1,,,,',
    '1,soon,unreadable,1,1,,,,',
    '',
  ].join('\r\n');

  it('keeps the rows on the days asked for, and those whose time cannot be read', () => {
    const kept = keepDays(CSV, '2018-03-21', '2018-03-21');
    expect(kept).toContain('callid1');
    expect(kept).toContain('"late, ""quoted"""');
    expect(kept).toContain('"two\nlines"');
    expect(kept).toContain('unreadable');
    expect(kept).not.toContain('before');
    expect(kept).not.toContain('after');
    expect(kept.split('\r\n')[0]).toBe('sub_qualification_id,time,callid,agent,queue,first_name,last_name,comment,custom_data');
  });

  it('returns the answer unchanged when nothing is dropped, when it has no time column, or is not CSV', () => {
    expect(keepDays(CSV, '2018-03-01', '2018-03-31')).toBe(CSV);
    expect(keepDays('a,b\n1,2\n', '2018-03-21', '2018-03-21')).toBe('a,b\n1,2\n');
    expect(keepDays('"unterminated', '2018-03-21', '2018-03-21')).toBe('"unterminated');
    expect(keepDays('', '2018-03-21', '2018-03-21')).toBe('');
  });
});
