/**
 * Calling hours, with the clock injected: windows in the callee's local time (DST included), across midnight, by
 * day of the week, in every zone of a country the number does not narrow, the opening time named, the uses and
 * numbers they apply to, and config errors that name the key.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config.js';
import { DialPolicyConfig } from '../../src/safety/policy-config.js';
import { CallingHours, nextOpening } from '../../src/safety/hours.js';
import { ConfigError, PolicyError } from '../../src/errors.js';
import { loadNumberingPlan } from '../../src/safety/numbering.js';
import { DialPolicy } from '../../src/safety/policy.js';
import type { DialUse } from '../../src/safety/dialing.js';
import { compileSchedule } from '../../src/safety/outbound-config.js';

beforeAll(() => loadNumberingPlan());

/** A policy with calling hours `hours`, at the instant `at` (ISO). */
function policy(hours: Record<string, unknown>, at: string, extra: Record<string, unknown> = {}) {
  const cfg = DialPolicyConfig.parse({ defaultCountry: 'IT', allowInternational: true, callingHours: hours, ...extra });
  return new DialPolicy(cfg, [new CallingHours(cfg.callingHours!, cfg.defaultCountry, () => Date.parse(at))]);
}

/** The refusal's message (without the rule prefix), or 'ok'. */
function verdict(p: DialPolicy, number: string, use: DialUse = 'call'): string {
  try {
    p.check(number, use);
    return 'ok';
  } catch (e) {
    if (!(e instanceof PolicyError)) throw e;
    expect(e.rule).toBe('calling_hours');
    expect(e.code).toBe('policy.calling_hours');
    return e.message.replace('Refused by the dial policy (rule: calling_hours): ', '');
  }
}

const ROME = '+39 06 1234 5678';

describe('calling hours', () => {
  it('refuses outside the window in the callee\'s time, naming the local time and when the window opens', () => {
    // 20:40 UTC is 21:40 in Rome in March (CET).
    const p = policy({ IT: '09:00-20:00' }, '2026-03-02T20:40:00Z');
    expect(verdict(p, ROME)).toBe('It is 21:40 in Rome; calls to Italy are allowed from 09:00 tomorrow.');
    expect(verdict(policy({ IT: '09:00-20:00' }, '2026-03-02T06:15:00Z'), ROME)).toBe('It is 07:15 in Rome; calls to Italy are allowed from 09:00.');
    expect(verdict(policy({ IT: '09:00-20:00' }, '2026-03-02T10:00:00Z'), ROME)).toBe('ok');
    // The end is exclusive: 20:00 is out.
    expect(verdict(policy({ IT: '09:00-20:00' }, '2026-03-02T19:00:00Z'), ROME)).toMatch(/^It is 20:00 in Rome/);
    expect(verdict(policy({ IT: '09:00-20:00' }, '2026-03-02T18:59:59Z'), ROME)).toBe('ok');
  });

  it('reads the window in local time across a DST change', () => {
    // Rome moves to CEST (UTC+2) at 01:00 UTC on 2026-03-29: 07:30 UTC is 08:30 the day before, 09:30 that day.
    expect(verdict(policy({ IT: '09:00-20:00' }, '2026-03-28T07:30:00Z'), ROME)).toBe('It is 08:30 in Rome; calls to Italy are allowed from 09:00.');
    expect(verdict(policy({ IT: '09:00-20:00' }, '2026-03-29T07:30:00Z'), ROME)).toBe('ok');
    // The opening named across the change is on the local clock: 09:00 CEST is 07:00 UTC.
    const s = compileSchedule('09:00-20:00', [], [])!;
    expect(new Date(nextOpening(s, ['Europe/Rome'], Date.parse('2026-03-28T20:00:00Z'))!).toISOString()).toBe('2026-03-29T07:00:00.000Z');
  });

  it('takes windows across midnight', () => {
    const at = (utc: string) => verdict(policy({ IT: '22:00-06:00' }, utc), ROME);
    expect(at('2026-01-10T22:00:00Z')).toBe('ok'); // 23:00
    expect(at('2026-01-11T04:59:00Z')).toBe('ok'); // 05:59
    expect(at('2026-01-11T05:00:00Z')).toBe('It is 06:00 in Rome; calls to Italy are allowed from 22:00.');
    expect(verdict(policy({ IT: '00:00-24:00' }, '2026-01-11T05:00:00Z'), ROME)).toBe('ok');
  });

  it('takes days of the week; a window across midnight belongs to the day it starts', () => {
    // 2026-01-10 is a Saturday.
    const weekdays = { IT: { hours: '09:00-18:00', days: ['mon-fri'] } };
    expect(verdict(policy(weekdays, '2026-01-10T10:00:00Z'), ROME)).toBe('It is 11:00 in Rome; calls to Italy are allowed from 09:00 on Monday.');
    expect(verdict(policy(weekdays, '2026-01-12T10:00:00Z'), ROME)).toBe('ok');
    const friday = { IT: { hours: '22:00-06:00', days: ['fri'] } };
    expect(verdict(policy(friday, '2026-01-10T01:00:00Z'), ROME)).toBe('ok'); // Saturday 02:00, Friday's window
    expect(verdict(policy(friday, '2026-01-10T22:00:00Z'), ROME)).toBe('It is 23:00 in Rome; calls to Italy are allowed from 22:00 on Friday.');
    // Two windows a day, other hours on Saturday.
    const split = { IT: [{ hours: ['10:00-13:00', '14:00-20:00'], days: ['mon-fri'] }, { hours: '10:00-12:00', days: ['sat'] }] };
    expect(verdict(policy(split, '2026-01-12T12:30:00Z'), ROME)).toBe('It is 13:30 in Rome; calls to Italy are allowed from 14:00.');
    expect(verdict(policy(split, '2026-01-10T10:30:00Z'), ROME)).toBe('ok');
    expect(verdict(policy(split, '2026-01-10T11:30:00Z'), ROME)).toBe('It is 12:30 in Rome; calls to Italy are allowed from 10:00 on Monday.');
  });

  it("where a country has several zones and the number does not narrow it, holds the window in all of them", () => {
    const us = { US: '08:00-21:00' };
    const ny = '+1 212 555 0123';
    // 18:30 UTC in January: 13:30 in New York, 08:30 in Honolulu and Adak.
    expect(verdict(policy(us, '2026-01-15T18:30:00Z'), ny)).toBe('ok');
    // An hour earlier it is 07:30 in Adak (the first of the US zones to fail).
    expect(verdict(policy(us, '2026-01-15T17:30:00Z'), ny)).toBe(
      'It is 07:30 in Adak; calls to the United States are allowed from 08:00 there: the calling hours (08:00-21:00) must hold in all 29 of its time zones, and the number does not tell which.',
    );
    // 02:30 UTC is 21:30 in New York: open again when Adak reaches 08:00 (18:00 UTC).
    expect(verdict(policy(us, '2026-01-16T02:30:00Z'), ny)).toBe(
      'It is 21:30 in Detroit; calls to the United States are allowed from 13:00 tomorrow there: the calling hours (08:00-21:00) must hold in all 29 of its time zones, and the number does not tell which.',
    );
    // Russia spans eleven hours: a one-hour window never holds in all its zones.
    expect(verdict(policy({ RU: '09:00-10:00' }, '2026-01-15T06:30:00Z'), '+7 495 123 45 67')).toMatch(
      /calls to Russia are never allowed: the calling hours \(09:00-10:00\) never hold in all 26 of its time zones at once\.$/,
    );
  });

  it('uses `default` for countries not listed, and leaves them alone without it', () => {
    const paris = '+33 1 23 45 67 89';
    expect(verdict(policy({ IT: '09:00-20:00' }, '2026-03-02T22:00:00Z'), paris)).toBe('ok');
    expect(verdict(policy({ IT: '09:00-20:00', default: '08:00-21:00' }, '2026-03-02T22:00:00Z'), paris)).toBe(
      'It is 23:00 in Paris; calls to France are allowed from 08:00 tomorrow.',
    );
  });

  it('applies to calls and transfers, not to forwarding or scheduled callbacks (they ring nobody now)', () => {
    const p = policy({ IT: '09:00-20:00' }, '2026-03-02T22:00:00Z');
    expect(verdict(p, ROME, 'transfer')).toMatch(/^It is 23:00 in Rome/);
    expect(verdict(p, ROME, 'forward')).toBe('ok');
    expect(verdict(p, ROME, 'callback')).toBe('ok');
  });

  it('leaves internal extensions alone unless `internal` is configured (read where defaultCountry is)', () => {
    const night = '2026-03-02T22:00:00Z';
    expect(verdict(policy({ default: '09:00-20:00' }, night), '202')).toBe('ok');
    expect(verdict(policy({ default: '09:00-20:00', internal: '07:00-21:00' }, night), '202')).toBe(
      'It is 23:00 in Rome; calls to extensions are allowed from 07:00 tomorrow.',
    );
  });

  it('refuses a number of no country when `default` applies, unless nonGeographic sets hours (in UTC)', () => {
    const intlFree = '+800 1234 5678';
    expect(verdict(policy({ IT: '09:00-20:00' }, '2026-03-02T22:00:00Z'), intlFree)).toBe('ok');
    expect(verdict(policy({ default: '09:00-20:00' }, '2026-03-02T12:00:00Z'), intlFree)).toMatch(/belongs to no country .* cannot be checked$/);
    expect(verdict(policy({ default: '09:00-20:00', nonGeographic: '00:00-24:00' }, '2026-03-02T22:00:00Z'), intlFree)).toBe('ok');
    expect(verdict(policy({ nonGeographic: '08:00-20:00' }, '2026-03-02T22:00:00Z'), intlFree)).toBe(
      'It is 22:00 UTC; calls to +800 1234 5678 (a number of no country; hours read in UTC) are allowed from 08:00 tomorrow.',
    );
  });

  it('says what to do in the hint, and never reaches a PBX (the policy throws before)', () => {
    try {
      policy({ IT: '09:00-20:00' }, '2026-03-02T22:00:00Z').check(ROME, 'call');
      expect.unreachable();
    } catch (e) {
      expect((e as PolicyError).hint).toBe('Nothing was dialled. Try again then; an administrator can change safety.dialPolicy.callingHours.IT.');
    }
  });
});

describe('calling hours config', () => {
  const bad = (hours: unknown) => {
    try {
      parseConfig({ pbxes: { demo: { type: 'sim' } }, safety: { dialPolicy: { callingHours: hours } } }, { env: {} });
    } catch (e) {
      expect(e).toBeInstanceOf(ConfigError);
      return (e as Error).message.split('\n').slice(1).map((l) => l.trim());
    }
    return [];
  };

  it('names the key and says what is expected', () => {
    expect(bad({ UK: '09:00-20:00' })).toEqual(['safety.dialPolicy.callingHours.UK: "UK" is an old or informal code: write "GB" (the United Kingdom)']);
    expect(bad({ XK: '09:00-20:00' })).toEqual(['safety.dialPolicy.callingHours.XK: the time-zone data has no zone for "XK": use the ISO 3166 code of a country']);
    expect(bad({ it: '09:00-20:00' })[0]).toMatch(/^safety\.dialPolicy\.callingHours\.it: unknown key: use an ISO 3166 country code in capitals/);
    expect(bad({ IT: '9-20' })).toEqual(['safety.dialPolicy.callingHours.IT: a window "HH:MM-HH:MM" in 24-hour time, e.g. "09:00-20:00" (or "22:00-06:00" across midnight)']);
    expect(bad({ IT: '25:00-26:00' })[0]).toMatch(/^safety\.dialPolicy\.callingHours\.IT: "25:00-26:00" is not a time of day/);
    expect(bad({ IT: '09:00-09:00' })[0]).toMatch(/starts and ends at the same time; the whole day is "00:00-24:00"$/);
    expect(bad({ default: { hours: ['09:00-12:00', 'x'] } })).toEqual([
      'safety.dialPolicy.callingHours.default.hours.1: a window "HH:MM-HH:MM" in 24-hour time, e.g. "09:00-20:00" (or "22:00-06:00" across midnight)',
    ]);
    expect(bad({ FR: { hours: '10:00-20:00', days: ['mon', 'sunday'] } })[0]).toMatch(/^safety\.dialPolicy\.callingHours\.FR\.days\.1: "sunday" is not a day/);
    expect(bad({ FR: { hours: '10:00-20:00', when: 'weekdays' } })[0]).toMatch(/^safety\.dialPolicy\.callingHours\.FR: when: unknown key/);
    expect(bad({ FR: [] })[0]).toMatch(/^safety\.dialPolicy\.callingHours\.FR: one to fourteen rules/);
  });

  it('accepts the documented forms', () => {
    const cfg = DialPolicyConfig.parse({
      callingHours: { default: '08:00-21:00', IT: '09:00-20:00', FR: [{ hours: ['10:00-13:00', '14:00-20:00'], days: ['mon-fri'] }], internal: '07:00-22:00' },
    });
    expect(Object.keys(cfg.callingHours!)).toEqual(['default', 'IT', 'FR', 'internal']);
  });
});
