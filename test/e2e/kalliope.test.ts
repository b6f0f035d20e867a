/**
 * End to end: the SDK's Client -> the built telephony-mcp (spawned, stdio) -> the kalliope adapter -> HTTPS ->
 * the Kalliope simulator (in this process, real clock, answers shaped like the doc's samples), for every flow
 * the KCTI4 API allows, asserting on the sim engine as well as on the tool results.
 */
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { type RunningKalliopeSimulator, startKalliopeSimulator } from '../../src/simulators/kalliope/simulator.js';
import { PbxEngine } from '../../src/simulators/engine/engine.js';
import { parseScenario } from '../../src/simulators/engine/scenario.js';
import { buildBackend } from '../backends/kalliope/harness.js';
import { CLI, E2E_SCENARIO, acceptAll, call, connectStdio, eventually, writeConfig, type StdioSession } from '../helpers/mcp.js';

const CALLER = '+390612345678';
type WireCall = { id: string; state: string; answered: boolean; from: { number: string; name?: string }; to: { number: string; name?: string } };

/** The text of a failed tool call. */
async function failure(client: Client, name: string, args: Record<string, unknown>): Promise<string> {
  const r = await client.callTool({ name, arguments: args });
  expect(r.isError, `${name} should fail`).toBe(true);
  return (r.content as { text: string }[])[0]!.text;
}

describe('kalliope end to end: MCP client -> telephony-mcp -> KCTI4 over HTTPS -> simulator', () => {
  let engine: PbxEngine;
  let sim: RunningKalliopeSimulator;
  let session: StdioSession;
  let client: Client;
  const active = async () => (await call(client, 'get_active_call')).calls as WireCall[];

  beforeAll(async () => {
    // alice is the agent logged in to the Kalliope client, and a member of the support queue.
    engine = new PbxEngine(parseScenario({ ...E2E_SCENARIO, queues: [{ name: 'support', number: '600', members: ['alice', 'bob', 'carol'] }] }));
    sim = await startKalliopeSimulator({ engine, port: 0, agent: 'alice', password: 'Segreto-2026', style: 'doc', timeZone: 'Europe/Rome' });
    const config = writeConfig({
      defaultPbx: 'desk',
      pbxes: { desk: { type: 'kalliope', url: sim.server.url, username: 'alice', password: 'Segreto-2026', caFile: './kalliope.pem' } },
      safety: { dialPolicy: { defaultCountry: 'IT' } },
    });
    writeFileSync(join(config.dir, 'kalliope.pem'), sim.certPem);
    session = await connectStdio({ config, elicit: acceptAll });
    client = session.client;
  });
  afterEach(() => {
    // A failed case must not leave calls behind for the next one.
    for (const c of engine.listCalls()) engine.hangup(undefined, c.id);
    engine.setAnswerMode('bob', 'auto');
  });
  afterAll(async () => {
    await session?.close();
    await sim?.close();
    engine?.close();
  });

  it('offers exactly the tools the KCTI4 API supports, acting for the logged-in agent', async () => {
    const { tools } = await client.listTools();
    expect(tools.map((t) => t.name).sort()).toEqual(['get_active_call', 'hangup', 'list_queue', 'pause_queues', 'place_call', 'set_dnd', 'transfer']);
    const caps = JSON.parse(((await client.readResource({ uri: 'pbx://desk/capabilities' })).contents[0] as { text: string }).text);
    expect(caps).toMatchObject({ type: 'kalliope', defaultUser: 'alice', actsFor: 'only its own login (alice)' });
  });

  it('place_call -> ringing -> connected -> blind transfer: the far party moves to carol', async () => {
    engine.setAnswerMode('bob', 'manual'); // bob's phone rings until the test picks up: no race with the clock
    const placed = await call(client, 'place_call', { to: '202' });
    expect(placed).toMatchObject({ status: 'done', to: '202' });
    const [mine] = engine.listCalls('alice');
    expect(mine).toMatchObject({ fromUser: 'alice', toUser: 'bob', state: 'ringing' });

    expect(await active()).toEqual([
      expect.objectContaining({ id: mine!.id, state: 'ringing', answered: false, from: { number: 'alice' }, to: { number: '202', name: 'Bob' } }),
    ]);
    engine.answer('bob', mine!.id);
    expect(await active()).toEqual([expect.objectContaining({ id: mine!.id, state: 'connected', answered: true })]);

    const moved = await call(client, 'transfer', { to: '203', call_id: mine!.id });
    expect(moved).toMatchObject({ status: 'done', mode: 'blind', to: '203', call_id: mine!.id });
    expect(engine.call(mine!.id)).toMatchObject({ from: { number: '202' }, to: { number: '203' } });
    expect(engine.listCalls('alice')).toEqual([]);
    expect(await active()).toEqual([]);
  });

  it('place_call to an outside number (dial policy and confirmation), connected, then hangup by call id', async () => {
    const placed = await call(client, 'place_call', { to: '+39 06 1234 5678' });
    expect(placed).toMatchObject({ status: 'done', to: CALLER });
    const [mine] = engine.listCalls('alice');
    expect(mine).toMatchObject({ fromUser: 'alice', to: { number: CALLER } });
    await eventually(async () => (await active())[0]?.state === 'connected', 10_000, 'the call to connect');
    expect((await active())[0]).toMatchObject({ id: mine!.id, from: { number: 'alice' }, to: { number: CALLER, name: 'Giuseppe Test' } });
    expect(await call(client, 'hangup', { call_id: mine!.id })).toMatchObject({ status: 'done', call_id: mine!.id });
    expect(engine.listCalls('alice')).toEqual([]);
  });

  it('an inbound call, then hangup of the current call', async () => {
    const c = engine.inboundCall('+390287654321', '201');
    await eventually(async () => (await active())[0]?.state === 'connected', 10_000, 'alice to answer');
    expect((await active())[0]).toMatchObject({ id: c.id, from: { number: '+390287654321', name: 'Acme reception' }, to: { number: '201' }, answered: true });
    const hung = await call(client, 'hangup', {});
    expect(hung).toMatchObject({ status: 'done', call_id: c.id });
    expect(engine.listCalls('alice')).toEqual([]);
    expect(await active()).toEqual([]);
    expect(await failure(client, 'hangup', {})).toMatch(/has no active call/);
  });

  it('an attended transfer is started, and the result says how it completes on Kalliope', async () => {
    const c = engine.inboundCall(CALLER, '201');
    await eventually(async () => (await active())[0]?.state === 'connected', 10_000, 'alice to answer');
    const r = await call(client, 'transfer', { to: '203', mode: 'attended' });
    expect(r).toMatchObject({ status: 'done', mode: 'attended', call_id: c.id });
    expect(r.completion).toMatch(/only starts an attended transfer.*Kalliope client or the phone/);
    expect(engine.call(c.id).state).toBe('on_hold');
    expect(engine.listCalls('alice').find((x) => x.consultFor === c.id)?.to.number).toBe('203');
  });

  it('set_dnd on and off', async () => {
    expect(await call(client, 'set_dnd', { enabled: true })).toMatchObject({ status: 'done', enabled: true, user: 'alice' });
    expect(engine.user('alice').dnd).toBe(true);
    await call(client, 'set_dnd', { enabled: false });
    expect(engine.user('alice').dnd).toBe(false);
  });

  it('pause_queues in all queues; a list of queues is refused clearly', async () => {
    expect(await call(client, 'pause_queues', { paused: true })).toMatchObject({ status: 'done', paused: true });
    expect(engine.user('alice').queues).toEqual([{ queue: 'support', paused: true, reason: undefined }]);
    expect(await failure(client, 'pause_queues', { paused: false, queues: ['support'] })).toMatch(/^PBX `desk` \(kalliope\): Kalliope pauses the agent in all queues at once/);
    expect(engine.user('alice').queues[0]!.paused).toBe(true);
    await call(client, 'pause_queues', { paused: false });
    expect(engine.user('alice').queues[0]!.paused).toBe(false);
  });

  it('list_queue: the waiting count and oldest arrival in PBX local time; an unknown queue is not found', async () => {
    for (const u of ['alice', 'bob', 'carol']) engine.pauseQueues(u, true);
    const c = engine.inboundCall(CALLER, '600');
    const q = await call(client, 'list_queue', { queue: 'support' });
    expect(q).toMatchObject({ pbx: 'desk', queue: 'support', waiting_count: 1, calls: [] });
    const expected = new Intl.DateTimeFormat('sv-SE', { timeZone: 'Europe/Rome', dateStyle: 'short', timeStyle: 'medium' }).format(new Date(engine.call(c.id).startedAt));
    expect(q.oldest_arrival).toBe(expected);
    expect(await failure(client, 'list_queue', { queue: 'nope' })).toMatch(/^PBX `desk` \(kalliope\): the Kalliope client knows no queue named nope/);
    for (const u of ['alice', 'bob', 'carol']) engine.pauseQueues(u, false);
  });

  it('errors never carry the password or its hash', async () => {
    const text = await failure(client, 'list_queue', { queue: 'nope' });
    expect(text).not.toMatch(/Segreto-2026|[0-9a-f]{32}/);
    expect(session.stderr()).not.toMatch(/Segreto-2026/);
  });
});

describe('telephony-mcp simulate kalliope', () => {
  it('prints a config entry that works against the simulator it runs', async () => {
    const child = spawn(process.execPath, [CLI, 'simulate', 'kalliope', '--port', '0'], { stdio: ['ignore', 'pipe', 'pipe'] });
    try {
      let err = '';
      let out = '';
      child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
      // The complete config comes on stdout, the rest on stderr.
      const entry = await new Promise<Record<string, unknown>>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`no config printed:\n${err}`)), 15000);
        child.stdout!.on('data', (d: Buffer) => {
          out += d.toString();
          try {
            const config = JSON.parse(out) as { pbxes: Record<string, Record<string, unknown>> };
            clearTimeout(timer);
            resolve(config.pbxes.kalliope!);
          } catch {
            // not all of it yet
          }
        });
        child.once('exit', (code) => reject(new Error(`simulator exited with ${code}:\n${err}`)));
      });
      expect(err).toMatch(/Kalliope KCTI4 desktop client API simulator listening on https:\/\/127\.0\.0\.1:\d+/);
      expect(entry).toMatchObject({ type: 'kalliope', username: 'alice', insecureTls: true });
      const { type: _type, ...rest } = entry;
      const b = await buildBackend(rest, '/');
      try {
        expect(Array.isArray(await b.activeCalls!({}))).toBe(true);
        await b.setDnd!({ enabled: true });
        await b.setDnd!({ enabled: false });
      } finally {
        await b.close();
      }
    } finally {
      child.kill('SIGTERM');
    }
  });
});
