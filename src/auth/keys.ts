/**
 * The identity provider's signing keys: its discovery document (OpenID Connect Discovery, else RFC 8414) names the
 * JWKS, which is fetched, cached and refreshed. Every fetch has a deadline and a size bound and follows no
 * redirect; a refresh happens when the keys are old or a token names a key we do not have, at most once per
 * cooldown whatever the outcome, so tokens with made-up key ids cannot make us hammer the provider. Keys already
 * fetched stay in use while the provider cannot be reached. Per process: replicas each keep their own.
 */
import { createLocalJWKSet, type JSONWebKeySet, type JWSHeaderParameters } from 'jose';
import type { Logger } from '../log.js';
import { isLoopbackHost } from '../util/net.js';

/** A discovery document or a JWKS larger than this is refused. */
export const MAX_DOCUMENT_BYTES = 256 * 1024;
/** Keys in a JWKS we keep at most (a provider publishes a handful). */
export const MAX_KEYS = 50;
export const FETCH_DEADLINE_MS = 5000;
/** Keys older than this are refreshed before use (they stay in use if the refresh fails). */
export const KEYS_MAX_AGE_MS = 10 * 60_000;
/** At most one fetch from the provider per this long, whatever asks for it. */
export const REFETCH_COOLDOWN_MS = 30_000;

export type FetchLike = (url: string, init: RequestInit) => Promise<Response>;

/** The provider could not be reached (or answered nonsense) and no keys are at hand: not the token's fault. */
export class KeysUnavailable extends Error {}
/** The token names a key the provider does not publish (after a refresh, or within the cooldown). */
export class UnknownKey extends Error {}

/** An https URL (http only on loopback), as a provider's document must name its endpoints. */
function checkedUrl(raw: unknown, what: string): URL {
  if (typeof raw !== 'string') throw new Error(`the provider's ${what} is missing`);
  const u = new URL(raw);
  if (u.protocol !== 'https:' && !(u.protocol === 'http:' && isLoopbackHost(u.hostname))) throw new Error(`the provider's ${what} is not https`);
  return u;
}

/** GET a JSON document with a deadline and a size bound, following no redirect. */
export async function fetchJson(fetchImpl: FetchLike, url: URL, accept: string): Promise<unknown> {
  const signal = AbortSignal.timeout(FETCH_DEADLINE_MS);
  const res = await fetchImpl(url.href, { method: 'GET', redirect: 'manual', signal, headers: { accept } });
  if (res.status !== 200) {
    await res.body?.cancel().catch(() => {});
    throw new Error(`HTTP ${res.status} from ${url.origin}${url.pathname}`);
  }
  const declared = Number(res.headers.get('content-length') ?? NaN);
  if (declared > MAX_DOCUMENT_BYTES) {
    await res.body?.cancel().catch(() => {});
    throw new Error(`a document of ${declared} bytes from ${url.origin}${url.pathname} (at most ${MAX_DOCUMENT_BYTES})`);
  }
  const chunks: Uint8Array[] = [];
  let size = 0;
  const reader = res.body?.getReader();
  if (!reader) throw new Error(`an empty answer from ${url.origin}${url.pathname}`);
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > MAX_DOCUMENT_BYTES) {
      await reader.cancel().catch(() => {});
      throw new Error(`a document over ${MAX_DOCUMENT_BYTES} bytes from ${url.origin}${url.pathname}`);
    }
    chunks.push(value);
  }
  return JSON.parse(Buffer.concat(chunks).toString('utf8')) as unknown;
}

/** Where the discovery documents of `issuer` are: OpenID Connect's, then RFC 8414's (path after the well-known part). */
export function discoveryUrls(issuer: string): URL[] {
  const u = new URL(issuer);
  const path = u.pathname.replace(/\/$/, '');
  return [new URL(`${u.origin}${path}/.well-known/openid-configuration`), new URL(`${u.origin}/.well-known/oauth-authorization-server${path}`)];
}

type KeyResolver = ReturnType<typeof createLocalJWKSet>;

export class IssuerKeys {
  private jwksUri?: URL;
  private resolver?: KeyResolver;
  private fetchedAt = -Infinity;
  private lastAttempt = -Infinity;
  private pending?: Promise<void>;

  constructor(
    private readonly issuer: string,
    private readonly log: Logger,
    private readonly fetchImpl: FetchLike = fetch,
    private readonly now: () => number = Date.now,
  ) {}

  /** The key a token's header names, for jose's jwtVerify. */
  async key(header: JWSHeaderParameters, token: Parameters<KeyResolver>[1]): Promise<Awaited<ReturnType<KeyResolver>>> {
    if (!this.resolver || this.now() - this.fetchedAt > KEYS_MAX_AGE_MS) await this.refresh();
    if (!this.resolver) throw new KeysUnavailable('no signing keys of the identity provider yet');
    try {
      return await this.resolver(header, token);
    } catch (e) {
      if ((e as { code?: string }).code !== 'ERR_JWKS_NO_MATCHING_KEY') throw e;
    }
    // A key we do not know: the provider may have rotated its keys, if it is time to ask again.
    if (!(await this.refresh())) throw new UnknownKey('no key of the identity provider matches the token');
    try {
      return await this.resolver(header, token);
    } catch (e) {
      if ((e as { code?: string }).code === 'ERR_JWKS_NO_MATCHING_KEY') throw new UnknownKey('no key of the identity provider matches the token');
      throw e;
    }
  }

  /** Fetches the keys when the cooldown allows (one fetch at a time); true when a fetch ran and succeeded. */
  private async refresh(): Promise<boolean> {
    if (this.pending) {
      await this.pending;
      return this.now() - this.fetchedAt < REFETCH_COOLDOWN_MS;
    }
    if (this.now() - this.lastAttempt < REFETCH_COOLDOWN_MS) return false;
    this.lastAttempt = this.now();
    let ok = false;
    this.pending = this.load()
      .then(() => void (ok = true))
      .catch((e: unknown) => {
        this.log.warn(
          this.resolver ? 'could not refresh the identity provider\'s keys; the ones fetched before stay in use' : 'could not fetch the identity provider\'s keys: OAuth tokens cannot be checked yet',
          { issuer: this.issuer, error: e instanceof Error ? e.message : String(e), retryAfterSeconds: REFETCH_COOLDOWN_MS / 1000 },
        );
      })
      .finally(() => (this.pending = undefined));
    await this.pending;
    return ok;
  }

  private async load(): Promise<void> {
    this.jwksUri ??= await this.discover();
    const jwks = (await fetchJson(this.fetchImpl, this.jwksUri, 'application/jwk-set+json, application/json')) as JSONWebKeySet;
    if (!jwks || !Array.isArray(jwks.keys)) throw new Error('the JWKS has no "keys" array');
    // Only signing keys, and only so many: a provider publishes a handful.
    const keys = jwks.keys.filter((k) => k && typeof k === 'object' && k.use !== 'enc' && k.kty !== 'oct').slice(0, MAX_KEYS);
    this.resolver = createLocalJWKSet({ keys });
    this.fetchedAt = this.now();
  }

  /** The jwks_uri of the provider's discovery document, whose issuer must be ours exactly. */
  private async discover(): Promise<URL> {
    const failures: string[] = [];
    for (const url of discoveryUrls(this.issuer)) {
      try {
        const doc = (await fetchJson(this.fetchImpl, url, 'application/json')) as { issuer?: unknown; jwks_uri?: unknown };
        if (doc.issuer !== this.issuer) throw new Error(`the discovery document at ${url.origin}${url.pathname} names another issuer`);
        return checkedUrl(doc.jwks_uri, 'jwks_uri');
      } catch (e) {
        failures.push(e instanceof Error ? e.message : String(e));
      }
    }
    throw new Error(`no usable discovery document: ${failures.join('; ')}`);
  }
}
