/**
 * The XUC session over real HTTP: one login shared by every call, renewal before expiry, recovery from a
 * refused token with exactly one re-login and one replay, and wrong credentials that stop cleanly.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { unsafeDialable } from '../../../src/backends/backend.js';
import { describeError } from '../../../src/wording.js';
import { redact } from '../../../src/safety/redact.js';
import { expectBackendError } from '../contract.js';
import { rig, WS, type XivoRig } from './harness.js';

let r: XivoRig;
beforeEach(async () => {
  r = await rig();
});
afterEach(async () => {
  vi.useRealTimers();
  await r.close();
});

const count = (path: string) => r.sim.server.stats.byPath[`/xuc/api/2.0/${path}`] ?? 0;
const bearer = (i: number) => r.sim.server.log[i]!.headers.authorization;
const lastBearer = () => r.sim.server.log[r.sim.server.log.length - 1]!.headers.authorization;

describe('one token per backend', () => {
  it('logs in once for many sequential calls, and sends the token on every call', async () => {
    const b = await r.backend();
    for (let i = 0; i < 10; i++) await b.setDnd!({ user: 'alice', enabled: i % 2 === 0 });
    await b.history!({ user: 'alice' });
    expect(r.sim.stats.logins).toBe(1);
    expect(count('auth/webservice')).toBe(1);
    const calls = r.sim.server.log.filter((q) => !q.path.includes('/auth/'));
    expect(calls).toHaveLength(11);
    for (const q of calls) expect(q.headers.authorization).toMatch(/^Bearer [\w-]+\.[\w-]+\.[\w-]+$/);
    expect(b.client.stats.logins).toBe(1);
  });

  it('N concurrent first calls cause one login', async () => {
    const b = await r.backend();
    const results = await Promise.all(Array.from({ length: 12 }, () => b.history!({ user: 'alice', size: 5 })));
    expect(results).toHaveLength(12);
    expect(r.sim.stats.logins).toBe(1);
    expect(count('history/alice')).toBe(12);
  });

  it('the login is POST /auth/webservice (or /auth/login for a CTI user) with the JSON credentials', async () => {
    const ws = await r.backend();
    await ws.connect();
    const cti = await r.backend({ cti: true });
    await cti.connect();
    const [a, c] = r.sim.server.log;
    expect(a).toMatchObject({ method: 'POST', path: '/xuc/api/2.0/auth/webservice' });
    expect(a!.headers['content-type']).toBe('application/json');
    expect(JSON.parse(a!.body)).toEqual({ login: WS.login, password: WS.password });
    expect(c).toMatchObject({ method: 'POST', path: '/xuc/api/2.0/auth/login' });
    expect(JSON.parse(c!.body)).toMatchObject({ login: 'alice' });
  });
});

describe('renewal', () => {
  it('renews through /auth/check past 80% of the TTL (real time, short TTL) and keeps the returned token', async () => {
    r.sim.tokenTtlSeconds = 4;
    const b = await r.backend();
    await b.setDnd!({ user: 'alice', enabled: true });
    const first = lastBearer();
    await new Promise((res) => setTimeout(res, 3400));
    await b.setDnd!({ user: 'alice', enabled: false });
    expect(r.sim.stats).toMatchObject({ logins: 1, checks: 1 });
    const check = r.sim.server.log.find((q) => q.path.endsWith('/auth/check'))!;
    expect(check.method).toBe('GET');
    expect(check.headers.authorization).toBe(first);
    expect(lastBearer()).not.toBe(first);
    expect(r.engine.user('alice').dnd).toBe(false);
  });

  it('before 80% of the TTL nothing is renewed; concurrent calls past it share one renewal', async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    r.sim.tokenTtlSeconds = 100;
    const b = await r.backend();
    await b.history!({ user: 'alice' });
    vi.setSystemTime(Date.now() + 70_000);
    await b.history!({ user: 'alice' });
    expect(r.sim.stats.checks).toBe(0);
    vi.setSystemTime(Date.now() + 15_000);
    await Promise.all(Array.from({ length: 8 }, () => b.history!({ user: 'alice' })));
    expect(r.sim.stats).toMatchObject({ logins: 1, checks: 1 });
    // The renewed token starts a new life: 80 s more before the next renewal.
    vi.setSystemTime(Date.now() + 60_000);
    await b.history!({ user: 'alice' });
    expect(r.sim.stats.checks).toBe(1);
    vi.setSystemTime(Date.now() + 25_000);
    await b.history!({ user: 'alice' });
    expect(r.sim.stats).toMatchObject({ logins: 1, checks: 2 });
  });

  it('a token that expired while idle means a fresh login, not a renewal', async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    r.sim.tokenTtlSeconds = 10;
    const b = await r.backend();
    await b.history!({ user: 'alice' });
    vi.setSystemTime(Date.now() + 11_000);
    await b.history!({ user: 'alice' });
    expect(r.sim.stats).toMatchObject({ logins: 2, checks: 0 });
    expect(count('history/alice')).toBe(2);
  });

  it('a renewal that fails keeps the still-valid token, and tries again later', async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    r.sim.tokenTtlSeconds = 100;
    const b = await r.backend();
    await b.history!({ user: 'alice' });
    const first = lastBearer();
    vi.setSystemTime(Date.now() + 85_000);
    r.sim.server.inject({ kind: 'status', status: 500, match: 'auth/check', times: Infinity });
    await b.history!({ user: 'alice' });
    expect(lastBearer()).toBe(first);
    r.sim.server.clearFaults();
    await b.history!({ user: 'alice' });
    expect(r.sim.stats.checks).toBe(0);
    vi.setSystemTime(Date.now() + 6000);
    await b.history!({ user: 'alice' });
    expect(r.sim.stats).toMatchObject({ logins: 1, checks: 1 });
    expect(lastBearer()).not.toBe(first);
  });
});

describe('a refused token', () => {
  for (const how of ['expired (TokenExpired)', 'revoked (InvalidToken)'] as const) {
    it(`${how}: one re-login, one replay, the action performed exactly once`, async () => {
      const b = await r.backend();
      await b.connect();
      if (how.startsWith('expired')) r.sim.expireTokens();
      else r.sim.revokeTokens();
      r.sim.server.resetStats();
      await b.placeCall!({ user: 'alice', to: unsafeDialable('202') });
      expect(r.engine.listCalls('alice')).toEqual([expect.objectContaining({ toUser: 'bob' })]);
      expect(r.sim.stats.logins).toBe(2);
      expect(count('dial/number/alice')).toBe(2);
      expect(bearer(0)).not.toBe(lastBearer());
      expect(b.client.stats.replays).toBe(1);
    });
  }

  it('concurrent calls that meet the refusal share one re-login', async () => {
    const b = await r.backend();
    await b.connect();
    r.sim.expireTokens();
    await Promise.all(Array.from({ length: 6 }, () => b.history!({ user: 'alice' })));
    expect(r.sim.stats.logins).toBe(2);
  });

  it('a token refused again after the fresh login is an auth error: no loop, nothing done', async () => {
    const b = await r.backend();
    await b.connect();
    r.sim.tokenTtlSeconds = 0;
    r.sim.expireTokens();
    r.sim.server.resetStats();
    const e = await expectBackendError(b.placeCall!({ user: 'alice', to: unsafeDialable('202') }), ['auth']);
    expect(e.message).toMatch(/TokenExpired/);
    expect(count('dial/number/alice')).toBe(2);
    expect(count('auth/webservice')).toBe(1);
    expect(r.engine.listCalls('alice')).toEqual([]);
  });

  it('any other failure of an action is never replayed', async () => {
    const b = await r.backend();
    await b.connect();
    r.sim.server.resetStats();
    r.sim.server.inject({ kind: 'status', status: 503, match: 'dnd' });
    await expectBackendError(b.setDnd!({ user: 'alice', enabled: true }), ['outcome_unknown']);
    expect(count('dnd/alice')).toBe(1);
    expect(r.sim.stats.logins).toBe(1);
  });
});

describe('wrong credentials', () => {
  it('stop with an auth error naming login and password in the config; not retried in a loop', async () => {
    const b = await r.backend({ password: 'not-the-password' });
    const e = await expectBackendError(b.history!({ user: 'alice' }), ['auth']);
    expect(e.message).toMatch(/InvalidCredentials/);
    expect(e.message).toContain('"xuc-ws"');
    expect(e.hint).toMatch(/`login` and `password` of PBX xivo-ws/);
    expect(describeError(e)).not.toContain('not-the-password');
    // Concurrent and later calls do not ask XUC again for a while.
    await Promise.all(Array.from({ length: 5 }, () => expectBackendError(b.setDnd!({ user: 'alice', enabled: true }), ['auth'])));
    expect(r.sim.stats.refusedLogins).toBe(1);
    expect(count('auth/webservice')).toBe(1);
    expect(count('dnd/alice')).toBe(0);
  });

  it('are asked again once the refusal has been remembered long enough', async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    const b = await r.backend({ password: 'not-the-password' });
    await expectBackendError(b.history!({ user: 'alice' }), ['auth']);
    vi.setSystemTime(Date.now() + 31_000);
    await expectBackendError(b.history!({ user: 'alice' }), ['auth']);
    expect(r.sim.stats.refusedLogins).toBe(2);
  });

  it('the other user type with the same credentials is refused too (CTI user at /auth/webservice)', async () => {
    const b = await r.backend({ extra: { login: 'alice', password: 'cti-pa55', defaultUser: 'alice' } });
    const e = await expectBackendError(b.history!({ user: 'alice' }), ['auth']);
    expect(e.hint).toMatch(/userType "webservice" logs in at \/auth\/webservice/);
  });

  it('a login that XUC cannot answer (server error) is unavailable: nothing was done', async () => {
    const b = await r.backend();
    r.sim.server.inject({ kind: 'status', status: 500, match: 'auth/webservice', times: Infinity });
    await expectBackendError(b.setDnd!({ user: 'alice', enabled: true }), ['unavailable']);
    expect(count('dnd/alice')).toBe(0);
    r.sim.server.clearFaults();
    await b.setDnd!({ user: 'alice', enabled: true });
    expect(r.engine.user('alice').dnd).toBe(true);
  });
});

describe('secrets', () => {
  it('the password and every token received are redacted from any text', async () => {
    const b = await r.backend();
    await b.history!({ user: 'alice' });
    r.sim.expireTokens();
    await b.history!({ user: 'alice' });
    const tokens = r.sim.server.log.filter((q) => q.path.endsWith('/history/alice')).map((q) => q.headers.authorization!.slice('Bearer '.length));
    expect(new Set(tokens).size).toBe(2);
    for (const secret of [WS.password, ...tokens]) expect(redact(`value ${secret} end`)).toBe('value *** end');
  });
});
