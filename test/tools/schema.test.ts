/**
 * The public interface of every tool, exactly as a client sees it in tools/list: name, title, annotations and
 * JSON schemas. A change here is an interface change: update the snapshot only on purpose.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { z } from 'zod';
import { Client } from '@modelcontextprotocol/client';
import { InMemoryTransport, McpServer } from '@modelcontextprotocol/server';
import { compactSchema } from '../../src/server.js';
import { ALL_TOOLS } from '../../src/tools/index.js';
import { IN_WORDS } from '../../src/tools/define.js';
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

it("lists every tool as the SDK's own McpServer would (the same JSON Schema conversion), compacted", async () => {
  const sdk = new McpServer({ name: 'reference', version: '1' });
  for (const tool of t.app.tools) {
    sdk.registerTool(
      tool.name,
      { title: tool.title, description: tool.description, inputSchema: tool.input, outputSchema: tool.result, annotations: tool.annotations },
      () => ({ content: [] }),
    );
  }
  const [a, b] = InMemoryTransport.createLinkedPair();
  await sdk.connect(a);
  const reference = new Client({ name: 'reference', version: '1' });
  await reference.connect(b);
  const expected = (await reference.listTools()).tools.map((x) => ({
    ...x,
    inputSchema: compactSchema(x.inputSchema, 'input'),
    outputSchema: compactSchema(x.outputSchema, 'output'),
  }));
  await reference.close();
  const { client, close } = await inMemoryClient(t.app);
  const ours = (await client.listTools()).tools;
  await close();
  expect(ours).toEqual(expected);
  // The compaction did its work, and only that (issue 17): no marker or noise left; a result part said in words.
  const wire = JSON.stringify(ours);
  for (const gone of [IN_WORDS, '$schema', String(Number.MAX_SAFE_INTEGER)]) expect(wire).not.toContain(gone);
  for (const x of ours) expect(JSON.stringify(x.outputSchema), x.name).not.toContain('"additionalProperties":false');
  const placed = ours.find((x) => x.name === 'place_call')!.outputSchema!.properties!.call as Record<string, unknown>;
  expect(placed).toEqual({ type: 'object', description: expect.stringMatching(/^A call as get_active_call lists it/) });
});

it('compacts without loosening an argument: bounds, patterns, enums and defaults stay', () => {
  const raw = z
    .object({
      n: z.number().int().min(1).max(500).optional(),
      any: z.number().int(),
      s: z.string().min(1).max(64).regex(/^[a-z]+$/),
      e: z.enum(['a', 'b']).default('a'),
      o: z.object({ x: z.string() }),
    })
    .toJSONSchema({ target: 'draft-2020-12', io: 'input' });
  const compact = compactSchema(raw, 'input') as { properties: Record<string, Record<string, unknown>> };
  expect(compact).not.toHaveProperty('$schema');
  expect(compact.properties.n).toEqual({ type: 'integer', minimum: 1, maximum: 500 });
  expect(compact.properties.any).toEqual({ type: 'integer' });
  expect(compact.properties.s).toEqual({ type: 'string', minLength: 1, maxLength: 64, pattern: '^[a-z]+$' });
  expect(compact.properties.e).toEqual({ type: 'string', enum: ['a', 'b'], default: 'a' });
  // A result's objects lose only additionalProperties: false (the runner's check lets extra keys through too).
  const out = compactSchema(z.object({ o: z.object({ x: z.string() }) }).toJSONSchema({ target: 'draft-2020-12' }), 'output');
  expect(out).toEqual({ type: 'object', properties: { o: { type: 'object', properties: { x: { type: 'string' } }, required: ['x'] } }, required: ['o'] });
});

it('with one PBX configured, no tool offers `pbx` (its one value is the default), and a call that passes it still works', async () => {
  const one = await testApp();
  try {
    const { client, close } = await inMemoryClient(one.app);
    const { tools } = await client.listTools();
    for (const x of tools) expect(Object.keys(x.inputSchema.properties ?? {}), x.name).not.toContain('pbx');
    const r = await client.callTool({ name: 'get_active_call', arguments: { pbx: 'office' } });
    expect(r.isError).toBeFalsy();
    await close();
  } finally {
    await one.close();
  }
  // With several, every tool offers it (the snapshot above is of a three-PBX config).
  const { client, close } = await inMemoryClient(t.app);
  const { tools } = await client.listTools();
  await close();
  for (const x of tools) expect(Object.keys(x.inputSchema.properties ?? {}), x.name).toContain('pbx');
});
