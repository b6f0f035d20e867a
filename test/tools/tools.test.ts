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

  it('place_call dials the number the person confirmed, however it was written (national form too)', async () => {
    // The same number twice in a minute would be asked about as a repeat (test/safety/repeat.test.ts): off here.
    t = await testApp({ safety: { repeatWindowSeconds: 0, dialPolicy: { defaultCountry: 'IT' } } });
    for (const [typed, e164, shown] of [
      ['06 1234 5678', '+390612345678', '+39 06 1234 5678'],
      ['347 123 4567', '+393471234567', '+39 347 123 4567'],
      ['0039 06 1234 5678', '+390612345678', '+39 06 1234 5678'],
    ] as const) {
      const asked = await ok('place_call', { to: typed });
      expect(asked.structured).toMatchObject({ status: 'confirmation_required' });
      expect(asked.structured.message).toContain(`Call ${shown} (Italy,`);
      const r = await ok('place_call', { to: typed, confirm_token: asked.structured.confirm_token });
      expect(r.structured).toMatchObject({ status: 'done', to: e164, call: { to: { number: e164 } } });
      await ok('hangup', { call_id: r.structured.call_id, confirm_token: (await ok('hangup', { call_id: r.structured.call_id })).structured.confirm_token });
    }
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
    expect((await ok('list_queue', { queue: 'support' })).structured).toMatchObject({ pbx: 'office', queue: 'support', waiting_count: 1 });
    expect((await fail('list_queue', { queue: 'nope' })).message).toBe('PBX `office` (sim): no queue named nope. The queues of this PBX: support, sales.');
  });

  it('list_queue with a mistyped queue names the queues that exist and the closest one', async () => {
    t = await testApp({ safety: OFF });
    const r = await fail('list_queue', { queue: 'Sales-typo' });
    expect(r.message).toBe('PBX `office` (sim): no queue named Sales-typo. Did you mean "sales"? The queues of this PBX: support, sales.');
    expect(r.error.kind).toBe('not_found');
  });

  it('list_queue shows the agents of a queue and who is paused, with the reason', async () => {
    t = await testApp({ safety: OFF });
    await ok('pause_queues', { paused: true, queues: ['sales'], reason: 'lunch' });
    t.sim().engine.inboundCall('+390612345678', '201');
    t.clock.advance(1000);
    const r = await ok('list_queue', { queue: 'sales' });
    expect(r.structured.members).toEqual([
      { user: 'dave', number: '204', name: 'Dave', paused: false, state: 'available' },
      { user: 'alice', number: '201', name: 'Alice', paused: true, reason: 'lunch', state: 'on_call' },
    ]);
    expect(r.summary).toBe('Queue sales: 0 waiting, 2 agents (1 paused).');
    expect(r.structured.members_total).toBe(2);
    // The agents are PBX rows like the calls: at most `limit` of them, saying how many there are.
    const one = await ok('list_queue', { queue: 'sales', limit: 1 });
    expect(one.structured.members).toHaveLength(1);
    expect(one.structured).toMatchObject({ members_total: 2, truncated: expect.stringContaining('showing 1 of 2 agents') });
    expect(one.summary).toBe('Queue sales: 0 waiting, 2 agents (0 paused of the 1 shown).');
  });

  it('list_queue says when a PBX cannot tell the members: null with a note, not an empty list', async () => {
    t = await testApp({ safety: OFF });
    const countsOnly: Backend = {
      name: 'desk',
      type: 'fake',
      userModel: 'self',
      capabilities: new Set(['listQueue']),
      listQueue: (a) => Promise.resolve({ queue: a.queue, waitingCount: 2, calls: [] }),
      close: () => Promise.resolve(),
    };
    (t.app.runner as unknown as { deps: { pbxes: PbxRouter } }).deps.pbxes = new PbxRouter([t.sim(), countsOnly], 'office');
    const r = await ok('list_queue', { queue: 'Sales', pbx: 'desk' });
    expect(r.structured).toMatchObject({ waiting_count: 2, members: null, members_note: expect.stringMatching(/does not report queue members/) });
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

describe('one-line summaries read as sentences', () => {
  it('manage_contacts: counts agree with their nouns, actions are said as done', async () => {
    t = await testApp({ safety: OFF });
    const csv = 'firstname,lastname,number\nGino,Rossi,+390612345670\n,,\n,,\n';
    expect((await ok('manage_contacts', { action: 'import_csv', csv })).summary).toBe('Imported 1 contact; 2 lines failed.');
    const created = await ok('manage_contacts', { action: 'create', contact: { lastname: 'Neri' } });
    const id = (created.structured.contact as { id: string }).id;
    expect(created.summary).toBe(`Created contact ${id}.`);
    expect((await ok('manage_contacts', { action: 'update', id, contact: { company: 'Neri Srl' } })).summary).toBe(`Updated contact ${id}.`);
    expect((await ok('manage_contacts', { action: 'list' })).summary).toBe('2 contacts.');
    expect((await ok('manage_contacts', { action: 'delete', id })).summary).toBe('Deleted the contact.');
    expect((await ok('manage_contacts', { action: 'delete_all' })).summary).toBe('Deleted all 1 contact.');
    expect((await ok('manage_contacts', { action: 'export_csv' })).summary).toBe('Exported 0 contacts as CSV.');
  });

  it('set_forward says where the calls now go', async () => {
    t = await testApp({ safety: OFF });
    expect((await ok('set_forward', { kind: 'busy', enabled: true, destination: '202' })).summary).toBe('The calls that reach alice while busy now go to 202.');
    expect((await ok('set_forward', { kind: 'noanswer', enabled: false })).summary).toBe('The no-answer forward of alice is off.');
  });

  it('a call in a confirmation says its time as time since the call started', async () => {
    t = await testApp();
    const e = t.sim().engine;
    e.inboundCall('+390612345678', '201');
    t.clock.advance(8000);
    expect((await ok('hangup', {})).structured.message).toMatch(
      /^Confirmation needed: Hang up the call between \+390612345678 \(Giuseppe Test\) and 201 \(Alice\) \(connected, started 8 s ago\)\?/,
    );
  });
});

describe('queue agents in the demo', () => {
  it('an agent whose phone rings with a queue call is ringing, not on a call', async () => {
    t = await testApp({ safety: OFF });
    const e = t.sim().engine;
    e.inboundCall('+390612345678', '601');
    const r = await ok('list_queue', { queue: 'sales' });
    expect((r.structured.members as { user: string; state: string }[]).map((m) => [m.user, m.state])).toEqual([
      ['dave', 'ringing'],
      ['alice', 'available'],
    ]);
    t.clock.advance(5_000);
    e.answer('dave');
    expect((await ok('list_queue', { queue: 'sales' })).structured.members).toMatchObject([{ user: 'dave', state: 'on_call' }, { user: 'alice' }]);
  });
});
