/**
 * get_parking, set_favorites and pbx_notes through the real server glue on the sim PBX, with confirmation by
 * token (the client declares no elicitation): what asks, what does not, and what is refused before asking.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { inMemoryClient, testApp, type TestApp } from '../helpers/app.js';

let t: TestApp;
let client: Client;
let closeClient: () => Promise<void>;

beforeAll(async () => {
  t = await testApp();
  ({ client, close: closeClient } = await inMemoryClient(t.app));
});
afterAll(async () => {
  await closeClient();
  await t.close();
});

async function tool(name: string, args: Record<string, unknown>): Promise<{ isError: boolean; text: string; data: Record<string, unknown> }> {
  const r = await client.callTool({ name, arguments: args });
  const content = r.content as { text: string }[];
  return { isError: !!r.isError, text: content[0]!.text, data: (r.structuredContent ?? {}) as Record<string, unknown> };
}

/** Call an action, expect a confirmation request, then confirm it with the token. */
async function confirmed(name: string, args: Record<string, unknown>): Promise<Record<string, unknown>> {
  const first = await tool(name, args);
  expect(first.data.status, first.text).toBe('confirmation_required');
  const second = await tool(name, { ...args, confirm_token: first.data.confirm_token });
  expect(second.data.status, second.text).toBe('done');
  return second.data;
}

describe('get_parking', () => {
  it('reads the lot: slots, free count and parked calls', async () => {
    const e = t.sim().engine;
    const c = e.inboundCall('+390612345678', '201');
    t.clock.advance(5000);
    e.park(c.id, '702', 'alice');
    expect((await tool('get_parking', {})).data).toEqual({ pbx: 'office', first_slot: '701', slots: 3, free: 2, parked: [{ slot: '702', call_id: c.id }], total: 1 });
    e.hangup(undefined, c.id);
    expect((await tool('get_parking', {})).data.parked).toEqual([]);
  });
});

describe('set_favorites', () => {
  it('asks with the named entries, then sets them; nothing changes before the token', async () => {
    const args = { favorites: [{ id: 'queue:support', slot: 2, size: 'double' }, { id: 'alice', slot: 1 }] };
    const first = await tool('set_favorites', args);
    expect(first.data.message).toMatch(/Replace the 0 operator favorites on PBX office with 2: slot 1: extension 201 \(Alice\); slot 2: queue 600 \(support\), double\?/);
    expect(await t.sim().getFavorites()).toEqual([]);
    const done = await tool('set_favorites', { ...args, confirm_token: first.data.confirm_token });
    expect(done.data.favorites).toEqual([
      { id: 'alice', kind: 'user', slot: 1, size: 'single', number: '201', name: 'Alice' },
      { id: 'queue:support', kind: 'queue', slot: 2, size: 'double', number: '600', name: 'support' },
    ]);
    expect((await t.sim().getFavorites()).map((f) => f.id)).toEqual(['alice', 'queue:support']);
    await confirmed('set_favorites', { favorites: [] });
    expect(await t.sim().getFavorites()).toEqual([]);
  });

  it.each([
    [{ favorites: [{ id: 'nobody', slot: 1 }] }, /no extension, queue or attendant with id nobody/],
    [{ favorites: [{ id: 'alice', slot: 1 }, { id: 'alice', slot: 2 }] }, /user alice is listed twice/],
    [{ favorites: [{ id: 'alice', slot: 1 }, { id: 'bob', slot: 1 }] }, /slot 1 is used twice/],
    [{ favorites: [{ id: 'alice', kind: 'queue', slot: 1 }] }, /no queue with id alice/],
  ])('refuses %j before asking', async (args, message) => {
    const r = await tool('set_favorites', args);
    expect(r.isError).toBe(true);
    expect(r.text).toMatch(message);
  });
});

describe('pbx_notes', () => {
  it('stores a new note without asking; asks to overwrite a different one; not to write the same again', async () => {
    expect((await tool('pbx_notes', { action: 'set', key: 'n1', value: 'one' })).data).toMatchObject({ status: 'done', written: ['n1'] });
    expect((await tool('pbx_notes', { action: 'set', key: 'n1', value: 'one' })).data.status).toBe('done');
    await confirmed('pbx_notes', { action: 'set', key: 'n1', value: 'two' });
    expect((await tool('pbx_notes', { action: 'get', key: 'n1' })).data).toMatchObject({ found: true, value: 'two' });
  });

  it('set_many asks only when it would overwrite, and names those keys', async () => {
    expect((await tool('pbx_notes', { action: 'set_many', entries: [{ key: 'm1', value: 'a' }, { key: 'm2', value: 'b' }] })).data.status).toBe('done');
    const first = await tool('pbx_notes', { action: 'set_many', entries: [{ key: 'm1', value: 'a' }, { key: 'm2', value: 'changed' }, { key: 'm3', value: 'c' }] });
    expect(first.data.status).toBe('confirmation_required');
    expect(first.data.message).toMatch(/Overwrite note m2 on PBX office\?/);
    const dup = await tool('pbx_notes', { action: 'set_many', entries: [{ key: 'x', value: '1' }, { key: 'x', value: '2' }] });
    expect(dup.isError).toBe(true);
  });

  it('set_json asks to replace an existing note; get_json reads it back', async () => {
    expect((await tool('pbx_notes', { action: 'set_json', key: 'j1', json: { a: [1, 'x'] } })).data.status).toBe('done');
    await confirmed('pbx_notes', { action: 'set_json', key: 'j1', json: [true] });
    expect((await tool('pbx_notes', { action: 'get_json', key: 'j1' })).data).toMatchObject({ found: true, json: [true] });
  });

  it('delete always asks; a missing note is an error before asking', async () => {
    await tool('pbx_notes', { action: 'set', key: 'd1', value: 'bye' });
    await confirmed('pbx_notes', { action: 'delete', key: 'd1' });
    expect((await tool('pbx_notes', { action: 'get', key: 'd1' })).data).toMatchObject({ found: false });
    const r = await tool('pbx_notes', { action: 'delete', key: 'd1' });
    expect(r.isError).toBe(true);
    expect(r.text).toMatch(/there is no note named d1/);
  });

  it('list returns every note; bounds and missing arguments are refused', async () => {
    const keys = ((await tool('pbx_notes', { action: 'list' })).data.notes as { key: string }[]).map((n) => n.key);
    expect(keys).toEqual(expect.arrayContaining(['n1', 'm1', 'j1']));
    for (const args of [
      { action: 'set', key: 'k', value: 'x'.repeat(4001) },
      { action: 'set', key: 'bad key', value: 'x' },
      { action: 'set_json', key: 'k', json: { big: 'x'.repeat(8000) } },
      { action: 'set_json', key: 'k', json: 'not an object' },
      { action: 'set_many', entries: Array.from({ length: 21 }, (_, i) => ({ key: `k${i}`, value: 'v' })) },
    ]) {
      const r = await tool('pbx_notes', args);
      expect(r.isError, JSON.stringify(args).slice(0, 80)).toBe(true);
    }
    const missing = await tool('pbx_notes', { action: 'set', key: 'k' });
    expect(missing.text).toMatch(/action set needs `value`/);
  });
});
