/**
 * answer_call, hold_call and conference through the real server glue and the SDK Client (in memory), on the sim
 * PBX: the confirmation names the real parties, the engine changes, the audit records it, and the tools are
 * offered only where a PBX can do it.
 */
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Backend } from '../../src/backends/backend.js';
import { PbxRouter } from '../../src/backends/registry.js';
import { xcallyType } from '../../src/backends/xcally/backend.js';
import { offeredTools } from '../../src/app.js';
import type { PbxEngine } from '../../src/simulators/engine/engine.js';
import { silentLogger } from '../../src/log.js';
import { ALL_TOOLS } from '../../src/tools/index.js';
import { inMemoryClient, testApp, type TestApp } from '../helpers/app.js';

const NEW_TOOLS = ['answer_call', 'conference', 'hold_call'];

let t: TestApp;
let client: Client;
let close: () => Promise<void>;
let asked: string[];
let accept: boolean;
let e: PbxEngine;

beforeEach(async () => {
  t = await testApp();
  e = t.sim().engine;
  asked = [];
  accept = true;
  ({ client, close } = await inMemoryClient(t.app, (message) => {
    asked.push(message);
    return accept ? { action: 'accept', content: { confirm: true } } : { action: 'decline' };
  }));
});
afterEach(async () => {
  await close();
  await t.close();
});

async function tool(name: string, args: Record<string, unknown> = {}) {
  const r = await client.callTool({ name, arguments: args });
  return {
    isError: r.isError === true,
    text: (r.content as { text: string }[])[0]?.text ?? '',
    out: (r.structuredContent ?? {}) as Record<string, unknown>,
  };
}

/** An outside caller rings alice (who answers by hand) for `seconds`. */
function ringing(from = '+390612345678', seconds = 15) {
  e.setAnswerMode('alice', 'manual');
  const c = e.inboundCall(from, '201');
  t.clock.advance(seconds * 1000);
  return c;
}

describe('answer_call', () => {
  it('asks with the caller and how long it rang, then answers it', async () => {
    const c = ringing();
    const r = await tool('answer_call');
    expect(r.isError, r.text).toBe(false);
    expect(asked).toEqual(['Answer the call from +39 06 1234 5678 (Giuseppe Test) ringing for 15 s? (PBX office)']);
    expect(r.out).toMatchObject({ status: 'done', call_id: c.id, call: { id: c.id, state: 'connected' } });
    expect(e.call(c.id).state).toBe('connected');
    expect(t.app.audit.recent().at(-1)).toMatchObject({ tool: 'answer_call', confirmation: 'accepted', outcome: 'done', pbx: 'office' });
  });

  it('does nothing when the user declines', async () => {
    const c = ringing();
    accept = false;
    const r = await tool('answer_call');
    expect(r.out).toMatchObject({ status: 'not_confirmed' });
    expect(e.call(c.id).state).toBe('ringing');
  });

  it('with nothing ringing, or several ringing and no call_id, says so without asking', async () => {
    const none = await tool('answer_call');
    expect(none.isError).toBe(true);
    expect(none.text).toMatch(/no call is ringing for alice/);
    const a = ringing();
    const b = ringing('+393471234567', 2);
    const two = await tool('answer_call');
    expect(two.isError).toBe(true);
    expect(two.text).toMatch(/2 calls are ringing.*Pass call_id/);
    expect(asked).toEqual([]);
    const r = await tool('answer_call', { call_id: b.id });
    expect(r.out.status).toBe('done');
    expect(asked[0]).toMatch(/^Answer the call from \+39 347 123 4567 \(Maria Esposito\) ringing for 2 s\?/);
    expect(e.call(b.id).state).toBe('connected');
    expect(e.call(a.id).state).toBe('ringing');
    const again = await tool('answer_call', { call_id: b.id });
    expect(again.text).toMatch(/already answered/);
  });

  it("never offers the user's own outgoing call: it rings at the other end", async () => {
    e.setAnswerMode('bob', 'manual');
    const placed = await tool('place_call', { to: '202' });
    expect(placed.out).toMatchObject({ status: 'done', call: { state: 'ringing' } });
    const r = await tool('answer_call');
    expect(r.isError, r.text).toBe(true);
    expect(r.text).toMatch(/no call is ringing for alice; nothing was done/);
    expect(asked).toEqual([]);
    // Named by its id, it is refused the same way, before anyone is asked.
    const named = await tool('answer_call', { call_id: placed.out.call_id });
    expect(named.isError, named.text).toBe(true);
    expect(named.text).toMatch(/alice placed it/);
    expect(asked).toEqual([]);
    // A call that does ring at alice beside it is the one answered.
    const c = ringing();
    expect((await tool('answer_call')).out).toMatchObject({ status: 'done', call_id: c.id });
  });
});

describe('hold_call', () => {
  it('holds the current call, does nothing when it already is on hold, and resumes it', async () => {
    const c = ringing();
    e.answer('alice', c.id);
    const held = await tool('hold_call');
    expect(held.out).toMatchObject({ status: 'done', call_id: c.id, on_hold: true, changed: true });
    expect(asked).toEqual([expect.stringMatching(/^Put the call between \+390612345678 \(Giuseppe Test\) and 201 \(Alice\) \(connected, started 15 s ago\) on hold\?/)]);
    expect(e.call(c.id).state).toBe('on_hold');
    const again = await tool('hold_call', { call_id: c.id, on: true });
    expect(again.out).toMatchObject({ status: 'done', changed: false });
    expect(again.out.message).toMatch(/already on hold, so nothing was done/);
    expect(asked).toHaveLength(1);
    expect(e.call(c.id).state).toBe('on_hold');
    const resumed = await tool('hold_call', { on: false });
    expect(resumed.out).toMatchObject({ status: 'done', on_hold: false, changed: true });
    expect(asked[1]).toMatch(/^Take the call between .* off hold\?/);
    expect(e.call(c.id).state).toBe('connected');
  });

  it('has nothing to resume when no call is on hold', async () => {
    const r = await tool('hold_call', { on: false });
    expect(r.isError).toBe(true);
    expect(r.text).toMatch(/no call on hold/);
  });
});

describe('conference', () => {
  it('runs the 4-step recipe through the tools and asks naming both calls', async () => {
    const a = ringing();
    expect((await tool('answer_call')).out.status).toBe('done');
    expect((await tool('hold_call', { call_id: a.id })).out.status).toBe('done');
    const placed = await tool('place_call', { to: '202' });
    expect(placed.out.status).toBe('done');
    t.clock.advance(1500);
    const r = await tool('conference', { call_id: a.id });
    expect(r.isError, r.text).toBe(false);
    expect(r.out).toMatchObject({ status: 'done', call_id: a.id, joined_call_id: placed.out.call_id });
    expect(asked.at(-1)).toMatch(
      /^Join the call between \+390612345678 \(Giuseppe Test\) and 201 \(Alice\) \(on hold\) with the call between 201 \(Alice\) and 202 \(Bob\) \(connected, started 1 s ago\) into a three-way conference\?/,
    );
    expect(e.call(a.id).participants?.map((p) => p.number).sort()).toEqual(['+390612345678', '201', '202']);
  });

  it('refuses, without asking, a call that is not on hold or has nothing to join, and gives the recipe', async () => {
    const a = ringing();
    e.answer('alice', a.id);
    const notHeld = await tool('conference', { call_id: a.id });
    expect(notHeld.isError).toBe(true);
    expect(notHeld.text).toMatch(/is connected, not on hold; nothing was done.*The recipe: answer or connect call A, put A on hold/);
    e.hold('alice', a.id, true);
    const alone = await tool('conference', { call_id: a.id });
    expect(alone.text).toMatch(/no other connected call/);
    expect((await tool('conference', { call_id: '1.999' })).text).toMatch(/no active call with id 1\.999/);
    expect(asked).toEqual([]);
    expect(e.call(a.id).participants).toBeUndefined();
  });
});

describe('offered only where a PBX can do it', () => {
  const names = (router: PbxRouter) => offeredTools(ALL_TOOLS, router, false).map((x) => x.name);

  it('are listed for sim, listed for xcally with what it supports only, and not for a PBX without them', async () => {
    expect(names(t.app.pbxes)).toEqual(expect.arrayContaining(NEW_TOOLS));
    const xc = await xcallyType.create('desk', xcallyType.config.parse({ type: 'xcally', agent: '201' }), { log: silentLogger, baseDir: '.' });
    try {
      expect(names(new PbxRouter([xc], 'desk')).sort()).toEqual(['answer_call', 'call_history', 'conference', 'get_active_call', 'hangup', 'hold_call', 'pause_queues', 'place_call', 'transfer']);
    } finally {
      await xc.close();
    }
    const plain: Backend = { name: 'p', type: 'fake', userModel: 'many', capabilities: new Set(['activeCalls']), activeCalls: async () => [], close: async () => {} };
    expect(names(new PbxRouter([plain], 'p'))).toEqual(['get_active_call']);
    expect(offeredTools(ALL_TOOLS, t.app.pbxes, true).map((x) => x.name)).not.toEqual(expect.arrayContaining(['answer_call']));
  });
});

describe('transfer to voicemail', () => {
  it('is refused, before asking anyone, on a PBX that cannot; `to` and `voicemail` are one or the other', async () => {
    const c = ringing();
    e.answer('alice', c.id);
    const r = await tool('transfer', { voicemail: 'vm-203' });
    expect(r.isError).toBe(true);
    expect(r.text).toMatch(/cannot transfer calls to voicemail/);
    for (const args of [{}, { to: '203', voicemail: 'vm-203' }]) {
      const both = await tool('transfer', args);
      expect(both.isError, JSON.stringify(args)).toBe(true);
      expect(both.text).toMatch(/give either `to` \(a number\) or `voicemail` \(a box\); nothing was done/);
    }
    expect(asked).toEqual([]);
    expect(e.call(c.id).state).toBe('connected');
  });
});
