/**
 * End to end: SDK Client -> built telephony-mcp (spawned, stdio) -> xcally adapter -> HTTP -> the xCALLY phone bar
 * simulator (in process, real clock) -> engine, for the whole call flow the phone bar API allows, asserting on the
 * engine as well as on what the tools say. The simulator takes the doc's least convenient reading: every row says
 * ACTIVE, so a call's state is what telephony-mcp did to it, and the engine says when the far end answers.
 */
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PbxEngine } from '../../src/simulators/engine/engine.js';
import { parseScenario } from '../../src/simulators/engine/scenario.js';
import { startXcallySimulator, type XcallySimulator } from '../../src/simulators/xcally/simulator.js';
import { E2E_SCENARIO, acceptAll, call, connectStdio, eventually, writeConfig, type StdioSession } from '../helpers/mcp.js';

const GIUSEPPE = '+390612345678';
const ACME = '+390287654321';
const XCALLY_TOOLS = ['answer_call', 'call_history', 'conference', 'get_active_call', 'hangup', 'hold_call', 'pause_queues', 'place_call', 'transfer'];

type Call = { id: string; state: string; direction?: string; from: { number: string }; to: { number: string }; participants?: { number: string }[] };

let engine: PbxEngine;
let sim: XcallySimulator;
let session: StdioSession;
let client: Client;

async function activeCalls(): Promise<Call[]> {
  return (await call(client, 'get_active_call')).calls as Call[];
}

/** The text of a resource content (JSON resources are text). */
function text(c: unknown): string {
  return (c as { text: string }).text;
}

/** alice's calls in the engine. */
const aliceCalls = () => engine.listCalls('alice');

/** An outside caller rings alice (who answers only through the API); resolves once the phone bar shows it. */
async function ringIn(from: string): Promise<Call> {
  const c = engine.inboundCall(from, '201');
  // Rows all say ACTIVE: the phone bar lists the call, and cannot say it rings.
  return eventually(async () => (await activeCalls()).find((x) => x.id === c.id && x.state === 'unknown'), 5000, 'the call to ring');
}

/** The engine's word that call `id` is connected (the far end answered): the phone bar does not say. */
const connectedInEngine = (id: string, what: string) => eventually(async () => engine.call(id).state === 'connected', 5000, what);

beforeAll(async () => {
  // alice in a queue of her own, so that pause_queues has something to pause.
  engine = new PbxEngine(parseScenario({ ...E2E_SCENARIO, queues: [...E2E_SCENARIO.queues, { name: 'sales', number: '601', members: ['alice'] }] }));
  engine.setAnswerMode('alice', 'manual');
  sim = await startXcallySimulator({ engine, agent: 'alice' });
  const config = writeConfig({
    defaultPbx: 'desk',
    pbxes: { desk: { type: 'xcally', url: sim.server.url, agent: '201' } },
    safety: { dialPolicy: { defaultCountry: 'IT' } },
  });
  session = await connectStdio({ config, elicit: acceptAll });
  client = session.client;
});

afterAll(async () => {
  await session?.close();
  await sim?.close();
  engine?.close();
});

describe('xcally end to end', () => {
  it('offers the tools the phone bar supports, with all four annotations, and its resources', async () => {
    const { tools } = await client.listTools();
    expect(tools.map((t) => t.name).sort()).toEqual(XCALLY_TOOLS);
    for (const t of tools) {
      for (const hint of ['readOnlyHint', 'destructiveHint', 'idempotentHint', 'openWorldHint'] as const) {
        expect(typeof t.annotations?.[hint], `${t.name}.${hint}`).toBe('boolean');
      }
    }
    const conference = tools.find((t) => t.name === 'conference')!;
    expect(conference.description).toMatch(/\(1\).*\(2\).*hold_call.*\(3\).*place_call.*\(4\)/);
    const uris = (await client.listResources()).resources.map((r) => r.uri);
    expect(uris).toEqual(expect.arrayContaining(['pbx://desk/calls', 'pbx://desk/history/201', 'pbx://desk/queues', 'pbx://desk/extensions', 'pbx://desk/capabilities']));
    const caps = JSON.parse(text((await client.readResource({ uri: 'pbx://desk/capabilities' })).contents[0]));
    expect(caps).toMatchObject({ type: 'xcally', actsFor: expect.stringMatching(/^only its own login/) });
  });

  it('place_call -> connected -> hold_call (twice: no toggle back) -> resume -> hangup', async () => {
    const placed = await call(client, 'place_call', { to: '+39 06 1234 5678' });
    expect(placed).toMatchObject({ status: 'done', to: GIUSEPPE });
    expect(aliceCalls()).toEqual([expect.objectContaining({ fromUser: 'alice', to: expect.objectContaining({ number: GIUSEPPE }) })]);
    const [placedCall] = await activeCalls();
    expect(placedCall).toMatchObject({ state: 'unknown', direction: 'outbound', from: { number: '201' }, to: { number: GIUSEPPE } });
    const id = placedCall!.id;
    await connectedInEngine(id, 'the call to connect');

    const held = await call(client, 'hold_call', { call_id: id });
    expect(held).toMatchObject({ status: 'done', changed: true, on_hold: true, note: expect.stringMatching(/only as ACTIVE/) });
    expect(held.message).toMatch(/^Put the call between 201 and \+390612345678 on hold\. The phone bar reports/);
    expect(engine.call(id).state).toBe('on_hold');
    expect(await call(client, 'hold_call', { call_id: id, on: true })).toMatchObject({ status: 'done', changed: false });
    expect(engine.call(id).state).toBe('on_hold');
    expect(await call(client, 'hold_call', { on: false })).toMatchObject({ status: 'done', changed: true, call_id: id });
    expect(engine.call(id).state).toBe('connected');

    expect(await call(client, 'hangup', {})).toMatchObject({ status: 'done', call_id: id });
    expect(aliceCalls()).toEqual([]);
  });

  it('answer_call, then the conference recipe: hold A, call B, conference A, hangup ends both legs', async () => {
    const a = await ringIn(GIUSEPPE);
    expect(a).toMatchObject({ from: { number: GIUSEPPE }, to: { number: '201' } });
    const answered = await call(client, 'answer_call', {});
    expect(answered).toMatchObject({ status: 'done', call_id: a.id, call: { id: a.id, state: 'connected' } });
    expect(engine.call(a.id).state).toBe('connected');

    await call(client, 'hold_call', { call_id: a.id });
    expect(engine.call(a.id).state).toBe('on_hold');
    const b = await call(client, 'place_call', { to: '202' });
    expect(b.status).toBe('done');
    const toBob = await eventually(async () => (await activeCalls()).find((c) => c.to.number === '202'), 5000, 'the call to bob');
    await connectedInEngine(toBob.id, 'bob to answer');

    const conf = await call(client, 'conference', { call_id: a.id });
    expect(conf).toMatchObject({ status: 'done', call_id: a.id });
    expect(engine.call(a.id).participants?.map((p) => p.number).sort()).toEqual([GIUSEPPE, '201', '202']);
    const [shown, ...others] = await activeCalls();
    expect(others).toEqual([]);
    expect(shown!.participants?.map((p) => p.number)).toEqual(['201', GIUSEPPE, '202']);

    expect(await call(client, 'hangup', { call_id: a.id })).toMatchObject({ status: 'done' });
    expect(engine.listCalls()).toEqual([]);
  });

  it('answer_call, then a blind transfer: the caller moves to 203 and the agent leaves', async () => {
    const c = await ringIn(ACME);
    await call(client, 'answer_call', { call_id: c.id });
    const moved = await call(client, 'transfer', { to: '203', call_id: c.id });
    expect(moved).toMatchObject({ status: 'done', mode: 'blind', to: '203' });
    expect(engine.call(c.id)).toMatchObject({ from: { number: ACME }, to: { number: '203' } });
    expect(aliceCalls()).toEqual([]);
    await eventually(async () => engine.call(c.id).state === 'connected', 5000, 'carol to answer');
    engine.hangup('carol');
  });

  it('an attended transfer: the call is held, the target rung, and hanging up the consultation hands it over', async () => {
    const c = await ringIn(GIUSEPPE);
    await call(client, 'answer_call', {});
    const r = await call(client, 'transfer', { to: '202', call_id: c.id, mode: 'attended' });
    expect(r).toMatchObject({ status: 'done', mode: 'attended', consult_call: { to: { number: '202' } } });
    expect(r.completion).toMatch(/does not document how an attended transfer completes/);
    expect(engine.call(c.id).state).toBe('on_hold');
    const consult = (r.consult_call as Call).id;
    await connectedInEngine(consult, 'bob to answer');
    await call(client, 'hangup', { call_id: consult });
    expect(engine.call(c.id)).toMatchObject({ state: 'connected', from: { number: GIUSEPPE }, to: { number: '202' } });
    expect(aliceCalls()).toEqual([]);
    engine.hangup('bob');
  });

  it('pause_queues: holding on the idle agent, with what the phone bar cannot confirm said in the result', async () => {
    const paused = await call(client, 'pause_queues', { paused: true });
    expect(paused).toMatchObject({ status: 'done', paused: true, note: expect.stringMatching(/no request that reports whether the agent is paused/) });
    expect(engine.user('alice').queues.every((q) => q.paused)).toBe(true);
    expect(await call(client, 'pause_queues', { paused: false })).toMatchObject({ status: 'done', paused: false });
    expect(engine.user('alice').queues.some((q) => q.paused)).toBe(false);
  });

  it('reads the recent calls as history', async () => {
    const res = await client.readResource({ uri: 'pbx://desk/history/201' });
    const entries = JSON.parse(text(res.contents[0])).entries as { from: string; to: string; status: string }[];
    expect(entries.length).toBeGreaterThanOrEqual(5);
    expect(entries).toEqual(expect.arrayContaining([
      expect.objectContaining({ from: '201', to: GIUSEPPE, status: 'emitted' }),
      expect.objectContaining({ from: ACME, to: '201', status: 'answered' }),
      expect.objectContaining({ from: '201', to: '202', status: 'emitted' }),
    ]));
  });

  it("reads the agent's queues and its own extension (queues, peer)", async () => {
    const queues = JSON.parse(text((await client.readResource({ uri: 'pbx://desk/queues' })).contents[0]));
    // The phone bar lists queue names only: who is in them and paused is unknown, and said so.
    expect(queues).toEqual({
      pbx: 'desk',
      queues: engine.user('alice').queues.map((q) => ({ name: q.queue, members: null })),
      membersNote: expect.stringMatching(/does not report queue members/),
      total: engine.user('alice').queues.length,
    });
    const ext = JSON.parse(text((await client.readResource({ uri: 'pbx://desk/extensions' })).contents[0]));
    expect(ext).toEqual({
      pbx: 'desk',
      extensions: [expect.objectContaining({ number: '201', kind: 'user', online: true })],
      notReported: 'this PBX does not report call forwarding or queue memberships and pauses of its users',
      total: 1,
    });
  });

  it('turns phone bar refusals into errors naming the PBX and what to do', async () => {
    const r = await client.callTool({ name: 'answer_call', arguments: {} });
    expect(r.isError).toBe(true);
    expect((r.content as { text: string }[])[0]!.text).toMatch(/^PBX `desk` \(xcally\): no call is ringing/);
    // Rows all ACTIVE: two calls the agent has not answered may both be ringing; the tool will not pick one.
    const a = await ringIn(GIUSEPPE);
    const c = await ringIn(ACME);
    const two = await client.callTool({ name: 'answer_call', arguments: {} });
    expect(two.isError).toBe(true);
    expect((two.content as { text: string }[])[0]!.text).toMatch(/2 calls may be ringing .*Pass call_id/);
    engine.hangup(undefined, a.id);
    engine.hangup(undefined, c.id);
    engine.setDnd('carol', true);
    const refused = await client.callTool({ name: 'place_call', arguments: { to: '203' } });
    expect(refused.isError).toBe(true);
    expect((refused.content as { text: string }[])[0]!.text).toMatch(/^PBX `desk` \(xcally\): the phone bar refused to call 203: originate answered response "false"/);
    engine.setDnd('carol', false);
  });

  it('sent the phone bar nothing but documented GETs, actions with Cache-Control: no-cache', () => {
    const actions = new Set(['originate', 'answer', 'hangup', 'holding', 'transfer', 'atxfer', 'conference']);
    const seen = new Set<string>();
    for (const r of sim.server.log) {
      expect(r.method).toBe('GET');
      expect(r.path).toMatch(/^\/xcally\/svc\/[a-z]+(\/(%2B)?[0-9]+)?$/);
      const method = r.path.split('/')[3]!;
      seen.add(method);
      if (actions.has(method)) expect(r.headers['cache-control'], r.path).toBe('no-cache');
    }
    expect([...actions].filter((m) => !seen.has(m))).toEqual([]);
  });
});
