/**
 * `http.oauth`: the server as an OAuth 2.1 resource server. The organisation's identity provider (`issuer`) issues
 * JWT access tokens for this server (`audience`, its resource URL: RFC 8707) with scopes and a claim naming the
 * PBX user each principal is. Validated here so a mistake names its key before the server starts.
 */
import { z } from 'zod';
import { DEFAULT_SCOPES } from '../principal.js';
import { isLoopbackHost } from '../util/net.js';

/** An OAuth scope-token (RFC 6749 section 3.3): printable ASCII without space, `"` or `\`. */
const ScopeName = z.string().regex(/^[\x21\x23-\x5B\x5D-\x7E]{1,100}$/, 'an OAuth scope name: printable characters, no spaces, quotes or backslashes');

/** An absolute http(s) URL without a fragment or query, https unless it is on this machine; `example` shows one. */
function secureUrl(example: string) {
  return z
    .string()
    .max(1000)
    .superRefine((v, ctx) => {
      let u: URL;
      try {
        u = new URL(v);
      } catch {
        ctx.addIssue({ code: 'custom', message: `an absolute URL such as ${example}` });
        return;
      }
      if (u.protocol !== 'https:' && !(u.protocol === 'http:' && isLoopbackHost(u.hostname))) {
        ctx.addIssue({ code: 'custom', message: 'must use https (http only on loopback, for tests)' });
      }
      if (u.hash || v.includes('#')) ctx.addIssue({ code: 'custom', message: 'must not have a fragment (#...)' });
      if (u.search) ctx.addIssue({ code: 'custom', message: 'must not have a query (?...)' });
      if (u.username || u.password) ctx.addIssue({ code: 'custom', message: 'must not carry credentials' });
    });
}

export const OAuthConfig = z
  .strictObject({
    issuer: secureUrl('https://idp.example.com/realms/acme').describe('The identity provider (its "issuer"); its discovery document names the JWKS'),
    audience: secureUrl('https://telephony.example.com/mcp').describe(
      "This server's resource URL as clients reach it, e.g. https://telephony.example.com/mcp: the aud of its tokens (RFC 8707)",
    ),
    extraAudiences: z
      .array(z.string().min(1).max(500))
      .max(10)
      .default([])
      .describe('Other aud values to accept, when the provider puts its own (Entra ID: the application client id)'),
    userClaim: z
      .string()
      .regex(/^[A-Za-z0-9_.:/-]{1,100}$/, 'a claim name')
      .default('pbx_user')
      .describe('The claim naming the PBX user a principal is: a login, or {"<pbx name>": "<login>"}'),
    scopes: z
      .strictObject({ read: ScopeName.optional(), act: ScopeName.optional(), supervise: ScopeName.optional() })
      .prefault({})
      .transform((s) => ({ read: s.read ?? DEFAULT_SCOPES.read, act: s.act ?? DEFAULT_SCOPES.act, supervise: s.supervise ?? DEFAULT_SCOPES.supervise }))
      .refine((s) => new Set([s.read, s.act, s.supervise]).size === 3, 'read, act and supervise need three different scope names')
      .describe('Scope names of read, act and supervise (default telephony:read, telephony:act, telephony:supervise)'),
  })
  .describe('OAuth 2.1: accept JWT access tokens of this identity provider (besides any static tokens)');
export type OAuthConfig = z.infer<typeof OAuthConfig>;
