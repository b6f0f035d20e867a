/**
 * Checks an OAuth access token (a JWT, RFC 9068) and names the principal it stands for. The signature is checked
 * with the issuer's published keys (keys.ts) by `jose`, a maintained, dependency-free JOSE implementation (the same
 * author's certified OpenID provider builds on it; the MCP client SDK already ships it): hand-written JWS checks are
 * where algorithm confusion creeps in. Accepted: a signature by an asymmetric algorithm of the allow-list that
 * matches the key's type (never `none`, never an HMAC), our issuer exactly, our audience, `exp` in the future and
 * `nbf` past (with a small skew), a subject. A failure says only that the token was refused, plus a reason code
 * for our own log; nothing of the token itself is kept, logged or passed on.
 */
import { decodeProtectedHeader, type JWTPayload, jwtVerify } from 'jose';
import type { Logger } from '../log.js';
import { type Grant, oauthPrincipal, type Principal } from '../principal.js';
import { cleanText } from '../safety/sanitize.js';
import type { OAuthConfig } from './config.js';
import { type FetchLike, IssuerKeys, KeysUnavailable, UnknownKey } from './keys.js';

/** Signature algorithms accepted: asymmetric only, so a public key can never serve as an HMAC secret. */
export const ALLOWED_ALGORITHMS = ['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'ES512', 'EdDSA', 'Ed25519'];
/** Seconds of clock difference tolerated on exp and nbf. */
export const CLOCK_SKEW_SECONDS = 30;
/** A bearer token longer than this is refused unread (a real access token is a few kilobytes). */
export const MAX_TOKEN_CHARS = 12 * 1024;
/** `typ` values of an access token (RFC 9068's, and the generic one most providers put); others are other JWTs. */
const ACCESS_TOKEN_TYPES = new Set(['jwt', 'at+jwt', 'application/at+jwt']);
/** The user claim: a login or extension as tools take it. */
const USER = /^[^\u0000-\u001f/\\?#&;,]{1,64}$/;
const PBX_NAME = /^[A-Za-z0-9_-]{1,40}$/;
const MAX_SCOPES = 100;

/** Why a token was refused: for our log and tests only, never for the client. */
export type RefusalReason =
  | 'too large'
  | 'malformed'
  | 'algorithm'
  | 'type'
  | 'unknown key'
  | 'signature'
  | 'issuer'
  | 'audience'
  | 'expired'
  | 'not yet valid'
  | 'claims';

export type Verdict = { ok: true; principal: Principal } | { ok: false; reason: RefusalReason } | { ok: false; unavailable: true };

/** The user claim as a Grant's user: a login, or one per PBX. Undefined when missing; 'malformed' when unusable. */
export function parseUserClaim(v: unknown): Grant['user'] | 'malformed' {
  if (v === undefined || v === null) return undefined;
  if (typeof v === 'string') return USER.test(v) ? v : 'malformed';
  if (typeof v !== 'object' || Array.isArray(v)) return 'malformed';
  const entries = Object.entries(v as Record<string, unknown>);
  if (entries.length > 100 || !entries.every(([k, u]) => PBX_NAME.test(k) && typeof u === 'string' && USER.test(u))) return 'malformed';
  return Object.fromEntries(entries) as Record<string, string>;
}

/** The scopes a token carries: `scope` (RFC 9068: space-separated), else `scp` (a string or a list, as some providers put it). */
function scopesOf(p: JWTPayload): string[] | undefined {
  const raw = p.scope ?? p.scp;
  const list = typeof raw === 'string' ? raw.split(' ').filter(Boolean) : Array.isArray(raw) ? raw : raw === undefined ? [] : undefined;
  if (!list || list.length > MAX_SCOPES || !list.every((s) => typeof s === 'string' && s.length <= 200)) return undefined;
  return list as string[];
}

export class OAuthVerifier {
  private readonly keys: IssuerKeys;
  private readonly audiences: string[];
  /** Subjects whose user claim was unusable, warned about once each (bounded). */
  private readonly warned = new Set<string>();

  constructor(
    private readonly cfg: OAuthConfig,
    private readonly log: Logger,
    opts: { fetch?: FetchLike; now?: () => number } = {},
  ) {
    this.now = opts.now ?? Date.now;
    this.keys = new IssuerKeys(cfg.issuer, log, opts.fetch, this.now);
    this.audiences = [cfg.audience, ...cfg.extraAudiences];
  }

  private readonly now: () => number;

  async verify(token: string): Promise<Verdict> {
    if (token.length > MAX_TOKEN_CHARS) return { ok: false, reason: 'too large' };
    let header;
    try {
      header = decodeProtectedHeader(token);
    } catch {
      return { ok: false, reason: 'malformed' };
    }
    if (typeof header.alg !== 'string' || !ALLOWED_ALGORITHMS.includes(header.alg)) return { ok: false, reason: 'algorithm' };
    if (header.typ !== undefined && !ACCESS_TOKEN_TYPES.has(String(header.typ).toLowerCase())) return { ok: false, reason: 'type' };
    let payload: JWTPayload;
    try {
      ({ payload } = await jwtVerify(token, (h, t) => this.keys.key(h, t), {
        issuer: this.cfg.issuer,
        audience: this.audiences,
        algorithms: ALLOWED_ALGORITHMS,
        clockTolerance: CLOCK_SKEW_SECONDS,
        requiredClaims: ['exp', 'sub'],
        currentDate: new Date(this.now()),
      }));
    } catch (e) {
      if (e instanceof KeysUnavailable) return { ok: false, unavailable: true };
      return { ok: false, reason: reasonOf(e) };
    }
    const subject = typeof payload.sub === 'string' && payload.sub.length > 0 && payload.sub.length <= 255 ? payload.sub : undefined;
    const scopes = scopesOf(payload);
    if (!subject || !scopes) return { ok: false, reason: 'claims' };
    const client = [payload.azp, payload.client_id].find((c): c is string => typeof c === 'string' && c.length > 0);
    let user = parseUserClaim(payload[this.cfg.userClaim]);
    if (user === 'malformed') {
      // The token is good; only the claim naming its PBX user is not: it acts for nobody (the value is not logged).
      if (!this.warned.has(subject) && this.warned.size < 1000) {
        this.warned.add(subject);
        this.log.warn(`the ${this.cfg.userClaim} claim of an access token is not a PBX login or a {pbx: login} map; that principal acts for no user`, {
          subject: cleanText(subject, 100),
        });
      }
      user = undefined;
    }
    return {
      ok: true,
      principal: oauthPrincipal({
        subject: cleanText(subject, 255),
        client: client === undefined ? undefined : cleanText(client, 100),
        scopes,
        names: this.cfg.scopes,
        user,
      }),
    };
  }
}

function reasonOf(e: unknown): RefusalReason {
  if (e instanceof UnknownKey) return 'unknown key';
  const err = e as { code?: string; claim?: string };
  switch (err.code) {
    case 'ERR_JWT_EXPIRED':
      return 'expired';
    case 'ERR_JWT_CLAIM_VALIDATION_FAILED':
      return err.claim === 'nbf' ? 'not yet valid' : err.claim === 'iss' ? 'issuer' : err.claim === 'aud' ? 'audience' : 'claims';
    case 'ERR_JWS_SIGNATURE_VERIFICATION_FAILED':
      return 'signature';
    case 'ERR_JOSE_ALG_NOT_ALLOWED':
    case 'ERR_JOSE_NOT_SUPPORTED':
      return 'algorithm';
    case 'ERR_JWKS_NO_MATCHING_KEY':
    case 'ERR_JWKS_MULTIPLE_MATCHING_KEYS':
      return 'unknown key';
    default:
      return 'malformed';
  }
}
