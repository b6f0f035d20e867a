/**
 * The dial policy: every number any tool would dial (a call, a transfer target, a forwarding destination)
 * passes here before a backend is touched. It normalizes the number, refuses anything that is not plainly a
 * phone number, and applies the configured rules. Numbers are classified, and emergency and short codes found,
 * with Google's libphonenumber and its short-number metadata (numbering.ts).
 */
import type lpn from 'google-libphonenumber';
import type { Dialable } from '../backends/backend.js';
import { PolicyError } from '../errors.js';
import type { CheckedNumber, DialUse, OutboundRule } from './dialing.js';
import { loadedPlan as loaded, loadNumberingPlan, type NumberType } from './numbering.js';
import type { DialPolicyConfig } from './policy-config.js';
import { regionName } from './zones.js';

/** Emergency numbers refused whatever the configured country. */
export const UNIVERSAL_EMERGENCY = ['112', '911', '999', '000', '110', '118', '119', '08'];

/** The country calling code and national part of a +number, even one too short to be valid (+39 112). */
function splitInternational(n: string): { regions: lpn.RegionCode[]; national: string } | undefined {
  const { phoneUtil } = loaded();
  try {
    const p = phoneUtil.parse(n, 'ZZ');
    // The main region of the calling code: regions sharing a code share their emergency numbers (+1: 911).
    return { regions: [phoneUtil.getRegionCodeForCountryCode(p.getCountryCodeOrDefault()) as lpn.RegionCode], national: phoneUtil.getNationalSignificantNumber(p) };
  } catch {
    return undefined;
  }
}

/** google-libphonenumber's ShortNumberInfo.ShortNumberCost values. */
const SHORT_COST = { TOLL_FREE: 0, STANDARD_RATE: 1, PREMIUM_RATE: 2, UNKNOWN_COST: 3 } as const;
const SHORT_COST_WORDS: Record<number, string> = { 1: 'standard-rate', 2: 'premium-rate' };

const TYPE_WORDS: Record<string, string> = {
  PREMIUM_RATE: 'premium rate',
  SHARED_COST: 'shared cost',
  PERSONAL_NUMBER: 'personal number',
  UAN: 'universal access number',
  VOIP: 'VoIP',
  TOLL_FREE: 'toll free',
  MOBILE: 'mobile',
  FIXED_LINE: 'fixed line',
  FIXED_LINE_OR_MOBILE: 'fixed line or mobile',
  PAGER: 'pager',
  VOICEMAIL: 'voicemail',
};

/**
 * Strip the separators people write (spaces, dots, dashes, parentheses), turn a leading 00 into +, and refuse
 * everything else: letters, other separators, control characters, a + anywhere but first.
 */
export function normalizeNumber(raw: string): string {
  if (/[\u0000-\u001f\u007f-\u009f]/.test(raw)) {
    throw new PolicyError('malformed', 'the number contains control characters');
  }
  const trimmed = raw.trim();
  if (/\p{L}/u.test(trimmed)) {
    throw new PolicyError('malformed', 'the number contains letters; give digits only (with an optional leading +)');
  }
  const bad = trimmed.match(/[^0-9+\s.()-]/);
  if (bad) {
    throw new PolicyError(
      'malformed',
      `the number contains "${bad[0] === '"' ? 'a quote' : bad[0]}", which is not part of a phone number (only digits, a leading +, spaces, dots, dashes and parentheses)`,
    );
  }
  const digits = trimmed.replace(/[\s.()-]/g, '');
  // 00 is the international prefix only before a country code (which never starts with 0): 000 is Australia's
  // emergency number, and 0000 may be 000 behind an outside-line prefix.
  const n = /^00[1-9]/.test(digits) ? `+${digits.slice(2)}` : digits;
  if (!/^\+?[0-9]{1,20}$/.test(n)) {
    throw new PolicyError('malformed', n.length === 0 ? 'the number is empty' : 'a + may only start the number, followed by digits');
  }
  return n;
}

function globToRegExp(p: string): RegExp {
  if (p.startsWith('^')) return new RegExp(p);
  const body = p.replace(/[+]/g, '\\+').replace(/\*/g, '[0-9]*').replace(/\?/g, '[0-9]');
  return new RegExp(`^${body}$`);
}

/** A caller ID must be one of the numbers the PBX entry lists as its own. */
export function checkCallerId(raw: string, owned: readonly string[]): Dialable {
  const n = normalizeNumber(raw);
  if (!owned.some((o) => normalizeNumber(o) === n)) {
    throw new PolicyError(
      'caller_id',
      owned.length
        ? `${n} is not one of this PBX's own numbers (${owned.join(', ')}), so it cannot be used as caller ID`
        : `this PBX lists no numbers of its own (ownedNumbers), so no caller ID can be chosen`,
      'Use one of the ownedNumbers of this PBX entry, or leave the caller ID out. Nothing was dialled.',
    );
  }
  return n as Dialable;
}

/** What a national number dials behind the outside-line prefix PBXs commonly use (0 or 9), if it starts with one. */
function afterOutsidePrefix(n: string): string | undefined {
  return /^[09][0-9]/.test(n) ? n.slice(1) : undefined;
}

export class DialPolicy {
  private readonly allow: RegExp[];
  private readonly deny: RegExp[];
  private readonly noConfirm: RegExp[];
  private readonly internal: RegExp;
  private readonly country: string | undefined;
  private readonly allowedRegions: Set<string>;
  private readonly allowedCallingCodes: Set<string>;

  constructor(
    private readonly cfg: DialPolicyConfig,
    /** Calling hours and do-not-call lists (outbound.ts), applied after the rules below. */
    private readonly outbound: readonly OutboundRule[] = [],
  ) {
    this.allow = cfg.allow.map(globToRegExp);
    this.deny = cfg.deny.map(globToRegExp);
    this.noConfirm = cfg.noConfirm.map(globToRegExp);
    this.internal = globToRegExp(cfg.internalPattern);
    this.country = cfg.defaultCountry;
    this.allowedRegions = new Set(cfg.allowedCountryCodes.filter((c) => /^[A-Z]{2}$/.test(c)));
    this.allowedCallingCodes = new Set(cfg.allowedCountryCodes.filter((c) => !/^[A-Z]{2}$/.test(c)).map((c) => c.replace('+', '')));
  }

  /** Resolves once the policy can check numbers (the numbering plan is loaded). */
  ready(): Promise<unknown> {
    return loadNumberingPlan();
  }

  private isEmergency(n: string): boolean {
    const { shortInfo } = loaded();
    if (UNIVERSAL_EMERGENCY.includes(n)) return true;
    if (this.country && !n.startsWith('+') && shortInfo.connectsToEmergencyNumber(n, this.country as lpn.RegionCode)) return true;
    if (n.startsWith('+')) {
      // +39 112 and the like: the national part of an international number can still be an emergency code.
      const split = splitInternational(n);
      if (split && UNIVERSAL_EMERGENCY.includes(split.national)) return true;
      if (split?.regions.some((r) => shortInfo.connectsToEmergencyNumber(split.national, r))) return true;
    }
    return false;
  }

  /**
   * The emergency number `n` would reach, itself or behind an outside-line prefix: PBXs commonly put 0 or 9 before
   * an outside number, so 9911 or 0112 on an internal-looking number still reaches 911 or 112.
   */
  private emergencyBehind(n: string): { reached: string; viaPrefix?: string } | undefined {
    if (this.isEmergency(n)) return { reached: n };
    const behind = afterOutsidePrefix(n);
    if (behind && this.isEmergency(behind)) return { reached: behind, viaPrefix: n[0]! };
    return undefined;
  }

  /**
   * Why an internal-looking number may not be internal, for the confirmation a person sees; undefined when it is
   * plainly an extension. With a default country: a short number valid there that is known to cost (a premium
   * directory service such as 1254 in Italy). Without one: an emergency number of some country (15 in France),
   * itself or behind an outside-line prefix, since the policy cannot tell which country's plan the PBX dials in.
   */
  private outsideMeaning(n: string): string | undefined {
    const { shortInfo, phoneUtil } = loaded();
    if (this.country) {
      // The code itself, or the same code behind an outside-line prefix (91254 dials 1254 where 9 takes a line),
      // exactly as the emergency check reads it.
      const direct = this.costlyShort(n);
      if (direct) return `also the ${direct} short number ${n} in ${regionName(this.country)}`;
      const behind = afterOutsidePrefix(n);
      const via = behind === undefined ? undefined : this.costlyShort(behind);
      if (via) return `behind an outside-line prefix ${n[0]}: the ${via} short number ${behind} in ${regionName(this.country)}`;
      return undefined;
    }
    const behind = afterOutsidePrefix(n);
    const candidates = behind ? [n, behind] : [n];
    for (const c of candidates) {
      const regions = phoneUtil.getSupportedRegions().filter((r) => shortInfo.isEmergencyNumber(c, r));
      if (regions.length) {
        const names = regions.slice(0, 3).map((r) => regionName(r) ?? r);
        const more = regions.length > 3 ? ` and ${regions.length - 3} more` : '';
        const how = c === n ? '' : ` behind an outside-line prefix ${n[0]}`;
        return `also an emergency number${how} in ${names.join(', ')}${more}; no defaultCountry is configured to tell`;
      }
    }
    return undefined;
  }

  /** "premium-rate" or "standard-rate" when `n` is a short number of the default country known to cost. */
  private costlyShort(n: string): string | undefined {
    const { shortInfo, phoneUtil } = loaded();
    const region = this.country as lpn.RegionCode;
    let parsed: lpn.PhoneNumber;
    try {
      parsed = phoneUtil.parse(n, region);
    } catch {
      return undefined;
    }
    if (!shortInfo.isValidShortNumberForRegion(parsed, region)) return undefined;
    // Only short numbers known to cost: "unknown cost" covers whole ranges (US 4-digit SMS codes) that would put
    // ordinary extensions behind a confirmation.
    const cost = shortInfo.getExpectedCostForRegion(parsed, region);
    return cost === SHORT_COST.PREMIUM_RATE || cost === SHORT_COST.STANDARD_RATE ? SHORT_COST_WORDS[cost] : undefined;
  }

  /**
   * The other reading of a national number whose first digit may have been typed as an outside-line prefix (0 or
   * 9), when the digits behind it are a number of a blocked type: 0899 123456 is a Salerno fixed line, or the
   * premium-rate 899 123 456 behind the outside line 0. It is dialled in international form, so the PBX reaches
   * the first reading; the person is told which, and that it is not the second. Undefined when nothing costly hides
   * behind the prefix.
   */
  private behindOutsideLine(n: string): { display: string } | undefined {
    const behind = n.startsWith('+') || !this.country ? undefined : afterOutsidePrefix(n);
    if (behind === undefined) return undefined;
    const q = loaded().parse(behind, this.country);
    const type = q?.isValid() ? q.getType() : undefined;
    if (!q || !type || !(this.cfg.blockedTypes as string[]).includes(type)) return undefined;
    const place = q.country ? regionName(q.country) : `+${q.countryCallingCode}`;
    return {
      display: `dialled as this number, not as ${q.formatInternational()} (${place}, ${TYPE_WORDS[type] ?? type.toLowerCase()}), which ${n[0]} as an outside-line prefix would reach`,
    };
  }

  /**
   * Check a number for `use`. Returns the number to dial (an extension as typed, an outside number in E.164 form,
   * as its confirmation shows it), or throws a PolicyError naming the rule.
   */
  check(raw: string, use: DialUse): CheckedNumber {
    const n = normalizeNumber(raw);
    const what = use === 'call' ? 'call' : use === 'transfer' ? 'transfer to' : use === 'forward' ? 'forward to' : 'schedule a callback to';
    const emergency = this.emergencyBehind(n);
    if (emergency) {
      throw new PolicyError(
        'emergency',
        emergency.viaPrefix
          ? `${n} would reach the emergency number ${emergency.reached} through the outside-line prefix ${emergency.viaPrefix}; telephony-mcp never dials one`
          : `${n} is an emergency number; telephony-mcp never dials one`,
        'Emergency calls must be made by a person, from a handset. Nothing was dialled.',
      );
    }
    this.refuseDenied(n, n);
    const internal = this.internal.test(n);
    if (internal) {
      // A number that may leave the PBX (a short code, another country's emergency number) is confirmed unless a
      // noConfirm pattern names it: an administrator who knows it is an extension can say so.
      const outside = this.outsideMeaning(n);
      const exempt = this.noConfirm.some((re) => re.test(n));
      for (const rule of this.outbound) rule.check({ internal: true, number: n }, use);
      return {
        number: n as Dialable,
        internal: true,
        display: outside ? `extension ${n} (${outside})` : `extension ${n}`,
        noConfirm: exempt || (!outside && !this.cfg.confirmInternal),
        mayLeave: outside !== undefined,
      };
    }
    if (!n.startsWith('+') && !this.country) {
      throw new PolicyError(
        'no_default_country',
        `${n} is a national number and no default country is configured to read it`,
        'Give the number in international form (+ and country code), or set safety.dialPolicy.defaultCountry in the config.',
      );
    }
    const p = loaded().parse(n, this.country);
    // Patterns are written in international form (+3906*) or as typed: a national (06 ...) or IDD (011 44 ...)
    // spelling must not slip past a pattern written the other way, so each is matched against every form.
    const forms = p ? [n, p.number, ...(p.country === this.country ? [p.formatNational().replace(/[^0-9]/g, '')] : [])] : [n];
    for (const f of forms) this.refuseDenied(f, n);
    if (!p || !p.isValid()) {
      throw new PolicyError(
        'invalid_number',
        `${n} is not a valid phone number${this.country && !n.startsWith('+') ? ` in ${regionName(this.country)}` : ''}`,
        'Check the number. Nothing was dialled.',
      );
    }
    const matches = (res: RegExp[]) => res.some((re) => forms.some((f) => re.test(f)));
    if (this.allow.length && !matches(this.allow)) {
      throw new PolicyError('allow', `${n} matches none of the allowed patterns (${this.cfg.allow.join(', ')})`);
    }
    const type: NumberType | undefined = p.getType();
    const typeWord = type ? (TYPE_WORDS[type] ?? type.toLowerCase()) : undefined;
    if (type && (this.cfg.blockedTypes as string[]).includes(type)) {
      throw new PolicyError(
        'number_type',
        `${p.formatInternational()} is a ${typeWord} number, which this server does not ${what}`,
        'Such numbers can cost a lot; an administrator can change safety.dialPolicy.blockedTypes. Nothing was dialled.',
      );
    }
    const region = p.country;
    const domestic = this.country !== undefined && region === this.country;
    if (!domestic && !this.cfg.allowInternational) {
      const allowed = (region && this.allowedRegions.has(region)) || this.allowedCallingCodes.has(String(p.countryCallingCode));
      if (!allowed) {
        const where = region ? regionName(region) : `+${p.countryCallingCode}`;
        throw new PolicyError(
          'international',
          `${p.formatInternational()} is an international number (${where}) and international calls are not allowed`,
          'An administrator can set safety.dialPolicy.allowInternational or allowedCountryCodes. Nothing was dialled.',
        );
      }
    }
    for (const rule of this.outbound) rule.check({ internal: false, number: n, phone: p }, use);
    const place = region ? regionName(region) : `+${p.countryCallingCode}`;
    // The person confirms the international form shown in `display`, so that is what is dialled: one spelling for
    // the confirmation, the dial and the PBX's directory, whether "06 1234 5678", "0039 06..." or "+39 06..." was typed.
    // A number whose digits behind a leading 0 or 9 are of a blocked type gets both readings, and is always asked about.
    const other = this.behindOutsideLine(n);
    return {
      number: p.number as Dialable,
      internal: false,
      display: `${p.formatInternational()} (${[place, typeWord].filter(Boolean).join(', ')}${other ? `; ${other.display}` : ''})`,
      noConfirm: !other && matches(this.noConfirm),
      mayLeave: true,
    };
  }

  /** Refuse `n` when a deny pattern matches it (`shown` is the number as the caller gave it, for the message). */
  private refuseDenied(n: string, shown: string): void {
    const i = this.deny.findIndex((re) => re.test(n));
    if (i >= 0) {
      throw new PolicyError('deny', `${shown}${n !== shown ? ` (${n})` : ''} matches the deny pattern ${this.cfg.deny[i]}`);
    }
  }
}
