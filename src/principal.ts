/**
 * Who is calling, without sessions: what confirmations, confirm tokens and audit://recent bind to. Over HTTP it
 * is the named bearer token that authenticated the request (or "local" on a loopback server without tokens);
 * over stdio, the process that started us. An OAuth issue adds its kind later (subject and scopes are there).
 */
import { randomUUID } from 'node:crypto';

export type PrincipalKind = 'token' | 'local' | 'process' | 'oauth';

export interface Principal {
  /** Stable key that bindings compare: "token:<name>", "local", "process:<uuid>". Never a credential. */
  readonly id: string;
  readonly kind: PrincipalKind;
  /** What audit lines and confirmations call it (the token's name in the config). */
  readonly name: string;
  /** An OAuth subject, when a later issue authenticates one. */
  readonly subject?: string | undefined;
  readonly scopes?: readonly string[] | undefined;
}

/** The caller behind a bearer token named `name` in the config. */
export function tokenPrincipal(name: string): Principal {
  return { id: `token:${name}`, kind: 'token', name };
}

/** Every client of a loopback HTTP server without tokens: the local user, as far as we can tell. */
export const LOCAL_PRINCIPAL: Principal = { id: 'local', kind: 'local', name: 'local' };

/** The client that started this process over stdio (one per process). */
export function processPrincipal(): Principal {
  return { id: `process:${randomUUID()}`, kind: 'process', name: 'stdio' };
}
