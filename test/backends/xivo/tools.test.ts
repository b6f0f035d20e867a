/**
 * The tools routed to xivo PBX entries (in-process app, real HTTP to the simulator): what XUC lacks is refused
 * clearly, queue dialing and forwarding pass the dial policy and the caller-ID rule before any request, and
 * guarded actions ask with the real parties.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { env, testApp, type TestApp } from '../../helpers/app.js';
import type { AnyTool } from '../../../src/tools/define.js';
import { toolSchemas } from '../../../src/server.js';
import type { ToolOutcome } from '../../../src/tools/call.js';
import { CTI_PASSWORD, rig, WS, type XivoRig } from './harness.js';

let r: XivoRig;
let t: TestApp;
const asked: string[] = [];

beforeAll(async () => {
  r = await rig();
  t = await testApp({
    pbxes: {
      office: { type: 'sim', scenario: './scenario.json', defaultUser: 'alice', traffic: false },
      xws: { type: 'xivo', url: r.sim.server.url, login: WS.login, password: WS.password, defaultUser: 'alice', ownedNumbers: ['+390600000000'] },
      xcti: { type: 'xivo', url: r.sim.server.url, login: 'alice', password: CTI_PASSWORD, userType: 'cti' },
    },
  });
});
afterAll(async () => {
  await t.close();
  await r.close();
});
beforeEach(() => {
  asked.length = 0;
  r.sim.server.resetStats();
});

const tool = (name: string): AnyTool => {
  const found = t.app.tools.find((x) => x.name === name);
  if (!found) throw new Error(`tool ${name} not offered`);
  return found;
};

function run(name: string, args: Record<string, unknown>): Promise<ToolOutcome> {
  return t.app.runner.run(tool(name), args, env({ elicit: async (m) => (asked.push(m), { answer: 'accept', confirm: true }) }));
}

async function ok(name: string, args: Record<string, unknown>): Promise<Record<string, unknown>> {
  const o = await run(name, args);
  if (!o.ok) throw new Error(`${name}: ${o.message}`);
  return o.structured;
}

async function refused(name: string, args: Record<string, unknown>): Promise<{ message: string; kind: string; rule?: string | undefined }> {
  const o = await run(name, args);
  if (o.ok) throw new Error(`${name} should have failed: ${JSON.stringify(o.structured)}`);
  return { message: o.message, kind: o.error.kind, rule: o.error.rule };
}

const xucRequests = () => r.sim.server.log.filter((q) => !q.path.includes('/auth/')).length;

describe('what XUC REST cannot do is refused clearly', () => {
  it('call control: hangup, transfer, get_active_call name the WebSocket-only limit and what the PBX can do', async () => {
    for (const [name, args] of [
      ['hangup', { pbx: 'xws' }],
      ['transfer', { pbx: 'xws', to: '202' }],
      ['get_active_call', { pbx: 'xws' }],
      ['park_call', { pbx: 'xws', call_id: '1.1' }],
    ] as const) {
      const e = await refused(name, args);
      expect(e.kind, name).toBe('unsupported');
      expect(e.message, name).toMatch(/^PBX `xws` \(xivo\): this PBX cannot .*: XiVO's XUC REST API has no call control.*WebSocket/);
      expect(e.message, name).toMatch(/It can: place calls, call a user by login/);
    }
    expect(r.sim.server.stats.requests).toBe(0);
  });

  it('pause_queues says why the deprecated 1.0 togglePause is not used', async () => {
    const e = await refused('pause_queues', { pbx: 'xws', paused: true });
    expect(e.kind).toBe('unsupported');
    expect(e.message).toMatch(/no agent pause; its deprecated 1\.0 API has togglePause.*DEPRECATED_API_HOST.*no credentials.*flips between ready and pause/);
    expect(r.sim.server.stats.requests).toBe(0);
  });

  it('a web-service entry points to a CTI entry for contacts and qualification, and back', async () => {
    const contacts = await refused('manage_contacts', { pbx: 'xws', action: 'list' });
    expect(contacts.message).toMatch(/cannot keep contacts: .*web-service user.*userType "cti"/);
    const q = await refused('qualify_call', { pbx: 'xws', action: 'list_options', queue_id: 1 });
    expect(q.message).toMatch(/needs a CTI user/);
    const dnd = await refused('set_dnd', { pbx: 'xcti', enabled: true });
    expect(dnd.message).toMatch(/CTI user "alice", and do-not-disturb needs a web-service user: use a PBX entry of this XUC with userType "webservice"/);
  });

  it('a PBX without queue dialing refuses from_queue_id and to_queue as unsupported, never ignoring them', async () => {
    const before = t.sim().engine.listCalls().length;
    const to = await refused('place_call', { pbx: 'office', to: '202', to_queue: 'support', caller_id: '0600000000' });
    expect(to).toMatchObject({ kind: 'unsupported' });
    expect(to.message).toMatch(/cannot dial a number into a queue \(to_queue\).*It can: place calls/);
    const from = await refused('place_call', { pbx: 'office', to: '202', from_queue_id: 1 });
    expect(from.message).toMatch(/cannot dial from a queue \(from_queue_id\)/);
    expect(t.sim().engine.listCalls()).toHaveLength(before);
  });
});

describe('place_call queue variants on XUC', () => {
  it('to_queue: a caller ID that is not one of the ownedNumbers is refused before any request', async () => {
    const e = await refused('place_call', { pbx: 'xws', to: '+39 347 123 4567', to_queue: 'support', caller_id: '+39 06 9999 9999' });
    expect(e).toMatchObject({ kind: 'invalid', rule: 'caller_id' });
    expect(xucRequests()).toBe(0);
  });

  it('to_queue: a number the policy refuses is refused before any request', async () => {
    const e = await refused('place_call', { pbx: 'xws', to: '+39 899 123456', to_queue: 'support', caller_id: '+390600000000' });
    expect(e.rule).toBeDefined();
    expect(xucRequests()).toBe(0);
  });

  it('to_queue: argument mistakes are explained', async () => {
    expect((await refused('place_call', { pbx: 'xws', to: '202', to_queue: 'support' })).message).toMatch(/needs caller_id.*\+390600000000/);
    expect((await refused('place_call', { pbx: 'xws', to: '202', to_queue: 'support', caller_id: '0600000000', user: 'alice' })).message).toMatch(/Leave out user/);
    expect((await refused('place_call', { pbx: 'xws', to: '202', caller_id: '+390600000000' })).message).toMatch(/only used with to_queue/);
    expect((await refused('place_call', { pbx: 'xws', to: '202', to_queue: 'support', from_queue_id: 1 })).message).toMatch(/cannot be combined/);
    expect(xucRequests()).toBe(0);
  });

  it('to_queue: confirmed with the caller ID and the queue, then dialed into the queue', async () => {
    for (const m of r.engine.listUsers()) if (m.queues.length) r.engine.pauseQueues(m.id, true);
    const res = await ok('place_call', { pbx: 'xws', to: '+39 347 123 4567', to_queue: 'support', caller_id: '+39 06 0000 0000' });
    expect(asked).toEqual(['Call +39 347 123 4567 (Italy, mobile) showing caller ID +390600000000, and put the call into queue support once answered? (PBX xws)']);
    expect(res).toMatchObject({ status: 'done', to: '+393471234567' });
    expect(res.message).toMatch(/does not report calls back/);
    const sent = r.sim.server.log.find((q) => q.path.endsWith('/dial/toqueue'))!;
    expect(JSON.parse(sent.body)).toEqual({ destination: '+393471234567', queueName: 'support', callerIdNumber: '+390600000000', variables: {} });
    expect(r.engine.queueStatus('support').calls).toEqual([expect.objectContaining({ caller: '+393471234567' })]);
    for (const m of r.engine.listUsers()) if (m.queues.length) r.engine.pauseQueues(m.id, false);
    for (const c of r.engine.listCalls()) r.engine.hangup(undefined, c.id);
  });

  it('from_queue_id: dials for the user through the queue', async () => {
    const res = await ok('place_call', { pbx: 'xws', to: '203', from_queue_id: 1 });
    expect(res.status).toBe('done');
    const sent = r.sim.server.log.find((q) => q.path.endsWith('/dial/fromqueue/alice'))!;
    expect(JSON.parse(sent.body)).toEqual({ destination: '203', queueId: 1, variables: {} });
    expect(r.engine.listCalls('alice')).toEqual([expect.objectContaining({ toUser: 'carol' })]);
    r.engine.hangup('alice');
  });
});

describe('set_forward', () => {
  it('a destination the policy refuses never reaches XUC', async () => {
    const e = await refused('set_forward', { pbx: 'xws', kind: 'unconditional', enabled: true, destination: '+39 899 123456' });
    expect(e.rule).toBeDefined();
    const intl = await refused('set_forward', { pbx: 'xws', kind: 'busy', enabled: true, destination: '+1 212 555 0123' });
    expect(intl.rule).toBeDefined();
    expect(xucRequests()).toBe(0);
    expect(r.engine.user('alice').forward).toEqual({});
  });

  it('turning a forward on needs a destination; on is confirmed with the parties, off is not', async () => {
    expect((await refused('set_forward', { pbx: 'xws', kind: 'busy', enabled: true })).message).toMatch(/needs a destination/);
    const on = await ok('set_forward', { pbx: 'xws', kind: 'noanswer', enabled: true, destination: '203' });
    expect(asked).toEqual(['Forward the calls alice does not answer to extension 203? (PBX xws)']);
    expect(on).toMatchObject({ status: 'done', kind: 'noanswer', enabled: true, destination: '203', user: 'alice', message: 'The calls alice does not answer now go to extension 203.' });
    expect(r.engine.user('alice').forward).toEqual({ noanswer: '203' });
    asked.length = 0;
    await ok('set_forward', { pbx: 'xws', kind: 'noanswer', enabled: false });
    expect(asked).toEqual([]);
    expect(r.engine.user('alice').forward).toEqual({});
  });
});

describe('dial_user, call_history, qualify_call', () => {
  it('dial_user asks, then calls the user by login', async () => {
    const res = await ok('dial_user', { pbx: 'xws', username: 'bob' });
    expect(asked).toEqual(['Call user bob from alice? (PBX xws)']);
    expect(res).toMatchObject({ status: 'done', username: 'bob' });
    expect(r.engine.listCalls('alice')).toEqual([expect.objectContaining({ toUser: 'bob' })]);
    r.engine.hangup('alice');
  });

  it('call_history reads XUC history (newest first) and the sim one alike', async () => {
    r.engine.placeCall('alice', '202');
    r.clock.advance(4000);
    r.engine.hangup('alice');
    const xivo = await ok('call_history', { pbx: 'xws', size: 1 });
    expect(xivo).toMatchObject({ pbx: 'xws', user: 'alice', entries: [{ from: 'alice', to: 'bob', status: 'emitted' }] });
    expect(r.sim.server.log.find((q) => q.path.endsWith('/history/alice'))!.query.get('size')).toBe('1');
    await ok('call_history', { pbx: 'xws', days: 2 });
    expect(r.sim.server.log.find((q) => q.path.endsWith('/history/days/alice'))!.query.get('days')).toBe('2');
    const sim = await ok('call_history', { pbx: 'office' });
    expect(sim).toMatchObject({ pbx: 'office', user: 'alice', entries: expect.any(Array) });
  });

  it('qualify_call: reads without confirmation, record with it', async () => {
    const list = await ok('qualify_call', { pbx: 'xcti', action: 'list_options', queue_id: 1 });
    expect(list.options).toHaveLength(2);
    expect(asked).toEqual([]);
    const rec = await ok('qualify_call', {
      pbx: 'xcti',
      action: 'record',
      queue_id: 1,
      sub_qualification_id: 12,
      call_id: '1447670380.34',
      agent_id: 7,
      time: '2026-01-05 10:00:00',
      comment: 'ok',
    });
    expect(asked).toEqual(['Record sub-qualification 12 for call 1447670380.34 (queue 1, agent 7)? (PBX xcti)']);
    expect(rec).toMatchObject({ status: 'done', recorded: { sub_qualification_id: 12, call_id: '1447670380.34', agent: 7, queue: 1 } });
    const exp = await ok('qualify_call', { pbx: 'xcti', action: 'export_csv', queue_id: 1, from: '2026-01-05', to: '2026-01-05' });
    expect(exp.csv).toContain('12,2026-01-05 10:00:00,1447670380.34,7,1,,,ok,');
    expect((await refused('qualify_call', { pbx: 'xcti', action: 'record', queue_id: 1 })).message).toMatch(/needs `sub_qualification_id`/);
    expect((await refused('qualify_call', { pbx: 'xcti', action: 'export_csv', queue_id: 1, from: '2026-02-01', to: '2026-01-01' })).message).toMatch(/after/);
  });

  it('manage_contacts on the CTI entry says the list has no ids', async () => {
    await ok('manage_contacts', { pbx: 'xcti', action: 'create', contact: { firstname: 'Ada', lastname: 'Lovelace' } });
    const list = await ok('manage_contacts', { pbx: 'xcti', action: 'list' });
    expect(list.contacts).toEqual([{ id: '', firstname: 'Ada', lastname: 'Lovelace' }]);
    expect(list.note).toMatch(/without ids/);
  });

  it('a contact id of only dots is refused by the schema, and by the HTTP layer if it got past (it would mean "all contacts")', async () => {
    for (const id of ['.', '..', '...']) expect(tool('manage_contacts').input.safeParse({ action: 'delete', id }).success, id).toBe(false);
    expect(tool('manage_contacts').input.safeParse({ action: 'delete', id: 'a.b-1' }).success).toBe(true);
    expect(tool('manage_contacts').input.safeParse({ action: 'delete', id: '._a' }).success).toBe(true);
    // The runner behind the SDK's validation: the vendor HTTP client still refuses to send a dot segment.
    for (const id of ['.', '..']) {
      const r2 = await refused('manage_contacts', { pbx: 'xcti', action: 'delete', id });
      expect(r2.kind, `${id}: ${r2.message}`).toBe('invalid');
    }
    expect(asked).toEqual([]);
    expect(xucRequests()).toBe(0);
  });

  // Not a speed assertion: the previous, backtracking pattern spent ~10 s on this input (ReDoS), a linear one
  // microseconds; the timeout only turns a hang into a failure.
  it('a long contact id is refused without backtracking, by the schema and by the pattern clients see', () => {
    const huge = `${'a'.repeat(100_000)}!`;
    expect(tool('manage_contacts').input.safeParse({ action: 'delete', id: huge }).success).toBe(false);
    const pattern = (toolSchemas([tool('manage_contacts')]).manage_contacts!.inputSchema.properties as Record<string, { pattern: string }>).id!.pattern;
    // Clients validate arguments against tools/list before sending: the published pattern must be safe too.
    expect(new RegExp(pattern).test(huge)).toBe(false);
    expect(new RegExp(pattern).test('0701')).toBe(true);
  }, 5_000);
});
