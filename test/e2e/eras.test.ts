/**
 * Both protocol eras against the BUILT server (dist/cli.js), over stdio and streamable HTTP: the v2 SDK's Client
 * pinned to 2026-07-28 and in auto mode, and the v1 SDK's Client (2025-11-25). Each does a read, a confirmation it
 * accepts (the action runs) and one it declines (nothing happens), the confirm_token fallback, a tampered and a
 * replayed requestState (a confirm_token for the v1 client, which has no requestState), and a subscription
 * (subscriptions/listen, or resources/subscribe) that hears of a call starting on the sim PBX.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Client as ModernClient } from '@modelcontextprotocol/client';
import type { Client as LegacyClient } from '@modelcontextprotocol/sdk/client/index.js';
import { ResourceUpdatedNotificationSchema } from '@modelcontextprotocol/sdk/types.js';
import {
  connectHttp,
  connectModernHttp,
  connectModernStdio,
  connectStdio,
  eventually,
  simConfig,
  startHttpServer,
  type HttpServerProcess,
  type TempConfig,
} from '../helpers/mcp.js';

type Kind = 'pinned' | 'auto' | 'v1';
type Transport = 'stdio' | 'http';
type Answer = { action: 'accept' | 'decline' | 'cancel'; content?: { confirm: boolean } };

interface Result {
  isError: boolean;
  structured: Record<string, unknown> | undefined;
  text: string;
}

/** One connected client, whichever SDK: the calls the cases make. */
interface Driver {
  era(): 'modern' | 'legacy';
  call(name: string, args: Record<string, unknown>): Promise<Result>;
  read(uri: string): Promise<string>;
  /** subscriptions/listen (2026) or resources/subscribe (2025) to `uri`; `heard` collects updated URIs. */
  watch(uri: string, heard: string[]): Promise<() => Promise<void>>;
  /** The MRTR round of a call, by hand (2026 clients). */
  firstRound(name: string, args: Record<string, unknown>): Promise<{ requestState: string; message: string }>;
  /** A retry of it, by hand, with the person's answer. */
  retry(name: string, args: Record<string, unknown>, requestState: string, answer: Answer): Promise<Result>;
  close(): Promise<void>;
}

const ACCEPT: Answer = { action: 'accept', content: { confirm: true } };
const DECLINE: Answer = { action: 'decline' };

function resultOf(raw: unknown): Result {
  const r = raw as { isError?: unknown; structuredContent?: unknown; content?: unknown };
  return {
    isError: r.isError === true,
    structured: r.structuredContent as Record<string, unknown> | undefined,
    text: ((r.content as { text?: string }[] | undefined) ?? [])[0]?.text ?? '',
  };
}

function modernDriver(client: ModernClient, close: () => Promise<void>): Driver {
  return {
    era: () => (client.getProtocolEra?.() === 'modern' ? 'modern' : 'legacy'),
    call: async (name, args) => resultOf(await client.callTool({ name, arguments: args })),
    read: async (uri) => ((await client.readResource({ uri })).contents[0] as { text: string }).text,
    async watch(uri, heard) {
      client.setNotificationHandler('notifications/resources/updated', (n) => void heard.push(n.params.uri));
      const sub = await client.listen({ resourceSubscriptions: [uri] });
      expect(sub.honoredFilter).toEqual({ resourceSubscriptions: [uri] });
      return () => sub.close();
    },
    async firstRound(name, args) {
      const r = (await client.callTool({ name, arguments: args }, { allowInputRequired: true })) as unknown as {
        resultType: string;
        requestState: string;
        inputRequests: Record<string, { params: { message: string } }>;
      };
      expect(r.resultType).toBe('input_required');
      return { requestState: r.requestState, message: r.inputRequests.confirm!.params.message };
    },
    async retry(name, args, requestState, answer) {
      const r = await client.request(
        { method: 'tools/call', params: { name, arguments: args, requestState, inputResponses: { confirm: answer } } as never },
        { allowInputRequired: true },
      );
      return resultOf(r as Record<string, unknown>);
    },
    close,
  };
}

function legacyDriver(client: LegacyClient, close: () => Promise<void>): Driver {
  const no = () => Promise.reject(new Error('2025-11-25 clients have no requestState'));
  return {
    era: () => 'legacy',
    call: async (name, args) => resultOf(await client.callTool({ name, arguments: args })),
    read: async (uri) => ((await client.readResource({ uri })).contents[0] as { text: string }).text,
    async watch(uri, heard) {
      client.setNotificationHandler(ResourceUpdatedNotificationSchema, (n) => void heard.push(n.params.uri));
      await client.subscribeResource({ uri });
      return async () => void (await client.unsubscribeResource({ uri }));
    },
    firstRound: no,
    retry: no,
    close,
  };
}

const CONFIG = () => simConfig({ safety: { dialPolicy: { defaultCountry: 'IT', maxCallsPerMinute: 200, maxCallsPerMinutePerPbx: 1000, maxConcurrentCalls: 100 } } });

async function connect(kind: Kind, transport: Transport, target: { url?: string; config: TempConfig }, answer?: Answer): Promise<Driver> {
  if (kind === 'v1') {
    const elicit = answer ? () => answer : undefined;
    if (transport === 'stdio') {
      const s = await connectStdio({ config: target.config, ...(elicit ? { elicit } : {}) });
      return legacyDriver(s.client, s.close);
    }
    const client = await connectHttp(target.url!, elicit ? { elicit } : {});
    return legacyDriver(client, () => client.close());
  }
  const elicit = answer ? () => answer : undefined;
  if (transport === 'stdio') {
    const s = await connectModernStdio(kind, { config: target.config, ...(elicit ? { elicit } : {}) });
    return modernDriver(s.client, s.close);
  }
  const client = await connectModernHttp(target.url!, kind, elicit ? { elicit } : {});
  return modernDriver(client, () => client.close());
}

type Call = { id: string; state: string; to: { number: string } };
const callsTo = async (d: Driver, number: string): Promise<Call[]> =>
  ((JSON.parse(await d.read('pbx://office/calls')) as { calls: Call[] }).calls ?? []).filter((c) => c.to.number === number);

function suite(kind: Kind, transport: Transport) {
  describe(`${kind === 'v1' ? 'v1 client (2025-11-25)' : `v2 client, ${kind === 'pinned' ? 'pinned to 2026-07-28' : 'auto mode'}`} over ${transport}`, () => {
    let server: HttpServerProcess | undefined;
    let config: TempConfig;
    const open: Driver[] = [];
    const client = async (answer?: Answer) => {
      const d = await connect(kind, transport, { url: server?.url, config }, answer);
      open.push(d);
      return d;
    };

    beforeAll(async () => {
      config = CONFIG();
      if (transport === 'http') server = await startHttpServer({ config });
    });
    afterAll(async () => {
      for (const d of open.splice(0)) await d.close();
      if (server) expect(await server.stop()).toBe(0);
    });

    it(`speaks ${kind === 'v1' ? '2025-11-25' : '2026-07-28'}, and reads`, async () => {
      const d = await client();
      expect(d.era()).toBe(kind === 'v1' ? 'legacy' : 'modern');
      const r = await d.call('get_active_call', {});
      expect(r.isError).toBe(false);
      expect(r.structured).toMatchObject({ pbx: 'office', calls: expect.any(Array) });
      expect(JSON.parse(await d.read('pbx://office/capabilities'))).toMatchObject({ pbx: 'office' });
    });

    it('acts on a confirmation the person accepts, and does nothing on one they decline', async () => {
      const yes = await client(ACCEPT);
      const done = await yes.call('place_call', { to: '+39 06 1234 5678' });
      expect(done.structured).toMatchObject({ status: 'done', to: '+390612345678' });
      expect(await callsTo(yes, '+390612345678')).toHaveLength(1);

      const no = await client(DECLINE);
      const declined = await no.call('place_call', { to: '+39 02 8765 4321' });
      expect(declined.isError).toBe(false);
      expect(declined.structured).toMatchObject({ status: 'not_confirmed' });
      expect(await callsTo(no, '+390287654321')).toEqual([]);
    });

    it('falls back to a single-use confirm_token for a client that cannot elicit, and refuses a changed one', async () => {
      const d = await client();
      const before = (await callsTo(d, '+390287654321')).length;
      const asked = await d.call('place_call', { to: '+39 02 8765 4321' });
      expect(asked.structured).toMatchObject({ status: 'confirmation_required' });
      const token = asked.structured!.confirm_token as string;
      expect(await callsTo(d, '+390287654321')).toHaveLength(before);

      const tampered = `${token.slice(0, -6)}AAAAAA`;
      expect((await d.call('place_call', { to: '+39 02 8765 4321', confirm_token: tampered })).text).toMatch(
        /confirm_token was refused: it is not a confirm_token this server issued/,
      );
      // Over HTTP, another connection of the same client may redeem it (a one-shot client opens one per call).
      const redeemer = transport === 'http' ? await client() : d;
      const redeemed = await redeemer.call('place_call', { to: '+39 02 8765 4321', confirm_token: token });
      expect(redeemed.structured, redeemed.text).toMatchObject({ status: 'done' });
      expect((await redeemer.call('place_call', { to: '+39 02 8765 4321', confirm_token: token })).text).toMatch(/already used/);
      expect(await callsTo(d, '+390287654321')).toHaveLength(before + 1);
    });

    if (kind !== 'v1') {
      it('refuses a tampered and a replayed requestState, acting once', async () => {
        const d = await client(ACCEPT);
        const args = { to: '+39 06 1234 5678', user: 'bob' };
        const before = (await callsTo(d, '+390612345678')).length;
        const round = await d.firstRound('place_call', args);
        expect(round.message).toBe('Call +39 06 1234 5678 (Italy, fixed line) from bob? (PBX office)');
        await expect(d.retry('place_call', args, `${round.requestState}-TAMPERED`, ACCEPT)).rejects.toMatchObject({
          code: -32602,
          message: expect.stringMatching(/requestState of this place_call call was refused: it is not a requestState this server issued/),
        });
        expect(await callsTo(d, '+390612345678')).toHaveLength(before);
        const done = await d.retry('place_call', args, round.requestState, ACCEPT);
        expect(done.structured, done.text).toMatchObject({ status: 'done' });
        await expect(d.retry('place_call', args, round.requestState, ACCEPT)).rejects.toMatchObject({
          code: -32602,
          message: expect.stringMatching(/it was already used/),
        });
        expect(await callsTo(d, '+390612345678')).toHaveLength(before + 1);
      });
    }

    it(`hears of a call starting on the PBX (${kind === 'v1' ? 'resources/subscribe' : 'subscriptions/listen'})`, async () => {
      const d = await client();
      const heard: string[] = [];
      const stop = await d.watch('pbx://office/calls', heard);
      // Over HTTP another client starts the call (the update comes from the shared watch, not from the caller's own
      // request); over stdio each client has a server process, and a PBX, of its own.
      const caller = transport === 'http' ? await client() : d;
      expect((await caller.call('place_call', { to: '203' })).structured).toMatchObject({ status: 'done' });
      await eventually(async () => heard.includes('pbx://office/calls'), 5000, 'notifications/resources/updated');
      await stop();
    });
  });
}

for (const transport of ['stdio', 'http'] as const) for (const kind of ['pinned', 'auto', 'v1'] as const) suite(kind, transport);
