/**
 * End to end: the SDK Client -> the built telephony-mcp (spawned, stdio) -> the ipbx adapter -> the IPPS
 * simulator started here (real clock, fast scenario, Basic auth, CRLF lines). The server runs with the
 * production clock and the vendor's 3 s floor, so waits here are real and the request counts prove the floor.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ResourceUpdatedNotificationSchema } from '@modelcontextprotocol/sdk/types.js';
import { ipbxConfigFor, startIpbxSimulator, type IpbxSimulator } from '../../src/simulators/ipbx/simulator.js';
import { PbxEngine } from '../../src/simulators/engine/engine.js';
import { parseScenario } from '../../src/simulators/engine/scenario.js';
import { acceptAll, call, connectStdio, E2E_SCENARIO, eventually, writeConfig, type StdioSession } from '../helpers/mcp.js';

const USER = 'ipps-e2e';
const PASSWORD = 'E2e-Ipps-Passw0rd';
const POLL = 3000;

type Call = { id: string; state: string; direction?: string; from: { number: string; name?: string }; to: { number: string } };
type Queue = { waiting_count: number; calls: { id: string; caller: string; country?: string; status: string; agent?: string; entered_at?: string }[] };

const text = (c: unknown) => (c as { text: string }).text;

describe('ipbx end to end (stdio)', () => {
  let engine: PbxEngine;
  let sim: IpbxSimulator;
  let session: StdioSession;
  let started: number;
  const heard: string[] = [];

  beforeAll(async () => {
    engine = new PbxEngine(parseScenario(E2E_SCENARIO));
    sim = await startIpbxSimulator({ engine, auth: { username: USER, password: PASSWORD }, lineEnding: '\r\n' });
    const config = writeConfig(
      {
        defaultPbx: 'office',
        pbxes: {
          office: { ...ipbxConfigFor(engine, sim.url), username: USER, password: '${IPPS_PASSWORD}', label: 'Taridium ipbx' },
          lab: { type: 'sim', scenario: './scenario.json', defaultUser: 'alice', traffic: false },
        },
        safety: { dialPolicy: { defaultCountry: 'IT' } },
      },
      E2E_SCENARIO,
    );
    started = Date.now();
    session = await connectStdio({ config, elicit: acceptAll, env: { IPPS_PASSWORD: PASSWORD } });
    session.client.setNotificationHandler(ResourceUpdatedNotificationSchema, (n) => void heard.push(n.params.uri));
  });
  afterAll(async () => {
    await session?.close();
    await sim?.close();
    engine?.close();
  });

  const activeCalls = async (user?: string) => (await call(session.client, 'get_active_call', user ? { user } : {})).calls as Call[];
  const queue = async () => (await call(session.client, 'list_queue', { queue: 'support' })) as unknown as Queue;

  it('offers the read tools and the ipbx resources', async () => {
    const { tools } = await session.client.listTools();
    expect(tools.map((t) => t.name)).toEqual(expect.arrayContaining(['get_active_call', 'list_queue', 'place_call']));
    const uris = (await session.client.listResources()).resources.map((r) => r.uri);
    expect(uris).toEqual(expect.arrayContaining(['pbx://office/calls', 'pbx://office/queues/support', 'pbx://office/capabilities']));
    expect(uris).not.toContain('pbx://office/extensions');
    const caps = JSON.parse(text((await session.client.readResource({ uri: 'pbx://office/capabilities' })).contents[0]));
    expect(caps).toMatchObject({ type: 'ipbx', capabilities: ['activeCalls', 'listQueue', 'listQueues'] });
  });

  it('get_active_call follows an inbound call from ringing to connected', async () => {
    expect(await activeCalls('alice')).toEqual([]);
    engine.setAnswerMode('alice', 'manual');
    const c = engine.inboundCall('+390612345678', '201');
    const ringing = await eventually(async () => (await activeCalls('alice')).find((x) => x.id === c.id), 10_000, 'the ringing call');
    expect(ringing).toMatchObject({ state: 'ringing', direction: 'inbound', from: { number: '+390612345678', name: 'Giuseppe Test' }, to: { number: '201' } });
    engine.answer('alice', c.id);
    await eventually(async () => (await activeCalls('alice'))[0]?.state === 'connected', 10_000, 'the call to connect');
    expect(engine.call(c.id).state).toBe('connected');
    expect(await activeCalls('bob')).toEqual([]);
  }, 30_000);

  it('the calls resource, and a subscription that hears the call end', async () => {
    const before = JSON.parse(text((await session.client.readResource({ uri: 'pbx://office/calls' })).contents[0]));
    expect(before.calls).toEqual([expect.objectContaining({ state: 'connected', from: expect.objectContaining({ number: '+390612345678' }) })]);
    await session.client.subscribeResource({ uri: 'pbx://office/calls' });
    engine.hangup('alice');
    expect(engine.listCalls()).toEqual([]);
    await eventually(async () => heard.includes('pbx://office/calls'), 10_000, 'a resources/updated for the calls');
    const after = JSON.parse(text((await session.client.readResource({ uri: 'pbx://office/calls' })).contents[0]));
    expect(after).toEqual({ pbx: 'office', calls: [], total: 0 });
    await session.client.unsubscribeResource({ uri: 'pbx://office/calls' });
  }, 30_000);

  it('list_queue and the queue resource: a waiting caller, then connected to an agent', async () => {
    // Read first: the subscription's first poll then shares this answer instead of racing the change below.
    expect(await queue()).toMatchObject({ waiting_count: 0, calls: [] });
    await session.client.subscribeResource({ uri: 'pbx://office/queues/support' });
    for (const u of ['bob', 'carol']) engine.pauseQueues(u, true);
    const c = engine.inboundCall('+390287654321', '600');
    await eventually(async () => heard.includes('pbx://office/queues/support'), 10_000, 'a resources/updated for the queue');
    const waiting = await queue();
    expect(waiting).toMatchObject({ waiting_count: 1, calls: [{ id: c.id, caller: '+390287654321', country: 'Italy', status: 'waiting' }] });
    expect(waiting.calls[0]!.entered_at).toMatch(/^\d\d:\d\d:\d\d$/);
    expect(engine.queueStatus('support').waitingCount).toBe(1);
    engine.pauseQueues('bob', false);
    const connected = await eventually(async () => (await queue()).calls.find((x) => x.status === 'connected'), 10_000, 'an agent to take the call');
    expect(connected).toMatchObject({ id: c.id, agent: 'SIP/202' });
    expect(engine.call(c.id)).toMatchObject({ state: 'connected', toUser: 'bob' });
    const res = JSON.parse(text((await session.client.readResource({ uri: 'pbx://office/queues/support' })).contents[0]));
    expect(res).toMatchObject({ pbx: 'office', queue: 'support', waitingCount: 0 });
    await session.client.unsubscribeResource({ uri: 'pbx://office/queues/support' });
    engine.hangup('bob');
  }, 30_000);

  it('a tool the ipbx cannot do answers clearly, naming what it can', async () => {
    const calls = engine.listCalls().length;
    const placed = await session.client.callTool({ name: 'place_call', arguments: { to: '202', pbx: 'office' } });
    expect(placed.isError).toBe(true);
    expect(text((placed.content as unknown[])[0])).toBe(
      'PBX `office` (ipbx): this PBX cannot place calls. It can: read active calls, read a queue, list queues.',
    );
    const hung = await session.client.callTool({ name: 'hangup', arguments: { pbx: 'office' } });
    expect(hung.isError).toBe(true);
    expect(text((hung.content as unknown[])[0])).toMatch(/^PBX `office` \(ipbx\): this PBX cannot hang up calls\./);
    const who = await session.client.callTool({ name: 'get_active_call', arguments: { user: 'mallory' } });
    expect(text((who.content as unknown[])[0])).toMatch(/no channel is configured for user "mallory".*userChannels/);
    expect(engine.listCalls()).toHaveLength(calls);
  });

  it('kept to the vendor floor (one request per query per 3 s) with Basic auth in the header only', async () => {
    const elapsed = Date.now() - started;
    const allowed = Math.floor(elapsed / POLL) + 1;
    const byPath = sim.server.stats.byPath;
    expect(byPath['/ipps/channelinfo.php']).toBeGreaterThan(1);
    expect(byPath['/ipps/channelinfo.php']).toBeLessThanOrEqual(allowed);
    expect(byPath['/ipps/queueactive.php']).toBeLessThanOrEqual(allowed);
    const auth = `Basic ${Buffer.from(`${USER}:${PASSWORD}`).toString('base64')}`;
    for (const r of sim.server.log) {
      expect(r.headers.authorization).toBe(auth);
      expect(`${r.path}?${r.query}`).not.toContain(PASSWORD);
    }
    expect(session.stderr()).not.toContain(PASSWORD);
  });
});
