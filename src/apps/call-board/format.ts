/**
 * How the board words and times what it shows. Pure (no DOM): the view and the tests import it. The labels are
 * keyed by the server's own model types, so a state the model gains and the board does not name fails to compile.
 */
import type { CallDirection, CallState, Party, QueueMember } from '../../backends/model.js';

export const STATE_LABEL: Record<CallState, string> = {
  dialing: 'Dialing',
  ringing: 'Ringing',
  connected: 'Connected',
  on_hold: 'On hold',
  parked: 'Parked',
  queued: 'In queue',
  unknown: 'Unknown state',
};

export const DIRECTION_LABEL: Record<CallDirection, string> = { inbound: 'Inbound', outbound: 'Outbound', internal: 'Internal' };

type MemberState = NonNullable<QueueMember['state']>;
export const MEMBER_STATE_LABEL: Record<MemberState, string> = {
  available: 'Available',
  ringing: 'Ringing',
  on_call: 'On a call',
  dnd: 'Do not disturb',
  offline: 'Offline',
};

/** 7 → "0:07", 133 → "2:13", 3723 → "1:02:03". */
export function clock(seconds: number): string {
  const s = Math.max(0, Math.floor(seconds));
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const ss = String(s % 60).padStart(2, '0');
  return h ? `${h}:${String(m).padStart(2, '0')}:${ss}` : `${m}:${ss}`;
}

/** A number as the PBX reported it, or what to say when it reported none. */
export function numberText(n: string | undefined): string {
  const t = (n ?? '').trim();
  return t && t.toLowerCase() !== 'anonymous' ? t : 'hidden number';
}

/** "Alice Martin · 201", or the number alone. */
export function partyText(p: Party): string {
  const name = p.name?.trim();
  const number = numberText(p.number);
  return name && name !== p.number ? `${name} · ${number}` : number;
}

/** Seconds since an ISO 8601 instant, or undefined when `at` is not one (some PBXs give a local HH:MM:SS). */
export function secondsSince(at: string | undefined, now: number): number | undefined {
  if (!at || !/^\d{4}-\d\d-\d\dT/.test(at)) return undefined;
  const t = Date.parse(at);
  return Number.isFinite(t) ? Math.max(0, Math.round((now - t) / 1000)) : undefined;
}

/** "14:02:03" in the viewer's time. */
export function timeOfDay(ms: number): string {
  const d = new Date(ms);
  return [d.getHours(), d.getMinutes(), d.getSeconds()].map((n) => String(n).padStart(2, '0')).join(':');
}
