/**
 * Local time where a callee is, from the ICU data Node ships (CLDR's country-to-zone table and the IANA time
 * zone rules): no hand-written list of zones or offsets. A country's zones come from `Intl.Locale`, as the
 * `timeZones` property on Node 20's V8 and the `getTimeZones()` method on newer ones.
 */
import { isTimeZone, pad, wallIn, zonedToUtc } from '../util/time.js';

const zoneCache = new Map<string, readonly string[]>();

/** The IANA zones of an ISO 3166 country ("IT" -> Europe/Rome); empty when ICU has none for it. */
export function zonesOf(region: string): readonly string[] {
  let zones = zoneCache.get(region);
  if (zones) return zones;
  try {
    const locale = new Intl.Locale(`und-${region}`) as Intl.Locale & { timeZones?: string[]; getTimeZones?: () => string[] };
    zones = (typeof locale.getTimeZones === 'function' ? locale.getTimeZones() : locale.timeZones) ?? [];
  } catch {
    zones = [];
  }
  // Only zones this runtime can compute times in (ICU lists a few legacy ids; they are aliases, but be sure).
  zones = zones.filter(isTimeZone);
  zoneCache.set(region, zones);
  return zones;
}

/** A wall-clock moment in some zone. */
export interface LocalTime {
  year: number;
  month: number;
  day: number;
  /** 0 = Sunday ... 6 = Saturday. */
  weekday: number;
  /** Minutes since local midnight (0-1439). */
  minutes: number;
}

/** What the clock shows in `zone` at instant `t` (ms since the epoch). */
export function localTime(zone: string, t: number): LocalTime {
  const w = wallIn(t, zone);
  return { year: w.y, month: w.mo, day: w.d, weekday: new Date(Date.UTC(w.y, w.mo - 1, w.d)).getUTCDay(), minutes: w.h * 60 + w.mi };
}

/**
 * The instant the clock in `zone` shows `minutes` on the given local date (day may overflow: day + 1 is the next
 * date). In a DST gap the time does not exist: the answer is then within the hour after it.
 */
export function instantOf(zone: string, year: number, month: number, day: number, minutes: number): number {
  return zonedToUtc({ y: year, mo: month, d: day, h: Math.floor(minutes / 60), mi: minutes % 60, s: 0 }, zone);
}

/** "Europe/Rome" -> "Rome", "America/Argentina/Buenos_Aires" -> "Buenos Aires". */
export function placeOf(zone: string): string {
  return (zone.split('/').pop() ?? zone).replace(/_/g, ' ');
}

/** The time zone this process runs in. */
export function serverZone(): string {
  return new Intl.DateTimeFormat().resolvedOptions().timeZone;
}

export const hhmm = (minutes: number): string => `${pad(Math.floor(minutes / 60))}:${pad(minutes % 60)}`;

// Creating it loads ICU region data (~17 ms): not at start-up, only when a message names a country.
let displayNames: Intl.DisplayNames | undefined;

/** "Italy", "United States": a region's English name (undefined for a code ICU does not know). */
export function regionName(region: string): string | undefined {
  return (displayNames ??= new Intl.DisplayNames(['en'], { type: 'region' })).of(region);
}

const WITH_ARTICLE = /^(United |Netherlands$|Philippines$|Bahamas$|Gambia$|Maldives$|Dominican Republic$|Central African Republic$|Czech Republic$)/;

/** "Italy", "the United States": a country as a sentence names it. */
export function countryName(region: string): string {
  const name = regionName(region) ?? region;
  return WITH_ARTICLE.test(name) ? `the ${name}` : name;
}
