/**
 * The core flows through the SDK's real Client, over stdio (spawned built server) and streamable HTTP.
 */
import { spawn } from 'node:child_process';
import { request } from 'node:http';
import { createInterface } from 'node:readline';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { ResourceUpdatedNotificationSchema } from '@modelcontextprotocol/sdk/types.js';
import {
  CLI,
  acceptAll,
  call,
  connectHttp,
  connectStdio,
  eventually,
  simConfig,
  startHttpServer,
  type HttpServerProcess,
} from '../helpers/mcp.js';

const CORE_TOOLS = [
  'answer_call',
  'call_history',
  'conference',
  'dial_user',
  'get_active_call',
  'get_parking',
  'hangup',
  'hold_call',
  'list_queue',
  'manage_contacts',
  'park_call',
  'pause_queues',
  'pbx_notes',
  'place_call',
  'set_dnd',
  'set_favorites',
  'set_forward',
  'transfer',
];

/** The text of a resource content (JSON resources are text). */
function text(c: unknown): string {
  return (c as { text: string }).text;
}

type Call = { id: string; state: string; to: { number: string }; from: { number: string } };

async function activeCalls(client: Client, user?: string): Promise<Call[]> {
  return (await call(client, 'get_active_call', user ? { user } : {})).calls as Call[];
}

function coreSuite(transport: 'stdio' | 'http') {
  describe(`core over ${transport}`, () => {
    let client: Client;
    let server: HttpServerProcess | undefined;
    let closeClient: () => Promise<void>;

    beforeAll(async () => {
      const config = simConfig();
      if (transport === 'stdio') {
        const s = await connectStdio({ config, elicit: acceptAll });
        client = s.client;
        closeClient = () => s.close();
      } else {
        server = await startHttpServer({ config });
        client = await connectHttp(server.url, { elicit: acceptAll });
        closeClient = () => client.close();
      }
    });
    afterAll(async () => {
      await closeClient();
      if (server) expect(await server.stop()).toBe(0);
    });

    it('lists the tools with all four annotations, and the resources of the PBX', async () => {
      const { tools } = await client.listTools();
      expect(tools.map((t) => t.name).sort()).toEqual(CORE_TOOLS);
      for (const t of tools) {
        for (const hint of ['readOnlyHint', 'destructiveHint', 'idempotentHint', 'openWorldHint'] as const) {
          expect(typeof t.annotations?.[hint], `${t.name}.${hint}`).toBe('boolean');
        }
        expect(t.outputSchema, t.name).toBeDefined();
      }
      const { resources } = await client.listResources();
      const uris = resources.map((r) => r.uri);
      expect(uris).toEqual(
        expect.arrayContaining(['pbx://office/calls', 'pbx://office/extensions', 'pbx://office/history/alice', 'pbx://office/queues', 'pbx://office/queues/support', 'pbx://office/capabilities', 'audit://recent']),
      );
      const { resourceTemplates } = await client.listResourceTemplates();
      expect(resourceTemplates.map((t) => t.uriTemplate)).toEqual(
        expect.arrayContaining(['pbx://{pbx}/calls', 'pbx://{pbx}/history/{user}', 'pbx://{pbx}/queues', 'pbx://{pbx}/queues/{queue}']),
      );
    });

    it('place_call -> ringing -> connected -> transfer -> park -> pick up -> hangup -> history', async () => {
      const placed = await call(client, 'place_call', { to: '+39 06 1234 5678' });
      expect(placed).toMatchObject({ status: 'done', to: '+390612345678' });
      const id = placed.call_id as string;
      const ringing = await activeCalls(client);
      expect(ringing).toEqual([expect.objectContaining({ id, state: 'ringing' })]);
      await eventually(async () => (await activeCalls(client))[0]?.state === 'connected', 5000, 'the call to connect');

      const moved = await call(client, 'transfer', { to: '202', call_id: id });
      expect(moved).toMatchObject({ status: 'done', mode: 'blind', to: '202' });
      expect(await activeCalls(client)).toEqual([]);
      await eventually(async () => (await activeCalls(client, 'bob'))[0]?.state === 'connected', 5000, 'bob to answer');

      const parked = await call(client, 'park_call', { call_id: id, user: 'bob' });
      expect(parked).toMatchObject({ status: 'done', slot: '701' });
      expect(await activeCalls(client, 'bob')).toEqual([]);

      const picked = await call(client, 'place_call', { to: '701' });
      expect(picked.call).toMatchObject({ id, state: 'connected', from: { number: '+390612345678' } });

      const hung = await call(client, 'hangup', {});
      expect(hung).toMatchObject({ status: 'done', call_id: id });
      expect(await activeCalls(client)).toEqual([]);

      const history = await client.readResource({ uri: 'pbx://office/history/alice' });
      const entries = JSON.parse((history.contents[0] as { text: string }).text).entries as { from: string; to: string; status: string }[];
      // Newest first: the picked-up call (Giuseppe -> alice), then alice's leg before she transferred it.
      expect(entries[0]).toMatchObject({ from: '+390612345678', to: '201', status: 'answered' });
      expect(entries[1]).toMatchObject({ from: '201', to: '+390612345678', status: 'emitted' });
      const bob = JSON.parse(text((await client.readResource({ uri: 'pbx://office/history/bob' })).contents[0]));
      expect(bob.entries[0]).toMatchObject({ from: '+390612345678', to: '202', status: 'answered' });
    });

    it('notifies a subscriber of the calls resource when calls change', async () => {
      const updates: string[] = [];
      client.setNotificationHandler(ResourceUpdatedNotificationSchema, (n) => void updates.push(n.params.uri));
      await client.subscribeResource({ uri: 'pbx://office/calls' });
      await call(client, 'place_call', { to: '203' });
      await eventually(async () => updates.includes('pbx://office/calls'), 3000, 'a resources/updated notification');
      const body = JSON.parse(text((await client.readResource({ uri: 'pbx://office/calls' })).contents[0]));
      expect(body.calls.length).toBeGreaterThan(0);
      await client.unsubscribeResource({ uri: 'pbx://office/calls' });
      await call(client, 'hangup', {});
      await eventually(async () => (await activeCalls(client)).length === 0, 3000, 'the hangup');
    });

    it('keeps contacts: create, get, update, list, export, delete, import, delete_all', async () => {
      const created = await call(client, 'manage_contacts', {
        action: 'create',
        contact: { firstname: 'Giuseppe', lastname: 'Test', number: '+390612345678', company: 'Test, SpA' },
      });
      const id = (created.contact as { id: string }).id;
      expect(await call(client, 'manage_contacts', { action: 'get', id })).toMatchObject({ contact: { lastname: 'Test' } });
      expect(await call(client, 'manage_contacts', { action: 'update', id, contact: { email: 'g@example.com' } })).toMatchObject({
        contact: { email: 'g@example.com', company: 'Test, SpA' },
      });
      const exported = (await call(client, 'manage_contacts', { action: 'export_csv' })).csv as string;
      expect(exported).toContain('"Test, SpA"');
      await call(client, 'manage_contacts', { action: 'delete', id });
      expect(((await call(client, 'manage_contacts', { action: 'list' })).contacts as unknown[]).length).toBe(0);
      const imported = await call(client, 'manage_contacts', { action: 'import_csv', csv: exported });
      expect(imported).toMatchObject({ import: { created: [expect.objectContaining({ lastname: 'Test' })], failed: [] } });
      const again = (await call(client, 'manage_contacts', { action: 'export_csv' })).csv;
      expect(again).toBe(exported);
      await call(client, 'manage_contacts', { action: 'delete_all' });
      expect(((await call(client, 'manage_contacts', { action: 'list' })).contacts as unknown[]).length).toBe(0);
    });

    it('answers malformed arguments of every tool with a clear validation error, and keeps serving', async () => {
      const bad: Record<string, unknown> = {
        place_call: { to: 42 },
        hangup: { call_id: { nested: true } },
        transfer: { mode: 'sideways', to: '202' },
        park_call: { slot: 'abc' },
        set_dnd: { enabled: 'yes' },
        pause_queues: { paused: true, queues: 'support' },
        get_active_call: { user: 7 },
        list_queue: {},
        manage_contacts: { action: 'explode' },
        answer_call: { call_id: 'no spaces allowed' },
        hold_call: { on: 'yes' },
        conference: {},
        get_parking: { pbx: 'not a pbx name!' },
        set_favorites: { favorites: [{ id: 'alice', slot: -1 }] },
        pbx_notes: { action: 'set', key: 'no spaces allowed' },
        dial_user: { username: 'a/b' },
        set_forward: { kind: 'sometimes', enabled: true },
        call_history: { size: 0 },
      };
      for (const [name, args] of Object.entries(bad)) {
        const r = await client.callTool({ name, arguments: args as Record<string, unknown> });
        expect(r.isError, name).toBe(true);
        const text = (r.content as { text: string }[])[0]!.text;
        expect(text, name).toMatch(/Invalid arguments|validation/i);
        expect(text, name).not.toMatch(/\n\s+at /);
      }
      expect((await activeCalls(client)).length).toBeGreaterThanOrEqual(0);
    });

    it('turns a backend error into an isError result that names the PBX and what to do', async () => {
      const r = await client.callTool({ name: 'list_queue', arguments: { queue: 'nope' } });
      expect(r.isError).toBe(true);
      expect((r.content as { text: string }[])[0]!.text).toMatch(/^PBX `office` \(sim\): no queue named nope/);
      const unknownPbx = await client.callTool({ name: 'get_active_call', arguments: { pbx: 'elsewhere' } });
      expect((unknownPbx.content as { text: string }[])[0]!.text).toMatch(/no PBX named "elsewhere".*Configured PBXs: office/);
    });
  });
}

coreSuite('stdio');
coreSuite('http');

function rawRequest(port: number, headers: Record<string, string>, path = '/mcp', method = 'POST', body?: string): Promise<{ status: number; body: string; headers: Record<string, unknown> }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, method, headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream', ...headers } }, (res) => {
      let data = '';
      res.on('data', (d: Buffer) => (data += d.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: data, headers: res.headers }));
    });
    req.on('error', reject);
    if (method === 'GET') return void req.end();
    req.end(body ?? JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'initialize', params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'raw', version: '1' } } }));
  });
}

describe('HTTP transport protections', () => {
  let server: HttpServerProcess;
  const TOKEN = 'test-token-0123456789abcdef';

  beforeAll(async () => {
    server = await startHttpServer({ config: simConfig(), env: { TELEPHONY_MCP_TOKEN: TOKEN } });
  });
  afterAll(async () => {
    await server.stop();
  });

  it('answers /healthz', async () => {
    const r = await rawRequest(server.port, { host: `127.0.0.1:${server.port}` }, '/healthz', 'GET');
    expect(r.status).toBe(200);
    expect(JSON.parse(r.body)).toMatchObject({ status: 'ok' });
  });

  it('refuses a foreign Host or Origin with 403 (DNS rebinding)', async () => {
    const auth = { authorization: `Bearer ${TOKEN}` };
    expect((await rawRequest(server.port, { ...auth, host: `evil.example:${server.port}` })).status).toBe(403);
    expect((await rawRequest(server.port, { ...auth, host: `127.0.0.1:${server.port}`, origin: 'http://evil.example' })).status).toBe(403);
    const ok = await rawRequest(server.port, { ...auth, host: `localhost:${server.port}`, origin: `http://localhost:${server.port}` });
    expect(ok.status).toBe(200);
  });

  it('refuses a missing or wrong token with 401, accepts the right one', async () => {
    const host = { host: `127.0.0.1:${server.port}` };
    const missing = await rawRequest(server.port, host);
    expect(missing.status).toBe(401);
    expect(missing.headers['www-authenticate']).toMatch(/Bearer/);
    expect((await rawRequest(server.port, { ...host, authorization: 'Bearer wrong-token-0123456789' })).status).toBe(401);
    await expect(connectHttp(server.url, { token: 'wrong-token-0123456789' })).rejects.toThrow();
    const client = await connectHttp(server.url, { token: TOKEN });
    expect((await client.listTools()).tools.length).toBe(CORE_TOOLS.length);
    await client.close();
  });

  it('answers an unknown session with 404 and a non-initialize first request with 400', async () => {
    const base = { host: `127.0.0.1:${server.port}`, authorization: `Bearer ${TOKEN}` };
    const list = JSON.stringify({ jsonrpc: '2.0', id: 2, method: 'tools/list' });
    expect((await rawRequest(server.port, { ...base, 'mcp-session-id': 'nope' }, '/mcp', 'POST', list)).status).toBe(404);
    expect((await rawRequest(server.port, base, '/mcp', 'POST', list)).status).toBe(400);
  });
});

describe('start-up', () => {
  it('refuses to bind a non-loopback address without a token, naming the fix', async () => {
    await expect(startHttpServer({ config: simConfig(), args: ['--host', '0.0.0.0'] })).rejects.toThrow(/without a token.*http\.token/);
  });

  it('stops on a config error with a message naming the key path', async () => {
    const config = simConfig({ http: { port: 'eighty' }, extra: true });
    await expect(startHttpServer({ config })).rejects.toThrow(/http\.port: .*number[\s\S]*extra: unknown key/);
  });

  it('says nothing on stdout before the client has initialized: the first line is the initialize answer', async () => {
    const config = simConfig();
    const child = spawn(process.execPath, [CLI, '--config', config.path], { stdio: ['pipe', 'pipe', 'ignore'] });
    try {
      const lines = createInterface({ input: child.stdout! });
      const first = new Promise<string>((resolve) => lines.once('line', resolve));
      // Give the server time to start and log before the client speaks.
      await new Promise((r) => setTimeout(r, 800));
      child.stdin!.write(`${JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'initialize', params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 't', version: '1' } } })}\n`);
      expect(JSON.parse(await first)).toMatchObject({ id: 1, result: { serverInfo: { name: 'telephony-mcp' } } });
    } finally {
      child.kill();
    }
  });

  it('keeps stdout for the protocol even with a .env file present (stdio)', async () => {
    const config = simConfig();
    writeFileSync(join(config.dir, '.env'), 'SOME_VAR=1\n');
    const s = await connectStdio({ config });
    expect((await s.client.listTools()).tools.length).toBe(CORE_TOOLS.length);
    await s.close();
  });
});
