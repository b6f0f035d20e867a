/**
 * The numbering plan, from one library: Google's libphonenumber (google-libphonenumber) parses, validates, types
 * and formats numbers, and its short-number metadata says which short codes are emergency numbers or cost money.
 * (libphonenumber-js was used beside it for parsing: two parsers with two copies of the metadata could disagree on
 * a number, and it has no short-number metadata, so it went.) The metadata is large: loaded on first need, not at
 * start-up, so starting the server and listing tools never wait for it.
 */
import type lpn from 'google-libphonenumber';
import type { NUMBER_TYPES } from './policy-config.js';

export type NumberType = (typeof NUMBER_TYPES)[number];

/** A parsed number, as the dial policy and its outbound rules read it. */
export interface PhoneNumber {
  /** E.164: "+390612345678". */
  readonly number: string;
  readonly countryCallingCode: string;
  readonly nationalNumber: string;
  /** ISO 3166 region; undefined for a non-geographic number (+800...) or one no region claims. */
  readonly country: string | undefined;
  isValid(): boolean;
  /** undefined when the type is not known. */
  getType(): NumberType | undefined;
  formatInternational(): string;
  formatNational(): string;
}

export interface NumberingPlan {
  /** `n` (digits, a leading + for international form) read in `region`; undefined when it cannot be read at all. */
  parse(n: string, region?: string): PhoneNumber | undefined;
  shortInfo: lpn.ShortNumberInfo;
  phoneUtil: lpn.PhoneNumberUtil;
}

let plan: NumberingPlan | undefined;
let loading: Promise<NumberingPlan> | undefined;

function planOf(g: typeof lpn): NumberingPlan {
  const util = g.PhoneNumberUtil.getInstance();
  const F = g.PhoneNumberFormat;
  const typeNames = new Map<number, NumberType>(
    Object.entries(g.PhoneNumberType)
      .filter(([name]) => name !== 'UNKNOWN')
      .map(([name, value]) => [value as number, name as NumberType]),
  );
  const parse = (n: string, region?: string): PhoneNumber | undefined => {
    let p: lpn.PhoneNumber;
    try {
      p = util.parse(n, (region ?? 'ZZ') as lpn.RegionCode);
    } catch {
      return undefined;
    }
    const code = p.getCountryCodeOrDefault();
    const claimed: string | null | undefined = util.getRegionCodeForNumber(p);
    // A national number read in `region` belongs to it even when invalid there (no region claims an invalid number).
    const country = claimed && claimed !== 'ZZ' && claimed !== '001' ? claimed : region && !n.startsWith('+') && util.getCountryCodeForRegion(region as lpn.RegionCode) === code ? region : undefined;
    let valid: boolean | undefined;
    // Validation walks the region's metadata: once per number, whichever of isValid and getType asks first.
    const isValid = () => (valid ??= util.isValidNumber(p));
    return {
      number: util.format(p, F.E164),
      countryCallingCode: String(code),
      nationalNumber: util.getNationalSignificantNumber(p),
      country,
      isValid,
      getType: () => (isValid() ? typeNames.get(util.getNumberType(p)) : undefined),
      // Spaces only between the groups ("+1 212 555 0123", not Google's "+1 212-555-0123"): the form the
      // confirmations have always shown, and the one ITU-T E.123 gives for international numbers.
      formatInternational: () => util.format(p, F.INTERNATIONAL).replace(/[-.()\u2010-\u2015\u2212]+/g, ' ').replace(/ {2,}/g, ' ').trim(),
      formatNational: () => util.format(p, F.NATIONAL),
    };
  };
  return { parse, shortInfo: g.ShortNumberInfo.getInstance(), phoneUtil: util };
}

export function loadNumberingPlan(): Promise<NumberingPlan> {
  loading ??= import('google-libphonenumber').then((google) => {
    plan = planOf((google as unknown as { default?: typeof lpn }).default ?? (google as unknown as typeof lpn));
    return plan;
  });
  return loading;
}

/** The plan, once loaded (actions await DialPolicy.ready() before they dial). */
export function loadedPlan(): NumberingPlan {
  if (!plan) throw new Error('numbering plan not loaded: await DialPolicy.ready() first');
  return plan;
}

/** "+39 06 1234 5678" for "+390612345678" once the numbering plan is loaded (actions wait for it); else as given. */
export function formatNumber(n: string): string {
  if (!plan || !n.startsWith('+')) return n;
  return plan.parse(n)?.formatInternational() ?? n;
}
