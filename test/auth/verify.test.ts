/**
 * The access-token check against a real (hand-made) issuer over loopback HTTP: a good token names its principal,
 * and every forgery or mistake is refused with its reason (for our log only). The JWKS is fetched once, refreshed on
 * an unknown key id at most once per cooldown however many made-up ids arrive, kept while the issuer is down, and
 * refused when it is too large or the discovery document names another issuer.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { OAuthConfig } from '../../src/auth/config.js';
import { parseConfig } from '../../src/config.js';
import { REFETCH_COOLDOWN_MS } from '../../src/auth/keys.js';
import { MAX_TOKEN_CHARS, OAuthVerifier, parseUserClaim } from '../../src/auth/verify.js';
import { LogHub } from '../../src/log.js';
import { claimsOf, hmacWithPublicKey, startTestIssuer, tamperPayload, tamperSignature, type TestIssuer, unsignedToken } from '../helpers/issuer.js';

const AUDIENCE = 'https://telephony.example.com/mcp';
let idp: TestIssuer;
let clock = Date.now();
let logged = '';

function verifier(extra: Record<string, unknown> = {}): OAuthVerifier {
  const cfg = OAuthConfig.parse({ issuer: idp.issuer, audience: AUDIENCE, ...extra });
  const logs = new LogHub({ level: 'debug', write: (l) => void (logged += l) });
  return new OAuthVerifier(cfg, logs.logger(), { now: () => clock });
}

beforeAll(async () => {
  idp = await startTestIssuer({ audience: AUDIENCE });
});
afterAll(() => idp.close());
beforeEach(() => {
  clock = Date.now();
  idp.mode = 'ok';
  idp.claimedIssuer = undefined;
  idp.hits.clear();
  logged = '';
});

const now = () => Math.floor(Date.now() / 1000);
const jwksFetches = () => idp.hits.get('/jwks') ?? 0;

describe('a good token', () => {
  it('names its principal: subject, client, scopes as rights, and the PBX user of its claim', async () => {
    const v = verifier();
    const r = await v.verify(await idp.sign({ sub: 'agent-7', azp: 'claude', scope: 'telephony:read telephony:act openid' }));
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.principal).toMatchObject({ id: 'oauth:agent-7', kind: 'oauth', name: 'agent-7', subject: 'agent-7', client: 'claude' });
    expect([...r.principal.grant!.rights].sort()).toEqual(['act', 'read']);
    expect(r.principal.grant!.user).toBe('alice');
  });

  it('keeps nothing of the token in the principal it names', async () => {
    const token = await idp.sign({ sub: 'agent-7' });
    const r = await verifier().verify(token);
    const kept = JSON.stringify(r.ok && { ...r.principal, grant: { ...r.principal.grant, rights: [...r.principal.grant!.rights] } });
    for (const part of token.split('.')) expect(kept).not.toContain(part);
  });

  it('reads scopes from scp as a list (Okta, Entra ID), custom scope names, a per-PBX user map and another claim name', async () => {
    const v = verifier({ userClaim: 'ext_pbx', scopes: { read: 'tel.read', supervise: 'tel.sup' } });
    const r = await v.verify(await idp.sign({ scope: undefined, scp: ['tel.read', 'tel.sup', 'telephony:act'], ext_pbx: { office: '201', lab: 'bob' } }));
    expect(r.ok && [...r.principal.grant!.rights].sort()).toEqual(['act', 'read', 'supervise']);
    expect(r.ok && r.principal.grant!.user).toEqual({ office: '201', lab: 'bob' });
  });

  it('accepts exp and nbf within the clock skew, and an extra audience when configured', async () => {
    const v = verifier({ extraAudiences: ['0f1e2d3c-entra-client-id'] });
    expect((await v.verify(await idp.sign({ exp: now() - 10 }))).ok).toBe(true);
    expect((await v.verify(await idp.sign({ nbf: now() + 10 }))).ok).toBe(true);
    expect((await v.verify(await idp.sign({ aud: '0f1e2d3c-entra-client-id' }))).ok).toBe(true);
  });

  it('acts for nobody when its user claim is not a login: the value is not logged, the subject is (once)', async () => {
    const v = verifier();
    for (const bad of ['bob/../admin', { office: 42 }, ['alice']]) {
      const r = await v.verify(await idp.sign({ sub: 'odd', pbx_user: bad }));
      expect(r.ok && r.principal.grant!.user).toBeUndefined();
    }
    expect(logged.match(/not a PBX login/g)).toHaveLength(1);
    expect(logged).toContain('odd');
    expect(logged).not.toContain('admin');
  });
});

describe('refused tokens, each with its reason', () => {
  it.each([
    ['expired', async (): Promise<string> => idp.sign({ exp: now() - 120 })],
    ['not yet valid', async (): Promise<string> => idp.sign({ nbf: now() + 120 })],
    ['audience', async (): Promise<string> => idp.sign({ aud: 'https://other.example.com/mcp' })],
    ['issuer', async (): Promise<string> => idp.sign({ iss: 'https://evil.example.com' })],
    ['unknown key', async (): Promise<string> => idp.sign({}, { unpublished: true })],
    ['algorithm', async (): Promise<string> => unsignedToken({ ...claimsOf(await idp.sign({})), sub: 'admin' })],
    ['algorithm', async (): Promise<string> => hmacWithPublicKey(claimsOf(await idp.sign({})), idp.publicJwk())],
    ['signature', async (): Promise<string> => tamperPayload(await idp.sign({}), { ...claimsOf(await idp.sign({})), pbx_user: 'bob', scope: 'telephony:supervise' })],
    ['signature', async (): Promise<string> => tamperSignature(await idp.sign({}))],
    ['type', async (): Promise<string> => idp.sign({}, { typ: 'logout+jwt' })],
    ['claims', async (): Promise<string> => idp.sign({ scope: 42 })],
    ['too large', async (): Promise<string> => idp.sign({ padding: 'x'.repeat(MAX_TOKEN_CHARS) })],
    ['malformed', async (): Promise<string> => 'not-a-jwt'],
    ['malformed', async (): Promise<string> => `${(await idp.sign({})).split('.').slice(0, 2).join('.')}`],
  ] as const)('%s', async (reason, make) => {
    const r = await verifier().verify(await make());
    expect(r).toEqual({ ok: false, reason });
  });

  it('a token without a subject', async () => {
    const token = await idp.sign({});
    const r = await verifier().verify(tamperPayload(token, { ...claimsOf(token), sub: undefined }));
    expect(r.ok).toBe(false);
  });
});

describe('the issuer keys', () => {
  it('are fetched once and reused', async () => {
    const v = verifier();
    for (let i = 0; i < 5; i++) expect((await v.verify(await idp.sign({}))).ok).toBe(true);
    expect(jwksFetches()).toBe(1);
    expect(idp.hits.get('/.well-known/openid-configuration')).toBe(1);
  });

  it('are refetched for an unknown key id at most once per cooldown, however many made-up ids arrive', async () => {
    const v = verifier();
    expect((await v.verify(await idp.sign({}))).ok).toBe(true);
    clock += REFETCH_COOLDOWN_MS + 1;
    const forged = await Promise.all(Array.from({ length: 50 }, (_, i) => idp.sign({}, { unpublished: true, kid: `random-${i}` })));
    const results = await Promise.all(forged.map((t) => v.verify(t)));
    expect(results.every((r) => !r.ok && 'reason' in r && r.reason === 'unknown key')).toBe(true);
    expect(jwksFetches()).toBe(2);
    for (const t of forged.slice(0, 10)) await v.verify(t);
    expect(jwksFetches()).toBe(2);
    clock += REFETCH_COOLDOWN_MS + 1;
    await v.verify(forged[0]!);
    expect(jwksFetches()).toBe(3);
  });

  it('follow a key rotation: a token signed with the new key is accepted once the cooldown allows a refetch', async () => {
    const v = verifier();
    expect((await v.verify(await idp.sign({}))).ok).toBe(true);
    await idp.rotate();
    clock += REFETCH_COOLDOWN_MS + 1;
    expect((await v.verify(await idp.sign({}))).ok).toBe(true);
  });

  it('stay in use while the issuer is down; with none fetched yet the answer is "unavailable", not a refusal', async () => {
    const v = verifier();
    idp.mode = 'down';
    expect(await v.verify(await idp.sign({}))).toEqual({ ok: false, unavailable: true });
    // Within the cooldown nobody asks the issuer again.
    await v.verify(await idp.sign({}));
    expect(jwksFetches()).toBe(1);
    idp.mode = 'ok';
    clock += REFETCH_COOLDOWN_MS + 1;
    expect((await v.verify(await idp.sign({}))).ok).toBe(true);
    idp.mode = 'down';
    clock += 11 * 60_000; // past the keys' max age: the refresh fails, the keys stay
    expect((await v.verify(await idp.sign({ exp: now() + 3600 }))).ok).toBe(true);
    expect(logged).toContain('the ones fetched before stay in use');
  });

  it('are refused when the JWKS is over the size bound, or the discovery document names another issuer', async () => {
    idp.mode = 'huge';
    expect(await verifier().verify(await idp.sign({}))).toEqual({ ok: false, unavailable: true });
    idp.mode = 'ok';
    idp.claimedIssuer = 'https://evil.example.com';
    expect(await verifier().verify(await idp.sign({}))).toEqual({ ok: false, unavailable: true });
    expect(logged).toContain('names another issuer');
  });
});

describe('the user claim', () => {
  it('is a login, or a map of PBX names to logins; anything else is malformed', () => {
    expect(parseUserClaim('alice')).toBe('alice');
    expect(parseUserClaim('201')).toBe('201');
    expect(parseUserClaim({ office: 'alice' })).toEqual({ office: 'alice' });
    expect(parseUserClaim(undefined)).toBeUndefined();
    for (const bad of ['', 'a/b', 'x'.repeat(65), 'a\nb', 7, ['a'], { 'bad name!': 'a' }, { office: 1 }]) expect(parseUserClaim(bad)).toBe('malformed');
  });
});

describe('http.oauth config', () => {
  it('names the key of each mistake', () => {
    const issue = (raw: object) => {
      const r = OAuthConfig.safeParse(raw);
      return r.success ? [] : r.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
    };
    expect(issue({ issuer: 'http://idp.example.com', audience: AUDIENCE })).toEqual(['issuer: must use https (http only on loopback, for tests)']);
    expect(issue({ issuer: 'https://idp.example.com', audience: 'https://x.example.com/mcp#frag' })).toEqual(['audience: must not have a fragment (#...)']);
    expect(issue({ issuer: 'https://idp.example.com', audience: AUDIENCE, scopes: { read: 'has space' } })[0]).toMatch(/^scopes\.read: an OAuth scope name/);
    expect(issue({ issuer: 'https://idp.example.com', audience: AUDIENCE, scopes: { act: 'telephony:read' } })[0]).toMatch(/^scopes: read, act and supervise need three different/);
    expect(issue({ issuer: 'https://idp.example.com', audience: AUDIENCE })).toEqual([]);
    expect(issue({ issuer: 'http://127.0.0.1:9000', audience: 'http://localhost:3000/mcp' })).toEqual([]);
  });

  it('is checked with the whole config, each mistake under its key path', () => {
    const config = (oauth: object) => () => parseConfig({ pbxes: { office: { type: 'sim' } }, http: { oauth } }, { env: {} });
    expect(config({ issuer: 'http://idp.example.com', audience: AUDIENCE })).toThrow(/http\.oauth\.issuer: must use https/);
    expect(config({ issuer: 'https://idp.example.com' })).toThrow(/http\.oauth\.audience: missing/);
    expect(config({ issuer: 'https://idp.example.com', audience: AUDIENCE, userClaims: 'x' })).toThrow(/http\.oauth\.userClaims: unknown key; did you mean "userClaim"\?/);
    expect(parseConfig({ pbxes: { office: { type: 'sim' } }, http: { oauth: { issuer: 'https://idp.example.com', audience: AUDIENCE } } }, { env: {} }).http.oauth).toMatchObject({
      userClaim: 'pbx_user',
      scopes: { read: 'telephony:read', act: 'telephony:act', supervise: 'telephony:supervise' },
    });
  });
});
