/**
 * PBXpress end to end: the SDK's real Client -> the built telephony-mcp (spawned over stdio, config type
 * pbxpress) -> the adapter -> the PBXpress simulator, started here on 127.0.0.1 with a real-clock engine on the
 * fast e2e scenario. Assertions read the engine and the simulator's state too, not only the tool results.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { ResourceUpdatedNotificationSchema } from '@modelcontextprotocol/sdk/types.js';
import { startPbxpressSim, type PbxpressSim } from '../../src/simulators/pbxpress/simulator.js';
import { PbxEngine } from '../../src/simulators/engine/engine.js';
import { parseScenario } from '../../src/simulators/engine/scenario.js';
import { acceptAll, call, connectStdio, E2E_SCENARIO, eventually, writeConfig, type StdioSession, type TempConfig } from '../helpers/mcp.js';

type WireCall = { id: string; state: string; from: { number: string }; to: { number: string }; parked_slot?: string };

const PBXPRESS_TOOLS = ['get_active_call', 'get_parking', 'hangup', 'park_call', 'pbx_notes', 'set_favorites', 'transfer'];

let engine: PbxEngine;
let sim: PbxpressSim;
let session: StdioSession;
let client: Client;
let config: TempConfig;
const asked: string[] = [];

async function calls(): Promise<WireCall[]> {
  return (await call(client, 'get_active_call')).calls as WireCall[];
}

async function readJson(uri: string): Promise<Record<string, unknown>> {
  const r = await client.readResource({ uri });
  return JSON.parse((r.contents[0] as { text: string }).text) as Record<string, unknown>;
}

beforeAll(async () => {
  engine = new PbxEngine(parseScenario(E2E_SCENARIO));
  sim = await startPbxpressSim({ engine, username: '201', password: 'e2e-Secret-pw' });
  config = writeConfig({
    defaultPbx: 'office',
    pbxes: { office: { type: 'pbxpress', url: sim.endpoint, username: '201', password: 'e2e-Secret-pw', timeoutMs: 5000 } },
    safety: { dialPolicy: { defaultCountry: 'IT' } },
  });
  session = await connectStdio({
    config,
    elicit: (message) => {
      asked.push(message);
      return acceptAll(message);
    },
  });
  client = session.client;
});

afterAll(async () => {
  await session?.close();
  await sim?.close();
  engine?.close();
});

describe('pbxpress end to end', () => {
  it('offers exactly the tools PBXpress supports, and its resources', async () => {
    const { tools } = await client.listTools();
    expect(tools.map((t) => t.name).sort()).toEqual(PBXPRESS_TOOLS);
    const uris = (await client.listResources()).resources.map((r) => r.uri);
    expect(uris).toEqual(
      expect.arrayContaining(['pbx://office/calls', 'pbx://office/extensions', 'pbx://office/parking', 'pbx://office/favorites', 'pbx://office/capabilities']),
    );
    expect(uris).not.toContain('pbx://office/queues/support');
    const caps = await readJson('pbx://office/capabilities');
    expect(caps).toMatchObject({ type: 'pbxpress' });
    expect((caps.capabilities as string[]).sort()).toEqual(
      ['activeCalls', 'getFavorites', 'hangup', 'listExtensions', 'parkCall', 'parkingInfo', 'readNotes', 'setFavorites', 'transferBlind', 'transferVoicemail', 'writeNotes'].sort(),
    );
  });

  it('reads the extensions resource: each entity is its type and id', async () => {
    const body = await readJson('pbx://office/extensions');
    expect(body.extensions).toEqual([
      { id: 'extension:1', number: '201', name: 'Alice', kind: 'user', online: true },
      { id: 'extension:2', number: '202', name: 'Bob', kind: 'user', online: true },
      { id: 'extension:3', number: '203', name: 'Carol', kind: 'user', online: true },
      expect.objectContaining({ id: 'queue:1', number: '600', name: 'support', kind: 'queue' }),
    ]);
  });

  it('get_active_call -> transfer -> park_call -> get_parking and the parking resource -> hangup', async () => {
    expect(await calls()).toEqual([]);
    const inbound = engine.inboundCall('+390612345678', '201');
    const ringing = await calls();
    expect(ringing).toEqual([expect.objectContaining({ id: inbound.id, from: expect.objectContaining({ number: '+390612345678' }) })]);
    await eventually(async () => (await calls())[0]?.state === 'connected', 5000, 'alice to answer');

    const moved = await call(client, 'transfer', { to: '202', call_id: inbound.id });
    expect(moved).toMatchObject({ status: 'done', mode: 'blind', to: '202', call_id: inbound.id });
    expect(engine.call(inbound.id)).toMatchObject({ from: { number: '+390612345678' }, to: { number: '202' } });
    await eventually(async () => engine.call(inbound.id).state === 'connected', 5000, 'bob to answer');

    const updates: string[] = [];
    client.setNotificationHandler(ResourceUpdatedNotificationSchema, (n) => void updates.push(n.params.uri));
    await client.subscribeResource({ uri: 'pbx://office/parking' });
    // Let the watcher take its first look before the lot changes.
    await new Promise((r) => setTimeout(r, 300));

    const parked = await call(client, 'park_call', { call_id: inbound.id });
    expect(parked).toMatchObject({ status: 'done', slot: '701', call_id: inbound.id });
    expect(engine.call(inbound.id)).toMatchObject({ state: 'parked', parkedSlot: '701' });
    expect(await calls()).toEqual([expect.objectContaining({ id: inbound.id, state: 'parked', parked_slot: '701' })]);

    const lot = await call(client, 'get_parking');
    expect(lot).toEqual({ pbx: 'office', first_slot: '701', slots: 5, free: 4, parked: [{ slot: '701', call_id: inbound.id }], total: 1 });
    expect(await readJson('pbx://office/parking')).toEqual({ pbx: 'office', firstSlot: '701', slots: 5, parked: [{ slot: '701', callId: inbound.id }], total: 1 });
    await eventually(async () => updates.includes('pbx://office/parking'), 8000, 'a resources/updated notification for the parking lot');
    await client.unsubscribeResource({ uri: 'pbx://office/parking' });

    const hung = await call(client, 'hangup', { call_id: inbound.id });
    expect(hung).toMatchObject({ status: 'done', call_id: inbound.id });
    expect(engine.listCalls()).toEqual([]);
    expect((await call(client, 'get_parking')).parked).toEqual([]);
    expect(asked.some((m) => /^Transfer the call between \+390612345678 \(Giuseppe Test\) and 201 \(Alice\)/.test(m))).toBe(true);
    expect(asked.some((m) => /^Park the call between/.test(m))).toBe(true);
    expect(asked.some((m) => /^Hang up the call between \+390612345678 \(Giuseppe Test\) and 701 \(parked/.test(m))).toBe(true);
  });

  it('transfer with `voicemail` sends the caller to a box, confirmed as such; anything but a box is refused before the PBX', async () => {
    const inbound = engine.inboundCall('+390612345678', '201');
    await eventually(async () => (await calls())[0]?.state === 'connected', 5000, 'alice to answer');
    const sent = await call(client, 'transfer', { voicemail: 'vm-203', call_id: inbound.id });
    expect(sent).toMatchObject({ status: 'done', mode: 'blind', voicemail: 'vm-203', call_id: inbound.id });
    expect(sent.to).toBeUndefined();
    expect(asked.at(-1)).toMatch(/^Transfer the call between \+390612345678 \(Giuseppe Test\) and 201 \(Alice\) \(connected, started .* ago\) to voicemail box vm-203\? \(PBX office\)$/);
    expect(engine.listCalls()).toEqual([]);
    expect(sim.voicemails()).toEqual([expect.objectContaining({ box: 'vm-203', extension: '203', caller: '+390612345678' })]);
    sim.server.resetStats();
    for (const args of [{ voicemail: '203' }, { voicemail: 'vm-203; drop' }, { voicemail: 'vm-203', to: '202' }, {}, { voicemail: 'vm-203', mode: 'attended' }]) {
      const r = await client.callTool({ name: 'transfer', arguments: args });
      expect(r.isError, JSON.stringify(args)).toBe(true);
    }
    expect(sim.server.stats.requests).toBe(0);
  });

  it('a call ringing through the queue is one call, and the operator can drop it before anyone answers', async () => {
    engine.setAnswerMode('bob', 'manual');
    engine.setAnswerMode('carol', 'manual');
    const c = engine.inboundCall('+390287654321', '600');
    const list = await calls();
    expect(list).toEqual([expect.objectContaining({ id: c.id, state: 'ringing', queue: 'support' })]);
    const hung = await call(client, 'hangup', { call_id: c.id });
    expect(hung).toMatchObject({ status: 'done' });
    expect(engine.listCalls()).toEqual([]);
  });

  it('set_favorites replaces the console list, after the person confirmed the named entries', async () => {
    const r = await call(client, 'set_favorites', {
      favorites: [
        { id: 'queue:1', slot: 2, size: 'double' },
        { id: 'extension:1', slot: 1 },
      ],
    });
    expect(r).toMatchObject({ status: 'done', previous_count: 0 });
    expect(asked.at(-1)).toBe('Replace the 0 operator favorites on PBX office with 2: slot 1: extension 201 (Alice); slot 2: queue 600 (support), double? (PBX office)');
    expect(sim.favorites()).toEqual([
      { id: 1, slot: 1, size: 'single', type: 'extension' },
      { id: 1, slot: 2, size: 'double', type: 'queue' },
    ]);
    expect((await readJson('pbx://office/favorites')).favorites).toEqual([
      { id: 'extension:1', kind: 'user', slot: 1, size: 'single', number: '201', name: 'Alice' },
      { id: 'queue:1', kind: 'queue', slot: 2, size: 'double', number: '600', name: 'support' },
    ]);
    const unknown = await client.callTool({ name: 'set_favorites', arguments: { favorites: [{ id: 'attendant:1', slot: 1 }] } });
    expect(unknown.isError).toBe(true);
    expect((unknown.content as { text: string }[])[0]!.text).toMatch(/^PBX `office` \(pbxpress\): there is no extension, queue or attendant with id attendant:1/);
    expect(sim.favorites()).toHaveLength(2);
  });

  it('pbx_notes: new notes are stored without asking; overwriting and deleting ask first', async () => {
    const before = asked.length;
    expect(await call(client, 'pbx_notes', { action: 'set', key: 'caller.390612345678', value: 'Prefers Italian; call back after 3 pm' })).toMatchObject({
      status: 'done',
      written: ['caller.390612345678'],
    });
    expect(asked.length).toBe(before);
    expect(sim.storage().get('telephony-mcp.caller.390612345678')).toEqual({ kind: 'text', value: 'Prefers Italian; call back after 3 pm' });
    expect(await call(client, 'pbx_notes', { action: 'get', key: 'caller.390612345678' })).toMatchObject({ found: true, value: 'Prefers Italian; call back after 3 pm' });
    expect(await call(client, 'pbx_notes', { action: 'get', key: 'nobody' })).toMatchObject({ status: 'done', found: false });

    await call(client, 'pbx_notes', { action: 'set', key: 'caller.390612345678', value: 'Prefers English now' });
    expect(asked.at(-1)).toMatch(/^Overwrite note caller\.390612345678 on PBX office\?/);
    await call(client, 'pbx_notes', { action: 'set_many', entries: [{ key: 'shift', value: 'morning' }, { key: 'desk', value: '4' }] });
    await call(client, 'pbx_notes', { action: 'set_json', key: 'vip', json: { numbers: ['+390612345678'], level: 2 } });
    expect(await call(client, 'pbx_notes', { action: 'get_json', key: 'vip' })).toMatchObject({ json: { numbers: ['+390612345678'], level: 2 } });
    const listed = await call(client, 'pbx_notes', { action: 'list' });
    expect((listed.notes as { key: string }[]).map((n) => n.key)).toEqual(['caller.390612345678', 'desk', 'shift', 'vip']);

    await call(client, 'pbx_notes', { action: 'delete', key: 'desk' });
    expect(asked.at(-1)).toMatch(/^Delete note desk on PBX office\? This cannot be undone/);
    expect(sim.storage().has('telephony-mcp.desk')).toBe(false);
    const gone = await client.callTool({ name: 'pbx_notes', arguments: { action: 'delete', key: 'desk' } });
    expect(gone.isError).toBe(true);
    expect((gone.content as { text: string }[])[0]!.text).toMatch(/there is no note named desk/);
  });

  it('turns a PBX fault into an error that names the PBX and keeps the password out of everything', async () => {
    const r = await client.callTool({ name: 'hangup', arguments: { call_id: 'no-such-call' } });
    expect(r.isError).toBe(true);
    expect((r.content as { text: string }[])[0]!.text).toMatch(/^PBX `office` \(pbxpress\): there is no active call with id no-such-call/);
    const audit = readFileSync(join(config.dir, 'audit.jsonl'), 'utf8');
    expect(audit).toMatch(/"tool":"set_favorites"/);
    for (const text of [audit, session.stderr()]) expect(text).not.toContain('e2e-Secret-pw');
  });
});
