/**
 * PBXpress specifics against the simulator: the exact wire format, authentication, every fault path, queue
 * calls, both parking shapes, every "none" style, favorites keyed on (id, type), notes under their prefix.
 */
import { describeError } from '../../../src/wording.js';
import { request } from 'node:http';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { unsafeDialable } from '../../../src/backends/backend.js';
import { pbxpressType } from '../../../src/backends/pbxpress/backend.js';
import { PbxpressConfig } from '../../../src/backends/pbxpress/config.js';
import { splitEndpoint } from '../../../src/backends/pbxpress/client.js';
import { basicAuth } from '../../../src/util/basic-auth.js';
import { decodeCall, encodeFault } from '../../../src/backends/pbxpress/xmlrpc.js';
import type { NoneStyle } from '../../../src/simulators/pbxpress/simulator.js';
import { startSimServer } from '../../../src/simulators/kit.js';
import { LogHub } from '../../../src/log.js';
import { redact } from '../../../src/safety/redact.js';
import { SIMULATORS } from '../../../src/simulators/index.js';
import { expectBackendError } from '../contract.js';
import { backendFor, simSetup, type SimSetup } from './harness.js';

let s: SimSetup;
beforeEach(async () => {
  s = await simSetup();
});
afterEach(async () => {
  await s.close();
});

/** An outside caller rings alice (201); `answer` lets the clock run until she picked up. */
function inbound(answer = true) {
  const c = s.engine.inboundCall('+390612345678', '201');
  if (answer) s.clock.advance(5000);
  return c;
}

const methods = () => s.sim.server.log.map((r) => decodeCall(r.body).method);

describe('wire format', () => {
  it('POSTs text/xml to /RPC2 with HTTP Basic, one request per operation, with the documented method names', async () => {
    const c = inbound();
    s.sim.server.resetStats();
    await s.backend.activeCalls!({});
    await s.backend.listExtensions!();
    await s.backend.parkingInfo!();
    await s.backend.getFavorites!();
    await s.backend.parkCall!({ callId: c.id });
    await s.backend.transferBlind!({ callId: c.id, to: unsafeDialable('203') }).catch(() => undefined);
    await s.backend.hangup!({ callId: c.id });
    await s.backend.setFavorites!({ favorites: [] });
    await s.backend.writeNotes!({ op: 'set', key: 'a', value: 'x' });
    await s.backend.writeNotes!({ op: 'set_many', entries: [{ key: 'b', value: 'y' }] });
    await s.backend.writeNotes!({ op: 'set_json', key: 'j', json: [1] });
    await s.backend.readNotes!({ op: 'get', key: 'a' });
    await s.backend.readNotes!({ op: 'get_json', key: 'j' });
    await s.backend.readNotes!({ op: 'list' });
    await s.backend.writeNotes!({ op: 'delete', key: 'a' });
    expect(methods()).toEqual([
      'get_calls',
      'get_extensions',
      'get_parking_info',
      'get_favorites',
      'park',
      'transfer',
      'drop',
      'set_favorites',
      'dict_set',
      'dict_set_many',
      'dict_set_serialized',
      'dict_get',
      'dict_get_serialized',
      'get_all',
      'dict_delete',
    ]);
    for (const r of s.sim.server.log) {
      expect(r).toMatchObject({ method: 'POST', path: '/RPC2' });
      expect(r.headers['content-type']).toBe('text/xml');
      expect(r.headers.authorization).toBe(basicAuth('201', 'pbxpress-sim'));
      expect(r.body.startsWith('<?xml version="1.0"?>\n<methodCall>')).toBe(true);
    }
  });

  it('sends call ids as strings, a chosen slot as an int, transfer destinations as given', async () => {
    const c = inbound();
    await s.backend.parkCall!({ callId: c.id, slot: '702' });
    const park = decodeCall(s.sim.server.log.at(-1)!.body);
    expect(park).toEqual({ method: 'park', params: [c.id, 702] });
    await expectBackendError(s.backend.transferBlind!({ callId: 'vm-201', to: unsafeDialable('vm-201') }), ['not_found']);
    expect(decodeCall(s.sim.server.log.at(-1)!.body)).toEqual({ method: 'transfer', params: ['vm-201', 'vm-201'] });
  });

  it('splits the configured URL into VendorHttp base and endpoint; no path means /RPC2', () => {
    expect(splitEndpoint('http://pbx.example:3339/RPC2')).toEqual({ baseUrl: 'http://pbx.example:3339/', path: 'RPC2' });
    expect(splitEndpoint('http://pbx.example:8080')).toEqual({ baseUrl: 'http://pbx.example:8080/', path: 'RPC2' });
    expect(splitEndpoint('https://pbx.example/api/xmlrpc?x=1')).toEqual({ baseUrl: 'https://pbx.example/api/', path: 'xmlrpc?x=1' });
    expect(splitEndpoint('http://pbx.example/')).toEqual({ baseUrl: 'http://pbx.example/', path: '' });
  });
});

describe('telephony-mcp simulate pbxpress', () => {
  it('is registered on the guide\'s port, and its config example works as a PBX entry', async () => {
    const def = SIMULATORS.pbxpress!;
    expect(def.defaultPort).toBe(3339);
    const running = await def.start({ engine: s.engine, port: 0 });
    const b = await pbxpressType.create('demo', PbxpressConfig.parse(running.configExample), { log: new LogHub({ level: 'error', write: () => {} }).logger(), baseDir: '.' });
    try {
      expect((await b.listExtensions!()).map((e) => e.number)).toContain('201');
    } finally {
      await b.close();
      await running.close();
    }
  });
});

describe('config', () => {
  const base = { type: 'pbxpress', url: 'http://pbx.example:3339/RPC2', username: '203', password: '203' };
  it('takes url, username and password, with the base keys', () => {
    expect(PbxpressConfig.parse({ ...base, defaultUser: '203' })).toMatchObject({ ...base, notesPrefix: 'telephony-mcp.', timeoutMs: 10_000 });
  });
  it.each([
    ['credentials in the URL', { url: 'http://203:203@pbx.example:3339/RPC2' }, /not in the URL/],
    ['another scheme', { url: 'ftp://pbx.example/RPC2' }, /http/],
    ['no URL at all', { url: 'pbx.example' }, /URL/],
    ['a colon in the login', { username: 'a:b' }, /colons/],
    ['an unknown key', { secretKey: 'x' }, /secretKey|unrecognized/i],
  ])('refuses %s', (_n, patch, message) => {
    const r = PbxpressConfig.safeParse({ ...base, ...patch });
    expect(r.success).toBe(false);
    expect(JSON.stringify(r.error?.issues)).toMatch(message);
  });

  it('warns when the password would cross the network in clear', async () => {
    const lines: string[] = [];
    const log = new LogHub({ level: 'warn', write: (l) => void lines.push(l) }).logger();
    const b = await pbxpressType.create('far', PbxpressConfig.parse({ ...base }), { log, baseDir: '.' });
    const near = await pbxpressType.create('near', PbxpressConfig.parse({ ...base, url: 'http://127.0.0.1:3339/RPC2' }), { log, baseDir: '.' });
    await b.close();
    await near.close();
    expect(lines.join('\n')).toMatch(/plain http/);
    expect(lines.filter((l) => /plain http/.test(l))).toHaveLength(1);
  });
});

describe('authentication', () => {
  it('the simulator answers 401 with a Basic challenge without or with wrong credentials', async () => {
    const raw = (auth?: string) =>
      new Promise<{ status: number; challenge: string | undefined }>((resolve, reject) => {
        const req = request(
          `${s.sim.endpoint}`,
          { method: 'POST', headers: { 'content-type': 'text/xml', ...(auth ? { authorization: auth } : {}) } },
          (res) => {
            res.resume();
            resolve({ status: res.statusCode ?? 0, challenge: res.headers['www-authenticate'] });
          },
        );
        req.on('error', reject);
        req.end('<?xml version="1.0"?><methodCall><methodName>get_calls</methodName></methodCall>');
      });
    expect(await raw()).toEqual({ status: 401, challenge: 'Basic realm="PBXpress XML-RPC"' });
    expect((await raw(basicAuth('201', 'nope'))).status).toBe(401);
    expect((await raw(basicAuth('201', 'pbxpress-sim'))).status).toBe(200);
  });

  it('wrong credentials are an auth error that names the login, never the password, for reads and actions', async () => {
    const bad = await backendFor(s.sim.endpoint, { password: 'Secret-Pw-123' });
    try {
      const e = await expectBackendError(bad.activeCalls!({}), ['auth']);
      expect(e.message).toMatch(/login 201 \(HTTP 401\)/);
      const a = await expectBackendError(bad.hangup!({ callId: '1' }), ['auth']);
      for (const text of [e.message, e.hint ?? '', a.message]) expect(text).not.toContain('Secret-Pw-123');
      // The password and the Basic token are registered secrets: nothing that passes redact can show them.
      expect(redact(`pw Secret-Pw-123 token ${basicAuth('201', 'Secret-Pw-123').slice(6)}`)).toBe('pw *** token ***');
    } finally {
      await bad.close();
    }
  });
});

describe('faults become typed errors with the PBX text', () => {
  it('an unknown call is not_found, with the escaped text decoded', async () => {
    const e = await expectBackendError(s.backend.hangup!({ callId: 'nope' }), ['not_found']);
    expect(e.message).toBe(`the PBX refused to drop call nope (it said: "no such call 'nope'")`);
    expect(e.code).toBe('fault -1');
    expect(s.sim.server.stats.requests).toBe(1);
  });

  it('a taken slot is conflict, a slot outside the lot invalid, a call that cannot be parked conflict', async () => {
    const a = inbound();
    await s.backend.parkCall!({ callId: a.id, slot: '701' });
    const b = s.engine.inboundCall('+393471234567', '202');
    s.clock.advance(5000);
    await expectBackendError(s.backend.parkCall!({ callId: b.id, slot: '701' }), ['conflict']);
    await expectBackendError(s.backend.parkCall!({ callId: b.id, slot: '999' }), ['invalid']);
    await expectBackendError(s.backend.parkCall!({ callId: b.id, slot: 'x1' }), ['invalid']);
    s.engine.setAnswerMode('carol', 'manual');
    const ringing = s.engine.inboundCall('+393471234567', '203');
    await expectBackendError(s.backend.parkCall!({ callId: ringing.id }), ['conflict']);
  });

  it('a transfer to a busy extension is conflict and changes nothing', async () => {
    const c = inbound();
    s.engine.setDnd('carol', true);
    await expectBackendError(s.backend.transferBlind!({ callId: c.id, to: unsafeDialable('203') }), ['conflict']);
    expect(s.engine.call(c.id)).toMatchObject({ state: 'connected', to: { number: '201' } });
  });

  it('an internal fault is unavailable for a read', async () => {
    const server = await startSimServer({
      handle: () => ({ status: 200, headers: { 'content-type': 'text/xml' }, body: encodeFault(1, "<class 'Exception'>:boom\\n") }),
    });
    const b = await backendFor(`${server.url}/RPC2`);
    try {
      const e = await expectBackendError(b.listExtensions!(), ['unavailable']);
      expect(e.message).toMatch(/internal error.*"<class 'Exception'>:boom"/);
      const act = await expectBackendError(b.hangup!({ callId: '1' }), ['outcome_unknown']);
      expect(describeError(act)).toMatch(/Do not retry/);
      // A fault is an answer (HTTP 200): the read is not retried either.
      expect(server.stats.requests).toBe(2);
    } finally {
      await b.close();
      await server.close();
    }
  });

  it('a fault sent with an HTTP error status still speaks; a plain error status is typed by status; garbage on an action is outcome_unknown', async () => {
    let answer = { status: 500, body: encodeFault(-1, 'no such call') };
    const server = await startSimServer({ handle: () => ({ ...answer, headers: { 'content-type': 'text/xml' } }) });
    const b = await backendFor(`${server.url}/RPC2`);
    try {
      await expectBackendError(b.hangup!({ callId: '1' }), ['not_found']);
      answer = { status: 404, body: 'Not Found' };
      await expectBackendError(b.listExtensions!(), ['not_found']);
      answer = { status: 200, body: '<html>proxy error</html>' };
      await expectBackendError(b.listExtensions!(), ['unavailable']);
      const e = await expectBackendError(b.hangup!({ callId: '1' }), ['outcome_unknown']);
      expect(e.message).toMatch(/not XML-RPC: it may or may not have happened/);
      answer = { status: 200, body: encodeFault(1, 'method "get_all" is not supported') };
      await expectBackendError(b.readNotes!({ op: 'list' }), ['unsupported']);
    } finally {
      await b.close();
      await server.close();
    }
  });
});

describe('calls', () => {
  it('a call offered through a queue is one call: queued, then ringing at a member, then connected', async () => {
    s.engine.pauseQueues('bob', true);
    s.engine.pauseQueues('carol', true);
    const c = s.engine.inboundCall('+393471234567', '600');
    expect(await s.backend.activeCalls!({})).toEqual([expect.objectContaining({ id: c.id, state: 'queued', queue: 'support', to: { number: '600', name: 'support' } })]);
    s.engine.setAnswerMode('bob', 'manual');
    s.engine.pauseQueues('bob', false);
    // On the wire: the queue leg and the leg ringing at bob, both qcall = 1.
    const legs = await s.backend.activeCalls!({});
    expect(legs).toEqual([expect.objectContaining({ id: c.id, state: 'ringing', queue: 'support', to: { number: '202', name: 'Bob' }, answered: false })]);
    expect(await s.backend.activeCalls!({ user: '202' })).toHaveLength(1);
    expect(await s.backend.activeCalls!({ user: 'extension:2' })).toHaveLength(1);
    expect(await s.backend.activeCalls!({ user: '201' })).toEqual([]);
    s.engine.answer('bob', c.id);
    expect(await s.backend.activeCalls!({ user: '202' })).toEqual([expect.objectContaining({ id: c.id, state: 'connected', answered: true, to: { number: '202', name: 'Bob' } })]);
    // Acting on the grouped call's id acts on the caller's call.
    await s.backend.hangup!({ callId: c.id });
    expect(s.engine.listCalls()).toEqual([]);
  });

  it('a parked call says its slot; start times stay put between reads', async () => {
    const c = inbound();
    const before = (await s.backend.activeCalls!({}))[0]!;
    s.clock.advance(3000);
    const { slot } = await s.backend.parkCall!({ callId: c.id });
    const after = (await s.backend.activeCalls!({}))[0]!;
    expect(after).toMatchObject({ id: c.id, state: 'parked', parkedSlot: slot });
    expect(after.startedAt).toBe(before.startedAt);
  });

  it('a parked call transferred to an extension is picked up there; one waiting in a queue cannot be moved here', async () => {
    const c = inbound();
    const { slot } = await s.backend.parkCall!({ callId: c.id });
    await s.backend.transferBlind!({ callId: c.id, to: unsafeDialable('203') });
    expect(s.engine.call(c.id)).toMatchObject({ state: 'connected', from: { number: '+390612345678' }, to: { number: '203' } });
    expect((await s.backend.parkingInfo!()).parked).toEqual([]);
    expect(slot).toBe('701');
    s.engine.pauseQueues('bob', true);
    s.engine.pauseQueues('carol', true);
    const waiting = s.engine.inboundCall('+393471234567', '600');
    await expectBackendError(s.backend.transferBlind!({ callId: waiting.id, to: unsafeDialable('204') }), ['conflict']);
  });

  it('hangup and transfer without a call id act on the user\'s current call; with neither, they ask which', async () => {
    const c = inbound();
    await s.backend.transferBlind!({ user: '201', to: unsafeDialable('203') });
    expect(s.engine.call(c.id).to.number).toBe('203');
    s.clock.advance(5000);
    await s.backend.hangup!({ user: '203' });
    expect(s.engine.listCalls()).toEqual([]);
    await expectBackendError(s.backend.hangup!({ user: '201' }), ['not_found']);
    await expectBackendError(s.backend.hangup!({}), ['invalid']);
  });
});

describe('variants the guide leaves open', () => {
  it('reads get_parking_info in the struct form too', async () => {
    const c = inbound();
    await s.backend.parkCall!({ callId: c.id });
    const asArray = await s.backend.parkingInfo!();
    s.sim.settings.parkingShape = 'struct';
    expect(await s.backend.parkingInfo!()).toEqual(asArray);
    expect(asArray).toEqual({ firstSlot: '701', slots: 3, parked: [{ slot: '701', callId: c.id }] });
  });

  it.each(['nil', 'empty', 'true', 'zero', 'string'] as NoneStyle[])('takes "none" answered as %s for every action', async (style) => {
    s.sim.settings.noneStyle = style;
    const c = inbound();
    await s.backend.transferBlind!({ callId: c.id, to: unsafeDialable('202') });
    s.clock.advance(5000);
    await s.backend.hangup!({ callId: c.id });
    await s.backend.setFavorites!({ favorites: [] });
    await s.backend.writeNotes!({ op: 'set', key: 'k', value: 'v' });
    await s.backend.writeNotes!({ op: 'delete', key: 'k' });
    expect(s.engine.listCalls()).toEqual([]);
  });
});

describe('favorites and notes', () => {
  it('favorites go over the wire as {id int, slot, size, type}; extension 1 and queue 1 are different entities', async () => {
    const exts = await s.backend.listExtensions!();
    expect(exts.filter((e) => e.id.endsWith(':1')).map((e) => e.id)).toEqual(['extension:1', 'queue:1']);
    await s.backend.setFavorites!({
      favorites: [
        { id: 'queue:1', kind: 'queue', slot: 1, size: 'double' },
        { id: 'extension:1', kind: 'user', slot: 2, size: 'single' },
      ],
    });
    expect(s.sim.favorites()).toEqual([
      { id: 1, slot: 1, size: 'double', type: 'queue' },
      { id: 1, slot: 2, size: 'single', type: 'extension' },
    ]);
    expect(await s.backend.getFavorites!()).toEqual([
      { id: 'queue:1', kind: 'queue', slot: 1, size: 'double', number: '600', name: 'support' },
      { id: 'extension:1', kind: 'user', slot: 2, size: 'single', number: '201', name: 'Alice' },
    ]);
    await expectBackendError(s.backend.setFavorites!({ favorites: [{ id: 'attendant:1', kind: 'attendant', slot: 1, size: 'single' }] }), ['not_found']);
  });

  it('notes live under their prefix, apart from the console\'s own keys, which list and delete never touch', async () => {
    s.sim.storage().set('console.layout', { kind: 'text', value: 'grid' });
    await s.backend.writeNotes!({ op: 'set', key: 'caller.390612345678', value: 'Prefers Italian' });
    expect([...s.sim.storage().keys()]).toEqual(['console.layout', 'telephony-mcp.caller.390612345678']);
    expect((await s.backend.readNotes!({ op: 'list' })).notes).toEqual([{ key: 'caller.390612345678', value: 'Prefers Italian' }]);
    expect(await s.backend.readNotes!({ op: 'get', key: 'console.layout' })).toEqual({ found: false });
    await expectBackendError(s.backend.writeNotes!({ op: 'delete', key: 'console.layout' }), ['not_found']);
    expect(s.sim.storage().get('console.layout')).toEqual({ kind: 'text', value: 'grid' });
    const other = await backendFor(s.sim.endpoint, { notesPrefix: 'mine/' });
    try {
      await other.writeNotes!({ op: 'set', key: 'x', value: '1' });
      expect(s.sim.storage().has('mine/x')).toBe(true);
      expect((await other.readNotes!({ op: 'list' })).notes).toEqual([{ key: 'x', value: '1' }]);
    } finally {
      await other.close();
    }
  });

  it('get_json of a text note is refused by the PBX as invalid; control characters never leave', async () => {
    await s.backend.writeNotes!({ op: 'set', key: 't', value: 'text' });
    await expectBackendError(s.backend.readNotes!({ op: 'get_json', key: 't' }), ['invalid']);
    s.sim.server.resetStats();
    await expectBackendError(s.backend.writeNotes!({ op: 'set', key: 't', value: 'bell\u0007' }), ['invalid']);
    expect(s.sim.server.stats.requests).toBe(0);
  });
});
