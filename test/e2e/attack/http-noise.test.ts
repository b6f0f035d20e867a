/**
 * Findings 5 and 6 of issue 13, against the built server over HTTP with raw requests: noise from unauthenticated
 * requests stays out of other sessions and out of a flooded log; one client (one address, or one token) cannot
 * take every session or subscription; subscriptions to resources that do not exist are refused; an
 * unauthenticated /healthz says nothing about sessions.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { LoggingMessageNotificationSchema } from '@modelcontextprotocol/sdk/types.js';
import { simConfig, startHttpServer, type HttpServerProcess } from '../../helpers/mcp.js';
import { INIT_PARAMS, rawHttp, rpcMessages } from '../../helpers/raw.js';

let server: HttpServerProcess | undefined;
const clients: Client[] = [];
afterEach(async () => {
  for (const c of clients.splice(0)) await c.close().catch(() => {});
  await server?.stop();
  server = undefined;
});

async function sdkClient(url: string, token?: string): Promise<Client> {
  const c = new Client({ name: 'legit', version: '1' });
  await c.connect(new StreamableHTTPClientTransport(new URL(url), token ? { requestInit: { headers: { authorization: `Bearer ${token}` } } } : {}));
  clients.push(c);
  return c;
}

const INIT = JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'initialize', params: INIT_PARAMS });

/** A bare initialize from `from` (a loopback source address): the session id, or the refusal. */
async function initFrom(port: number, from: string, headers: Record<string, string> = {}): Promise<{ status: number; session?: string; body: string }> {
  const r = await rawHttp(port, { body: INIT, headers, localAddress: from });
  return { status: r.status, body: r.body, ...(r.headers['mcp-session-id'] ? { session: String(r.headers['mcp-session-id']) } : {}) };
}

describe('finding 5: refusals before authentication', () => {
  it('200 requests with a 15 KB foreign Host: no log notification to a session, and a log line or two, not 3 MB', async () => {
    server = await startHttpServer({ config: simConfig() });
    const legit = await sdkClient(server.url);
    const notes: unknown[] = [];
    legit.setNotificationHandler(LoggingMessageNotificationSchema, (n) => void notes.push(n.params));
    await legit.setLoggingLevel('debug');
    const before = server.stderr().length;
    const host = `evil-${'x'.repeat(15_000)}.example`;
    for (let i = 0; i < 200; i++) expect((await rawHttp(server.port, { body: INIT, headers: { host } })).status).toBe(403);
    await legit.listTools();
    await new Promise((r) => setTimeout(r, 200));
    expect(notes).toEqual([]);
    const grown = server.stderr().length - before;
    expect(grown, server.stderr().slice(before, before + 2000)).toBeLessThan(2_000);
    expect(server.stderr().slice(before)).toMatch(/refused a request with a foreign Host header/);
  });
});

describe('finding 6: one client cannot take what all share', () => {
  it('bare initializes from one address stop at its share; another address still gets a session', async () => {
    server = await startHttpServer({ config: simConfig({ http: { maxSessions: 40 } }) });
    const taken: string[] = [];
    let refusal: { status: number; body: string } | undefined;
    for (let i = 0; i < 40 && !refusal; i++) {
      const r = await initFrom(server.port, '127.0.0.2');
      if (r.session) taken.push(r.session);
      else refusal = r;
    }
    expect(refusal?.status).toBe(503);
    expect(refusal?.body).toMatch(/Too many sessions for this client \(its share is \d+ of 40\)/);
    expect(taken.length).toBeLessThan(40);
    expect((await initFrom(server.port, '127.0.0.3')).status).toBe(200);
  });

  it('subscriptions from one address stop at its share; another address can still subscribe', async () => {
    server = await startHttpServer({ config: simConfig() });
    const uris = ['calls', 'extensions', 'queues', 'queues/support', 'parking', 'favorites', 'capabilities', 'history/alice', 'history/bob', 'history/carol'].map(
      (p) => `pbx://office/${p}`,
    );
    const subscribe = async (session: string, from: string, uri: string, id: number) =>
      rpcMessages(
        await rawHttp(server!.port, {
          localAddress: from,
          headers: { 'mcp-session-id': session, 'mcp-protocol-version': '2025-06-18' },
          body: JSON.stringify({ jsonrpc: '2.0', id, method: 'resources/subscribe', params: { uri } }),
        }),
      )[0]!;
    let refused: string | undefined;
    let held = 0;
    for (let s = 0; s < 40 && !refused; s++) {
      const { session } = await initFrom(server.port, '127.0.0.2');
      for (const uri of uris) {
        const r = await subscribe(session!, '127.0.0.2', uri, 2);
        if (r.error) {
          refused = r.error.message;
          break;
        }
        held++;
      }
    }
    expect(refused).toMatch(/Too many subscriptions for this client \(its share is \d+ of 1000\b/);
    expect(held).toBeLessThan(1000);
    const other = await initFrom(server.port, '127.0.0.3');
    expect((await subscribe(other.session!, '127.0.0.3', 'pbx://office/calls', 3)).error).toBeUndefined();
  });

  it('refuses subscriptions to resources that do not exist: an unknown user, queue or PBX', async () => {
    server = await startHttpServer({ config: simConfig() });
    const c = await sdkClient(server.url);
    await expect(c.subscribeResource({ uri: 'pbx://office/history/nobody' })).rejects.toThrow(/no user or extension "nobody"/);
    await expect(c.subscribeResource({ uri: 'pbx://office/queues/nosuchqueue' })).rejects.toThrow(/nosuchqueue/);
    await expect(c.subscribeResource({ uri: 'pbx://elsewhere/calls' })).rejects.toThrow(/no PBX named "elsewhere"/);
    await c.subscribeResource({ uri: 'pbx://office/history/bob' });
  });

  it('/healthz tells an unauthenticated caller only that it is up; with the token it also counts sessions', async () => {
    const token = 'healthz-token-0123456789';
    server = await startHttpServer({ config: simConfig({ http: { token } }) });
    await sdkClient(server.url, token);
    const open = await rawHttp(server.port, { method: 'GET', path: '/healthz' });
    expect(open.status).toBe(200);
    expect(JSON.parse(open.body)).toEqual({ status: 'ok' });
    const authed = await rawHttp(server.port, { method: 'GET', path: '/healthz', headers: { authorization: `Bearer ${token}` } });
    expect(JSON.parse(authed.body)).toEqual({ status: 'ok', sessions: 1 });
  });
});
