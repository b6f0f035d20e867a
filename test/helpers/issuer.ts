/**
 * A hand-made OAuth issuer on loopback for the refusal tests: its discovery document and JWKS over real HTTP (with
 * a count of every fetch, and switches to break them), and tokens signed as the tests want them, good or bad.
 */
import { createHmac } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { exportJWK, generateKeyPair, type JWK, type JWTPayload, SignJWT } from 'jose';

export interface TestIssuer {
  issuer: string;
  /** Fetches of each path so far. */
  hits: Map<string, number>;
  /** What the JWKS endpoint serves: the published keys (default), an error status, or a huge document. */
  mode: 'ok' | 'down' | 'huge';
  /** The discovery document names this issuer instead of its own (a mix-up the verifier must refuse). */
  claimedIssuer?: string;
  /** Key ids published in the JWKS (rotate() replaces them). */
  published(): string[];
  /** Publishes a new key (and drops the old one unless `keepOld`); tokens signed afterwards use it. */
  rotate(keepOld?: boolean): Promise<void>;
  /** A token signed with the current key (or an unpublished one), with these claims over sensible defaults. */
  sign(claims: JWTPayload, opts?: { unpublished?: boolean; kid?: string; typ?: string; alg?: 'ES256' }): Promise<string>;
  /** The public JWK of the current key (an attacker knows it). */
  publicJwk(): JWK;
  close(): Promise<void>;
}

interface Key {
  kid: string;
  privateKey: Awaited<ReturnType<typeof generateKeyPair>>['privateKey'];
  jwk: JWK;
}

async function newKey(kid: string): Promise<Key> {
  const { privateKey, publicKey } = await generateKeyPair('ES256', { extractable: true });
  return { kid, privateKey, jwk: { ...(await exportJWK(publicKey)), kid, alg: 'ES256', use: 'sig' } };
}

export async function startTestIssuer(defaults: { audience: string }): Promise<TestIssuer> {
  let keys: Key[] = [await newKey('key-1')];
  const spare = await newKey('unpublished');
  let n = 1;
  const hits = new Map<string, number>();
  const server: Server = createServer((req, res) => {
    const path = new URL(req.url ?? '/', 'http://x').pathname;
    hits.set(path, (hits.get(path) ?? 0) + 1);
    if (path === '/.well-known/openid-configuration') {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ issuer: t.claimedIssuer ?? t.issuer, jwks_uri: `${t.issuer}/jwks`, authorization_endpoint: `${t.issuer}/auth`, token_endpoint: `${t.issuer}/token` }));
      return;
    }
    if (path === '/jwks') {
      if (t.mode === 'down') {
        res.writeHead(503).end();
        return;
      }
      res.writeHead(200, { 'content-type': 'application/json' });
      if (t.mode === 'huge') {
        res.end(JSON.stringify({ keys: keys.map((k) => k.jwk), padding: 'x'.repeat(300 * 1024) }));
        return;
      }
      res.end(JSON.stringify({ keys: keys.map((k) => k.jwk) }));
      return;
    }
    res.writeHead(404).end();
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const t: TestIssuer = {
    issuer,
    hits,
    mode: 'ok',
    published: () => keys.map((k) => k.kid),
    async rotate(keepOld = false) {
      const k = await newKey(`key-${++n}`);
      keys = keepOld ? [...keys, k] : [k];
    },
    async sign(claims, opts = {}) {
      const key = opts.unpublished ? spare : keys.at(-1)!;
      const now = Math.floor(Date.now() / 1000);
      return new SignJWT({ scope: 'telephony:read telephony:act', pbx_user: 'alice', ...claims })
        .setProtectedHeader({ alg: 'ES256', kid: opts.kid ?? key.kid, typ: opts.typ ?? 'at+jwt' })
        .setIssuer((claims.iss as string | undefined) ?? issuer)
        .setAudience((claims.aud as string | undefined) ?? defaults.audience)
        .setSubject((claims.sub as string | undefined) ?? 'agent-alice')
        .setIssuedAt((claims.iat as number | undefined) ?? now)
        .setExpirationTime((claims.exp as number | undefined) ?? now + 600)
        .sign(key.privateKey);
    },
    publicJwk: () => keys.at(-1)!.jwk,
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
  return t;
}

const b64 = (v: unknown) => Buffer.from(JSON.stringify(v)).toString('base64url');

/** An unsecured JWT (`alg: none`) with these claims: no signature at all. */
export function unsignedToken(claims: JWTPayload): string {
  return `${b64({ alg: 'none', typ: 'at+jwt' })}.${b64(claims)}.`;
}

/** An HS256 token whose HMAC key is the issuer's public key (the classic algorithm-confusion forgery). */
export function hmacWithPublicKey(claims: JWTPayload, publicJwk: JWK): string {
  const head = `${b64({ alg: 'HS256', typ: 'at+jwt', kid: publicJwk.kid })}.${b64(claims)}`;
  const sig = createHmac('sha256', JSON.stringify(publicJwk)).update(head).digest('base64url');
  return `${head}.${sig}`;
}

/** The token with its payload swapped for `claims` and the original signature kept. */
export function tamperPayload(token: string, claims: JWTPayload): string {
  const [h, , s] = token.split('.');
  return `${h}.${b64(claims)}.${s}`;
}

/** The token with one character of its signature changed. */
export function tamperSignature(token: string): string {
  const [h, p, s] = token.split('.') as [string, string, string];
  const i = Math.floor(s.length / 2);
  return `${h}.${p}.${s.slice(0, i)}${s[i] === 'A' ? 'B' : 'A'}${s.slice(i + 1)}`;
}

/** The claims of a token, decoded (for building tampered copies). */
export function claimsOf(token: string): JWTPayload {
  return JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString('utf8')) as JWTPayload;
}
