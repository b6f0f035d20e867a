/**
 * Calling hours: a call or transfer rings the callee now, so it must fall within the configured window in the
 * callee's local time. A country's number rarely says which of its time zones it rings in (libphonenumber offers
 * no zone mapping in JavaScript), so where a country has several the window must hold in every one of them.
 * Forwarding and scheduled callbacks ring nobody now: the hours do not apply to them.
 */
import { compileSchedule, DAYS, type CallingHoursConfig, type Rule, type Schedule } from './outbound-config.js';
import type { DialTarget, DialUse, OutboundRule } from './dialing.js';
import { PolicyError } from '../errors.js';
import { countryName, hhmm, instantOf, localTime, placeOf, serverZone, zonesOf, type LocalTime } from './zones.js';

const WEEKDAY_NAMES = ['Sunday', 'Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday'];

/** How many days ahead the next opening is looked for (a week of day rules, plus the day a window crosses into). */
const LOOKAHEAD_DAYS = 8;

function windowHolds(r: Rule, l: LocalTime): boolean {
  const on = (d: number) => !r.days || r.days.has(d);
  for (const w of r.windows) {
    if (w.start < w.end) {
      if (l.minutes >= w.start && l.minutes < w.end && on(l.weekday)) return true;
    } else {
      // Across midnight: the part after midnight belongs to the window that started the day before.
      if (l.minutes >= w.start && on(l.weekday)) return true;
      if (l.minutes < w.end && on((l.weekday + 6) % 7)) return true;
    }
  }
  return false;
}

export function scheduleHolds(s: Schedule, l: LocalTime): boolean {
  return s.some((r) => windowHolds(r, l));
}

function describe(s: Schedule): string {
  return s
    .map((r) => {
      const hours = r.windows.map((w) => w.text).join(', ');
      return r.days ? `${hours} on ${[...r.days].sort().map((d) => DAYS[d]).join(', ')}` : hours;
    })
    .join('; ');
}

/** The first instant after `now` at which `s` holds in every zone, within the lookahead; undefined if none. */
export function nextOpening(s: Schedule, zones: readonly string[], now: number): number | undefined {
  const holdsEverywhere = (t: number) => zones.every((z) => scheduleHolds(s, localTime(z, t)));
  let best: number | undefined;
  // Where the windows of all zones overlap, the overlap begins at the start of some zone's window.
  for (const z of zones) {
    const today = localTime(z, now);
    for (let k = 0; k <= LOOKAHEAD_DAYS; k++) {
      for (const r of s) {
        for (const w of r.windows) {
          const t = instantOf(z, today.year, today.month, today.day + k, w.start);
          if (t > now && (best === undefined || t < best) && holdsEverywhere(t)) best = t;
        }
      }
    }
  }
  return best;
}

/** "09:00", "09:00 tomorrow", "09:00 on Monday": `t` on the clock of `zone`, relative to the local date `from`. */
function when(zone: string, from: LocalTime, t: number): string {
  const l = localTime(zone, t);
  const days = Math.round((Date.UTC(l.year, l.month - 1, l.day) - Date.UTC(from.year, from.month - 1, from.day)) / 86_400_000);
  return `${hhmm(l.minutes)}${days === 0 ? '' : days === 1 ? ' tomorrow' : ` on ${WEEKDAY_NAMES[l.weekday]}`}`;
}

export class CallingHours implements OutboundRule {
  private readonly schedules = new Map<string, Schedule>();

  constructor(
    cfg: CallingHoursConfig,
    /** defaultCountry: where extensions are (their local time); the server's zone without it. */
    private readonly home: string | undefined,
    private readonly now: () => number = Date.now,
  ) {
    for (const [key, value] of Object.entries(cfg)) {
      const issues: { path: (string | number)[]; message: string }[] = [];
      const s = compileSchedule(value, [key], issues);
      // The config schema has checked every value with the same function: this only guards direct use.
      if (!s) throw new Error(`safety.dialPolicy.callingHours.${key}: ${issues[0]?.message ?? 'invalid'}`);
      this.schedules.set(key, s);
    }
  }

  check(target: DialTarget, use: DialUse): void {
    if (use !== 'call' && use !== 'transfer') return;
    const now = this.now();
    if (target.internal) {
      const s = this.schedules.get('internal');
      if (!s) return;
      const zones = this.home ? zonesOf(this.home) : [serverZone()];
      this.require(s, 'internal', zones.length ? zones : [serverZone()], now, 'extensions');
      return;
    }
    const region = target.phone.country;
    const shown = target.phone.formatInternational();
    if (!region) {
      const s = this.schedules.get('nonGeographic');
      if (s) return this.require(s, 'nonGeographic', ['UTC'], now, `${shown} (a number of no country; hours read in UTC)`);
      if (!this.schedules.has('default')) return;
      throw new PolicyError(
        'calling_hours',
        `${shown} belongs to no country (an international service or network number), so its local time is unknown and the calling hours cannot be checked`,
        'Nothing was dialled. An administrator can set hours for such numbers with safety.dialPolicy.callingHours.nonGeographic (read in UTC).',
      );
    }
    const key = this.schedules.has(region) ? region : 'default';
    const s = this.schedules.get(key);
    if (!s) return;
    const zones = zonesOf(region);
    if (!zones.length) {
      throw new PolicyError(
        'calling_hours',
        `the time-zone data has no zone for ${countryName(region)}, so the local time of ${shown} is unknown and the calling hours cannot be checked`,
        'Nothing was dialled. Call from a handset if the local time allows it.',
      );
    }
    this.require(s, key, zones, now, countryName(region));
  }

  /** Refuse unless `s` holds now in every zone of `zones`. */
  private require(s: Schedule, key: string, zones: readonly string[], now: number, what: string): void {
    const failing = zones.find((z) => !scheduleHolds(s, localTime(z, now)));
    if (failing === undefined) return;
    const local = localTime(failing, now);
    const opens = nextOpening(s, zones, now);
    const place = placeOf(failing);
    const several = zones.length > 1;
    const hours = describe(s);
    let message = `It is ${hhmm(local.minutes)}${several || key !== 'nonGeographic' ? ` in ${place}` : ' UTC'}; calls to ${what} are `;
    if (opens === undefined) {
      message += several
        ? `never allowed: the calling hours (${hours}) never hold in all ${zones.length} of its time zones at once`
        : `not allowed in the coming week under the calling hours (${hours})`;
    } else {
      message += `allowed from ${when(failing, local, opens)}`;
      if (several) message += ` there: the calling hours (${hours}) must hold in all ${zones.length} of its time zones, and the number does not tell which`;
    }
    throw new PolicyError('calling_hours', `${message}.`, `Nothing was dialled. Try again then; an administrator can change safety.dialPolicy.callingHours.${key}.`);
  }
}
