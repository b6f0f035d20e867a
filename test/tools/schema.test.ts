/**
 * The public interface of every tool, exactly as a client sees it in tools/list: name, title, annotations and
 * JSON schemas. A change here is an interface change: update the snapshot only on purpose.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { Client } from '@modelcontextprotocol/client';
import { InMemoryTransport, McpServer } from '@modelcontextprotocol/server';
import { ALL_TOOLS } from '../../src/tools/index.js';
import { inMemoryClient, testApp, type TestApp } from '../helpers/app.js';

let t: TestApp;
beforeAll(async () => {
  // The sim PBX offers most tools; two XiVO entries (one per XUC user type, never contacted here) add the ones only
  // XUC has (qualify_call, callback_lists), so every tool's interface is in the snapshot.
  const xuc = { type: 'xivo', url: 'http://127.0.0.1:9', password: 'unused' };
  t = await testApp({
    pbxes: {
      office: { type: 'sim', scenario: './scenario.json', defaultUser: 'alice', traffic: false },
      xivo: { ...xuc, login: 'ws' },
      agent: { ...xuc, login: 'alice', userType: 'cti' },
    },
  });
});
afterAll(() => t.close());

it('matches the committed snapshot of every tool schema', async () => {
  const { client, close } = await inMemoryClient(t.app);
  const { tools } = await client.listTools();
  await close();
  expect(tools.map((x) => x.name).sort()).toEqual(ALL_TOOLS.map((x) => x.name).sort());
  const shape = tools
    .map((tool) => ({
      name: tool.name,
      title: tool.title,
      annotations: tool.annotations,
      inputSchema: tool.inputSchema,
      outputSchema: tool.outputSchema,
    }))
    .sort((a, b) => a.name.localeCompare(b.name));
  await expect(JSON.stringify(shape, null, 2)).toMatchFileSnapshot('__snapshots__/tools.json');
});

it('states all four annotations explicitly on every tool, and descriptions carry no PBX data', async () => {
  for (const tool of t.app.tools) {
    expect(Object.keys(tool.annotations).sort(), tool.name).toEqual(['destructiveHint', 'idempotentHint', 'openWorldHint', 'readOnlyHint']);
    expect(tool.description.length, tool.name).toBeGreaterThan(100);
    for (const name of ['Alice', 'Giuseppe', 'support']) expect(tool.description).not.toContain(name);
  }
});

it("lists every tool exactly as the SDK's own McpServer would (the same JSON Schema conversion)", async () => {
  const sdk = new McpServer({ name: 'reference', version: '1' });
  for (const tool of t.app.tools) {
    sdk.registerTool(
      tool.name,
      { title: tool.title, description: tool.description, inputSchema: tool.input, outputSchema: tool.output, annotations: { title: tool.title, ...tool.annotations } },
      () => ({ content: [] }),
    );
  }
  const [a, b] = InMemoryTransport.createLinkedPair();
  await sdk.connect(a);
  const reference = new Client({ name: 'reference', version: '1' });
  await reference.connect(b);
  const expected = (await reference.listTools()).tools;
  await reference.close();
  const { client, close } = await inMemoryClient(t.app);
  const ours = (await client.listTools()).tools;
  await close();
  expect(ours).toEqual(expected);
});
