/**
 * Hardening of the HTTP transport and the server glue: refused initializes leave nothing behind, audit://recent
 * is per session and never shows raw session ids, subscriptions are canonical and bounded, and a bearer token
 * from the environment is held to the config's rules.
 */
import { request } from 'node:http';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import { ResourceUpdatedNotificationSchema } from '@modelcontextprotocol/sdk/types.js';
import { LogHub } from '../../src/log.js';
import { redact } from '../../src/safety/redact.js';
import { MAX_SUBSCRIPTIONS, MAX_SUBSCRIPTIONS_PER_SESSION, sessionTag } from '../../src/server.js';
import { bearerToken, startHttp, type RunningHttp } from '../../src/transports/http.js';
import { inMemoryClient, testApp, type TestApp } from '../helpers/app.js';

/** A LogHub that counts its live sinks: every McpServer holds one until it is closed. */
class CountingHub extends LogHub {
  live = 0;
  override addSink(...args: Parameters<LogHub['addSink']>): () => void {
    const remove = super.addSink(...args);
    this.live++;
    let removed = false;
    return () => {
      if (!removed) this.live--;
      removed = true;
      remove();
    };
  }
}

let t: TestApp | undefined;
let http: RunningHttp | undefined;
const closers: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  vi.restoreAllMocks();
  for (const c of closers.splice(0)) await c();
  await http?.close();
  http = undefined;
  await t?.close();
  t = undefined;
});

const INITIALIZE = JSON.stringify({
  jsonrpc: '2.0',
  id: 1,
  method: 'initialize',
  params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'raw', version: '1' } },
});

function post(port: number, headers: Record<string, string>, body = INITIALIZE): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path: '/mcp', method: 'POST', headers: { 'content-type': 'application/json', ...headers } }, (res) => {
      let data = '';
      res.on('data', (d: Buffer) => (data += d.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: data }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

async function serve(opts: { maxSessions?: number; maxSessionsPerClient?: number } = {}): Promise<{ hub: CountingHub; running: RunningHttp }> {
  const hub = new CountingHub({ level: 'error', write: () => {} });
  t = await testApp({ safety: { confirm: 'off', dialPolicy: { defaultCountry: 'IT' } } }, { logs: hub });
  http = await startHttp(t.app, { host: '127.0.0.1', port: 0, ...opts });
  return { hub, running: http };
}

describe('refused initialize requests (M3)', () => {
  it('leave no McpServer and no log sink behind', async () => {
    const { hub, running } = await serve();
    for (let i = 0; i < 40; i++) {
      expect((await post(running.port, { accept: 'text/plain' })).status).toBe(406);
    }
    expect((await post(running.port, { accept: 'application/json, text/event-stream', 'content-type': 'text/plain' })).status).toBe(415);
    expect(running.sessions()).toBe(0);
    await vi.waitFor(() => expect(hub.live).toBe(0));

    // An accepted one still holds its server (and sink) for the life of the session.
    expect((await post(running.port, { accept: 'application/json, text/event-stream' })).status).toBe(200);
    expect(running.sessions()).toBe(1);
    expect(hub.live).toBe(1);
  });

  it('count against maxSessions while opening: concurrent initializes never exceed the cap', async () => {
    const { hub, running } = await serve({ maxSessions: 2, maxSessionsPerClient: 2 });
    // Widen the window between creating a server and the transport accepting its session (here only microtasks;
    // an SDK that reads or validates anything asynchronously first would open it for real).
    const handleRequest = StreamableHTTPServerTransport.prototype.handleRequest;
    vi.spyOn(StreamableHTTPServerTransport.prototype, 'handleRequest').mockImplementation(async function (
      this: StreamableHTTPServerTransport,
      ...args: Parameters<typeof handleRequest>
    ) {
      await new Promise((r) => setTimeout(r, 20));
      return handleRequest.apply(this, args);
    });
    const answers = await Promise.all(Array.from({ length: 12 }, () => post(running.port, { accept: 'application/json, text/event-stream' })));
    const statuses = answers.map((a) => a.status).sort();
    expect(statuses.filter((s) => s === 200)).toHaveLength(2);
    expect(statuses.filter((s) => s === 503)).toHaveLength(10);
    expect(running.sessions()).toBe(2);
    await vi.waitFor(() => expect(hub.live).toBe(2));
  });
});

describe('audit://recent over HTTP (L1)', () => {
  const TOKENS = { alice: 'alice-token-0123456789', bob: 'bob-token-0123456789ab' };

  async function serveWithTokens(): Promise<RunningHttp> {
    t = await testApp({ safety: { confirm: 'off', dialPolicy: { defaultCountry: 'IT' } } });
    http = await startHttp(t.app, { host: '127.0.0.1', port: 0, tokens: TOKENS });
    return http;
  }

  async function tokenClient(url: string, token: string): Promise<{ client: Client; sessionId: string }> {
    const transport = new StreamableHTTPClientTransport(new URL(url), { requestInit: { headers: { Authorization: `Bearer ${token}` } } });
    const client = new Client({ name: 'hardening', version: '1' });
    await client.connect(transport);
    closers.push(() => client.close());
    return { client, sessionId: transport.sessionId! };
  }

  const read = async (c: Client) => {
    const text = ((await c.readResource({ uri: 'audit://recent' })).contents[0] as { text: string }).text;
    return { text, entries: (JSON.parse(text) as { entries: { tool: string; session: string; principal: string }[] }).entries };
  };

  it('shows a client (its bearer token) only its own entries, naming sessions by a digest, never by their id', async () => {
    const running = await serveWithTokens();
    const a = await tokenClient(running.url, TOKENS.alice);
    const b = await tokenClient(running.url, TOKENS.bob);
    expect((await a.client.callTool({ name: 'set_dnd', arguments: { enabled: true } })).isError).toBeFalsy();

    const seenByA = await read(a.client);
    expect(seenByA.entries).toEqual([expect.objectContaining({ tool: 'set_dnd', principal: 'token:alice', session: sessionTag(a.sessionId) })]);
    expect(seenByA.entries[0]!.session).toMatch(/^[0-9a-f]{12}$/);
    expect(seenByA.text).not.toContain(a.sessionId);
    expect(seenByA.text).not.toContain(TOKENS.alice);

    const seenByB = await read(b.client);
    expect(seenByB.entries).toEqual([]);
    expect(seenByB.text).not.toContain(a.sessionId);

    // Another session of the same client (a one-shot client opens one per call) sees the same entries.
    const again = await tokenClient(running.url, TOKENS.alice);
    expect((await read(again.client)).entries).toEqual(seenByA.entries);

    // The audit trail itself still records the real session (the file is the operator's, not a client's).
    expect(t!.app.audit.recent()[0]!.session).toBe(a.sessionId);
  });

  it("notifies a subscribed client of its own calls only, and never another client's session", async () => {
    const running = await serveWithTokens();
    const a = await tokenClient(running.url, TOKENS.alice);
    const b = await tokenClient(running.url, TOKENS.bob);
    const heard = { a: 0, b: 0 };
    a.client.setNotificationHandler(ResourceUpdatedNotificationSchema, () => void heard.a++);
    b.client.setNotificationHandler(ResourceUpdatedNotificationSchema, () => void heard.b++);
    await a.client.subscribeResource({ uri: 'audit://recent' });
    await b.client.subscribeResource({ uri: 'audit://recent' });
    await a.client.callTool({ name: 'set_dnd', arguments: { enabled: true } });
    await vi.waitFor(() => expect(heard.a).toBe(1));
    await new Promise((r) => setTimeout(r, 100));
    expect(heard.b).toBe(0);

    // A session belongs to the client that opened it: another token cannot use it, as if it did not exist.
    const hijack = await post(running.port, {
      accept: 'application/json, text/event-stream',
      authorization: `Bearer ${TOKENS.bob}`,
      'mcp-session-id': a.sessionId,
      'mcp-protocol-version': '2025-06-18',
    }, JSON.stringify({ jsonrpc: '2.0', id: 7, method: 'tools/list' }));
    expect(hijack.status).toBe(404);
  });
});

describe('resource subscriptions (L3)', () => {
  it('key spellings of one resource to one subscription and one watch', async () => {
    t = await testApp();
    const one = await inMemoryClient(t.app);
    const two = await inMemoryClient(t.app);
    closers.push(one.close, two.close);
    await one.client.subscribeResource({ uri: 'pbx://office/history/alice' });
    await one.client.subscribeResource({ uri: 'pbx://office/history/ali%63e' });
    await two.client.subscribeResource({ uri: 'pbx://%6Fffice/history/%61lice' });
    expect(t.app.watcher.stats()).toEqual({ 'pbx://office/history/alice': 2 });

    // Unsubscribing by another spelling ends that session's subscription.
    await one.client.unsubscribeResource({ uri: 'pbx://office/history/ali%63e' });
    expect(t.app.watcher.stats()).toEqual({ 'pbx://office/history/alice': 1 });
  });

  it(`refuses more than ${MAX_SUBSCRIPTIONS_PER_SESSION} per session and ${MAX_SUBSCRIPTIONS} in all`, async () => {
    t = await testApp();
    // Resources of a server extension, which exist whatever their name: the caps, not existence, are under test.
    const subscribe = (uri: string) => (uri.startsWith('test://') ? () => {} : undefined);
    const uris = Array.from({ length: MAX_SUBSCRIPTIONS_PER_SESSION }, (_, i) => `test://r/${i}`);
    const sessions = await Promise.all(
      Array.from({ length: MAX_SUBSCRIPTIONS / MAX_SUBSCRIPTIONS_PER_SESSION + 1 }, () => inMemoryClient(t!.app, undefined, { subscribe })),
    );
    closers.push(...sessions.map((s) => s.close));
    const [first, ...rest] = sessions;
    for (const uri of uris) await first!.client.subscribeResource({ uri });
    await expect(first!.client.subscribeResource({ uri: 'test://r/one-more' })).rejects.toThrow(/Too many subscriptions: a session may hold 100/);
    // Another spelling of a held resource is no new subscription.
    await first!.client.subscribeResource({ uri: 'test://r/0' });

    const last = rest.pop()!;
    for (const s of rest) for (const uri of uris) await s.client.subscribeResource({ uri });
    await expect(last.client.subscribeResource({ uri: 'pbx://office/calls' })).rejects.toThrow(/Too many subscriptions on this server/);
    // A closed session gives its subscriptions back.
    await first!.close();
    await last.client.subscribeResource({ uri: 'pbx://office/calls' });
  });

  it('refuses a resource that does not exist before counting it: an unknown user, and a URI nothing knows', async () => {
    t = await testApp();
    const c = await inMemoryClient(t.app);
    closers.push(c.close);
    await expect(c.client.subscribeResource({ uri: 'pbx://office/history/u0' })).rejects.toThrow(/no user or extension "u0"/);
    await expect(c.client.subscribeResource({ uri: 'nothing://here' })).rejects.toThrow(/Resource not found/);
    expect(t.app.watcher.stats()).toEqual({});
  });
});

describe('idle sessions (issue 13, finding 6)', () => {
  it('are closed whatever GET streams they hold open', async () => {
    t = await testApp({ safety: { confirm: 'off', dialPolicy: { defaultCountry: 'IT' } } });
    // 0.005 minutes: 300 ms, and the reaper looks as often.
    http = await startHttp(t.app, { host: '127.0.0.1', port: 0, sessionIdleMinutes: 0.005 });
    const sid = await new Promise<string>((resolve, reject) => {
      const req = request({ host: '127.0.0.1', port: http!.port, path: '/mcp', method: 'POST', headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream' } }, (res) => {
        res.resume();
        resolve(String(res.headers['mcp-session-id']));
      });
      req.on('error', reject);
      req.end(INITIALIZE);
    });
    // A GET stream, held open: the SDK client opens one to hear notifications, and may never POST again.
    const streamEnded = new Promise<void>((resolve, reject) => {
      const req = request({ host: '127.0.0.1', port: http!.port, path: '/mcp', method: 'GET', headers: { accept: 'text/event-stream', 'mcp-session-id': sid, 'mcp-protocol-version': '2025-06-18' } }, (res) => {
        expect(res.statusCode).toBe(200);
        res.resume();
        res.on('close', () => resolve());
      });
      req.on('error', reject);
      req.end();
    });
    expect(http.sessions()).toBe(1);
    await streamEnded;
    await vi.waitFor(() => expect(http!.sessions()).toBe(0), { timeout: 5000 });
  });
});

describe('TELEPHONY_MCP_TOKEN (L6)', () => {
  it('is held to the minimum length of http.token, with a message naming the variable and the fix', () => {
    expect(() => bearerToken(undefined, { TELEPHONY_MCP_TOKEN: 'short-token' })).toThrow(
      /TELEPHONY_MCP_TOKEN is too short \(11 characters; at least 16\).*openssl rand/,
    );
    expect(bearerToken(undefined, {})).toBeUndefined();
    expect(bearerToken(undefined, { TELEPHONY_MCP_TOKEN: '' })).toBeUndefined();
    expect(bearerToken('config-token-0123456789', { TELEPHONY_MCP_TOKEN: 'short' })).toBe('config-token-0123456789');
  });

  it('is registered as a secret: masked wherever text leaves the process', () => {
    const token = 'env-token-Hq27-0123456789';
    expect(bearerToken(undefined, { TELEPHONY_MCP_TOKEN: token })).toBe(token);
    expect(redact(`token=${token} in a log line`)).toBe('token=*** in a log line');
  });
});
