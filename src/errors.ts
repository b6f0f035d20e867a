/**
 * What went wrong, named for what it is. Every error a model may see has a `kind` that says what a model or a
 * person can do about it, a message that says what failed (no stack, no secrets), and may say what to do next:
 *
 * - BackendError: the PBX or its API failed, refused or cannot do it (thrown by adapters and the PBX handle).
 * - PolicyError: telephony-mcp's own rules refused it (dial policy, call limits, calling hours, do-not-call,
 *   read-only mode); it names the rule.
 * - ArgumentError: the request cannot be done as asked (arguments that do not fit together, a user, call or
 *   confirmation that does not match).
 * - AccessError: this caller may not do it (its OAuth token lacks the scope, or is bound to another user).
 * - ConfigError: the configuration cannot be used (at start-up; never reaches a model).
 *
 * How each is worded for a model is wording.ts, the one place; the PBX handle and the runner say which PBX an
 * error concerns, so no thrower has to.
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

/** What the wording says a hint points at, where the thrower knows only the subject (wording.ts writes the hint). */
export type ErrorSubject = 'call';

export interface ErrorInit {
  /** The configured PBX name, when the error concerns one (set by the PBX handle and the runner). */
  pbx?: string;
  /** The backend type (sim, kalliope...), for messages such as "PBX `office` (kalliope)". */
  pbxType?: string;
  /** What to do next, in the thrower's own terms (no tool names: wording.ts adds those). */
  hint?: string;
  /** What the error is about, for the hint wording.ts adds (e.g. `call`: where to see the calls). */
  about?: ErrorSubject;
  /** Internal detail for the log only; never shown to a client. */
  cause?: unknown;
  /** A vendor error code, kept for tests and logs. */
  code?: string;
}

/** An error a model may see: kind, message, hint, and the PBX it concerns. */
export abstract class TelephonyError extends Error {
  readonly kind: ErrorKind;
  pbx: string | undefined;
  pbxType: string | undefined;
  readonly hint: string | undefined;
  readonly about: ErrorSubject | undefined;
  readonly code: string | undefined;

  constructor(kind: ErrorKind, message: string, init: ErrorInit = {}) {
    super(message, init.cause === undefined ? undefined : { cause: init.cause });
    this.kind = kind;
    this.pbx = init.pbx;
    this.pbxType = init.pbxType;
    this.hint = init.hint;
    this.about = init.about;
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

/** The PBX or its API failed, refused, or cannot do the operation. */
export class BackendError extends TelephonyError {
  constructor(kind: ErrorKind, message: string, init: ErrorInit = {}) {
    super(kind, message, init);
    this.name = 'BackendError';
  }
}

/**
 * telephony-mcp's own rules refused the request; `rule` names which (audit lines and results carry it). The dial
 * policy's rules say so in the message; `dialPolicy: false` for a rule of the server's mode (read-only).
 */
export class PolicyError extends TelephonyError {
  constructor(
    readonly rule: string,
    message: string,
    hint?: string,
    kind: 'invalid' | 'rate_limited' | 'unsupported' = 'invalid',
    dialPolicy = true,
  ) {
    super(kind, dialPolicy ? `Refused by the dial policy (rule: ${rule}): ${message}` : message, {
      code: `policy.${rule}`,
      hint: hint ?? 'Nothing was dialled.',
    });
    this.name = 'PolicyError';
  }
}

/** The request cannot be done as asked: its arguments, or what they name, do not fit. Nothing was done. */
export class ArgumentError extends TelephonyError {
  constructor(kind: 'invalid' | 'not_found' | 'conflict', message: string, init: ErrorInit = {}) {
    super(kind, message, init);
    this.name = 'ArgumentError';
  }
}

/** This caller may not do it here: its token lacks the scope, or names another user (kind forbidden). */
export class AccessError extends TelephonyError {
  constructor(message: string, init: ErrorInit = {}) {
    super('forbidden', message, init);
    this.name = 'AccessError';
  }
}

/** The configuration cannot be used; stops the start with a message for the person who wrote it. */
export class ConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConfigError';
  }
}

export function isTelephonyError(e: unknown): e is TelephonyError {
  return e instanceof TelephonyError;
}

export function isBackendError(e: unknown): e is BackendError {
  return e instanceof BackendError;
}
