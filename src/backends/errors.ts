/**
 * The one error type a backend throws. `kind` says what a model or a person can do about it; the message
 * says what failed in words meant for them (no stack, no secrets); `hint` says what to do next.
 */
export const ERROR_KINDS = [
  'unsupported', // this PBX (or its API) cannot do this operation
  'not_found', // no such call, queue, user, contact, slot...
  'auth', // the PBX refused our credentials, or what they are allowed to do
  'forbidden', // the caller may not do this here: its OAuth token lacks the scope, or names another user
  'rate_limited', // we or the PBX throttled the request
  'unavailable', // the PBX could not be reached or answered with a server error: nothing was done
  'invalid', // the request was malformed or refused as invalid
  'conflict', // the request clashes with the PBX's state: busy, do-not-disturb, slot taken, duplicate
  'outcome_unknown', // an action's request left, and we do not know whether the PBX carried it out
] as const;
export type ErrorKind = (typeof ERROR_KINDS)[number];

export interface BackendErrorInit {
  /** The configured PBX name, when the error concerns one. */
  pbx?: string;
  /** The backend type (sim, kalliope...), for messages such as "PBX `office` (kalliope)". */
  pbxType?: string;
  hint?: string;
  /** Internal detail for the log only; never shown to a client. */
  cause?: unknown;
  /** A vendor error code, kept for tests and logs. */
  code?: string;
}

export class BackendError extends Error {
  readonly kind: ErrorKind;
  pbx: string | undefined;
  pbxType: string | undefined;
  readonly hint: string | undefined;
  readonly code: string | undefined;

  constructor(kind: ErrorKind, message: string, init: BackendErrorInit = {}) {
    super(message, init.cause === undefined ? undefined : { cause: init.cause });
    this.name = 'BackendError';
    this.kind = kind;
    this.pbx = init.pbx;
    this.pbxType = init.pbxType;
    this.hint = init.hint;
    this.code = init.code;
  }

  /** True when trying again later may help and cannot cause a second action. */
  get retryable(): boolean {
    return this.kind === 'unavailable' || this.kind === 'rate_limited';
  }

  /** Attach the PBX identity if the thrower did not know it. */
  at(pbx: string, pbxType: string): this {
    this.pbx ??= pbx;
    this.pbxType ??= pbxType;
    return this;
  }
}

export function isBackendError(e: unknown): e is BackendError {
  return e instanceof BackendError;
}

const DEFAULT_HINTS: Partial<Record<ErrorKind, string>> = {
  outcome_unknown:
    'Do not retry: the action may already have happened. Check the current state (get_active_call) first.',
  unavailable: 'Nothing was done. Try again in a moment; if it persists, check that the PBX is running and reachable.',
  auth: 'Check the credentials of this PBX in the telephony-mcp config.',
  rate_limited: 'Wait a little before trying again.',
};

/** The sentence a client sees for an error: what failed, on which PBX, and what to do. */
export function describeError(e: BackendError): string {
  const where = e.pbx ? `PBX \`${e.pbx}\`${e.pbxType ? ` (${e.pbxType})` : ''}: ` : '';
  const hint = e.hint ?? DEFAULT_HINTS[e.kind];
  const message = e.message.endsWith('.') ? e.message : `${e.message}.`;
  return `${where}${message}${hint ? ` ${hint}` : ''}`;
}
