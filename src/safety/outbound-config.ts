/**
 * The config of the outbound rules (calling hours, do-not-call lists), and the one reader of a calling-hours
 * value: the zod schema and the rule itself both use `compileSchedule`, so what the config accepts is exactly
 * what the rule applies, and every error names its key.
 */
import { z } from 'zod';
import { countryName, zonesOf } from './zones.js';

export const DAYS = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'] as const;

/** One window of the day in minutes; start > end crosses midnight ("22:00-06:00"). */
export interface Window {
  start: number;
  end: number;
  text: string;
}

/** Windows on some days of the week (all days when `days` is undefined), read in the callee's local time. */
export interface Rule {
  windows: Window[];
  /** Weekdays (0 = Sunday) on which a window STARTS; a window crossing midnight runs on into the next day. */
  days: ReadonlySet<number> | undefined;
}

export type Schedule = readonly Rule[];

/** Keys besides ISO country codes. */
export const SPECIAL_KEYS = ['default', 'internal', 'nonGeographic'] as const;

const WINDOW = /^(\d{2}):(\d{2})-(\d{2}):(\d{2})$/;

type Issue = { path: (string | number)[]; message: string };

function compileWindow(v: unknown, path: (string | number)[], issues: Issue[]): Window | undefined {
  const m = typeof v === 'string' ? WINDOW.exec(v.trim()) : null;
  if (!m) {
    issues.push({ path, message: 'a window "HH:MM-HH:MM" in 24-hour time, e.g. "09:00-20:00" (or "22:00-06:00" across midnight)' });
    return undefined;
  }
  const [sh, sm, eh, em] = m.slice(1).map(Number) as [number, number, number, number];
  if (sh > 23 || sm > 59 || eh > 24 || em > 59 || (eh === 24 && em !== 0)) {
    issues.push({ path, message: `"${v as string}" is not a time of day: hours 00-23 (24:00 only as an end), minutes 00-59` });
    return undefined;
  }
  const start = sh * 60 + sm;
  const end = eh * 60 + em;
  if (start === end) {
    issues.push({ path, message: `"${v as string}" starts and ends at the same time; the whole day is "00:00-24:00"` });
    return undefined;
  }
  return { start, end: end === 1440 && start === 0 ? 1440 : end % 1440, text: (v as string).trim() };
}

function compileDays(v: unknown, path: (string | number)[], issues: Issue[]): Set<number> | undefined {
  const bad = () => issues.push({ path, message: 'days of the week: a list such as ["mon", "tue"] or ["mon-fri", "sat"]' });
  if (!Array.isArray(v) || v.length === 0 || v.length > 7) {
    bad();
    return undefined;
  }
  const days = new Set<number>();
  for (const [i, d] of v.entries()) {
    const m = typeof d === 'string' ? /^([a-z]{3})(?:-([a-z]{3}))?$/.exec(d.trim().toLowerCase()) : null;
    const a = m ? DAYS.indexOf(m[1] as (typeof DAYS)[number]) : -1;
    const b = m?.[2] ? DAYS.indexOf(m[2] as (typeof DAYS)[number]) : a;
    if (a < 0 || b < 0) {
      issues.push({ path: [...path, i], message: `"${String(d)}" is not a day: use ${DAYS.join(', ')}, or a range such as "mon-fri"` });
      return undefined;
    }
    for (let x = a; ; x = (x + 1) % 7) {
      days.add(x);
      if (x === b) break;
    }
  }
  return days;
}

function compileRule(v: unknown, path: (string | number)[], issues: Issue[]): Rule | undefined {
  if (typeof v === 'string') {
    const w = compileWindow(v, path, issues);
    return w && { windows: [w], days: undefined };
  }
  if (typeof v !== 'object' || v === null || Array.isArray(v)) {
    issues.push({ path, message: 'a window "HH:MM-HH:MM", or { "hours": "HH:MM-HH:MM" or a list of them, "days": ["mon-fri"] }' });
    return undefined;
  }
  const o = v as Record<string, unknown>;
  const unknown = Object.keys(o).filter((k) => k !== 'hours' && k !== 'days');
  if (unknown.length) {
    issues.push({ path, message: `${unknown.join(', ')}: unknown key (a rule has "hours" and optionally "days")` });
    return undefined;
  }
  const hours = Array.isArray(o.hours) ? o.hours : [o.hours];
  if (hours.length === 0 || hours.length > 8) {
    issues.push({ path: [...path, 'hours'], message: 'one to eight windows "HH:MM-HH:MM"' });
    return undefined;
  }
  const windows = hours.map((h, i) => compileWindow(h, Array.isArray(o.hours) ? [...path, 'hours', i] : [...path, 'hours'], issues));
  const days = o.days === undefined ? undefined : compileDays(o.days, [...path, 'days'], issues);
  if (windows.some((w) => !w) || (o.days !== undefined && !days)) return undefined;
  return { windows: windows as Window[], days };
}

/** A calling-hours value: a window, a rule, or a list of rules (say, weekdays and Saturday apart). */
export function compileSchedule(v: unknown, path: (string | number)[], issues: Issue[]): Schedule | undefined {
  const list = Array.isArray(v) ? v : [v];
  if (list.length === 0 || list.length > 14) {
    issues.push({ path, message: 'one to fourteen rules' });
    return undefined;
  }
  const rules = list.map((r, i) => compileRule(r, Array.isArray(v) ? [...path, i] : path, issues));
  return rules.every((r) => r) ? (rules as Rule[]) : undefined;
}

/** Which keys a callingHours object may have: why `key` is not one of them, or undefined. */
export function badKey(key: string): string | undefined {
  if ((SPECIAL_KEYS as readonly string[]).includes(key)) return undefined;
  if (!/^[A-Z]{2}$/.test(key)) {
    return `unknown key: use an ISO 3166 country code in capitals ("IT", "GB"), "default" (every other country), "internal" (extensions) or "nonGeographic" (numbers of no country, read in UTC)`;
  }
  const canonical = Intl.getCanonicalLocales(`und-${key}`)[0]?.slice(4);
  if (canonical && canonical !== key) return `"${key}" is an old or informal code: write "${canonical}" (${countryName(canonical)})`;
  if (zonesOf(key).length === 0) return `the time-zone data has no zone for "${key}": use the ISO 3166 code of a country`;
  return undefined;
}

export const CallingHoursConfig = z
  .record(z.string(), z.unknown())
  .superRefine((v, ctx) => {
    const issues: Issue[] = [];
    for (const [k, value] of Object.entries(v)) {
      const why = badKey(k);
      if (why) issues.push({ path: [k], message: why });
      else compileSchedule(value, [k], issues);
    }
    for (const i of issues.slice(0, 8)) ctx.addIssue({ code: 'custom', path: i.path, message: i.message });
  })
  .describe(
    'Calling-hour windows in the callee\'s local time, by ISO country code, "default", "internal" and "nonGeographic": "HH:MM-HH:MM", or {hours, days}',
  );
export type CallingHoursConfig = z.infer<typeof CallingHoursConfig>;

/** A do-not-call file: a path (relative to the config file), or one with the CSV column holding the numbers. */
export const DoNotCallFile = z.union([
  z.string().min(1).max(1000),
  z.strictObject({
    file: z.string().min(1).max(1000),
    column: z.string().min(1).max(100).optional().describe('CSV only: the header of the number column (default: number, phone, ...)'),
  }),
]);
export type DoNotCallFile = z.infer<typeof DoNotCallFile>;

export const DoNotCallConfig = z
  .union([DoNotCallFile, z.array(DoNotCallFile).min(1).max(20)])
  .describe('Do-not-call list files: one number or prefix (ending in *) per line, # comments; or a .csv with a number column');
export type DoNotCallConfig = z.infer<typeof DoNotCallConfig>;
