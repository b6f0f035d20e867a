/** Calls, parties, durations and users in the words a person reads (call-action.ts finds the call an action means). */
import type { Call, Party } from '../backends/model.js';
import type { PbxHandle } from '../backends/registry.js';
import { cleanText } from '../safety/sanitize.js';

/** "201 (Alice)": a party as a person reads it, with the name cleaned and bounded (it comes from the PBX). */
export function partyLabel(p: Party): string {
  const name = p.name ? cleanText(p.name, 40) : '';
  // The number is PBX data too (a SIP From user part can hold any text).
  const number = cleanText(p.number, 40);
  return name && name !== number ? `${number} (${name})` : number || 'an unknown party';
}

/** "45 s", "3 min": a duration in seconds as a person says it. */
export function durationWords(s: number): string {
  if (s < 60) return `${s} s`;
  const m = Math.round(s / 60);
  return `${m} min`;
}

/** "the call between 201 (Alice) and 625 (Giuseppe Test) (connected, started 3 min ago)" */
export function describeCall(c: Call): string {
  const parties = c.participants?.length
    ? `the conference of ${c.participants.map(partyLabel).join(', ')}`
    : `the call between ${partyLabel(c.from)} and ${partyLabel(c.to)}`;
  const state =
    c.state === 'connected'
      ? // durationSeconds counts from the start of the call, ringing included: said as such, not as talk time.
        `connected, started ${durationWords(c.durationSeconds)} ago`
      : c.state === 'on_hold'
        ? 'on hold'
        : c.state === 'parked'
          ? `parked in slot ${cleanText(c.parkedSlot ?? '?', 20)}`
          : c.state === 'queued'
            ? `waiting in queue ${cleanText(c.queue ?? '', 80)}`.trim()
            : c.state === 'unknown'
              ? '' // the PBX does not say (xCALLY rows that only read ACTIVE): nothing to add
              : c.state;
  return state ? `${parties} (${state})` : parties;
}

/** "alice", or what a PBX that acts as one login calls itself */
export function whoLabel(pbx: PbxHandle, user: string | undefined): string {
  return user ?? (pbx.userModel === 'self' ? "this PBX's own login" : 'the default user');
}

/** A PBX-supplied number for a one-line summary: shown only if it looks like a number (summaries carry no PBX text). */
export function safeNumber(s: string): string {
  return /^\+?[0-9*#]{1,20}$/.test(s) ? s : '(withheld)';
}
