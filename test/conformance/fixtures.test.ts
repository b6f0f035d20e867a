/**
 * The conformance entry's own guarantees, which the official suite does not check: the fixtures exist only
 * where the entry adds them, subscriptions to a fixture resource deliver updates and stop on unsubscribe, and
 * the runner glue turns failures into a failing verdict.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { Client as ModernClient, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { ResourceUpdatedNotificationSchema } from '@modelcontextprotocol/sdk/types.js';
import type { ServerOptions } from '../../src/server.js';
import { inMemoryClient, testApp, type TestApp } from '../helpers/app.js';
import { eventually } from '../helpers/mcp.js';
import { conformanceFixtures, WATCHED_URI } from './fixtures.js';
import { judge, loadBaseline, parseSummary, REVISIONS, scoredTotals } from './runner.js';
import { startConformanceServer } from './server.js';

/** A 2026-07-28 client (v2 SDK, pinned) of a URL, without elicitation. */
async function modernClientOf(url: string) {
  const client = new ModernClient({ name: 'fixtures', version: '1' }, { versionNegotiation: { mode: { pin: '2026-07-28' } } });
  await client.connect(new StreamableHTTPClientTransport(new URL(url)));
  return { client, close: () => client.close() };
}

/** The server glue in-process, with the conformance fixtures when `opts` adds them. */
const connect = (t: TestApp, opts?: ServerOptions) => inMemoryClient(t.app, undefined, opts);

/** Everything a server offers by name: tools, prompts, resources and resource templates. */
async function offered(client: Client): Promise<string[]> {
  const caps = client.getServerCapabilities() ?? {};
  const names: string[] = [];
  if (caps.tools) names.push(...(await client.listTools()).tools.map((t) => t.name));
  if (caps.prompts) names.push(...(await client.listPrompts()).prompts.map((p) => p.name));
  if (caps.resources) {
    names.push(...(await client.listResources()).resources.map((r) => r.uri));
    names.push(...(await client.listResourceTemplates()).resourceTemplates.map((r) => r.uriTemplate));
  }
  return names;
}

describe('conformance fixtures', () => {
  let t: TestApp | undefined;
  const closers: (() => Promise<void>)[] = [];
  afterEach(async () => {
    for (const c of closers.splice(0)) await c();
    await t?.close();
  });

  it('appear only on a server built with them, never on the shipped one', async () => {
    t = await testApp();
    const shipped = await connect(t);
    closers.push(shipped.close);
    const fixtures = conformanceFixtures();
    const extended = await connect(t, { extend: fixtures.extend, subscribe: fixtures.subscribe });
    closers.push(extended.close);

    const plain = await offered(shipped.client);
    const withFixtures = await offered(extended.client);
    expect(plain.filter((n) => n.startsWith('test_') || n.startsWith('test://'))).toEqual([]);
    expect(withFixtures).toEqual(
      expect.arrayContaining(['test_simple_text', 'test_simple_prompt', 'test://static-text', 'test://template/{id}/data']),
    );
    // The same server underneath: everything the shipped one offers is still there.
    expect(withFixtures).toEqual(expect.arrayContaining(plain));
  });

  it('deliver updates of the watched resource to subscribers until they unsubscribe', async () => {
    t = await testApp();
    const fixtures = conformanceFixtures();
    const { client, close } = await connect(t, { extend: fixtures.extend, subscribe: fixtures.subscribe });
    closers.push(close);
    const updates: string[] = [];
    client.setNotificationHandler(ResourceUpdatedNotificationSchema, (n) => void updates.push(n.params.uri));

    await client.subscribeResource({ uri: WATCHED_URI });
    expect(fixtures.watchedSubscribers()).toBe(1);
    fixtures.touchWatched();
    await eventually(async () => updates.length > 0, 2000, 'a resource update');
    expect(updates).toEqual([WATCHED_URI]);
    const read = await client.readResource({ uri: WATCHED_URI });
    expect(read.contents[0]).toMatchObject({ text: expect.stringContaining('version 2') });

    await client.unsubscribeResource({ uri: WATCHED_URI });
    expect(fixtures.watchedSubscribers()).toBe(0);
    fixtures.touchWatched();
    await new Promise((r) => setTimeout(r, 50));
    expect(updates).toEqual([WATCHED_URI]);
  });

  it('still refuse subscriptions to resources nobody serves', async () => {
    t = await testApp();
    const fixtures = conformanceFixtures();
    const { client, close } = await connect(t, { extend: fixtures.extend, subscribe: fixtures.subscribe });
    closers.push(close);
    await expect(client.subscribeResource({ uri: 'test://nobody-serves-this' })).rejects.toThrow(/Resource not found/);
  });
});

describe('the conformance entry', () => {
  it('serves its fixtures and the shipped tools through one tools/call handler, the one that ships', async () => {
    const server = await startConformanceServer();
    try {
      const { client, close } = await modernClientOf(server.url);
      try {
        expect((await client.callTool({ name: 'test_simple_text', arguments: {} })).content).toEqual([
          { type: 'text', text: 'This is a simple text response for testing.' },
        ]);
        // A shipped action through the same handler: the guard runs (audited; a client without elicitation gets a token).
        const r = await client.callTool({ name: 'place_call', arguments: { to: '+39 06 1234 5678' } });
        expect(r.structuredContent).toMatchObject({ status: 'confirmation_required' });
        expect(server.app.audit.recent().at(-1)).toMatchObject({ tool: 'place_call', confirmation: 'token_issued', principal: 'local' });
      } finally {
        await close();
      }
    } finally {
      await server.close();
    }
  });
});

describe('conformance verdicts', () => {
  const SAMPLE = [
    'Running requirements 2026-07-28 (4 scenarios) against http://127.0.0.1:1/mcp',
    '=== Running scenario: ping ===',
    '✓ this line is not in the summary: 9 passed, 9 failed',
    '',
    '=== SUMMARY ===',
    '✓ caching: 8 passed, 0 failed',
    '✗ input-required-result-tampered-state: 1 passed, 1 failed',
    '✓ dns-rebinding-protection: 2 passed, 0 failed',
    '✗ tasks-lifecycle: 2 passed, 7 failed',
    'Total: 13 passed, 8 failed',
    'Not scored for 2026-07-28: 1 scenario(s) run, 1 failing. These do not affect conformance.',
    '  ✗ tasks-lifecycle (extension)',
  ].join('\n');

  it('reads the summary of the runner, and what the revision does not score', () => {
    const { announced, results, unscored } = parseSummary(SAMPLE);
    expect(announced).toBe(4);
    expect([...results.keys()]).toEqual(['caching', 'input-required-result-tampered-state', 'dns-rebinding-protection', 'tasks-lifecycle']);
    expect(results.get('input-required-result-tampered-state')).toEqual({ passed: 1, failed: 1 });
    expect(unscored).toEqual(new Map([['tasks-lifecycle', 'extension']]));
    expect(scoredTotals({ results, unscored })).toEqual({ scenarios: 3, passed: 11, failed: 1 });
  });

  it('fails on a scored failure the baseline does not list, and on a baseline entry that passes; unscored failures do not count', () => {
    const run = parseSummary(SAMPLE);
    expect(judge(run, new Map())).toEqual({ unexpected: ['input-required-result-tampered-state'], stale: [] });
    expect(judge(run, new Map([['input-required-result-tampered-state', 'why']]))).toEqual({ unexpected: [], stale: [] });
    expect(judge(run, new Map([['input-required-result-tampered-state', 'why'], ['caching', 'why']]))).toEqual({ unexpected: [], stale: ['caching'] });
  });

  it('has a baseline whose entries all give a reason', () => {
    for (const revision of REVISIONS) for (const reason of loadBaseline(revision).values()) expect(reason.trim()).not.toBe('');
  });
});
