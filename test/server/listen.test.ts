/**
 * subscriptions/listen (2026-07-28) through the v2 SDK's real Client over the real HTTP transport: the stream
 * acknowledges only the resources this server will honour, delivers notifications/resources/updated from the
 * same shared watches and sim events as resources/subscribe, keeps audit://recent per client, and gives its
 * watches back when it ends.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { Client, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import { modernClient, testApp, type TestApp } from '../helpers/app.js';

let t: TestApp;
const closers: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of closers.splice(0)) await c();
  await t.close();
});

const TOKENS = { alice: 'alice-laptop-token-0123', bob: 'bob-laptop-token-012345' };

async function setup() {
  t = await testApp({ safety: { confirm: 'off', dialPolicy: { defaultCountry: 'IT' } } });
  const c = await modernClient(t.app, { tokens: TOKENS, token: TOKENS.alice });
  closers.push(c.close);
  return c;
}

async function clientOf(url: string, token: string): Promise<Client> {
  const client = new Client({ name: 'listener', version: '1' }, { versionNegotiation: { mode: { pin: '2026-07-28' } } });
  await client.connect(new StreamableHTTPClientTransport(new URL(url), { requestInit: { headers: { Authorization: `Bearer ${token}` } } }));
  closers.push(() => client.close());
  return client;
}

function updatesOf(client: Client): string[] {
  const uris: string[] = [];
  client.setNotificationHandler('notifications/resources/updated', (n) => void uris.push(n.params.uri));
  return uris;
}

describe('subscriptions/listen', () => {
  it('acknowledges only what it will honour: resources it serves (any spelling) that exist, not unknown ones or list changes it never sends', async () => {
    const { client } = await setup();
    const sub = await client.listen({
      resourceSubscriptions: [
        'pbx://office/calls',
        'pbx://office/history/ali%63e',
        'pbx://office/history/nobody',
        'pbx://nowhere/calls',
        'test://nobody',
        'audit://recent',
      ],
      toolsListChanged: true,
    });
    closers.push(() => sub.close());
    expect(sub.honoredFilter).toEqual({ resourceSubscriptions: ['pbx://office/calls', 'pbx://office/history/ali%63e', 'audit://recent'] });
    expect(t.app.watcher.stats()).toEqual({ 'pbx://office/calls': 1, 'pbx://office/history/alice': 1 });
  });

  it('delivers an update when a call starts on the PBX, from the shared watch', async () => {
    const { client } = await setup();
    const updates = updatesOf(client);
    const sub = await client.listen({ resourceSubscriptions: ['pbx://office/calls'] });
    closers.push(() => sub.close());
    t.sim().engine.inboundCall('+390612345678', '201');
    await vi.waitFor(() => expect(updates).toContain('pbx://office/calls'));
  });

  it("tells each client of its own audit entries only, and watches a resource once for all of a client's streams", async () => {
    const { client, url } = await setup();
    const bob = await clientOf(url, TOKENS.bob);
    const heard = { alice: updatesOf(client), bob: updatesOf(bob) };
    const a1 = await client.listen({ resourceSubscriptions: ['audit://recent', 'pbx://office/calls'] });
    const a2 = await client.listen({ resourceSubscriptions: ['pbx://office/calls'] });
    const b1 = await bob.listen({ resourceSubscriptions: ['audit://recent'] });
    closers.push(() => a1.close(), () => a2.close(), () => b1.close());
    expect(t.app.watcher.stats()).toEqual({ 'pbx://office/calls': 1 });

    await client.callTool({ name: 'set_dnd', arguments: { enabled: true } });
    await vi.waitFor(() => expect(heard.alice).toContain('audit://recent'));
    await new Promise((r) => setTimeout(r, 100));
    expect(heard.bob).toEqual([]);
  });

  it('gives its watches back when the stream ends', async () => {
    const { client } = await setup();
    const sub = await client.listen({ resourceSubscriptions: ['pbx://office/calls', 'pbx://office/queues/support'] });
    expect(Object.keys(t.app.watcher.stats()).sort()).toEqual(['pbx://office/calls', 'pbx://office/queues/support']);
    await sub.close();
    expect(await sub.closed).toBe('local');
    await vi.waitFor(() => expect(t.app.watcher.stats()).toEqual({}));
  });
});
