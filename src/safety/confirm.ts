/**
 * Confirmation of destructive and costly actions, without sessions. How the person is asked depends on the
 * client: a 2025-11-25 client that declared elicitation is asked over its session (elicitation/create); a
 * 2026-07-28 client that declared it gets an MRTR round (input_required with one elicitation and a signed
 * requestState); any other client gets a confirm_token that the model passes back after asking. The
 * requestState and the confirm_token are the same signed ticket: bound to the tool, a digest of its arguments,
 * what the tool resolved them to (the current call, the contact as read) and the principal, valid for two
 * minutes, and single use (its nonce is claimed once, in a ClaimStore, just before acting). Only acting uses a
 * ticket up: a refused attempt (another client, tool, arguments or target) leaves it good for the call it was
 * issued for, so nobody can spoil a confirmation the person gave.
 */
import { createHash, randomBytes } from 'node:crypto';
import { MIN_STATE_SECRET_BYTES } from './policy-config.js';
import type { Principal } from '../principal.js';
import type { ClaimStore } from './claims.js';
import { addSecret } from './redact.js';

/** How a confirmation ended, as audited. */
export type ConfirmOutcome =
  | 'not_required'
  | 'accepted' // elicitation (or an MRTR retry) accepted with confirm = true
  | 'token' // a valid confirm_token was redeemed
  | 'declined'
  | 'cancelled'
  | 'timeout'
  | 'failed' // the elicitation request itself failed
  | 'token_issued'
  | 'token_refused'
  | 'asked' // an MRTR round: input_required with the question and a requestState
  | 'state_refused'; // a requestState that fails verification, or was used before

/** Ends a tool call without acting: the result is a normal (not isError) one, or an MRTR round. */
export class ConfirmationStop extends Error {
  constructor(
    readonly outcome: Exclude<ConfirmOutcome, 'not_required' | 'accepted' | 'token' | 'token_refused' | 'state_refused'>,
    readonly action: string,
    readonly token?: { token: string; expiresAt: string },
    readonly requestState?: string,
  ) {
    super(`confirmation: ${outcome}`);
  }
}

export const TOKEN_TTL_MS = 2 * 60_000;

/** What the person's answer to an MRTR round was, as the glue read it from inputResponses. */
export type RoundAnswer = { action: 'accept' | 'decline' | 'cancel'; confirm?: boolean } | 'missing';

/**
 * What a confirmation binds. Signed, not encrypted: a client can read it, so it holds digests and names only.
 * Short keys: the sealed form travels as a tool argument (confirm_token) and in every MRTR retry.
 */
export interface Ticket {
  v: 1;
  /** token: a confirm_token; state: an MRTR requestState. One is never accepted as the other. */
  k: 'token' | 'state';
  /** The tool. */
  t: string;
  /** Digest of the arguments (without confirm_token). */
  a: string;
  /** Digest of what the tool resolved them to when it asked. */
  b: string;
  /** Digest of the principal's id. */
  p: string;
  /** Nonce: claimed once when the ticket is acted on. */
  n: string;
  /** Expiry, ms since the epoch (on the app's clock). */
  x: number;
}

/** Signs and verifies tickets: the glue provides one over the SDK's request-state codec (HMAC-SHA256). */
export interface Sealer {
  seal(ticket: Ticket): Promise<string>;
  /** The payload of a string this server sealed; throws for anything else (tampered, foreign, lapsed). */
  open(sealed: string): Promise<unknown>;
}

function digest(value: unknown): string {
  return createHash('sha256').update(JSON.stringify(value)).digest('base64url');
}

/** Canonical digest (sorted keys, undefined dropped) of the arguments, without the token itself. */
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
  return digest(canon(args));
}

const bindDigest = (bind: unknown) => argsDigest({ bind });

function isTicket(v: unknown): v is Ticket {
  const t = v as Ticket;
  return (
    !!t &&
    typeof t === 'object' &&
    t.v === 1 &&
    (t.k === 'token' || t.k === 'state') &&
    [t.t, t.a, t.b, t.p, t.n].every((s) => typeof s === 'string') &&
    typeof t.x === 'number'
  );
}

const NAMES = { token: 'confirm_token', state: 'requestState' } as const;

export type Opened = { ok: true; ticket: Ticket } | { ok: false; why: string };

/** Why a replayed confirmation is refused, as claim() says it (callers add what is single use). */
export const ALREADY_USED = 'it was already used';

export class Confirmations {
  constructor(
    private readonly sealer: Sealer,
    private readonly claims: ClaimStore,
    private readonly now: () => number = Date.now,
    readonly ttlMs = TOKEN_TTL_MS,
  ) {}

  /**
   * A ticket for `tool` with `args` by `principal`. `bind` is what the arguments meant when the person was asked
   * (without call_id, "the current call" is whichever call is current): the ticket is good only while they still
   * mean the same, so a confirmed hangup never ends a call that became current since.
   */
  async issue(
    kind: Ticket['k'],
    tool: string,
    args: Record<string, unknown>,
    principal: Principal,
    bind?: unknown,
  ): Promise<{ sealed: string; expiresAt: string }> {
    const x = this.now() + this.ttlMs;
    const ticket: Ticket = { v: 1, k: kind, t: tool, a: argsDigest(args), b: bindDigest(bind), p: digest(principal.id), n: randomBytes(16).toString('base64url'), x };
    return { sealed: await this.sealer.seal(ticket), expiresAt: new Date(x).toISOString() };
  }

  /** Verifies a sealed ticket against this call, except for what it binds and its single use. */
  async open(kind: Ticket['k'], sealed: string, tool: string, args: Record<string, unknown>, principal: Principal): Promise<Opened> {
    let payload: unknown;
    try {
      payload = await this.sealer.open(sealed);
    } catch (e) {
      return {
        ok: false,
        why:
          (e as Error).message === 'expired'
            ? `it has expired (a confirmation lasts ${this.ttlMs / 60_000} minutes)`
            : `it is not a ${NAMES[kind]} this server issued (changed, from another server, or issued before a restart without safety.stateSecret)`,
      };
    }
    if (!isTicket(payload) || payload.k !== kind) return { ok: false, why: `it is not a ${NAMES[kind]} this server issued` };
    if (payload.p !== digest(principal.id)) return { ok: false, why: 'it was issued to another client' };
    if (this.now() > payload.x) return { ok: false, why: `it has expired (a confirmation lasts ${this.ttlMs / 60_000} minutes)` };
    if (payload.t !== tool) return { ok: false, why: `it was issued for ${payload.t}, not ${tool}` };
    if (payload.a !== argsDigest(args)) return { ok: false, why: 'the arguments differ from the ones it was issued for' };
    return { ok: true, ticket: payload };
  }

  /** Whether what the tool resolved its arguments to now is what the person was asked about. */
  bound(ticket: Ticket, bind: unknown): boolean {
    return ticket.b === bindDigest(bind);
  }

  /** Uses the ticket up: true once; for every later attempt (a replay), why it cannot be used (ALREADY_USED, or why not known). */
  async claim(ticket: Ticket): Promise<true | string> {
    const claimed = await this.claims.claim(`confirm:${ticket.n}`, Math.max(1000, ticket.x - this.now() + 60_000), ticket.x - this.ttlMs);
    if (claimed === true) return true;
    return claimed === 'forgotten'
      ? 'the shared store restarted and lost its record of used confirmations after this one was issued, so whether it was used cannot be told'
      : ALREADY_USED;
  }
}

/**
 * The key confirmations are signed with: safety.stateSecret (validated with the config), else
 * TELEPHONY_MCP_STATE_SECRET, else undefined (the caller makes a random one for this process). A key from the
 * environment is held to the same minimum and registered as a secret. Throws naming the variable and the fix.
 */
export function stateSecret(configSecret: string | undefined, env: NodeJS.ProcessEnv): string | undefined {
  if (configSecret) return configSecret;
  const secret = env.TELEPHONY_MCP_STATE_SECRET || undefined;
  if (secret === undefined) return undefined;
  const bytes = Buffer.byteLength(secret, 'utf8');
  if (bytes < MIN_STATE_SECRET_BYTES) {
    throw new Error(
      `TELEPHONY_MCP_STATE_SECRET is too short (${bytes} bytes; at least ${MIN_STATE_SECRET_BYTES}): set it to a long random value, ` +
        'e.g. TELEPHONY_MCP_STATE_SECRET=$(openssl rand -hex 32), or unset it',
    );
  }
  addSecret(secret);
  return secret;
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
