/**
 * Local time where a callee is, from the ICU data Node ships (CLDR's country-to-zone table and the IANA time
 * zone rules): no hand-written list of zones or offsets. A country's zones come from `Intl.Locale`, as the
 * `timeZones` property on Node 20's V8 and the `getTimeZones()` method on newer ones.
 */

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
  zones = zones.filter(isKnownZone);
  zoneCache.set(region, zones);
  return zones;
}

function isKnownZone(zone: string): boolean {
  try {
    formatter(zone);
    return true;
  } catch {
    return false;
  }
}

const formatters = new Map<string, Intl.DateTimeFormat>();

function formatter(zone: string): Intl.DateTimeFormat {
  let f = formatters.get(zone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone: zone,
      hourCycle: 'h23',
      weekday: 'short',
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
    });
    formatters.set(zone, f);
  }
  return f;
}

const WEEKDAYS: Record<string, number> = { Sun: 0, Mon: 1, Tue: 2, Wed: 3, Thu: 4, Fri: 5, Sat: 6 };

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
  const out: LocalTime = { year: 0, month: 0, day: 0, weekday: 0, minutes: 0 };
  let hour = 0;
  let minute = 0;
  for (const p of formatter(zone).formatToParts(t)) {
    switch (p.type) {
      case 'year':
        out.year = Number(p.value);
        break;
      case 'month':
        out.month = Number(p.value);
        break;
      case 'day':
        out.day = Number(p.value);
        break;
      case 'weekday':
        out.weekday = WEEKDAYS[p.value] ?? 0;
        break;
      case 'hour':
        hour = Number(p.value);
        break;
      case 'minute':
        minute = Number(p.value);
        break;
      default:
        break;
    }
  }
  out.minutes = hour * 60 + minute;
  return out;
}

/** The offset of `zone` from UTC at instant `t`, in ms (Rome in winter: +3,600,000). */
function offsetAt(zone: string, t: number): number {
  const l = localTime(zone, t);
  return Date.UTC(l.year, l.month - 1, l.day) + l.minutes * 60_000 - Math.floor(t / 60_000) * 60_000;
}

/**
 * The instant the clock in `zone` shows `minutes` on the given local date (day may overflow: day + 1 is the next
 * date). In a DST gap the time does not exist: the answer is then within an hour of it, never earlier than the gap.
 */
export function instantOf(zone: string, year: number, month: number, day: number, minutes: number): number {
  const wall = Date.UTC(year, month - 1, day) + minutes * 60_000;
  const first = wall - offsetAt(zone, wall);
  return wall - offsetAt(zone, first);
}

/** "Europe/Rome" -> "Rome", "America/Argentina/Buenos_Aires" -> "Buenos Aires". */
export function placeOf(zone: string): string {
  return (zone.split('/').pop() ?? zone).replace(/_/g, ' ');
}

/** The time zone this process runs in. */
export function serverZone(): string {
  return new Intl.DateTimeFormat().resolvedOptions().timeZone;
}

export const hhmm = (minutes: number): string =>
  `${String(Math.floor(minutes / 60)).padStart(2, '0')}:${String(minutes % 60).padStart(2, '0')}`;

let displayNames: Intl.DisplayNames | undefined;
const WITH_ARTICLE = /^(United |Netherlands$|Philippines$|Bahamas$|Gambia$|Maldives$|Dominican Republic$|Central African Republic$|Czech Republic$)/;

/** "Italy", "the United States": a country as a sentence names it. */
export function countryName(region: string): string {
  const name = (displayNames ??= new Intl.DisplayNames(['en'], { type: 'region' })).of(region) ?? region;
  return WITH_ARTICLE.test(name) ? `the ${name}` : name;
}
