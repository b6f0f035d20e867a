/**
 * Findings 7, 8 and 9 of issue 13, through the built server: the confirmation text reaches the model whole (only
 * the PBX's parts are bounded), nobody is asked to confirm a request that cannot succeed, and a refused
 * confirm_token (another client, another tool, other arguments) is not used up.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { call, connectHttp, connectStdio, simConfig, startHttpServer, type HttpServerProcess, type StdioSession } from '../../helpers/mcp.js';

type Result = { isError?: boolean; content: { text: string }[]; structuredContent?: Record<string, unknown> };
const tool = async (c: Client, name: string, args: Record<string, unknown>) => (await c.callTool({ name, arguments: args })) as Result;

/** The confirmation instruction as the runner words it: the model needs every word of it. */
const INSTRUCTION = (name: string, expires: string) =>
  `Nothing has been done yet. Ask the user; only if they agree, call ${name} again with exactly the same arguments plus confirm_token (single use, valid until ${expires}).`;

describe('finding 7: the confirmation message is not cut', () => {
  let s: StdioSession;
  beforeAll(async () => {
    s = await connectStdio({ config: simConfig({ safety: { confirm: 'token', dialPolicy: { defaultCountry: 'IT' } } }) });
  });
  afterAll(() => s.close());

  it('place_call, transfer and hangup end with the whole instruction and the exact expiry', async () => {
    const placed = (await tool(s.client, 'place_call', { to: '+39 06 1234 5678' })).structuredContent!;
    expect(placed.status).toBe('confirmation_required');
    expect(placed.message).toBe(`Confirmation needed: Call +39 06 1234 5678 (Italy, fixed line) from alice? ${INSTRUCTION('place_call', String(placed.expires_at))}`);
    expect(placed.expires_at).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/);

    // A call for alice to act on: an internal extension needs no confirmation.
    expect((await call(s.client, 'place_call', { to: '202' })).status).toBe('done');
    for (const [name, args] of [
      ['transfer', { to: '+39 02 8765 4321', mode: 'attended' }],
      ['hangup', {}],
    ] as const) {
      const r = (await tool(s.client, name, args)).structuredContent!;
      expect(r.status, name).toBe('confirmation_required');
      expect(String(r.message), name).toMatch(/^Confirmation needed: (Transfer|Hang up) the call between 201 \(Alice\) and 202 \(Bob\)/);
      expect(String(r.message).endsWith(INSTRUCTION(name, String(r.expires_at))), `${name}: ${String(r.message)}`).toBe(true);
    }
  });
});

describe('finding 8: a request that cannot succeed is refused before anyone is asked', () => {
  let s: StdioSession;
  const asked: string[] = [];
  beforeAll(async () => {
    s = await connectStdio({
      config: simConfig(),
      elicit: (message) => {
        asked.push(message);
        return { action: 'accept', content: { confirm: true } };
      },
    });
  });
  afterAll(() => s.close());

  it('an unknown user, an unknown queue, an unknown call: an error naming it, and no question', async () => {
    const zoe = await tool(s.client, 'place_call', { user: 'zoe', to: '+39 06 1234 5678' });
    expect(zoe.isError).toBe(true);
    expect(zoe.content[0]!.text).toMatch(/no user or extension "zoe"/);
    const queue = await tool(s.client, 'place_call', { to: '+39 06 1234 5678', to_queue: 'nosuchqueue', caller_id: '+390212345678' });
    expect(queue.isError).toBe(true);
    const hang = await tool(s.client, 'hangup', { call_id: 'no-such-call' });
    expect(hang.content[0]!.text).toMatch(/no active call with id no-such-call/);
    const forward = await tool(s.client, 'set_forward', { user: 'zoe', kind: 'unconditional', enabled: true, destination: '+39 06 1234 5678' });
    expect(forward.content[0]!.text).toMatch(/no user or extension "zoe"/);
    expect(asked).toEqual([]);
    // A valid request is still asked about.
    expect((await call(s.client, 'place_call', { user: 'bob', to: '+39 06 1234 5678' })).status).toBe('done');
    expect(asked).toEqual([expect.stringContaining('from bob')]);
  });
});

const TOKENS = { a: 'client-a-token-0123456789', b: 'client-b-token-0123456789' };

describe('finding 9: a refused redemption does not use the token up', () => {
  let http: HttpServerProcess;
  let a: Client;
  let b: Client;
  beforeAll(async () => {
    // Two clients, each with a token of its own: a confirmation binds to the client, not to a session (issue 14).
    http = await startHttpServer({
      config: simConfig({ http: { tokens: TOKENS }, safety: { confirm: 'token', dialPolicy: { defaultCountry: 'IT' } } }),
    });
    a = await connectHttp(http.url, { token: TOKENS.a });
    b = await connectHttp(http.url, { token: TOKENS.b });
  });
  afterAll(async () => {
    await a.close();
    await b.close();
    await http.stop();
  });

  it('tried by another client, for another tool and with other arguments, it still works for its owner', async () => {
    const args = { to: '+39 06 1234 5678' };
    const issued = (await tool(a, 'place_call', args)).structuredContent!;
    const token = String(issued.confirm_token);
    const other = await tool(b, 'place_call', { ...args, confirm_token: token });
    expect(other.content[0]!.text).toMatch(/confirm_token was refused: it was issued to another client/);
    const wrongArgs = await tool(a, 'place_call', { to: '+39 02 8765 4321', confirm_token: token });
    expect(wrongArgs.content[0]!.text).toMatch(/confirm_token was refused: the arguments differ/);
    const wrongTool = await tool(a, 'set_forward', { kind: 'busy', enabled: true, destination: '+39 06 1234 5678', confirm_token: token });
    expect(wrongTool.content[0]!.text).toMatch(/confirm_token was refused: it was issued for place_call, not set_forward/);
    const done = await tool(a, 'place_call', { ...args, confirm_token: token });
    expect(done.structuredContent?.status, done.content[0]!.text).toBe('done');
    // Redeemed once: now it is used up.
    const again = await tool(a, 'place_call', { ...args, confirm_token: token });
    expect(again.content[0]!.text).toMatch(/confirm_token was refused: it was already used/);
  });
});
