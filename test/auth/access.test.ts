/**
 * What an OAuth principal may do, through the real server glue in-process (no HTTP, so no scope challenge in front:
 * the runner's and the glue's own checks are what hold here). Every tool that acts for a user defaults to the
 * principal's own and refuses another without telephony:supervise, before anyone is asked; a tool the scopes do not
 * allow is not listed and a call of it is refused naming the scope; resources and completions follow the same rules.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { scopeChallenge, toolRight } from '../../src/auth/access.js';
import { DEFAULT_SCOPES, oauthPrincipal, type Principal, type Right } from '../../src/principal.js';
import { ALL_TOOLS } from '../../src/tools/index.js';
import { inMemoryClient, testApp, type TestApp } from '../helpers/app.js';

let t: TestApp | undefined;
const closers: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of closers.splice(0)) await c();
  await t?.close();
  t = undefined;
});

const { read: READ, act: ACT, supervise: SUPERVISE } = DEFAULT_SCOPES;

function principal(subject: string, rights: Right[], user?: string | Record<string, string>): Principal {
  return oauthPrincipal({ subject, client: 'test-client', scopes: rights.map((r) => DEFAULT_SCOPES[r]), names: DEFAULT_SCOPES, user });
}

/** Arguments each tool that takes `user` is valid with (apart from the user). */
const ARGS: Record<string, Record<string, unknown>> = {
  place_call: { to: '+39 06 1234 5678' },
  hangup: {},
  transfer: { to: '203' },
  park_call: { call_id: 'c1' },
  set_dnd: { enabled: true },
  pause_queues: { paused: true },
  get_active_call: {},
  manage_contacts: { action: 'list' },
  answer_call: {},
  hold_call: { hold: true },
  conference: { call_id: 'c1' },
  dial_user: { username: 'carol' },
  set_forward: { kind: 'unconditional', enabled: true, to: '203' },
  call_history: {},
};

async function connect(p: Principal) {
  t ??= await testApp({ pbxes: { office: { type: 'sim', scenario: './scenario.json', defaultUser: 'alice', traffic: false }, lab: { type: 'sim', scenario: './scenario.json', defaultUser: 'alice', traffic: false } } });
  const asked: string[] = [];
  const c = await inMemoryClient(
    t.app,
    (message) => {
      asked.push(message);
      return { action: 'accept', content: { confirm: true } };
    },
    undefined,
    p,
  );
  closers.push(c.close);
  return { client: c.client, asked };
}

const textOf = (r: unknown) => (((r as { content?: { text?: string }[] }).content ?? [])[0]?.text ?? '');

describe('an agent bound to its PBX user', () => {
  const takesUser = ALL_TOOLS.filter((tool) => Object.hasOwn(tool.input.shape, 'user'));

  it('covers every tool that takes a user', () => {
    expect(takesUser.map((x) => x.name).sort()).toEqual(Object.keys(ARGS).sort());
  });

  for (const tool of takesUser) {
    it(`${tool.name}: another user is refused naming telephony:supervise, before anyone is asked`, async () => {
      const { client, asked } = await connect(principal('agent-alice', ['read', 'act'], 'alice'));
      const r = await client.callTool({ name: tool.name, arguments: { ...ARGS[tool.name], user: 'bob' } });
      expect(r.isError, textOf(r)).toBe(true);
      expect(textOf(r)).toContain(`needs the scope ${SUPERVISE}`);
      expect(textOf(r)).toContain('agent-alice acts for its own user alice');
      expect(asked).toEqual([]);
    });
  }

  it('defaults `user` to its own, and matches it by extension too', async () => {
    const { client } = await connect(principal('agent-bob', ['read', 'act'], 'bob'));
    const r = await client.callTool({ name: 'get_active_call', arguments: {} });
    expect((r.structuredContent as { user?: string }).user).toBe('bob');
    const byExtension = await client.callTool({ name: 'set_dnd', arguments: { enabled: true, user: '202' } });
    expect(byExtension.isError, textOf(byExtension)).not.toBe(true);
    expect(t!.sim().engine.user('bob')?.dnd).toBe(true);
  });

  it('parks only its own calls', async () => {
    const { client } = await connect(principal('agent-alice', ['read', 'act'], 'alice'));
    const sim = t!.sim();
    const bobs = await sim.placeCall({ user: 'bob', to: '203' as never });
    const r = await client.callTool({ name: 'park_call', arguments: { call_id: bobs.callId ?? bobs.call!.id } });
    expect(r.isError).toBe(true);
    expect(textOf(r)).toMatch(/no active call with id .* for alice/);
  });

  it('is bound per PBX by a {pbx: user} claim: on a PBX its claim does not name, it acts for nobody', async () => {
    const { client, asked } = await connect(principal('agent-alice', ['read', 'act'], { office: 'alice' }));
    expect((await client.callTool({ name: 'get_active_call', arguments: { pbx: 'office' } })).isError).not.toBe(true);
    const r = await client.callTool({ name: 'set_dnd', arguments: { pbx: 'lab', enabled: true } });
    expect(textOf(r)).toContain('is not bound to a user of this PBX');
    expect(textOf(r)).toContain(SUPERVISE);
    expect(asked).toEqual([]);
  });

  it('reads its own history, not another user\'s, nor every call of the PBX; lists only what it may read', async () => {
    const { client } = await connect(principal('agent-alice', ['read', 'act'], 'alice'));
    expect((await client.readResource({ uri: 'pbx://office/history/alice' })).contents).toHaveLength(1);
    await expect(client.readResource({ uri: 'pbx://office/history/bob' })).rejects.toThrow(/insufficient_scope.*telephony:supervise/);
    await expect(client.readResource({ uri: 'pbx://office/calls' })).rejects.toThrow(/insufficient_scope.*telephony:supervise/);
    await expect(client.subscribeResource({ uri: 'pbx://office/calls' })).rejects.toThrow(/insufficient_scope/);
    const uris = (await client.listResources()).resources.map((r) => r.uri);
    expect(uris).toContain('pbx://office/extensions');
    expect(uris).toContain('pbx://office/history/alice');
    expect(uris).not.toContain('pbx://office/history/bob');
    expect(uris).not.toContain('pbx://office/calls');
  });
});

describe('scopes', () => {
  it('a read-only principal is shown only the tools that read (readOnlyHint), and refused another naming its scope', async () => {
    const { client, asked } = await connect(principal('report-bot', ['read', 'supervise']));
    const listed = (await client.listTools()).tools;
    expect(listed.length).toBeGreaterThan(0);
    expect(listed.every((x) => x.annotations?.readOnlyHint === true)).toBe(true);
    expect(listed.map((x) => x.name).sort()).toEqual(t!.app.tools.filter((x) => toolRight(x) === 'read').map((x) => x.name).sort());
    const r = await client.callTool({ name: 'place_call', arguments: { to: '+39 06 1234 5678', user: 'bob' } });
    expect(r.isError).toBe(true);
    expect(textOf(r)).toMatch(/^place_call needs the OAuth scope telephony:act, which the access token of report-bot does not carry; nothing was done/);
    expect(textOf(r)).not.toMatch(/not found/);
    expect(asked).toEqual([]);
    // supervise without act reads about every user, and acts for none.
    expect((await client.callTool({ name: 'get_active_call', arguments: { user: 'bob' } })).isError).not.toBe(true);
    const audit = t!.app.audit.recent().filter((e) => e.principal === 'oauth:report-bot');
    expect(audit.map((e) => [e.tool, e.outcome])).toEqual([['place_call', 'refused']]);
  });

  it('without the read scope nothing that reads is shown: no read tool, resource, template or completion', async () => {
    const { client } = await connect(principal('dialer', ['act'], 'alice'));
    const listed = (await client.listTools()).tools;
    expect(listed.every((x) => x.annotations?.readOnlyHint === false)).toBe(true);
    expect((await client.listResources()).resources).toEqual([]);
    expect((await client.listResourceTemplates()).resourceTemplates).toEqual([]);
    const done = await client.complete({ ref: { type: 'ref/resource', uri: 'pbx://{pbx}/history/{user}' }, argument: { name: 'user', value: '' } });
    expect(done.completion.values).toEqual([]);
    const r = await client.callTool({ name: 'get_active_call', arguments: {} });
    expect(textOf(r)).toContain(`needs the OAuth scope ${READ}`);
  });

  it('a supervisor acts for another agent, is asked by name, and defaults to its own user', async () => {
    const { client, asked } = await connect(principal('supervisor-carol', ['read', 'act', 'supervise'], 'carol'));
    const r = await client.callTool({ name: 'place_call', arguments: { to: '+39 06 1234 5678', user: 'bob' } });
    expect((r.structuredContent as { status?: string }).status).toBe('done');
    expect(asked).toHaveLength(1);
    expect(asked[0]).toMatch(/from bob.*\(PBX office; asked by supervisor-carol through in-memory\)/);
    expect((await client.callTool({ name: 'get_active_call', arguments: {} })).structuredContent).toMatchObject({ user: 'carol' });
  });

  it('a confirm_token request names the caller too (the model relays it to the person)', async () => {
    t = await testApp({ safety: { confirm: 'token', dialPolicy: { defaultCountry: 'IT' } } });
    const { client } = await connect(principal('agent-alice', ['read', 'act'], 'alice'));
    const r = (await client.callTool({ name: 'place_call', arguments: { to: '+39 06 1234 5678' } })).structuredContent as Record<string, string>;
    expect(r.status).toBe('confirmation_required');
    expect(r.message).toMatch(/from alice\? \(asked by agent-alice through in-memory\)/);
  });

  it('the HTTP challenge asks for every scope the request needs at once, and none for what it may do', async () => {
    t = await testApp();
    const agent = principal('agent-alice', ['read'], 'alice');
    const call = (name: string, args: Record<string, unknown>) => scopeChallenge(t!.app, agent, 'tools/call', { name, arguments: args });
    expect(call('place_call', { to: '1', user: 'bob' })?.scopes).toEqual([ACT, SUPERVISE]);
    expect(call('place_call', { to: '1' })?.scopes).toEqual([ACT]);
    expect(call('place_call', { to: '1' })?.missing).toEqual([ACT]);
    expect(call('get_active_call', {})).toBeUndefined();
    expect(call('get_active_call', { user: '201' })).toBeUndefined();
    expect(call('get_active_call', { user: 'nobody' })).toBeUndefined(); // the tool says there is no such user
    expect(call('no_such_tool', {})).toBeUndefined();
    expect(scopeChallenge(t.app, agent, 'resources/read', { uri: 'pbx://office/calls' })?.scopes).toEqual([READ, SUPERVISE]);
    expect(scopeChallenge(t.app, agent, 'tools/list', {})).toBeUndefined();
    // A principal without a grant (a static token, stdio) is never challenged.
    expect(scopeChallenge(t.app, { id: 'token:ops', kind: 'token', name: 'ops' }, 'tools/call', { name: 'place_call', arguments: { user: 'bob' } })).toBeUndefined();
  });
});
