/**
 * What the HTTP transport tells an OAuth client: the Protected Resource Metadata document (RFC 9728) naming the
 * identity provider and the scopes, and the WWW-Authenticate challenges of a 401 (no valid token: where to get
 * one) and a 403 (insufficient_scope: which scopes the request needs), as the MCP authorization spec asks.
 */
import type { OAuthConfig } from './config.js';

export const PRM_PATH = '/.well-known/oauth-protected-resource';

/** The Protected Resource Metadata document. */
export function resourceMetadata(cfg: OAuthConfig): Record<string, unknown> {
  return {
    resource: cfg.audience,
    authorization_servers: [cfg.issuer],
    scopes_supported: [cfg.scopes.read, cfg.scopes.act, cfg.scopes.supervise],
    bearer_methods_supported: ['header'],
    resource_name: 'telephony-mcp',
  };
}

/**
 * The paths the document is served at: the path-suffixed form for the resource URL's own path (where clients look
 * first), for the endpoint's path on this server (when a proxy maps another one), and the bare well-known path.
 */
export function metadataPaths(cfg: OAuthConfig, endpointPath: string): Set<string> {
  const own = new URL(cfg.audience).pathname.replace(/\/$/, '');
  return new Set([PRM_PATH, `${PRM_PATH}${own}`, `${PRM_PATH}${endpointPath.replace(/\/$/, '')}`]);
}

/** A quoted-string of a challenge parameter (RFC 9110): no quote, backslash or control character gets through. */
function quoted(v: string): string {
  return `"${v.replace(/[\\"]/g, '\\$&').replace(/[^\x20-\x7e]/g, ' ')}"`;
}

/** A `Bearer` challenge with these parameters, in the order given. */
export function bearerChallenge(params: Record<string, string | undefined>): string {
  const parts = Object.entries(params)
    .filter((e): e is [string, string] => e[1] !== undefined)
    .map(([k, v]) => `${k}=${quoted(v)}`);
  return `Bearer ${parts.join(', ')}`;
}

/** The scopes a client should ask for to use this server at all: read and act (supervise is stepped up to). */
export function baselineScopes(cfg: OAuthConfig): string {
  return `${cfg.scopes.read} ${cfg.scopes.act}`;
}
