/**
 * What the dial policy and its outbound rules work with: what a number is checked for, what the check returns,
 * and what a rule sees of a number. Types only, so the policy, its rules and the tools share them without
 * depending on each other.
 */
import type { PhoneNumber } from './numbering.js';
import type { Dialable } from '../backends/backend.js';

/** What a number is being checked for; the dial policy applies to all of them (callback: scheduled for later). */
export type DialUse = 'call' | 'transfer' | 'forward' | 'callback';

export interface CheckedNumber {
  /** What to dial: an extension as typed, an outside number in E.164 form (what the confirmation shows). */
  number: Dialable;
  /** Matches the internal pattern (an extension). */
  internal: boolean;
  /** How a person would read it: "+39 06 1234 5678 (Italy, fixed line)". */
  display: string;
  /** The policy exempts this number from confirmation (place_call). */
  noConfirm: boolean;
  /**
   * The PBX may dial out for it: an outside number, or an extension that is also a costly short number (itself or
   * behind an outside-line prefix). A transfer to it counts against the call rates.
   */
  mayLeave: boolean;
}

/** A number that passed the policy's own rules: an extension, or a valid outside number. */
export type DialTarget = { internal: true; number: string } | { internal: false; number: string; phone: PhoneNumber };

export interface OutboundRule {
  /** Throws a PolicyError naming the rule when `target` may not be dialled for `use`. */
  check(target: DialTarget, use: DialUse): void;
}
