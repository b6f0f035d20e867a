/**
 * OAuth 2.1 with real parts: a certified OpenID provider (oidc-provider) on loopback issues JWT access tokens for
 * the BUILT server (dist/cli.js); the v2 SDK's client finds it through the server's 401 challenge and Protected
 * Resource Metadata, signs in with the authorization-code flow and PKCE (the person at the browser is scripted),
 * and calls tools as the principal the token names. An agent acts for its own PBX user only, a reporting bot only
 * reads, a supervisor steps up to telephony:supervise and acts for another agent; every refusal names the scope it
 * needs, before anyone is asked to confirm anything. A v1 (2025-11-25) client uses a token from the same flow.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Client as ModernClient, InsufficientScopeError, StreamableHTTPClientTransport, UnauthorizedError } from '@modelcontextprotocol/client';
import { call, connectHttp, eventually, freePort, simConfig, startHttpServer, type HttpServerProcess, type TempConfig } from '../helpers/mcp.js';
import { claimsOf } from '../helpers/issuer.js';
import { type Idp, SCOPES, ScriptedOAuthClient, startIdp } from '../helpers/oidc.js';

const [READ, ACT, SUPERVISE] = SCOPES as [string, string, string];
const STATIC_TOKEN = 'static-ops-token-0123456789abcdef';

let idp: Idp;
let server: HttpServerProcess;
let config: TempConfig;
let url: string;
/** Confirmation questions the people were asked, in order. */
const asked: string[] = [];

function modernClient(): ModernClient {
  const client = new ModernClient(
    { name: 'e2e-assistant', version: '1.0.0' },
    { versionNegotiation: { mode: { pin: '2026-07-28' } }, capabilities: { elicitation: { form: {} } } },
  );
  client.setRequestHandler('elicitation/create', async (req) => {
    asked.push((req.params as { message: string }).message);
    return { action: 'accept', content: { confirm: true } } as never;
  });
  return client;
}

/**
 * Signs `as` in the way a host does: the first request is refused with 401, the client follows the challenge to the
 * metadata and the provider, the (scripted) browser comes back with a code, the client redeems it (PKCE) and connects.
 */
async function signIn(as: string, opts: { onInsufficientScope?: 'reauthorize' | 'throw' } = {}) {
  const oauth = new ScriptedOAuthClient(idp, as);
  const first = new StreamableHTTPClientTransport(new URL(url), { authProvider: oauth });
  const refused = await modernClient().connect(first).then(() => undefined, (e: unknown) => e);
  if (!(refused instanceof UnauthorizedError)) throw refused;
  await first.finishAuth(oauth.callback!);
  const transport = new StreamableHTTPClientTransport(new URL(url), { authProvider: oauth, onInsufficientScope: opts.onInsufficientScope ?? 'throw' });
  const client = modernClient();
  await client.connect(transport);
  return { client, oauth, transport };
}

function auditLines(): Record<string, unknown>[] {
  let text = '';
  try {
    text = readFileSync(join(config.dir, 'audit.jsonl'), 'utf8');
  } catch {
    return []; // nothing audited yet
  }
  return text
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as Record<string, unknown>);
}

/** The first audit line that `match`es, once the server has written it. */
const auditLine = (match: (l: Record<string, unknown>) => boolean) => eventually(async () => auditLines().find(match), 5000, 'the audit line');

/** The telephony scopes of a requested scope string, in the order of SCOPES. */
const scopesOf = (scope: string) => SCOPES.filter((s) => scope.split(' ').includes(s));

async function scopeRefusal(p: Promise<unknown>): Promise<InsufficientScopeError> {
  const e = await p.then(
    () => undefined,
    (err: unknown) => err,
  );
  expect(e).toBeInstanceOf(InsufficientScopeError);
  return e as InsufficientScopeError;
}

beforeAll(async () => {
  const port = await freePort();
  const audience = `http://127.0.0.1:${port}/mcp`;
  idp = await startIdp({
    audience,
    people: {
      'agent-alice': { pbxUser: 'alice', allowed: [READ, ACT] },
      'report-bot': { allowed: [READ] },
      'supervisor-carol': { pbxUser: 'carol', allowed: [READ, ACT, SUPERVISE] },
    },
  });
  config = simConfig({ http: { tokens: { ops: STATIC_TOKEN }, oauth: { issuer: idp.issuer, audience } } });
  server = await startHttpServer({ config, args: ['--port', String(port)] });
  url = server.url;
  expect(url).toBe(audience);
}, 30_000);

afterAll(async () => {
  await server?.stop();
  await idp?.close();
});

describe('discovery', () => {
  it('answers a request without a token with 401 and a challenge naming the resource metadata and the scopes', async () => {
    const res = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream' },
      body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/list', params: {} }),
    });
    expect(res.status).toBe(401);
    const challenge = res.headers.get('www-authenticate')!;
    const metadataUrl = `${new URL(url).origin}/.well-known/oauth-protected-resource/mcp`;
    expect(challenge).toContain(`resource_metadata="${metadataUrl}"`);
    expect(challenge).toContain(`scope="${READ} ${ACT}"`);
    expect(challenge).not.toContain('error=');
    for (const at of [metadataUrl, `${new URL(url).origin}/.well-known/oauth-protected-resource`]) {
      const doc = (await (await fetch(at)).json()) as Record<string, unknown>;
      expect(doc).toMatchObject({ resource: url, authorization_servers: [idp.issuer], scopes_supported: SCOPES, bearer_methods_supported: ['header'] });
    }
  });
});

describe('an agent', () => {
  it('signs in with the authorization-code flow and PKCE, and acts for its own PBX user by default', async () => {
    const { client, oauth } = await signIn('agent-alice');
    // What the challenge named (the client adds offline_access for a refresh token, as the spec lets it).
    expect(oauth.requested.map(scopesOf)).toEqual([[READ, ACT]]);
    const tools = (await client.listTools()).tools.map((t) => t.name);
    expect(tools).toContain('place_call');
    const r = await client.callTool({ name: 'place_call', arguments: { to: '+39 06 1234 5678' } });
    expect(r.isError).not.toBe(true);
    expect((r.structuredContent as { status: string }).status).toBe('done');
    // The person confirming sees who asks, and through which client.
    expect(asked.at(-1)).toMatch(/from alice.*asked by agent-alice through e2e-assistant/s);
    // The question was asked in a first round (MRTR), then the accepted retry ran: the line of the action.
    const line = await auditLine((l) => l.principal === 'oauth:agent-alice' && l.tool === 'place_call' && l.outcome === 'done');
    expect(line).toMatchObject({ client: 'e2e-assistant', user: 'alice' });
    await client.close();
  });

  it("is refused another user's phone with insufficient_scope naming telephony:supervise, before anyone is asked", async () => {
    const { client } = await signIn('agent-alice');
    const before = asked.length;
    const lines = auditLines().length;
    const e = await scopeRefusal(client.callTool({ name: 'place_call', arguments: { to: '+39 06 1234 5678', user: 'bob' } }));
    expect(e.requiredScope?.split(' ').sort()).toEqual([ACT, SUPERVISE].sort());
    expect(e.errorDescription).toContain(SUPERVISE);
    // The same user by its extension is the agent's own: no challenge.
    const own = await client.callTool({ name: 'get_active_call', arguments: { user: '201' } });
    expect(own.isError).not.toBe(true);
    await scopeRefusal(client.readResource({ uri: 'pbx://office/history/bob' }));
    await scopeRefusal(client.readResource({ uri: 'pbx://office/calls' }));
    expect(asked.length).toBe(before);
    expect(auditLines().length).toBe(lines);
    await client.close();
  });

  it('holds a token a 2025-11-25 (v1 SDK) client can use too, in a session bound to that principal', async () => {
    const { client, oauth } = await signIn('agent-alice');
    await client.close();
    const legacy = await connectHttp(url, { token: oauth.accessToken() });
    const names = (await legacy.listTools()).tools.map((t) => t.name);
    expect(names).toContain('place_call');
    const r = await call(legacy, 'get_active_call', {});
    expect(r.user).toBe('alice');
    await legacy.close();
  });
});

describe('a reporting bot', () => {
  it('is granted only telephony:read, sees only the tools that read, and is refused an action naming telephony:act', async () => {
    const { client, oauth } = await signIn('report-bot');
    // It asked for read and act, as the challenge said; the provider granted read.
    expect(oauth.requested.map(scopesOf)).toEqual([[READ, ACT]]);
    expect(claimsOf(oauth.accessToken()).scope).toBe(READ);
    const tools = (await client.listTools()).tools;
    expect(tools.length).toBeGreaterThan(3);
    expect(tools.every((t) => t.annotations?.readOnlyHint === true)).toBe(true);
    expect(tools.map((t) => t.name)).not.toContain('place_call');
    const before = asked.length;
    const lines = auditLines().length;
    // An action needs act; this one dials from a user's phone, and the bot is no PBX user: supervise too.
    const e = await scopeRefusal(client.callTool({ name: 'place_call', arguments: { to: '+39 06 1234 5678' } }));
    expect(scopesOf(e.requiredScope!)).toEqual([ACT, SUPERVISE]);
    expect(e.errorDescription).toMatch(/^place_call needs the scope telephony:act/);
    // Reading one user's calls is about that user: a bot bound to no PBX user needs supervise for it.
    const calls = await scopeRefusal(client.callTool({ name: 'get_active_call', arguments: { user: 'bob' } }));
    expect(scopesOf(calls.requiredScope!)).toEqual([READ, SUPERVISE]);
    expect(asked.length).toBe(before);
    expect(auditLines().length).toBe(lines);
    // It reads what is not about one user: the extensions and the queues.
    const ext = await client.readResource({ uri: 'pbx://office/extensions' });
    expect(ext.contents.length).toBe(1);
    await client.close();
  });
});

describe('a supervisor', () => {
  it('steps up to telephony:supervise when it acts for another agent, and then may', async () => {
    const { client, oauth, transport } = await signIn('supervisor-carol', { onInsufficientScope: 'reauthorize' });
    expect(oauth.requested.map(scopesOf)).toEqual([[READ, ACT]]);
    // The challenge sends the client back to the provider for the scope; the person consents, the code comes back.
    await expect(client.callTool({ name: 'pause_queues', arguments: { user: 'bob', paused: true } })).rejects.toBeInstanceOf(UnauthorizedError);
    expect(scopesOf(oauth.requested.at(-1)!)).toEqual([READ, ACT, SUPERVISE]);
    await transport.finishAuth(oauth.callback!);
    const r = await client.callTool({ name: 'pause_queues', arguments: { user: 'bob', paused: true } });
    expect(r.isError).not.toBe(true);
    expect((r.structuredContent as { user?: string }).user).toBe('bob');
    const line = await auditLine((l) => l.principal === 'oauth:supervisor-carol' && l.tool === 'pause_queues' && l.outcome === 'done');
    expect(line).toMatchObject({ user: 'bob' });
    await client.close();
  });
});

describe('static tokens beside OAuth', () => {
  it('still work, unrestricted', async () => {
    const legacy = await connectHttp(url, { token: STATIC_TOKEN });
    const names = (await legacy.listTools()).tools.map((t) => t.name);
    expect(names).toContain('place_call');
    expect((await call(legacy, 'get_active_call', { user: 'bob' })).user).toBe('bob');
    await legacy.close();
  });
});
