/**
 * Confirmation of destructive and costly actions. With a client that declared elicitation, the person is
 * asked through it (one boolean field); otherwise the tool returns a one-time confirm_token bound to the tool,
 * its exact arguments and the session, valid for two minutes, which the model passes back after asking. Only a
 * successful redemption uses a token up.
 */
import { createHash, randomBytes } from 'node:crypto';

/** How a confirmation ended, as audited. */
export type ConfirmOutcome =
  | 'not_required'
  | 'accepted' // elicitation accepted with confirm = true
  | 'token' // a valid confirm_token was redeemed
  | 'declined'
  | 'cancelled'
  | 'timeout'
  | 'failed' // the elicitation request itself failed
  | 'token_issued'
  | 'token_refused';

/** Ends a tool call without acting: the result is a normal (not isError) one. */
export class ConfirmationStop extends Error {
  constructor(
    readonly outcome: Exclude<ConfirmOutcome, 'not_required' | 'accepted' | 'token'>,
    readonly action: string,
    readonly token?: { token: string; expiresAt: string },
  ) {
    super(`confirmation: ${outcome}`);
  }
}

export const TOKEN_TTL_MS = 2 * 60_000;

interface Pending {
  tool: string;
  argsHash: string;
  /** What the tool resolved the arguments to when it asked (the current call, the contacts to delete...). */
  bindHash: string;
  session: string;
  expiresAt: number;
}

/** Canonical JSON (sorted keys) of the arguments, without the token itself. */
export function argsDigest(args: Record<string, unknown>): string {
  const canon = (v: unknown): unknown => {
    if (Array.isArray(v)) return v.map(canon);
    if (v && typeof v === 'object') {
      return Object.fromEntries(
        Object.keys(v)
          .filter((k) => k !== 'confirm_token' && (v as Record<string, unknown>)[k] !== undefined)
          .sort()
          .map((k) => [k, canon((v as Record<string, unknown>)[k])]),
      );
    }
    return v;
  };
  return createHash('sha256').update(JSON.stringify(canon(args))).digest('hex');
}

export class TokenStore {
  private readonly pending = new Map<string, Pending>();

  constructor(
    private readonly now: () => number = Date.now,
    private readonly ttlMs = TOKEN_TTL_MS,
  ) {}

  /**
   * A token for `tool` with `args` in `session`. `bind` is what the arguments meant when the person was asked
   * (without call_id, "the current call" is whichever call is current): the token is good only while they still
   * mean the same, so a confirmed hangup never ends a call that became current since.
   */
  issue(tool: string, args: Record<string, unknown>, session: string, bind?: unknown): { token: string; expiresAt: string } {
    this.sweep();
    const token = `ct_${randomBytes(18).toString('base64url')}`;
    const expiresAt = this.now() + this.ttlMs;
    this.pending.set(token, { tool, argsHash: argsDigest(args), bindHash: argsDigest({ bind }), session, expiresAt });
    return { token, expiresAt: new Date(expiresAt).toISOString() };
  }

  /**
   * Redeem a token: undefined when valid (the token is used up); otherwise why it was refused. A refused attempt
   * leaves the token as it was: another session, another tool or other arguments must not be able to spoil a
   * confirmation the person gave (the token is 144 random bits, so trying it costs a guesser nothing it could use).
   * Only an expired token is dropped.
   */
  redeem(token: string, tool: string, args: Record<string, unknown>, session: string, bind?: unknown): string | undefined {
    const p = this.pending.get(token);
    if (!p) return 'it is unknown or was already used (tokens are single use)';
    if (this.now() > p.expiresAt) {
      this.pending.delete(token);
      return 'it has expired (tokens last 2 minutes)';
    }
    if (p.session !== session) return 'it was issued to another session';
    if (p.tool !== tool) return `it was issued for ${p.tool}, not ${tool}`;
    if (p.argsHash !== argsDigest(args)) return 'the arguments differ from the ones it was issued for';
    if (p.bindHash !== argsDigest({ bind })) {
      return 'what the action would act on changed since the user confirmed it (for example another call is current now)';
    }
    this.pending.delete(token);
    return undefined;
  }

  private sweep(): void {
    const t = this.now();
    for (const [k, p] of this.pending) if (t > p.expiresAt) this.pending.delete(k);
  }

  get size(): number {
    return this.pending.size;
  }
}

/** The elicitation form: one boolean and nothing else (never a password, PIN or token). */
export const CONFIRM_SCHEMA = {
  type: 'object',
  properties: {
    confirm: {
      type: 'boolean',
      title: 'Confirm',
      description: 'Check to carry out the action described above',
      default: false,
    },
  },
  required: ['confirm'],
} as const;
