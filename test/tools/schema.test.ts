/**
 * The public interface of every tool, exactly as a client sees it in tools/list: name, title, annotations and
 * JSON schemas. A change here is an interface change: update the snapshot only on purpose.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { Client } from '@modelcontextprotocol/client';
import { InMemoryTransport, McpServer } from '@modelcontextprotocol/server';
import { inMemoryClient, testApp, type TestApp } from '../helpers/app.js';

let t: TestApp;
beforeAll(async () => {
  t = await testApp();
});
afterAll(() => t.close());

it('matches the committed snapshot of every tool schema', async () => {
  const { client, close } = await inMemoryClient(t.app);
  const { tools } = await client.listTools();
  await close();
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
