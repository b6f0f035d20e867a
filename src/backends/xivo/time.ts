/**
 * XUC writes times as "YYYY-MM-DD HH:MM:SS" in the server's local time, with no offset. With the PBX's time
 * zone configured they become UTC ISO 8601; without it they stay local ("YYYY-MM-DDTHH:MM:SS", no offset),
 * which is honest about what is known. Pure functions over Intl; no dependency.
 */

import { formatWallClock, pad, zonedToUtc, type Wall } from '../../util/time.js';

const LOCAL = /^(\d{4})-(\d{2})-(\d{2})[ T](\d{2}):(\d{2})(?::(\d{2}))?(?:\.\d+)?$/;

export { isTimeZone } from '../../util/time.js';

/**
 * An XUC time as ISO 8601: UTC when `tz` is known, else local without offset. Times that already carry an
 * offset are converted to UTC; anything unreadable is returned unchanged (it is still data).
 */
export function xucTimeToIso(s: string, tz?: string): string {
  const m = LOCAL.exec(s.trim());
  if (!m) {
    const t = /[zZ]|[+-]\d{2}:?\d{2}$/.test(s) ? Date.parse(s) : NaN;
    return Number.isNaN(t) ? s : new Date(t).toISOString();
  }
  const w: Wall = { y: +m[1]!, mo: +m[2]!, d: +m[3]!, h: +m[4]!, mi: +m[5]!, s: +(m[6] ?? 0) };
  if (!tz) return `${m[1]}-${m[2]}-${m[3]}T${m[4]}:${m[5]}:${pad(w.s)}`;
  return new Date(zonedToUtc(w, tz)).toISOString().replace('.000Z', 'Z');
}

/** An instant as XUC writes times: "YYYY-MM-DD HH:MM:SS" in `tz` (UTC when not given). */
export const formatXucTime = formatWallClock;

/** "HH:MM:SS" (or "MM:SS", or seconds as a number or numeric string) as whole seconds; undefined if unreadable. */
export function parseDuration(v: unknown): number | undefined {
  if (typeof v === 'number') return Number.isFinite(v) && v >= 0 ? Math.round(v) : undefined;
  if (typeof v !== 'string') return undefined;
  const s = v.trim();
  if (/^\d+(\.\d+)?$/.test(s)) return Math.round(Number(s));
  const m = /^(?:(\d+):)?(\d{1,2}):(\d{1,2})$/.exec(s);
  if (!m) return undefined;
  return Number(m[1] ?? 0) * 3600 + Number(m[2]) * 60 + Number(m[3]);
}
