/** The XUC simulator on the wire, with plain fetch: what the doc specifies, independent of the adapter. */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { SIMULATORS } from '../../src/simulators/index.js';
import { CTI_PASSWORD, rig, WS, type XivoRig } from '../backends/xivo/harness.js';

let r: XivoRig;
let base: string;
beforeEach(async () => {
  r = await rig({ tokenTtlSeconds: 120 });
  base = `${r.sim.server.url}/xuc/api/2.0`;
});
afterEach(() => r.close());

async function call(method: string, path: string, opts: { token?: string; body?: string; headers?: Record<string, string> } = {}) {
  const res = await fetch(`${base}/${path}`, {
    method,
    headers: { ...(opts.body !== undefined ? { 'content-type': 'application/json' } : {}), ...(opts.token ? { authorization: `Bearer ${opts.token}` } : {}), ...opts.headers },
    ...(opts.body !== undefined ? { body: opts.body } : {}),
  });
  const text = await res.text();
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: res.status, text, json: json as Record<string, unknown>, type: res.headers.get('content-type') };
}

async function login(cti = false): Promise<string> {
  const res = await call('POST', cti ? 'auth/login' : 'auth/webservice', {
    body: JSON.stringify(cti ? { login: 'alice', password: CTI_PASSWORD } : WS),
  });
  expect(res.status).toBe(200);
  return res.json.token as string;
}

describe('authentication', () => {
  it('answers {login, token, TTL} with an HS256 JWT carrying XUC claims in ms', async () => {
    const res = await call('POST', 'auth/webservice', { body: JSON.stringify(WS) });
    expect(res.json).toEqual({ login: WS.login, token: expect.any(String), TTL: 120 });
    const [head, payload] = (res.json.token as string).split('.').slice(0, 2).map((p) => JSON.parse(Buffer.from(p, 'base64url').toString()) as Record<string, unknown>);
    expect(head).toEqual({ alg: 'HS256', typ: 'JWT' });
    expect(payload).toEqual({ login: WS.login, issuedAt: expect.any(Number), expiresAt: expect.any(Number), userType: 'webservice', acls: expect.arrayContaining(['xuc.rest.dnd.*.create']) });
    expect((payload!.expiresAt as number) - (payload!.issuedAt as number)).toBe(120_000);
    expect(r.sim.stats.logins).toBe(1);
  });

  it('refuses bad credentials (401 InvalidCredentials), a bad body (400 InvalidJson) and the wrong user type', async () => {
    expect((await call('POST', 'auth/webservice', { body: '{"login":"xuc-ws","password":"nope"}' })).json).toMatchObject({ error: 'InvalidCredentials' });
    expect((await call('POST', 'auth/webservice', { body: '{"login":"xuc-ws","password":"nope"}' })).status).toBe(401);
    expect((await call('POST', 'auth/login', { body: 'nope' })).json).toMatchObject({ error: 'InvalidJson' });
    expect((await call('POST', 'auth/login', { body: JSON.stringify(WS) })).status).toBe(401);
    expect(r.sim.stats).toMatchObject({ logins: 0, refusedLogins: 3 });
  });

  it('checks the Authorization header: AuthorizationHeaderNotFound, BearerNotFound, InvalidToken, TokenExpired', async () => {
    const token = await login();
    expect((await call('GET', 'history/alice')).json).toMatchObject({ error: 'AuthorizationHeaderNotFound' });
    const basic = await call('GET', 'history/alice', { headers: { authorization: 'Basic eDp5' } });
    expect([basic.status, basic.json.error]).toEqual([400, 'BearerNotFound']);
    const forged = await call('GET', 'history/alice', { token: `${token.slice(0, -4)}AAAA` });
    expect([forged.status, forged.json.error]).toEqual([403, 'InvalidToken']);
    r.sim.expireTokens();
    const expired = await call('GET', 'history/alice', { token });
    expect([expired.status, expired.json.error]).toEqual([403, 'TokenExpired']);
    expect((await call('GET', 'auth/check', { token })).json).toMatchObject({ error: 'TokenExpired' });
  });

  it('/auth/check renews: a new token with a new TTL, same login', async () => {
    const token = await login(true);
    await new Promise((res) => setTimeout(res, 5));
    const res = await call('GET', 'auth/check', { token });
    expect(res.json).toEqual({ login: 'alice', token: expect.any(String), TTL: 120 });
    expect(res.json.token).not.toBe(token);
    expect(r.sim.stats.checks).toBe(1);
  });

  it('enforces the ACLs of each user type', async () => {
    const ws = await login();
    const cti = await login(true);
    expect((await call('GET', 'contact/personal', { token: ws })).status).toBe(403);
    expect((await call('POST', 'dnd/alice', { token: cti, body: '{"state":true}' })).status).toBe(403);
    expect(r.engine.user('alice').dnd).toBe(false);
  });
});

describe('web-service endpoints', () => {
  it('DND and forward answer {"res":"success"}; forward uses `enabled`', async () => {
    const token = await login();
    expect((await call('POST', 'dnd/alice', { token, body: '{"state": true}' })).json).toEqual({ res: 'success' });
    expect(r.engine.user('alice').dnd).toBe(true);
    expect((await call('POST', 'forward/noanswer/alice', { token, body: '{"destination": "203", "enabled": true}' })).json).toEqual({ res: 'success' });
    expect(r.engine.user('alice').forward).toEqual({ noanswer: '203' });
    expect((await call('POST', 'forward/noanswer/alice', { token, body: '{"state": true, "destination": "203"}' })).json).toMatchObject({ error: 'JsonErrorDecoding' });
    expect((await call('POST', 'forward/sometimes/alice', { token, body: '{}' })).status).toBe(404);
  });

  it('history is GET only (the curl examples say POST), with size and days as query parameters', async () => {
    const token = await login();
    r.engine.placeCall('alice', '+390612345678');
    r.clock.advance(5000);
    r.engine.hangup('alice');
    const res = await call('GET', 'history/alice?size=10', { token });
    expect(res.json).toEqual({
      res: 'success',
      data: [{ start: '2026-01-05 09:00:00', duration: '00:00:03', srcUsername: 'alice', dstUsername: '+390612345678', status: 'emitted' }],
    });
    expect((await call('GET', 'history/days/alice?days=1', { token })).json.data).toHaveLength(1);
    expect((await call('GET', 'history/alice?size=ten', { token })).json).toMatchObject({ error: 'JsonErrorDecoding' });
    expect((await call('POST', 'history/alice?size=10', { token })).status).toBe(404);
  });

  it('can wrap the history data in an object (the data shape is undocumented)', async () => {
    await r.close();
    r = await rig({ historyShape: 'wrapped' });
    base = `${r.sim.server.url}/xuc/api/2.0`;
    const token = await login();
    expect((await call('GET', 'history/alice', { token })).json).toEqual({ res: 'success', data: { history: [] } });
  });

  it('dial: BadRequest for a missing body; the user of the path must exist', async () => {
    const token = await login();
    expect((await call('POST', 'dial/number/alice', { token })).json).toMatchObject({ error: 'BadRequest' });
    expect((await call('POST', 'dial/number/nobody', { token, body: '{"destination":"202"}' })).json).toMatchObject({ error: 'UserNotFound' });
    expect((await call('POST', 'dial/fromqueue/alice', { token, body: '{"destination":"202","queueId":"1"}' })).json).toMatchObject({ error: 'BadRequest' });
    expect(r.engine.listCalls()).toEqual([]);
    expect((await call('POST', 'dial/number/alice', { token, body: '{"destination":"202","variables":{"a":"b"}}' })).json).toEqual({ res: 'success' });
    expect(r.engine.listCalls('alice')).toHaveLength(1);
  });
});

describe('CTI endpoints', () => {
  it('lists contacts exactly in the doc shape: status ints, entry arrays, Favorite "false", headers, no ids', async () => {
    const token = await login(true);
    r.engine.withContacts('alice', (b) => b.create({ firstname: 'Bob', lastname: 'Builder', number: '202' }));
    r.engine.withContacts('alice', (b) => b.create({ firstname: 'Peter', lastname: 'Pan', number: '1004', email: 'p@example.com' }));
    const res = await call('GET', 'contact/personal', { token });
    expect(res.json).toEqual({
      entries: [
        { status: 0, entry: ['Bob', 'Builder', '202', '', 'false'] },
        { status: -2, entry: ['Peter', 'Pan', '1004', '', 'false'] },
      ],
      headers: ['Firstname', 'Lastname', 'Number', 'Mobile', 'Favorite'],
    });
    expect(res.text).not.toMatch(/"id"/);
  });

  it('exports CSV as text/csv in the documented column order', async () => {
    const token = await login(true);
    r.engine.withContacts('alice', (b) => b.create({ firstname: 'John', lastname: 'Doe', company: 'corp', email: 'jdoe@company.corp', fax: '3333', mobile: '2222', number: '1111' }));
    const res = await call('GET', 'contact/export/personal', { token });
    expect(res.type).toMatch(/^text\/csv/);
    expect(res.text).toBe('company,email,fax,firstname,lastname,mobile,number\r\ncorp,jdoe@company.corp,3333,John,Doe,2222,1111\r\n');
  });

  it('creates a qualification answer with 201 and the answer as body', async () => {
    const token = await login(true);
    const answer = { sub_qualification_id: 1, time: '2018-03-21 17:00:00', callid: 'callid1', agent: 1, queue: 1, first_name: 'john', last_name: 'doe', comment: 'some comment', custom_data: 'some custom data' };
    const res = await call('POST', 'call_qualification', { token, body: JSON.stringify(answer) });
    expect([res.status, res.json]).toEqual([201, answer]);
    const csv = await call('GET', 'call_qualification/csv/1/2018-03-21/2018-03-21', { token });
    expect(csv.text).toBe('sub_qualification_id,time,callid,agent,queue,first_name,last_name,comment,custom_data\r\n1,2018-03-21 17:00:00,callid1,1,1,john,doe,some comment,some custom data\r\n');
  });
});

describe('registration', () => {
  it('is the `xivo` simulator on port 8090 by default, with a config entry pointing at it', async () => {
    const def = SIMULATORS.xivo!;
    expect(def.defaultPort).toBe(8090);
    const { engine } = await import('../helpers/scenario.js').then((m) => m.engine());
    const running = await def.start({ engine, port: 0 });
    try {
      expect(running.configExample).toMatchObject({ type: 'xivo', url: running.server.url, login: 'xuc-ws', userType: 'webservice', defaultUser: 'alice' });
    } finally {
      await running.close();
    }
  });
});
