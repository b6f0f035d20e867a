/** The core tools through the runner on the sim PBX: what each does, says and refuses. */
import { afterEach, describe, expect, it } from 'vitest';
import type { Backend } from '../../src/backends/backend.js';
import { PbxRouter } from '../../src/backends/registry.js';
import { ALL_TOOLS } from '../../src/tools/index.js';
import { env, testApp, type TestApp } from '../helpers/app.js';

let t: TestApp;
afterEach(() => t?.close());

const OFF = { confirm: 'off', dialPolicy: { defaultCountry: 'IT' } };
const tool = (name: string) => ALL_TOOLS.find((x) => x.name === name)!;
async function ok(name: string, args: Record<string, unknown>) {
  const r = await t.app.runner.run(tool(name), args, env());
  if (!r.ok) throw new Error(`${name}: ${r.message}`);
  return r;
}
async function fail(name: string, args: Record<string, unknown>) {
  const r = await t.app.runner.run(tool(name), args, env());
  if (r.ok) throw new Error(`${name} should have failed`);
  return r;
}

describe('core tools on the sim PBX', () => {
  it('get_active_call: the default user, another user, or every call when there is no default user', async () => {
    t = await testApp({ safety: OFF });
    const e = t.sim().engine;
    e.inboundCall('+390612345678', '202');
    expect((await ok('get_active_call', {})).structured).toEqual({ pbx: 'office', user: 'alice', calls: [], total: 0 });
    expect((await ok('get_active_call', { user: 'bob' })).structured.calls).toHaveLength(1);
    expect((await ok('get_active_call', { user: '202' })).summary).toMatch(/1 active call for 202: .* \+390612345678→202 ringing/);
    await t.close();
    t = await testApp({ safety: OFF, pbxes: { office: { type: 'sim', scenario: './scenario.json', traffic: false } } });
    t.sim().engine.inboundCall('+390612345678', '202');
    const all = (await ok('get_active_call', {})).structured;
    expect(all.user).toBeUndefined();
    expect(all.calls).toHaveLength(1);
  });

  it('place_call needs someone to act for, and names the fix', async () => {
    t = await testApp({ safety: OFF, pbxes: { office: { type: 'sim', scenario: './scenario.json', traffic: false } } });
    const r = await fail('place_call', { to: '202' });
    expect(r.message).toMatch(/none was named.*Pass `user`, or set `defaultUser` for PBX office/);
  });

  it('transfer attended: holds, consults, and says how it completes', async () => {
    t = await testApp({ safety: OFF });
    const e = t.sim().engine;
    const c = e.inboundCall('+390612345678', '201');
    t.clock.advance(1000);
    const r = await ok('transfer', { to: '202', mode: 'attended' });
    expect(r.structured).toMatchObject({ status: 'done', mode: 'attended', call_id: c.id, consult_call: { to: { number: '202' } } });
    expect(r.structured.completion).toMatch(/hang up the consultation call/);
    const consult = (r.structured.consult_call as { id: string }).id;
    t.clock.advance(1000);
    await ok('hangup', { call_id: consult });
    expect(e.call(c.id)).toMatchObject({ state: 'connected', toUser: 'bob' });
  });

  it('refuses to act on a call that is not there, before asking anyone', async () => {
    t = await testApp();
    expect((await fail('hangup', {})).message).toMatch(/alice has no active call/);
    expect((await fail('hangup', { call_id: '1.99' })).message).toMatch(/no active call with id 1\.99 for alice.*get_active_call/);
    expect(t.app.audit.recent().at(-1)).toMatchObject({ confirmation: 'not_required', outcome: 'error' });
  });

  it('park_call with a slot, and the slot taken', async () => {
    t = await testApp({ safety: OFF });
    const e = t.sim().engine;
    const a = e.inboundCall('+390612345678', '201');
    const b = e.inboundCall('+393471234567', '202');
    t.clock.advance(1000);
    expect((await ok('park_call', { call_id: a.id, slot: 702 })).structured).toMatchObject({ slot: '702' });
    expect((await fail('park_call', { call_id: b.id, slot: '702' })).message).toMatch(/parking slot 702 is taken/);
  });

  it('pause_queues and set_dnd report what they did', async () => {
    t = await testApp({ safety: OFF });
    expect((await ok('pause_queues', { paused: true, queues: ['sales'], reason: 'lunch' })).structured).toMatchObject({
      paused: true,
      queues: ['sales'],
      message: 'alice is paused in queue sales.',
    });
    expect(t.sim().engine.user('alice').queues).toEqual([{ queue: 'sales', paused: true, reason: 'lunch' }]);
    expect((await ok('set_dnd', { enabled: true })).summary).toBe('Do-not-disturb on for alice.');
    expect(t.sim().engine.user('alice').dnd).toBe(true);
  });

  it('list_queue reads a queue and names an unknown one', async () => {
    t = await testApp({ safety: OFF });
    t.sim().engine.inboundCall('+390612345678', '600');
    expect((await ok('list_queue', { queue: 'support' })).structured).toMatchObject({ pbx: 'office', queue: 'support', waitingCount: 1 });
    expect((await fail('list_queue', { queue: 'nope' })).message).toBe('PBX `office` (sim): no queue named nope.');
  });

  it('a PBX that cannot do an operation says what it can do', async () => {
    t = await testApp({ safety: OFF });
    const limited: Backend = {
      name: 'desk',
      type: 'fake',
      userModel: 'self',
      defaultUser: 'agent7',
      capabilities: new Set(['activeCalls', 'setDnd']),
      activeCalls: () => Promise.resolve([]),
      setDnd: () => Promise.resolve(),
      close: () => Promise.resolve(),
    };
    const pbxes = new PbxRouter([t.sim(), limited], 'office');
    (t.app.runner as unknown as { deps: { pbxes: PbxRouter } }).deps.pbxes = pbxes;
    const r = await fail('park_call', { call_id: '1.1', pbx: 'desk' });
    expect(r.message).toBe('PBX `desk` (fake): this PBX cannot park calls. It can: read active calls, set do-not-disturb.');
    expect(r.error.kind).toBe('unsupported');
    const other = await fail('set_dnd', { enabled: true, pbx: 'desk', user: 'bob' });
    expect(other.message).toMatch(/acts only as its own login \(agent7\), so it cannot act for bob/);
  });
});
