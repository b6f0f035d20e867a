/**
 * The public interface of every tool, exactly as a client sees it in tools/list: name, title, annotations and
 * JSON schemas. A change here is an interface change: update the snapshot only on purpose.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
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
