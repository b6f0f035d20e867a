import { beforeAll, describe, expect, it } from 'vitest';
import { DialPolicyConfig } from '../../src/safety/policy-config.js';
import { PolicyError } from '../../src/errors.js';
import { loadNumberingPlan } from '../../src/safety/numbering.js';
import { DialPolicy, checkCallerId, normalizeNumber } from '../../src/safety/policy.js';

beforeAll(() => loadNumberingPlan());

const policy = (cfg: Partial<DialPolicyConfig> = {}) => new DialPolicy(DialPolicyConfig.parse({ defaultCountry: 'IT', ...cfg }));

function rule(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (e) {
    if (e instanceof PolicyError) return e.rule;
    throw e;
  }
  return undefined;
}

describe('normalizing numbers', () => {
  it('strips spaces, dots, dashes and parentheses, and turns 00 into +', () => {
    expect(normalizeNumber(' +39 (06) 1234-5678 ')).toBe('+390612345678');
    expect(normalizeNumber('0039.06.1234.5678')).toBe('+390612345678');
    expect(normalizeNumber('201')).toBe('201');
  });

  it('refuses letters, separators, control characters and a misplaced +', () => {
    for (const bad of ['20a', 'tel:201', '201&202', '201,202', '201;202', '201/1', '201\n', '20\u00001', '2+01', '', '  ', '*72+39061', '201#', '"201"', 'ｆ201']) {
      expect(rule(() => normalizeNumber(bad)), JSON.stringify(bad)).toBe('malformed');
    }
  });
});

describe('dial policy rules', () => {
  it('lets internal extensions through without classification, exempt from confirmation by default', () => {
    expect(policy().check('202', 'call')).toMatchObject({ number: '202', internal: true, noConfirm: true, display: 'extension 202' });
    expect(policy({ confirmInternal: true }).check('202', 'call').noConfirm).toBe(false);
    expect(policy({ internalPattern: '^9[0-9]{3}$' }).check('9001', 'call').internal).toBe(true);
  });

  it('refuses emergency numbers: the universal ones and the configured country short codes, in any form', () => {
    for (const n of ['112', '911', '999', '000', '110', '118', '08']) expect(rule(() => policy().check(n, 'call')), n).toBe('emergency');
    for (const n of ['113', '115', '+39 112', '0039113']) expect(rule(() => policy().check(n, 'transfer')), n).toBe('emergency');
    expect(rule(() => policy({ defaultCountry: 'FR' }).check('15', 'call'))).toBe('emergency');
    expect(rule(() => policy({ defaultCountry: 'CH' }).check('144', 'call'))).toBe('emergency');
    // 113 is an emergency number in Italy, not in the US: there it is just a short extension.
    expect(policy({ defaultCountry: 'US' }).check('113', 'call').internal).toBe(true);
    const e = (() => {
      try {
        policy().check('112', 'call');
      } catch (err) {
        return err as PolicyError;
      }
    })();
    expect(e?.hint).toMatch(/from a handset/);
  });

  it('blocks premium rate, shared cost and personal numbers by default, classified by libphonenumber', () => {
    expect(rule(() => policy().check('899 123 456', 'call'))).toBe('number_type');
    expect(rule(() => policy({ allowInternational: true }).check('+1 900 555 0100', 'call'))).toBe('number_type');
    expect(rule(() => policy({ allowInternational: true }).check('+44 844 567 8901', 'call'))).toBe('number_type');
    expect(rule(() => policy({ allowInternational: true }).check('+44 70 1234 5678', 'call'))).toBe('number_type');
    expect(policy({ blockedTypes: [] }).check('899123456', 'call').display).toMatch(/premium rate/);
  });

  it('refuses international numbers by default; allowInternational and allowedCountryCodes open them', () => {
    expect(rule(() => policy().check('+41 44 668 18 00', 'call'))).toBe('international');
    expect(policy({ allowInternational: true }).check('+41 44 668 18 00', 'call').display).toMatch(/Switzerland, fixed line/);
    expect(policy({ allowedCountryCodes: ['CH'] }).check('+41 44 668 18 00', 'call').internal).toBe(false);
    expect(policy({ allowedCountryCodes: ['+41'] }).check('+41446681800', 'call').number).toBe('+41446681800');
    expect(rule(() => policy({ allowedCountryCodes: ['CH'] }).check('+33 1 42 68 53 00', 'call'))).toBe('international');
  });

  it('accepts domestic numbers in national and international form, and dials the international form it shows', () => {
    expect(policy().check('06 1234 5678', 'call')).toMatchObject({ number: '+390612345678', display: '+39 06 1234 5678 (Italy, fixed line)', noConfirm: false });
    expect(policy().check('+39 347 123 4567', 'forward').display).toMatch(/Italy, mobile/);
  });

  it('refuses invalid numbers and national numbers without a default country', () => {
    expect(rule(() => policy().check('+39 1', 'call'))).toBe('invalid_number');
    expect(rule(() => new DialPolicy(DialPolicyConfig.parse({})).check('0612345678', 'call'))).toBe('no_default_country');
    expect(rule(() => new DialPolicy(DialPolicyConfig.parse({})).check('+390612345678', 'call'))).toBe('international');
  });

  it('applies deny over allow, and allow only narrows', () => {
    const p = policy({ allow: ['+3906*', '06*'], deny: ['+39061234*'] });
    expect(rule(() => p.check('+39 06 1234 5678', 'call'))).toBe('deny');
    expect(p.check('+39 06 9999 9999', 'call').number).toBe('+390699999999');
    expect(rule(() => p.check('+39 347 123 4567', 'call'))).toBe('allow');
    expect(p.check('202', 'call').internal).toBe(true);
    expect(rule(() => policy({ deny: ['2??'] }).check('202', 'call'))).toBe('deny');
    expect(rule(() => policy({ deny: ['^\\+39347'] }).check('+393471234567', 'call'))).toBe('deny');
  });

  it('exempts numbers matching noConfirm from confirmation', () => {
    expect(policy({ noConfirm: ['+3906*'] }).check('+39 06 1234 5678', 'call').noConfirm).toBe(true);
    expect(policy().check('+39 06 1234 5678', 'call').noConfirm).toBe(false);
  });
});

describe('numbers that look internal but may leave the PBX', () => {
  it('refuses an emergency number behind an outside-line prefix (0 or 9), with a message that says so', () => {
    for (const [country, n] of [['US', '9911'], ['US', '9 911'], ['IT', '0112'], ['IT', '0113'], ['GB', '9999'], ['AU', '0000'], ['FR', '015']] as const) {
      expect(rule(() => policy({ defaultCountry: country }).check(n, 'call')), `${country} ${n}`).toBe('emergency');
    }
    expect(rule(() => new DialPolicy(DialPolicyConfig.parse({})).check('9112', 'transfer'))).toBe('emergency');
    expect(() => policy({ defaultCountry: 'US' }).check('9911', 'call')).toThrow(/9911 would reach the emergency number 911 through the outside-line prefix 9/);
    // Not an emergency number behind the prefix: an ordinary extension.
    expect(policy({ defaultCountry: 'US' }).check('9201', 'call')).toMatchObject({ internal: true, noConfirm: true, display: 'extension 9201' });
  });

  it("without a default country, another country's emergency number needs confirmation and says why", () => {
    const p = new DialPolicy(DialPolicyConfig.parse({}));
    for (const n of ['15', '17', '18', '100', '9100']) {
      const c = p.check(n, 'call');
      expect(c, n).toMatchObject({ internal: true, noConfirm: false });
      expect(c.display, n).toMatch(/^extension [0-9]+ \(also an emergency number (behind an outside-line prefix 9 )?in [A-Z].*; no defaultCountry is configured to tell\)$/);
    }
    expect(p.check('15', 'call').display).toMatch(/France/);
    expect(p.check('201', 'call')).toMatchObject({ noConfirm: true, display: 'extension 201' });
    // An administrator who knows 100 is an extension says so.
    expect(new DialPolicy(DialPolicyConfig.parse({ noConfirm: ['100'] })).check('100', 'call').noConfirm).toBe(true);
  });

  it('with a default country, a short number known to cost (premium or standard rate) needs confirmation', () => {
    const premium = policy().check('1254', 'call');
    expect(premium).toMatchObject({ internal: true, noConfirm: false });
    expect(premium.display).toBe('extension 1254 (also the premium-rate short number 1254 in Italy)');
    expect(policy({ defaultCountry: 'FR' }).check('3624', 'call').display).toMatch(/premium-rate short number 3624 in France/);
    expect(policy({ defaultCountry: 'CH' }).check('1811', 'call').noConfirm).toBe(false);
    expect(policy({ noConfirm: ['1254'] }).check('1254', 'call').noConfirm).toBe(true);
    // Plain extensions stay unconfirmed, also where the metadata knows a short number of unknown cost.
    expect(policy().check('202', 'call').noConfirm).toBe(true);
    expect(policy({ defaultCountry: 'US' }).check('4000', 'call')).toMatchObject({ noConfirm: true, display: 'extension 4000' });
  });
});

describe('costly short codes behind an outside-line prefix (issue 13, finding 2)', () => {
  /**
   * Every premium- or standard-rate short number of 2 to 4 digits in the country's metadata, behind 0 and behind
   * 9 (within the default internalPattern of up to 5 digits): how many of those forms the policy lets through
   * without a question. The issue counted 200 in Italy, 1,812 in France, 454 in Spain and 48 in Switzerland;
   * this count on the unfixed policy gives 200, 1,812, 467 and 48.
   */
  function unconfirmedPrefixedForms(country: string): { forms: number; unconfirmed: string[] } {
    const p = policy({ defaultCountry: country });
    const unconfirmed: string[] = [];
    let forms = 0;
    for (let len = 2; len <= 4; len++) {
      for (let i = 0; i < 10 ** len; i++) {
        const code = String(i).padStart(len, '0');
        let direct;
        try {
          direct = p.check(code, 'call');
        } catch {
          continue; // an emergency number, refused whatever precedes it
        }
        if (!/\(also the (premium|standard)-rate short number /.test(direct.display)) continue;
        for (const prefix of ['0', '9']) {
          forms++;
          let c;
          try {
            c = p.check(prefix + code, 'call');
          } catch {
            continue;
          }
          if (c.noConfirm || !/short number \d+ in /.test(c.display)) unconfirmed.push(prefix + code);
        }
      }
    }
    return { forms, unconfirmed };
  }

  for (const country of ['IT', 'FR', 'ES', 'CH']) {
    it(`${country}: every form is asked about, as the code itself is`, () => {
      const { forms, unconfirmed } = unconfirmedPrefixedForms(country);
      expect(forms).toBeGreaterThan(40);
      expect(unconfirmed).toEqual([]);
    });
  }

  it('labels them for what they reach, and counts a transfer to them against the rates', () => {
    expect(policy().check('91254', 'call')).toMatchObject({
      internal: true,
      noConfirm: false,
      mayLeave: true,
      display: 'extension 91254 (behind an outside-line prefix 9: the premium-rate short number 1254 in Italy)',
    });
    expect(policy().check('202', 'transfer')).toMatchObject({ mayLeave: false, noConfirm: true });
    // A national number whose digits behind the 0 are a premium one: both readings, and always asked.
    const salerno = policy({ noConfirm: ['+39*'] }).check('0899123456', 'call');
    expect(salerno.noConfirm).toBe(false);
    expect(salerno.display).toBe('+39 089 912 3456 (Italy, fixed line; dialled as this number, not as +39 899 123 456 (Italy, premium rate), which 0 as an outside-line prefix would reach)');
    expect(salerno.number).toBe('+390899123456');
    expect(policy().check('0612345678', 'call').display).toBe('+39 06 1234 5678 (Italy, fixed line)');
  });
});

describe('patterns match the number however it is written', () => {
  it('a deny pattern in international form also refuses the national and IDD spellings', () => {
    expect(rule(() => policy({ deny: ['+3906*'] }).check('06 1234 5678', 'call'))).toBe('deny');
    expect(() => policy({ deny: ['+3906*'] }).check('06 1234 5678', 'call')).toThrow(/0612345678 \(\+390612345678\) matches the deny pattern/);
    expect(rule(() => policy({ defaultCountry: 'US', allowedCountryCodes: ['+44'], deny: ['+4420*'] }).check('011 44 20 7946 0000', 'call'))).toBe('deny');
    expect(rule(() => policy({ deny: ['06*'] }).check('+39 06 1234 5678', 'call'))).toBe('deny');
  });

  it('allow and noConfirm patterns too', () => {
    expect(policy({ allow: ['+3906*'] }).check('06 1234 5678', 'call').number).toBe('+390612345678');
    expect(rule(() => policy({ allow: ['+3906*'] }).check('02 1234 5678', 'call'))).toBe('allow');
    expect(policy({ noConfirm: ['+3906*'] }).check('06 1234 5678', 'call').noConfirm).toBe(true);
  });
});

describe('caller ID', () => {
  it("must be one of the PBX's own numbers", () => {
    expect(checkCallerId('+39 06 1111 2222', ['+390611112222'])).toBe('+390611112222');
    expect(rule(() => checkCallerId('+390699999999', ['+390611112222']))).toBe('caller_id');
    expect(rule(() => checkCallerId('+390611112222', []))).toBe('caller_id');
    expect(rule(() => checkCallerId('+39 06 x', ['+390611112222']))).toBe('malformed');
  });
});

describe('policy config', () => {
  it('has the documented defaults', () => {
    expect(DialPolicyConfig.parse({})).toEqual({
      allow: [],
      deny: [],
      internalPattern: '^[0-9]{2,5}$',
      allowInternational: false,
      allowedCountryCodes: [],
      blockedTypes: ['PREMIUM_RATE', 'SHARED_COST', 'PERSONAL_NUMBER'],
      maxCallsPerMinute: 10,
      maxCallsPerMinutePerPbx: 60,
      maxConcurrentCalls: 5,
      noConfirm: [],
      confirmInternal: false,
    });
  });

  it('refuses bad patterns and country codes', () => {
    expect(DialPolicyConfig.safeParse({ deny: ['+39 06*'] }).success).toBe(false);
    expect(DialPolicyConfig.safeParse({ deny: ['^(unclosed'] }).success).toBe(false);
    expect(DialPolicyConfig.safeParse({ defaultCountry: 'Italy' }).success).toBe(false);
    expect(DialPolicyConfig.safeParse({ allowedCountryCodes: ['+1234'] }).success).toBe(false);
  });
});
