/**
 * Confirmation for 2026-07-28 clients, through the v2 SDK's real Client over the real HTTP transport: an MRTR
 * round (input_required with one elicitation and a signed requestState) when the client declared elicitation,
 * a confirm_token otherwise, and every way a requestState can be misused.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { Client } from '@modelcontextprotocol/client';
import type { ElicitResult } from '@modelcontextprotocol/sdk/types.js';
import { TOKEN_TTL_MS } from '../../src/safety/confirm.js';
import { modernClient, testApp, type TestApp } from '../helpers/app.js';

let t: TestApp;
const closers: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of closers.splice(0)) await c();
  await t.close();
});

const TOKENS = { alice: 'alice-laptop-token-0123', bob: 'bob-laptop-token-012345' };

async function setup(opts: { elicit?: (m: string, schema: unknown) => ElicitResult; token?: string; now?: () => number; config?: Record<string, unknown> } = {}) {
  t = await testApp(opts.config ?? {}, opts.now ? { now: opts.now } : {});
  const c = await modernClient(t.app, { tokens: TOKENS, token: opts.token ?? TOKENS.alice, elicit: opts.elicit });
  closers.push(c.close);
  return c;
}

/** Another client of the same server (same app), with its own token. */
async function another(url: string, token: string, elicit?: (m: string) => ElicitResult) {
  const { Client: ModernClient, StreamableHTTPClientTransport } = await import('@modelcontextprotocol/client');
  const client = new ModernClient({ name: 'other', version: '1' }, { versionNegotiation: { mode: { pin: '2026-07-28' } }, capabilities: elicit ? { elicitation: { form: {} } } : {} });
  if (elicit) client.setRequestHandler('elicitation/create', async (req) => elicit((req.params as { message: string }).message) as never);
  await client.connect(new StreamableHTTPClientTransport(new URL(url), { requestInit: { headers: { Authorization: `Bearer ${token}` } } }));
  closers.push(() => client.close());
  return client;
}

async function tool(client: Client, name: string, args: Record<string, unknown>) {
  const r = await client.callTool({ name, arguments: args });
  return { isError: r.isError === true, structured: r.structuredContent as Record<string, unknown> | undefined, text: (r.content as { text: string }[])[0]!.text };
}

interface Round {
  resultType: 'input_required';
  inputRequests: Record<string, { method: string; params: { message: string; requestedSchema: unknown } }>;
  requestState: string;
}

/** The first round of a call, by hand: the client hands back the input_required result instead of answering it. */
async function firstRound(client: Client, name: string, args: Record<string, unknown>): Promise<Round> {
  return (await client.callTool({ name, arguments: args }, { allowInputRequired: true })) as unknown as Round;
}

/** A retry, by hand: the same call with the person's answer and the requestState it was given. */
function retry(client: Client, name: string, args: Record<string, unknown>, requestState: string, inputResponses?: Record<string, unknown>) {
  return client.request(
    { method: 'tools/call', params: { name, arguments: args, requestState, ...(inputResponses ? { inputResponses } : {}) } as never },
    { allowInputRequired: true },
  ) as Promise<Record<string, unknown>>;
}

const ACCEPT = { confirm: { action: 'accept', content: { confirm: true } } };

/** Alice (201) in a connected call with Giuseppe Test for three minutes. */
function connectedCall(): string {
  const c = t.sim().engine.inboundCall('+390612345678', '201');
  t.clock.advance(1000 + 180_000);
  return c.id;
}

describe('a 2026-07-28 client that declared elicitation', () => {
  it('is asked in an MRTR round, with the real parties and one boolean, and the action runs on accept', async () => {
    const asked: { message: string; schema: unknown }[] = [];
    const { client } = await setup({ elicit: (message, schema) => (asked.push({ message, schema }), { action: 'accept', content: { confirm: true } }) });
    const id = connectedCall();
    const r = await tool(client, 'hangup', {});
    expect(r.structured).toMatchObject({ status: 'done', call_id: id });
    expect(asked.map((a) => a.message)).toEqual(['Hang up the call between +390612345678 (Giuseppe Test) and 201 (Alice) (connected, started 3 min ago)? (PBX office)']);
    expect(asked[0]!.schema).toMatchObject({ type: 'object', required: ['confirm'], properties: { confirm: { type: 'boolean' } } });
    expect(Object.keys((asked[0]!.schema as { properties: object }).properties)).toEqual(['confirm']);
    expect(t.sim().engine.listCalls()).toEqual([]);
    expect(t.app.audit.recent().slice(-2).map((a) => [a.confirmation, a.outcome, a.principal])).toEqual([
      ['asked', 'confirmation_required', 'token:alice'],
      ['accepted', 'done', 'token:alice'],
    ]);
  });

  for (const [answer, word] of [
    [{ action: 'decline' }, 'declined'],
    [{ action: 'cancel' }, 'cancelled'],
    [{ action: 'accept', content: { confirm: false } }, 'declined'],
  ] as [ElicitResult, string][]) {
    it(`does nothing and says so when the user ${answer.action}s${answer.content ? ' unchecked' : ''}`, async () => {
      const { client } = await setup({ elicit: () => answer });
      const id = connectedCall();
      const r = await tool(client, 'hangup', { call_id: id });
      expect(r.isError).toBe(false);
      expect(r.structured).toMatchObject({ status: 'not_confirmed' });
      expect(t.sim().engine.call(id).state).toBe('connected');
      expect(t.app.audit.recent().at(-1)).toMatchObject({ tool: 'hangup', confirmation: word, outcome: 'not_confirmed' });
    });
  }

  it('is asked again when a retry carries no answer (nothing done)', async () => {
    const { client } = await setup({ elicit: () => ({ action: 'accept', content: { confirm: true } }) });
    const id = connectedCall();
    const round = await firstRound(client, 'hangup', { call_id: id });
    expect(round.resultType).toBe('input_required');
    const again = (await retry(client, 'hangup', { call_id: id }, round.requestState)) as unknown as Round;
    expect(again.resultType).toBe('input_required');
    expect(again.inputRequests.confirm!.params.message).toBe(round.inputRequests.confirm!.params.message);
    expect(t.sim().engine.call(id).state).toBe('connected');
  });

  it('refuses a tampered requestState as invalid params, saying why, and does nothing', async () => {
    const { client } = await setup({ elicit: () => ({ action: 'accept', content: { confirm: true } }) });
    const id = connectedCall();
    const round = await firstRound(client, 'hangup', { call_id: id });
    const tampered = `${round.requestState.slice(0, -6)}AAAAAA`;
    await expect(retry(client, 'hangup', { call_id: id }, tampered, ACCEPT)).rejects.toMatchObject({
      code: -32602,
      message: expect.stringMatching(/requestState of this hangup call was refused: it is not a requestState this server issued.*Nothing was done/),
    });
    expect(t.sim().engine.call(id).state).toBe('connected');
    expect(t.app.audit.recent().at(-1)).toMatchObject({ tool: 'hangup', confirmation: 'state_refused', outcome: 'refused' });
  });

  it('acts once on a requestState: a replay of the accepted retry is refused', async () => {
    const { client } = await setup({ elicit: () => ({ action: 'accept', content: { confirm: true } }) });
    const round = await firstRound(client, 'place_call', { to: '+39 06 1234 5678' });
    const done = await retry(client, 'place_call', { to: '+39 06 1234 5678' }, round.requestState, ACCEPT);
    expect(done.structuredContent).toMatchObject({ status: 'done' });
    await expect(retry(client, 'place_call', { to: '+39 06 1234 5678' }, round.requestState, ACCEPT)).rejects.toMatchObject({
      code: -32602,
      message: expect.stringMatching(/it was already used \(a confirmation is single use\)/),
    });
    expect(t.sim().engine.listCalls('alice')).toHaveLength(1);
  });

  it('refuses a requestState presented for other arguments or another tool, or by another client', async () => {
    const { client, url } = await setup({ elicit: () => ({ action: 'accept', content: { confirm: true } }) });
    const round = await firstRound(client, 'place_call', { to: '+39 06 1234 5678' });
    await expect(retry(client, 'place_call', { to: '+39 347 123 4567' }, round.requestState, ACCEPT)).rejects.toThrow(/the arguments differ/);
    await expect(retry(client, 'dial_user', { username: 'bob' }, round.requestState, ACCEPT)).rejects.toThrow(/issued for place_call, not dial_user/);
    const bob = await another(url, TOKENS.bob, () => ({ action: 'accept', content: { confirm: true } }));
    await expect(retry(bob, 'place_call', { to: '+39 06 1234 5678' }, round.requestState, ACCEPT)).rejects.toThrow(/issued to another client/);
    expect(t.sim().engine.listCalls()).toEqual([]);
    // None of that used it up: the client it was issued to can still act on it.
    expect((await retry(client, 'place_call', { to: '+39 06 1234 5678' }, round.requestState, ACCEPT)).structuredContent).toMatchObject({ status: 'done' });
  });

  it('refuses an expired requestState', async () => {
    let now = Date.now();
    const { client } = await setup({ elicit: () => ({ action: 'accept', content: { confirm: true } }), now: () => now });
    const round = await firstRound(client, 'place_call', { to: '+39 06 1234 5678' });
    now += TOKEN_TTL_MS + 1000;
    await expect(retry(client, 'place_call', { to: '+39 06 1234 5678' }, round.requestState, ACCEPT)).rejects.toThrow(/expired/);
    expect(t.sim().engine.listCalls()).toEqual([]);
  });

  it('does not act on a call that became current after the person confirmed', async () => {
    const { client } = await setup({ elicit: () => ({ action: 'accept', content: { confirm: true } }) });
    const e = t.sim().engine;
    const first = connectedCall();
    const round = await firstRound(client, 'hangup', {});
    e.hangup('alice', first);
    const second = e.inboundCall('+393471234567', '201', 'Maria Esposito');
    t.clock.advance(1000);
    const r = (await retry(client, 'hangup', {}, round.requestState, ACCEPT)) as { isError?: boolean; content: { text: string }[] };
    expect(r.isError).toBe(true);
    expect(r.content[0]!.text).toMatch(/The confirmation was refused: what the action would act on changed since the user confirmed it/);
    expect(e.call(second.id).state).toBe('connected');
  });
});

describe('a 2026-07-28 client without elicitation: the confirm_token', () => {
  it('gets a token (not an error), and a one-shot client of the same principal can act on it once', async () => {
    const { client, url } = await setup();
    const r1 = await tool(client, 'place_call', { to: '+39 06 1234 5678' });
    expect(r1.isError).toBe(false);
    expect(r1.structured).toMatchObject({ status: 'confirmation_required', pbx: 'office' });
    const token = r1.structured!.confirm_token as string;
    expect(t.sim().engine.listCalls()).toEqual([]);
    // Another connection with the same bearer token (the Inspector CLI opens one per call).
    const next = await another(url, TOKENS.alice);
    expect((await tool(next, 'place_call', { to: '+39 06 1234 5678', confirm_token: token })).structured).toMatchObject({ status: 'done' });
    expect((await tool(next, 'place_call', { to: '+39 06 1234 5678', confirm_token: token })).text).toMatch(/already used/);
    const bob = await another(url, TOKENS.bob);
    const other = (await tool(client, 'place_call', { to: '+39 347 123 4567' })).structured!.confirm_token as string;
    expect((await tool(bob, 'place_call', { to: '+39 347 123 4567', confirm_token: other })).text).toMatch(/issued to another client/);
    expect(t.sim().engine.listCalls('alice')).toHaveLength(1);
  });

  it('is never sent an elicitation it did not declare (the SDK would refuse the round with -32021)', async () => {
    const { client } = await setup();
    connectedCall();
    const r = await tool(client, 'hangup', {});
    expect(r.structured).toMatchObject({ status: 'confirmation_required' });
  });
});
