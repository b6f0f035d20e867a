/**
 * End to end: the SDK's real Client -> the built telephony-mcp (spawned, stdio) -> the xivo adapter -> the XUC
 * simulator (in process, real clock), with two PBX entries on the same XUC: a web-service user and a CTI user.
 * Asserts on the engine's state, and that the server logged in once per entry for the whole session.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { PbxEngine } from '../../src/simulators/engine/engine.js';
import { parseScenario } from '../../src/simulators/engine/scenario.js';
import { startXucSimulator, type XucSimulator } from '../../src/simulators/xivo/simulator.js';
import { z } from 'zod';
import { HistoryEntry } from '../../src/backends/model.js';
import { toSnake } from '../../src/tools/snake.js';
import { acceptAll, call, connectStdio, E2E_SCENARIO, eventually, writeConfig, type StdioSession } from '../helpers/mcp.js';

const WS_PASSWORD = 'e2e-ws-Secret-77';
const CTI_PASSWORD = 'e2e-cti-Secret-88';

let engine: PbxEngine;
let sim: XucSimulator;
let session: StdioSession;
let client: Client;
const asked: string[] = [];

beforeAll(async () => {
  engine = new PbxEngine(parseScenario(E2E_SCENARIO));
  sim = await startXucSimulator({
    engine,
    host: '127.0.0.1',
    port: 0,
    webservice: { login: 'mcp-ws', password: WS_PASSWORD },
    ctiPassword: CTI_PASSWORD,
  });
  const config = writeConfig({
    defaultPbx: 'xivo',
    pbxes: {
      xivo: { type: 'xivo', url: sim.server.url, login: 'mcp-ws', password: '${XUC_WS_PASSWORD}', defaultUser: 'alice', timeZone: 'UTC' },
      agent: { type: 'xivo', url: `${sim.server.url}/xuc/api/2.0`, login: 'alice', password: '${XUC_CTI_PASSWORD}', userType: 'cti' },
    },
    safety: { dialPolicy: { defaultCountry: 'IT', doNotCall: 'dnc.txt' } },
  });
  writeFileSync(join(config.dir, 'dnc.txt'), '+39 02 8765 4321\n');
  session = await connectStdio({ config, elicit: (m) => (asked.push(m), acceptAll(m)), env: { XUC_WS_PASSWORD: WS_PASSWORD, XUC_CTI_PASSWORD: CTI_PASSWORD } });
  client = session.client;
});

afterAll(async () => {
  await session?.close();
  await sim?.close();
  engine?.close();
});

const text = (r: { contents: unknown[] }) => (r.contents[0] as { text: string }).text;

function errorText(r: Awaited<ReturnType<Client['callTool']>>): string {
  expect(r.isError).toBe(true);
  return (r.content as { text: string }[])[0]!.text;
}

describe('xivo end to end', () => {
  it('offers exactly the tools the two XUC user types allow, and says what each entry can do', async () => {
    const { tools } = await client.listTools();
    expect(tools.map((t) => t.name).sort()).toEqual([
      'call_history',
      'callback_lists',
      'dial_user',
      'manage_contacts',
      'place_call',
      'qualify_call',
      'set_dnd',
      'set_forward',
    ]);
    const ws = JSON.parse(text(await client.readResource({ uri: 'pbx://xivo/capabilities' })));
    expect(ws).toMatchObject({
      type: 'xivo',
      defaultUser: 'alice',
      capabilities: ['placeCall', 'dialUser', 'dialFromQueue', 'dialToQueue', 'setDnd', 'setForward', 'history', 'importCallbacks', 'exportCallbackTickets'],
    });
    const cti = JSON.parse(text(await client.readResource({ uri: 'pbx://agent/capabilities' })));
    expect(cti).toMatchObject({ defaultUser: 'alice', capabilities: ['contacts', 'listQualifications', 'recordQualification', 'exportQualifications'] });
  });

  it('dials a number (confirmed), the call connects, and history shows it in the resource and call_history', async () => {
    const placed = await call(client, 'place_call', { to: '+39 06 1234 5678' });
    expect(asked.at(-1)).toBe('Call +39 06 1234 5678 (Italy, fixed line) from alice? (PBX xivo)');
    expect(placed).toMatchObject({ status: 'done', to: '+390612345678', pbx: 'xivo' });
    expect(engine.listCalls('alice')).toEqual([expect.objectContaining({ to: expect.objectContaining({ number: '+390612345678' }) })]);
    await eventually(async () => engine.listCalls('alice')[0]?.state === 'connected', 5000, 'the call to connect');
    engine.hangup('alice');

    const resource = JSON.parse(text(await client.readResource({ uri: 'pbx://xivo/history/alice' })));
    expect(resource.entries[0]).toMatchObject({ from: 'alice', to: '+390612345678', status: 'emitted', start: expect.stringMatching(/Z$/) });
    const tool = await call(client, 'call_history', { size: 5 });
    // The same entries; the tool names their fields in snake_case, the resource as the model does.
    expect(tool.entries).toEqual(toSnake(z.array(HistoryEntry), resource.entries));
    const byDays = await call(client, 'call_history', { days: 1 });
    expect((byDays.entries as unknown[]).length).toBeGreaterThanOrEqual(1);
  });

  it('calls a user by login', async () => {
    expect(await call(client, 'dial_user', { username: 'bob' })).toMatchObject({ status: 'done', username: 'bob' });
    expect(engine.listCalls('alice')).toEqual([expect.objectContaining({ toUser: 'bob' })]);
    engine.hangup('alice');
    const unknown = errorText(await client.callTool({ name: 'dial_user', arguments: { username: 'nobody' } }));
    expect(unknown).toMatch(/^PBX `xivo` \(xivo\): XUC has no user "alice" or no user "nobody"/);
  });

  it('sets DND and forwarding, with the destination under the dial policy', async () => {
    await call(client, 'set_dnd', { enabled: true });
    expect(engine.user('alice').dnd).toBe(true);
    await call(client, 'set_dnd', { enabled: false });
    expect(engine.user('alice').dnd).toBe(false);

    expect(await call(client, 'set_forward', { kind: 'busy', enabled: true, destination: '203' })).toMatchObject({ status: 'done', destination: '203' });
    expect(asked.at(-1)).toBe('Forward the calls that reach alice while busy to extension 203? (PBX xivo)');
    expect(engine.user('alice').forward).toEqual({ busy: '203' });
    const premium = errorText(await client.callTool({ name: 'set_forward', arguments: { kind: 'unconditional', enabled: true, destination: '+39 899 123456' } }));
    expect(premium).toMatch(/dial policy/);
    expect(engine.user('alice').forward).toEqual({ busy: '203' });
    await call(client, 'set_forward', { kind: 'busy', enabled: false });
    expect(engine.user('alice').forward).toEqual({});
  });

  it("keeps the CTI user's contacts: create, get, update, list (no ids), export, import, delete_all", async () => {
    const created = await call(client, 'manage_contacts', { pbx: 'agent', action: 'create', contact: { firstname: 'Giuseppe', lastname: 'Test', number: '+390612345678', company: 'Test, SpA' } });
    const id = (created.contact as { id: string }).id;
    expect(id).toMatch(/^[0-9a-f-]{36}$/);
    expect(await call(client, 'manage_contacts', { pbx: 'agent', action: 'get', id })).toMatchObject({ contact: { lastname: 'Test', company: 'Test, SpA' } });
    expect(await call(client, 'manage_contacts', { pbx: 'agent', action: 'update', id, contact: { email: 'g@example.com' } })).toMatchObject({
      contact: { email: 'g@example.com', company: 'Test, SpA', number: '+390612345678' },
    });
    const list = await call(client, 'manage_contacts', { pbx: 'agent', action: 'list' });
    expect(list.contacts).toEqual([{ id: '', firstname: 'Giuseppe', lastname: 'Test', number: '+390612345678' }]);
    expect(list.note).toMatch(/without ids/);

    const exported = (await call(client, 'manage_contacts', { pbx: 'agent', action: 'export_csv' })).csv as string;
    expect(exported.split(/\r?\n/)[0]).toBe('company,email,fax,firstname,lastname,mobile,number');
    expect(exported).toContain('"Test, SpA"');
    await call(client, 'manage_contacts', { pbx: 'agent', action: 'delete', id });
    expect(engine.book('alice').list()).toEqual([]);
    const imported = await call(client, 'manage_contacts', { pbx: 'agent', action: 'import_csv', csv: `${exported}too,many,fields,in,this,line,here,and,more\r\n` });
    expect(imported).toMatchObject({ import: { created: [expect.objectContaining({ lastname: 'Test' })], failed: [{ line: 3, errors: ['too many fields'] }] } });
    expect((await call(client, 'manage_contacts', { pbx: 'agent', action: 'export_csv' })).csv).toBe(exported);
    await call(client, 'manage_contacts', { pbx: 'agent', action: 'delete_all' });
    expect(engine.book('alice').list()).toEqual([]);
  });

  it('qualifies calls: options, a recorded answer, the CSV export', async () => {
    const options = await call(client, 'qualify_call', { pbx: 'agent', action: 'list_options', queue_id: 1 });
    const sub = (options.options as { sub_qualifications: { id: number }[] }[])[0]!.sub_qualifications[0]!.id;
    await call(client, 'qualify_call', { pbx: 'agent', action: 'record', queue_id: 1, sub_qualification_id: sub, call_id: '1447670380.34', agent_id: 2, time: '2026-03-02 10:00:00' });
    expect(sim.qualificationAnswers).toEqual([expect.objectContaining({ sub_qualification_id: sub, callid: '1447670380.34', queue: 1 })]);
    const csv = await call(client, 'qualify_call', { pbx: 'agent', action: 'export_csv', queue_id: 1, from: '2026-03-01', to: '2026-03-31' });
    expect(csv.csv).toContain('1447670380.34');
  });

  it('imports callback requests: a listed and a premium number are refused, only the valid request is created', async () => {
    const list = sim.callbackListUuid('support')!;
    const imported = await call(client, 'callback_lists', {
      action: 'import',
      list_uuid: list,
      requests: [
        { phone_number: '+39 06 1234 5678', first_name: 'Giuseppe', last_name: 'Test', description: 'about the quote', period: 'Afternoon' },
        { phone_number: '+39 02 8765 4321', last_name: 'Listed' },
        { phone_number: '+39 899 123456', last_name: 'Premium' },
      ],
    });
    expect(asked.at(-1)).toBe(
      `Create 1 callback request in callback list ${list} on PBX xivo? 2 refused lines are left out: line 2 +39 02 8765 4321 (do_not_call); line 3 +39 899 123456 (number_type). (PBX xivo)`,
    );
    expect(imported).toMatchObject({ status: 'done', created: 1, refused: [{ line: 2, rule: 'do_not_call' }, { line: 3, rule: 'number_type' }] });
    expect(sim.callbackLists.get(list)!.requests).toEqual([
      expect.objectContaining({ phoneNumber: '+390612345678', firstName: 'Giuseppe', lastName: 'Test', period: 'Afternoon' }),
    ]);
    sim.processCallbacks(list, { status: 'Answered', comment: 'done' });
    const tickets = await call(client, 'callback_lists', { action: 'export_tickets', list_uuid: list });
    expect((tickets.csv as string).split('\n').filter(Boolean)).toEqual([expect.stringMatching(/^phoneNumber\|/), expect.stringMatching(/^\+390612345678\|.*\|Answered\|done\|/)]);
  });

  it('routes what an entry cannot do to a clear error naming the other entry type', async () => {
    expect(errorText(await client.callTool({ name: 'manage_contacts', arguments: { action: 'list' } }))).toMatch(
      /^PBX `xivo` \(xivo\): this PBX cannot keep contacts: .*userType "cti"/,
    );
    expect(errorText(await client.callTool({ name: 'set_dnd', arguments: { pbx: 'agent', enabled: true } }))).toMatch(/userType "webservice"/);
  });

  it('logged in once per entry for the whole session, and never showed a secret', async () => {
    expect(sim.stats.logins).toBe(2);
    const tokens = sim.server.log.map((q) => q.headers.authorization?.slice('Bearer '.length)).filter((x): x is string => !!x);
    expect(tokens.length).toBeGreaterThan(10);
    for (const secret of [WS_PASSWORD, CTI_PASSWORD, ...new Set(tokens)]) expect(session.stderr()).not.toContain(secret);
  });
});
