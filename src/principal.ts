/**
 * Who is calling, without sessions: what confirmations, confirm tokens and audit://recent bind to. Over HTTP it
 * is the named bearer token that authenticated the request, the subject of an OAuth access token, or "local" on
 * a loopback server without tokens; over stdio, the process that started us.
 *
 * Only an OAuth principal carries a Grant: the rights its token's scopes give and the PBX user it is. A principal
 * without one (a static token, the local user, stdio) may do everything the server offers, as before OAuth.
 */
import { randomUUID } from 'node:crypto';

export type PrincipalKind = 'token' | 'local' | 'process' | 'oauth';

/** What a scope allows: read (tools and resources that only read), act (the rest), supervise (other users). */
export type Right = 'read' | 'act' | 'supervise';
export const RIGHTS: readonly Right[] = ['read', 'act', 'supervise'];

/** The OAuth scope names of each right in this deployment (http.oauth.scopes). */
export type ScopeNames = Readonly<Record<Right, string>>;
export const DEFAULT_SCOPES: ScopeNames = { read: 'telephony:read', act: 'telephony:act', supervise: 'telephony:supervise' };

/** What an OAuth principal may do, from its access token. */
export interface Grant {
  readonly rights: ReadonlySet<Right>;
  /** The scope name of each right, for refusals that name the scope to ask for. */
  readonly scopes: ScopeNames;
  /**
   * The PBX user this principal is (the user claim): one login for every PBX, or one per PBX name. Undefined: none,
   * so it acts for nobody unless it may supervise.
   */
  readonly user?: string | Readonly<Record<string, string>> | undefined;
}

export interface Principal {
  /** Stable key that bindings compare: "token:<name>", "oauth:<sub>", "local", "process:<uuid>". Never a credential. */
  readonly id: string;
  readonly kind: PrincipalKind;
  /** What audit lines and confirmations call it (the token's name in the config, an OAuth subject). */
  readonly name: string;
  /** The OAuth subject (`sub`). */
  readonly subject?: string | undefined;
  /** The OAuth client the token was issued to (`azp` or `client_id`), when the token says. */
  readonly client?: string | undefined;
  /** The token's scopes as it lists them. */
  readonly scopes?: readonly string[] | undefined;
  /** Undefined: unrestricted (a static token, the local user, stdio). */
  readonly grant?: Grant | undefined;
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

/** The caller an OAuth access token names: its subject, its scopes mapped to rights, and its PBX user. */
export function oauthPrincipal(t: {
  subject: string;
  client?: string | undefined;
  scopes: readonly string[];
  names: ScopeNames;
  user?: Grant['user'];
}): Principal {
  const granted = new Set(t.scopes);
  const rights = new Set(RIGHTS.filter((r) => granted.has(t.names[r])));
  return {
    id: `oauth:${t.subject}`,
    kind: 'oauth',
    name: t.subject,
    subject: t.subject,
    client: t.client,
    scopes: [...t.scopes],
    grant: { rights, scopes: t.names, user: t.user },
  };
}

/** Whether `p` has `right` (a principal without a grant has every right). */
export function may(p: Principal, right: Right): boolean {
  return !p.grant || p.grant.rights.has(right);
}

/** The PBX user `p` is on PBX `pbx` by its grant; undefined when it names none (or has no grant). */
export function ownUser(p: Principal, pbx: string): string | undefined {
  const u = p.grant?.user;
  return typeof u === 'string' ? u : u?.[pbx];
}

/** How a confirmation and a log line name the caller: "alice@example (client claude)". */
export function describePrincipal(p: Principal, clientName?: string): string {
  const via = clientName ?? p.client;
  return `${p.name}${via ? ` through ${via}` : ''}`;
}
