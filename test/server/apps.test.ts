/**
 * MCP Apps in the glue: the call board is offered (tool _meta, the ui:// resource, its read) only to a client that
 * declares the extension with the view's mime type, on both protocol revisions; every other client gets exactly
 * what it got before. The page carries each PBX's pace, and the extension's names are the package's own.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { Client, InMemoryTransport, type Tool } from '@modelcontextprotocol/client';
import { EXTENSION_ID, RESOURCE_MIME_TYPE } from '@modelcontextprotocol/ext-apps/server';
import { getToolUiResourceUri, LATEST_PROTOCOL_VERSION } from '@modelcontextprotocol/ext-apps/app-bridge';
import { APPS_PROTOCOL_VERSION } from '../../src/apps/call-board/protocol.js';
import { createMcpServer } from '../../src/server.js';
import { APP_MIME_TYPE, boardSettings, boardView, CALL_BOARD_URI, UI_EXTENSION } from '../../src/server/apps.js';
import { DEFAULT_SCOPES, oauthPrincipal, type Principal, type Right } from '../../src/principal.js';
import { modernClient, TEST_PRINCIPAL, testApp, type TestApp } from '../helpers/app.js';

const APPS = { extensions: { [EXTENSION_ID]: { mimeTypes: [RESOURCE_MIME_TYPE] } } };

let t: TestApp;
const closers: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of closers.splice(0)) await c();
  await t?.close();
});

/** A 2025-11-25 client (the v2 SDK in legacy mode) of the real glue, in process. */
async function legacyClient(capabilities: Record<string, unknown>, principal: Principal = TEST_PRINCIPAL): Promise<Client> {
  const server = createMcpServer(t.app, { era: 'legacy', principal });
  const [a, b] = InMemoryTransport.createLinkedPair();
  const client = new Client({ name: 'apps-test', version: '1' }, { versionNegotiation: { mode: 'legacy' }, capabilities });
  await server.connect(a);
  await client.connect(b);
  closers.push(async () => {
    await client.close();
    await server.close();
  });
  return client;
}

async function clientOf(era: 'legacy' | 'modern', capabilities: Record<string, unknown>): Promise<Client> {
  if (era === 'legacy') return legacyClient(capabilities);
  const m = await modernClient(t.app, { capabilities });
  closers.push(m.close);
  return m.client;
}

it('names the extension, its mime type and its revision exactly as @modelcontextprotocol/ext-apps does', () => {
  expect(UI_EXTENSION).toBe(EXTENSION_ID);
  expect(APP_MIME_TYPE).toBe(RESOURCE_MIME_TYPE);
  expect(APPS_PROTOCOL_VERSION).toBe(LATEST_PROTOCOL_VERSION);
});

it("links the tools the way the extension's hosts find the view", async () => {
  t = await testApp();
  const tools = (await (await clientOf('modern', APPS)).listTools()).tools;
  expect(getToolUiResourceUri(tools.find((x) => x.name === 'list_queue')!)).toBe(CALL_BOARD_URI);
  expect(getToolUiResourceUri(tools.find((x) => x.name === 'hangup')!)).toBeUndefined();
});

for (const era of ['legacy', 'modern'] as const) {
  describe(`on ${era === 'legacy' ? '2025-11-25' : '2026-07-28'}`, () => {
    it('a client without MCP Apps sees no view: no _meta, no ui:// resource, and reading it is not found', async () => {
      t = await testApp();
      for (const caps of [{}, { extensions: { [EXTENSION_ID]: { mimeTypes: ['text/uri-list'] } } }, { extensions: { 'com.example/other': {} } }]) {
        const client = await clientOf(era, caps);
        const { tools } = await client.listTools();
        expect(tools.filter((x) => x._meta !== undefined)).toEqual([]);
        expect((await client.listResources()).resources.map((r) => r.uri)).not.toContain(CALL_BOARD_URI);
        await expect(client.readResource({ uri: CALL_BOARD_URI })).rejects.toThrow(/not found/i);
      }
    });

    it('a client with MCP Apps gets the same tools, two of them linked to the board, and the page', async () => {
      t = await testApp();
      const plain = (await (await clientOf(era, {})).listTools()).tools;
      const apps = await clientOf(era, APPS);
      const tools = (await apps.listTools()).tools;
      const meta = { ui: { resourceUri: CALL_BOARD_URI } };
      expect(tools.map(({ _meta, ...rest }) => rest)).toEqual(plain);
      expect(Object.fromEntries(tools.filter((x) => x._meta).map((x) => [x.name, x._meta]))).toEqual({ get_active_call: meta, list_queue: meta });
      // What the link costs a model's tool list (it must stay within 32 KB): the two _meta objects.
      const extra = JSON.stringify(tools).length - JSON.stringify(plain).length;
      expect(extra).toBeLessThan(150);

      const listed = (await apps.listResources()).resources.find((r) => r.uri === CALL_BOARD_URI);
      expect(listed).toMatchObject({ name: 'call-board', mimeType: RESOURCE_MIME_TYPE, _meta: { ui: { prefersBorder: true } } });
      const read = await apps.readResource({ uri: CALL_BOARD_URI });
      expect(read.contents).toHaveLength(1);
      const page = read.contents[0] as { uri: string; mimeType: string; text: string };
      expect(page).toMatchObject({ uri: CALL_BOARD_URI, mimeType: RESOURCE_MIME_TYPE });
      expect(page.text).toMatch(/^<!doctype html>/i);
      expect(page.text).toContain('<script id="board-config" type="application/json">{"pace":{"office":2000}}</script>');
    });
  });
}

it('marks the linked tool list private on 2026-07-28 (no shared cache may serve it to a client without MCP Apps)', async () => {
  t = await testApp();
  const plain = await clientOf('modern', {});
  const apps = await clientOf('modern', APPS);
  const scope = async (c: Client) => ((await c.request({ method: 'tools/list', params: {} })) as { cacheScope?: string }).cacheScope;
  expect(await scope(plain)).toBe('public');
  expect(await scope(apps)).toBe('private');
});

it("writes each PBX's pace into the page: the resource watcher's interval, never faster than the PBX allows", async () => {
  const xuc = { type: 'xivo', url: 'http://127.0.0.1:9', password: 'unused', login: 'ws' };
  t = await testApp({
    pbxes: {
      office: { type: 'sim', scenario: './scenario.json', defaultUser: 'alice', traffic: false },
      ipps: { type: 'ipbx', url: 'http://127.0.0.1:9', channels: ['SIP/4003'], pollIntervalMs: 4500 },
      xuc,
    },
  });
  expect(boardSettings(t.app)).toEqual({ pace: { office: 2000, ipps: 4500, xuc: 5000 } });
  for (const p of t.app.pbxes.all()) expect(boardSettings(t.app).pace[p.name]).toBe(t.app.watcher.intervalFor(p));
});

it('offers no view when the page was not built, or when no board tool is offered', async () => {
  t = await testApp();
  const tools: Tool[] = [{ name: 'get_active_call', inputSchema: { type: 'object' } }];
  expect(boardView(t.app, tools, undefined)).toBeUndefined();
  expect(boardView(t.app, [{ name: 'hangup', inputSchema: { type: 'object' } }], '<script id="board-config" type="application/json">{}</script>')).toBeUndefined();
  const view = boardView(t.app, tools, '<p>x</p><script id="board-config" type="application/json">{}</script>');
  // Settings go in as JSON that no PBX name can break out of.
  expect(view!.read().contents[0]).toMatchObject({ text: '<p>x</p><script id="board-config" type="application/json">{"pace":{"office":2000}}</script>' });
});

it("follows the caller's OAuth scopes: linked tools only where listed, the page only for a caller that may read", async () => {
  t = await testApp();
  const oauth = (rights: Right[]) => oauthPrincipal({ subject: 'sup', client: 'c', scopes: rights.map((r) => DEFAULT_SCOPES[r]), names: DEFAULT_SCOPES });
  const reader = await legacyClient(APPS, oauth(['read']));
  const tools = (await reader.listTools()).tools;
  expect(tools.map((x) => x.name)).not.toContain('hangup');
  expect(tools.filter((x) => x._meta).map((x) => x.name).sort()).toEqual(['get_active_call', 'list_queue']);
  expect((await reader.listResources()).resources.map((r) => r.uri)).toContain(CALL_BOARD_URI);
  expect((await reader.readResource({ uri: CALL_BOARD_URI })).contents).toHaveLength(1);

  const actor = await legacyClient(APPS, oauth(['act']));
  expect((await actor.listTools()).tools.filter((x) => x._meta)).toEqual([]);
  expect((await actor.listResources()).resources).toEqual([]);
  await expect(actor.readResource({ uri: CALL_BOARD_URI })).rejects.toThrow(/insufficient_scope/);
});
