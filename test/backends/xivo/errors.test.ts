/** Every documented XUC error, produced by the simulator over real HTTP, as the typed error a model can act on. */
import { describeError } from '../../../src/wording.js';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { unsafeDialable } from '../../../src/backends/backend.js';
import type { XivoBackend } from '../../../src/backends/xivo/backend.js';
import { expectBackendError } from '../contract.js';
import { rig, type XivoRig } from './harness.js';

let r: XivoRig;
let ws: XivoBackend;
let cti: XivoBackend;
beforeEach(async () => {
  r = await rig();
  ws = await r.backend();
  cti = await r.backend({ cti: true });
});
afterEach(() => r.close());

const count = (path: string) => r.sim.server.stats.byPath[`/xuc/api/2.0/${path}`] ?? 0;

describe('web-service endpoints', () => {
  it('UserNotFound (400) is not_found naming the user, for dial, DND, forward and history', async () => {
    const ops = [
      () => ws.placeCall!({ user: 'nobody', to: unsafeDialable('202') }),
      () => ws.dialUser!({ user: 'nobody', username: 'bob' }),
      () => ws.setDnd!({ user: 'nobody', enabled: true }),
      () => ws.setForward!({ user: 'nobody', kind: 'busy', destination: unsafeDialable('202'), enabled: true }),
      () => ws.history!({ user: 'nobody' }),
      () => ws.history!({ user: 'nobody', days: 3 }),
    ];
    for (const op of ops) {
      const e = await expectBackendError(op(), ['not_found']);
      expect(e.message).toMatch(/XUC has no user "nobody"( or no user "bob")? \(UserNotFound, HTTP 400\)/);
      expect(e).toMatchObject({ code: 'UserNotFound' });
    }
    const e = await expectBackendError(ws.dialUser!({ user: 'alice', username: 'nobody' }), ['not_found']);
    expect(e.message).toMatch(/no user "alice" or no user "nobody"/);
    expect(r.engine.listCalls()).toEqual([]);
  });

  it('BadRequest (400) is invalid: an unknown queue to dial from or into', async () => {
    const a = await expectBackendError(ws.dialFromQueue!({ user: 'alice', to: unsafeDialable('202'), queueId: 99 }), ['invalid']);
    expect(a.code).toBe('BadRequest');
    await expectBackendError(ws.dialToQueue!({ to: unsafeDialable('202'), queue: 'nope', callerId: unsafeDialable('0600') }), ['invalid']);
    expect(r.engine.listCalls()).toEqual([]);
  });

  it('JsonBodyNotFound and JsonErrorDecoding (400) are invalid: nothing was done', async () => {
    await ws.connect();
    const send = (body: string) => ws.client.send({ method: 'POST', path: 'dnd/alice', body, read: false, what: 'set DND' });
    expect((await expectBackendError(send(''), ['invalid'])).code).toBe('JsonBodyNotFound');
    expect((await expectBackendError(send('{"state":"yes"}'), ['invalid'])).code).toBe('JsonErrorDecoding');
    expect(r.engine.user('alice').dnd).toBe(false);
  });

  it('NotHandledError (500) on an action is outcome_unknown, never replayed', async () => {
    await ws.connect();
    r.sim.server.resetStats();
    // The engine refuses a forward to a number it does not know; XUC has no documented code for it.
    const e = await expectBackendError(ws.setForward!({ user: 'alice', kind: 'unconditional', destination: unsafeDialable('999'), enabled: true }), ['outcome_unknown']);
    expect(e.code).toBe('NotHandledError');
    expect(describeError(e)).toMatch(/Do not retry/);
    expect(count('forward/unconditional/alice')).toBe(1);
    // A dial for a user without a connected phone.
    await expectBackendError(ws.placeCall!({ user: 'erin', to: unsafeDialable('202') }), ['outcome_unknown']);
    expect(count('dial/number/erin')).toBe(1);
  });

  it('a dial that fails names its documented precondition: the CTI user in the URL must be logged in', async () => {
    r.engine.setOnline('alice', false);
    for (const op of [
      () => ws.placeCall!({ user: 'alice', to: unsafeDialable('202') }),
      () => ws.dialUser!({ user: 'alice', username: 'bob' }),
      () => ws.dialFromQueue!({ user: 'alice', to: unsafeDialable('202'), queueId: 1 }),
    ]) {
      const e = await expectBackendError(op(), ['outcome_unknown']);
      expect(describeError(e)).toMatch(/Do not retry.*XUC dials only for a CTI user who is logged in .*check that alice is\.$/);
      expect(e).toMatchObject({ code: 'NotHandledError' });
    }
    const bad = await expectBackendError(ws.dialFromQueue!({ user: 'alice', to: unsafeDialable('202'), queueId: 99 }), ['invalid']);
    expect(bad.hint).toMatch(/check that alice is logged|check that alice is\./);
    // Not a dial: no such hint.
    const dnd = await expectBackendError(ws.setDnd!({ user: 'nobody', enabled: true }), ['not_found']);
    expect(dnd.hint).not.toMatch(/logged in/);
    expect(r.engine.listCalls()).toEqual([]);
  });

  it('a success written JavaScript-style, as the doc writes its samples, is success; anything else 2xx is outcome_unknown', async () => {
    await ws.connect();
    r.sim.server.inject({ kind: 'replace', match: 'dnd/alice', body: "{res: 'success'}" });
    await ws.setDnd!({ user: 'alice', enabled: true });
    r.sim.server.inject({ kind: 'replace', match: 'dnd/alice', body: '{"res": "failure"}' });
    await expectBackendError(ws.setDnd!({ user: 'alice', enabled: false }), ['outcome_unknown']);
    r.sim.server.inject({ kind: 'replace', match: 'dnd/alice', body: '<html>proxy</html>' });
    await expectBackendError(ws.setDnd!({ user: 'alice', enabled: false }), ['outcome_unknown']);
  });

  it('a destination that is busy or in DND is accepted: XUC answers before the call is routed', async () => {
    r.engine.setDnd('bob', true);
    await ws.placeCall!({ user: 'alice', to: unsafeDialable('202') });
    expect(r.engine.listCalls('alice')).toEqual([]);
    expect(r.engine.history('alice')[0]).toMatchObject({ to: '202', status: 'busy' });
  });

  it('a server error on a read is unavailable after bounded retries', async () => {
    await ws.connect();
    r.sim.server.inject({ kind: 'status', status: 500, match: 'history', times: Infinity });
    await expectBackendError(ws.history!({ user: 'alice' }), ['unavailable']);
    expect(count('history/alice')).toBe(3);
  });

  it('an endpoint outside the ACLs of the user is an auth error that names the user type', async () => {
    await ws.connect();
    const e = await expectBackendError(ws.client.send({ method: 'GET', path: 'contact/personal', read: true, what: 'list the personal contacts' }), ['auth']);
    expect(e.message).toMatch(/"xuc-ws" is not allowed to list the personal contacts/);
    expect(e.hint).toMatch(/cti for contacts/);
  });

  it('a url that does not reach the API is not_found with a hint about the url', async () => {
    const b = await r.backend({ extra: { url: `${r.sim.server.url}/elsewhere/xuc/api/2.0` } });
    const e = await expectBackendError(b.setDnd!({ user: 'alice', enabled: true }), ['not_found']);
    expect(e.hint).toMatch(/url/);
  });
});

describe('CTI endpoints', () => {
  it('ContactNotFound (404) is not_found, for get, update and delete', async () => {
    for (const op of [
      () => cti.contacts!.get({ id: 'no-such-id' }),
      () => cti.contacts!.update({ id: 'no-such-id', contact: { company: 'x' } }),
      () => cti.contacts!.delete({ id: 'no-such-id' }),
    ]) {
      const e = await expectBackendError(op(), ['not_found']);
      expect(e.message).toMatch(/no personal contact with id no-such-id/);
      expect(e.hint).toMatch(/create, import_csv or get/);
    }
  });

  it('an id or user of "." or ".." never leaves: URL resolution would make DELETE contact/personal/. "delete all"', async () => {
    await cti.contacts!.create({ contact: { firstname: 'Ada', number: '+441234567890' } });
    await cti.contacts!.create({ contact: { firstname: 'Alan', number: '+441234567891' } });
    for (const id of ['.', '..']) {
      const e = await expectBackendError(cti.contacts!.delete({ id }), ['invalid']);
      expect(e.message).toMatch(/nothing was sent/);
      await expectBackendError(cti.contacts!.update({ id, contact: { company: 'x' } }), ['invalid']);
    }
    await expectBackendError(ws.setDnd!({ user: '..', enabled: true }), ['invalid']);
    // Where the dots would have led: the API root, contact/ and contact/personal/ (XUC's "delete all").
    for (const path of ['', 'contact', 'contact/', 'contact/personal/', 'dnd/']) expect(count(path), path).toBe(0);
    expect(await cti.contacts!.list({})).toHaveLength(2);
  });

  it('DuplicateContact (409) is conflict', async () => {
    const c = { firstname: 'Ada', lastname: 'Lovelace', number: '+441234567890' };
    await cti.contacts!.create({ contact: c });
    expect((await expectBackendError(cti.contacts!.create({ contact: c }), ['conflict'])).code).toBe('DuplicateContact');
    expect(r.engine.book('alice').list()).toHaveLength(1);
  });

  it('InvalidContact (400) is invalid', async () => {
    const e = await expectBackendError(cti.contacts!.create({ contact: { email: 'not-an-address' } }), ['invalid']);
    expect(e.code).toBe('InvalidContact');
    expect(r.engine.book('alice').list()).toEqual([]);
  });

  it('JsonParsingError (500) is invalid, not outcome_unknown: XUC could not read the contact', async () => {
    await cti.connect();
    const e = await expectBackendError(cti.client.send({ method: 'POST', path: 'contact/personal', body: '{broken', read: false, what: 'create a contact' }), ['invalid']);
    expect(e.code).toBe('JsonParsingError');
  });

  it('Unreachable (503) is unavailable, for reads and actions alike: XUC did not act', async () => {
    await cti.connect();
    r.sim.setUnreachable(true);
    const read = await expectBackendError(cti.contacts!.list({}), ['unavailable']);
    expect(read.code).toBe('Unreachable');
    const act = await expectBackendError(cti.contacts!.create({ contact: { lastname: 'Hopper' } }), ['unavailable']);
    expect(act.message).toMatch(/nothing was done/);
    await expectBackendError(cti.listQualifications!({ queueId: 1 }), ['unavailable']);
    r.sim.setUnreachable(false);
    expect(await cti.contacts!.list({})).toEqual([]);
  });

  it('qualification: JsonBodyNotFound and JsonErrorDecoding are invalid; bad dates never leave', async () => {
    await cti.connect();
    const send = (body: string) => cti.client.send({ method: 'POST', path: 'call_qualification', body, read: false, what: 'record' });
    expect((await expectBackendError(send(''), ['invalid'])).code).toBe('JsonBodyNotFound');
    expect((await expectBackendError(send('{"callid":"x"}'), ['invalid'])).code).toBe('JsonErrorDecoding');
    r.sim.server.resetStats();
    await expectBackendError(cti.exportQualifications!({ queueId: 1, from: 'home', to: 'office' }), ['invalid']);
    await expectBackendError(cti.exportQualifications!({ queueId: 1, from: '2026-02-30', to: '2026-03-01' }), ['invalid']);
    expect(r.sim.server.stats.requests).toBe(0);
  });

  it('a CTI entry acts only for its own user, without asking XUC', async () => {
    const e = await expectBackendError(cti.contacts!.list({ user: 'bob' }), ['invalid']);
    expect(e.message).toMatch(/CTI user "alice" and can only act for itself, not for "bob"/);
    expect(r.sim.server.stats.requests).toBe(0);
  });
});
