/**
 * Hand-made access tokens against the BUILT server over HTTP: every forged or mistaken token gets the same 401,
 * whose challenge and body say nothing about why (the reason is in the server log, the token never is, nor in the
 * audit trail); every request of the 2026-07-28 era is authenticated on its own; a 2025-11-25 session belongs to the
 * principal that opened it; an oversized header is refused unread.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Client as ModernClient, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import { MAX_TOKEN_CHARS } from '../../src/auth/verify.js';
import { connectModernHttp, freePort, simConfig, startHttpServer, type HttpServerProcess, type TempConfig } from '../helpers/mcp.js';
import { claimsOf, hmacWithPublicKey, startTestIssuer, tamperPayload, tamperSignature, type TestIssuer, unsignedToken } from '../helpers/issuer.js';

let idp: TestIssuer;
let server: HttpServerProcess;
let config: TempConfig;
let url: string;

const INIT = {
  jsonrpc: '2.0',
  id: 1,
  method: 'initialize',
  params: { protocolVersion: '2025-11-25', capabilities: {}, clientInfo: { name: 'raw', version: '1' } },
};

function post(token: string | undefined, body: unknown = INIT, headers: Record<string, string> = {}) {
  return fetch(url, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      accept: 'application/json, text/event-stream',
      ...(token === undefined ? {} : { authorization: `Bearer ${token}` }),
      ...headers,
    },
    body: JSON.stringify(body),
  });
}

beforeAll(async () => {
  const port = await freePort();
  const audience = `http://127.0.0.1:${port}/mcp`;
  idp = await startTestIssuer({ audience });
  config = simConfig({ http: { oauth: { issuer: idp.issuer, audience } }, log: { level: 'debug' } });
  server = await startHttpServer({ config, args: ['--port', String(port)] });
  url = server.url;
}, 30_000);

afterAll(async () => {
  await server?.stop();
  await idp?.close();
});

describe('refused tokens', () => {
  const now = () => Math.floor(Date.now() / 1000);
  const cases: [string, () => Promise<string>][] = [
    ['expired', () => idp.sign({ exp: now() - 300 })],
    ['not yet valid', () => idp.sign({ nbf: now() + 300 })],
    ['wrong audience', () => idp.sign({ aud: 'https://other.example.com/mcp' })],
    ['wrong issuer', () => idp.sign({ iss: 'https://evil.example.com' })],
    ['unknown key', () => idp.sign({}, { unpublished: true })],
    ['alg none', async () => unsignedToken(claimsOf(await idp.sign({})))],
    ['HS256 with the public key', async () => hmacWithPublicKey(claimsOf(await idp.sign({})), idp.publicJwk())],
    ['tampered payload', async () => tamperPayload(await idp.sign({}), { ...claimsOf(await idp.sign({})), scope: 'telephony:read telephony:act telephony:supervise' })],
    ['tampered signature', async () => tamperSignature(await idp.sign({}))],
    // Over our bound, under Node's header limit (16 KiB): refused by us, unread.
    ['oversized', () => idp.sign({ padding: 'x'.repeat(Math.ceil((MAX_TOKEN_CHARS * 3) / 4)) })],
    ['not a JWT', () => Promise.resolve('0123456789abcdef0123456789abcdef')],
  ];

  it('each gets the same 401: an invalid_token challenge with the metadata, and a body with no reason in it', async () => {
    const answers = new Set<string>();
    const tokens: string[] = [];
    for (const [, make] of cases) {
      const token = await make();
      expect(token.length).toBeLessThan(15_000);
      tokens.push(token);
      const res = await post(token);
      expect(res.status).toBe(401);
      const challenge = res.headers.get('www-authenticate')!;
      expect(challenge).toMatch(/^Bearer realm="telephony-mcp", error="invalid_token", error_description="The access token is not valid for this server", resource_metadata="http:\/\/127\.0\.0\.1:\d+\/\.well-known\/oauth-protected-resource\/mcp", scope="telephony:read telephony:act"$/);
      answers.add(`${challenge}\n${await res.text()}`);
    }
    expect(answers.size).toBe(1);
    // The reason is for the operator: in the log, as a code; no token, no claim of one, anywhere.
    const log = server.stderr();
    expect(log).toContain('refused a request with a refused access token');
    const audit = (() => {
      try {
        return readFileSync(join(config.dir, 'audit.jsonl'), 'utf8');
      } catch {
        return '';
      }
    })();
    for (const t of tokens) {
      for (const part of t.split('.').filter((p) => p.length > 10)) {
        expect(log).not.toContain(part);
        expect(audit).not.toContain(part);
      }
    }
  });

  it('a header too large for the server is refused before any token is read', async () => {
    const res = await post('x'.repeat(20_000));
    expect([401, 431]).toContain(res.status);
  });
});

describe('good tokens', () => {
  it('each 2026-07-28 request is authenticated on its own: a token that expires between requests is refused then', async () => {
    const good = await idp.sign({ sub: 'agent-alice' });
    const client = await connectModernHttp(url, 'pinned', { token: good });
    expect((await client.listTools()).tools.length).toBeGreaterThan(5);
    await client.close();
    const res = await post(await idp.sign({ sub: 'agent-alice', exp: now() - 300 }), { jsonrpc: '2.0', id: 2, method: 'tools/list', params: {} }, {
      'mcp-protocol-version': '2026-07-28',
    });
    expect(res.status).toBe(401);
  });

  it("a 2025-11-25 session belongs to the principal that opened it: another principal's token on it finds no session", async () => {
    const alice = await idp.sign({ sub: 'agent-alice' });
    const bob = await idp.sign({ sub: 'agent-bob', pbx_user: 'bob' });
    const opened = await post(alice);
    expect(opened.status).toBe(200);
    const session = opened.headers.get('mcp-session-id')!;
    await opened.text();
    const list = { jsonrpc: '2.0', id: 2, method: 'tools/list', params: {} };
    const headers = { 'mcp-session-id': session, 'mcp-protocol-version': '2025-11-25' };
    const stranger = await post(bob, list, headers);
    expect(stranger.status).toBe(404);
    await stranger.text();
    // The same subject with a fresh token (say, after a refresh) keeps its session.
    const again = await post(await idp.sign({ sub: 'agent-alice', iat: now() + 1 }), list, headers);
    expect(again.status).toBe(200);
    await again.text();
  });

  it('a tool list, which depends on the scopes, is marked private: no shared cache may hand it to another caller', async () => {
    const bodies: string[] = [];
    const recording = async (input: string | URL, init?: RequestInit) => {
      const res = await fetch(input, init);
      if (String(init?.body ?? '').includes('"tools/list"')) bodies.push(await res.clone().text());
      return res;
    };
    const transport = new StreamableHTTPClientTransport(new URL(url), {
      fetch: recording,
      requestInit: { headers: { Authorization: `Bearer ${await idp.sign({ sub: 'agent-alice', scope: 'telephony:read' })}` } },
    });
    const client = new ModernClient({ name: 'cache-check', version: '1' }, { versionNegotiation: { mode: { pin: '2026-07-28' } } });
    await client.connect(transport);
    const listed = (await client.listTools()).tools;
    expect(listed.every((x) => x.annotations?.readOnlyHint)).toBe(true);
    expect(bodies.join('')).toContain('"cacheScope":"private"');
    expect(bodies.join('')).not.toContain('"cacheScope":"public"');
    await client.close();
  });

  it('a listen stream honours only the resources its token may read, whatever an earlier token of the subject could', async () => {
    const sup = await connectModernHttp(url, 'pinned', { token: await idp.sign({ sub: 'agent-dana', pbx_user: 'alice', scope: 'telephony:read telephony:supervise' }) });
    const wide = await sup.listen({ resourceSubscriptions: ['pbx://office/calls', 'pbx://office/extensions'] });
    expect(wide.honoredFilter).toEqual({ resourceSubscriptions: ['pbx://office/calls', 'pbx://office/extensions'] });
    const agent = await connectModernHttp(url, 'pinned', { token: await idp.sign({ sub: 'agent-dana', pbx_user: 'alice', scope: 'telephony:read' }) });
    const narrow = await agent.listen({ resourceSubscriptions: ['pbx://office/calls', 'pbx://office/extensions', 'pbx://office/history/bob'] });
    expect(narrow.honoredFilter).toEqual({ resourceSubscriptions: ['pbx://office/extensions'] });
    await Promise.all([wide.close(), narrow.close()]);
    await Promise.all([sup.close(), agent.close()]);
  });

  it('a scope the token lacks is a 403 insufficient_scope naming every scope the request needs, with the metadata', async () => {
    const reader = await idp.sign({ sub: 'report-bot', scope: 'telephony:read', pbx_user: undefined });
    const res = await post(reader, { jsonrpc: '2.0', id: 3, method: 'tools/call', params: { name: 'hangup', arguments: {} } }, { 'mcp-protocol-version': '2026-07-28' });
    expect(res.status).toBe(403);
    const challenge = res.headers.get('www-authenticate')!;
    expect(challenge).toContain('error="insufficient_scope"');
    expect(challenge).toContain('scope="telephony:act telephony:supervise"');
    expect(challenge).toMatch(/resource_metadata="http:\/\/127\.0\.0\.1:\d+\/\.well-known\/oauth-protected-resource\/mcp"/);
    expect(await res.text()).toContain('hangup needs the scope telephony:act and telephony:supervise');
  });
});

const now = () => Math.floor(Date.now() / 1000);
