/** Wall-clock time in a time zone, through Intl (no dependency). */

export interface Wall {
  y: number;
  mo: number;
  d: number;
  h: number;
  mi: number;
  s: number;
}

export const pad = (n: number, l = 2): string => String(n).padStart(l, '0');

/**
 * One formatter per time zone: building an Intl.DateTimeFormat costs about 50 us, and a history of 20 entries
 * needs two readings each. Zones come from the config, so the cache stays as small as the config.
 */
const formatters = new Map<string, Intl.DateTimeFormat>();

function formatterFor(tz: string): Intl.DateTimeFormat {
  let f = formatters.get(tz);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone: tz,
      hourCycle: 'h23',
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      second: '2-digit',
    });
    formatters.set(tz, f);
  }
  return f;
}

/** What the wall clock in `tz` shows at `instant`. */
export function wallIn(instant: number, tz: string): Wall {
  const parts = formatterFor(tz).formatToParts(new Date(instant));
  const get = (t: string) => Number(parts.find((p) => p.type === t)?.value ?? 0);
  return { y: get('year'), mo: get('month'), d: get('day'), h: get('hour'), mi: get('minute'), s: get('second') };
}

/** True when `tz` is an IANA time zone this Node knows. */
export function isTimeZone(tz: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: tz });
    return true;
  } catch {
    return false;
  }
}

function asUtc(w: Wall): number {
  return Date.UTC(w.y, w.mo - 1, w.d, w.h, w.mi, w.s);
}

/**
 * The instant at which the wall clock in `tz` shows `w` (the earlier one across a DST fold; in a gap, a time
 * within the hour after it). Fields may overflow (day 32 is the next month's first).
 */
export function zonedToUtc(w: Wall, tz: string): number {
  const guess = asUtc(w);
  const offset = asUtc(wallIn(guess, tz)) - guess;
  let utc = guess - offset;
  const offset2 = asUtc(wallIn(utc, tz)) - utc;
  if (offset2 !== offset) utc = guess - offset2;
  return utc;
}

/** "YYYY-MM-DD HH:MM:SS" as the wall clock in `tz` (UTC when not given) shows `instant`: how PBXs write times. */
export function formatWallClock(instant: number, tz?: string): string {
  const w = wallIn(instant, tz ?? 'UTC');
  return `${pad(w.y, 4)}-${pad(w.mo)}-${pad(w.d)} ${pad(w.h)}:${pad(w.mi)}:${pad(w.s)}`;
}

/**
 * Orders ISO 8601 timestamps newest first. A plain code-unit comparison: ISO strings sort by time that way, and
 * localeCompare would load ICU collation (about 20 ms the first time) for no gain.
 */
export const newestFirst = (a: string, b: string): number => (a < b ? 1 : a > b ? -1 : 0);

/** A calendar date YYYY-MM-DD that exists. */
export function isIsoDate(s: string): boolean {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(s);
  if (!m) return false;
  const d = new Date(Date.UTC(+m[1]!, +m[2]! - 1, +m[3]!));
  return d.getUTCFullYear() === +m[1]! && d.getUTCMonth() === +m[2]! - 1 && d.getUTCDate() === +m[3]!;
}
