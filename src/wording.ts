/**
 * How an error is worded for a model and a person: what failed, on which PBX, and what to do next. The one place:
 * backends and rules report a kind, the facts and their own advice in PBX terms; the advice that names a tool is
 * written here, for the PBX at hand (a PBX that lists no calls is not sent to get_active_call).
 */
import type { Capability } from './backends/backend.js';
import type { ErrorKind, TelephonyError } from './errors.js';

/** What the wording may ask of the PBX an error concerns. */
export interface PbxAbilities {
  can(cap: Capability): boolean;
}

/** Where a model sees whether an action happened: the calls, or else the history, or else the person. */
function stateCheck(pbx: PbxAbilities | undefined): string {
  if (!pbx || pbx.can('activeCalls')) return 'get_active_call';
  if (pbx.can('history')) return 'call_history, or ask the user';
  return 'ask the user';
}

/** Said of every action whose outcome is unknown, before the thrower's advice on what to check. */
const NO_RETRY = 'Do not retry: the action may already have happened.';

const DEFAULT_HINTS: Partial<Record<ErrorKind, (pbx: PbxAbilities | undefined) => string>> = {
  outcome_unknown: (pbx) => `Check the current state (${stateCheck(pbx)}) first.`,
  unavailable: () => 'Nothing was done. Try again in a moment; if it persists, check that the PBX is running and reachable.',
  auth: () => 'Check the credentials of this PBX in the telephony-mcp config.',
  rate_limited: () => 'Wait a little before trying again.',
};

/** The pointer a hint gains when the error is about a call. */
function callPointer(pbx: PbxAbilities | undefined): string {
  return !pbx || pbx.can('activeCalls') ? 'get_active_call shows the current calls and their ids.' : '';
}

const sentence = (s: string): string => (s.endsWith('.') ? s : `${s}.`);

/** The sentence a client sees for an error: what failed, on which PBX, and what to do. */
export function describeError(e: TelephonyError, pbx?: PbxAbilities): string {
  const where = e.pbx ? `PBX \`${e.pbx}\`${e.pbxType ? ` (${e.pbxType})` : ''}: ` : '';
  const own = e.hint ?? DEFAULT_HINTS[e.kind]?.(pbx);
  const pointer = e.about === 'call' ? callPointer(pbx) : '';
  const advice = own && pointer ? `${sentence(own)} ${pointer}` : own || pointer;
  const hint = e.kind === 'outcome_unknown' ? `${NO_RETRY}${advice ? ` ${advice}` : ''}` : advice;
  return `${where}${sentence(e.message)}${hint ? ` ${hint}` : ''}`;
}
