/**
 * No double action (issue 18): the same action on the same target by the same caller within
 * `safety.repeatWindowSeconds` asks again, even where it would not otherwise ask, and says when it was done before.
 * Through the runner on the sim PBX, with the app's clock moved by hand; the window across servers sharing Redis is in
 * test/shared/app.test.ts.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { Backend } from '../../src/backends/backend.js';
import { PbxRouter } from '../../src/backends/registry.js';
import { BackendError } from '../../src/errors.js';
import { tokenPrincipal } from '../../src/principal.js';
import { MemoryRepeatLog, repeatKey } from '../../src/safety/repeat.js';
import { ALL_TOOLS } from '../../src/tools/index.js';
import type { ToolOutcome } from '../../src/tools/call.js';
import { env, testApp, type TestApp } from '../helpers/app.js';

let t: TestApp | undefined;
let now = Date.UTC(2026, 11, 5, 10, 0, 0);
afterEach(async () => {
  await t?.close();
  t = undefined;
});

const tool = (name: string) => ALL_TOOLS.find((x) => x.name === name)!;
type Out = Record<string, unknown> & { status?: string; message?: string; confirm_token?: string };
const out = (r: ToolOutcome): Out => {
  if (!r.ok) throw new Error(r.message);
  return r.structured as Out;
};

async function app(safety: Record<string, unknown> = {}): Promise<TestApp> {
  t = await testApp({ safety: { confirm: 'token', dialPolicy: { defaultCountry: 'IT' }, ...safety } }, { now: () => now });
  return t;
}

describe('the repeat window', () => {
  it('asks before calling the same extension again within a minute, saying when, and dials only once confirmed', async () => {
    const a = await app();
    const calls = () => a.sim().engine.listCalls().length;
    const first = out(await a.app.runner.run(tool('place_call'), { to: '203' }, env()));
    expect(first.status).toBe('done'); // an internal call does not ask
    now += 12_000;
    const again = out(await a.app.runner.run(tool('place_call'), { to: '203' }, env()));
    expect(again.status).toBe('confirmation_required');
    expect(again.message).toContain('You called extension 203 from alice 12 s ago. Call again?');
    expect(calls()).toBe(1);
    const done = out(await a.app.runner.run(tool('place_call'), { to: '203', confirm_token: again.confirm_token }, env()));
    expect(done.status).toBe('done');
    expect(calls()).toBe(2);
    // The confirmed repeat begins the window again: asked, counted from it.
    now += 5_000;
    expect(out(await a.app.runner.run(tool('place_call'), { to: '203' }, env())).message).toContain('You called extension 203 from alice 5 s ago.');
    // Past the window: no question.
    now += 61_000;
    expect(out(await a.app.runner.run(tool('place_call'), { to: '203' }, env())).status).toBe('done');
    expect(calls()).toBe(3);
  });

  it('is per caller, per user called from and per number; a refused or unconfirmed action opens no window', async () => {
    const a = await app();
    expect(out(await a.app.runner.run(tool('place_call'), { to: '203' }, env())).status).toBe('done');
    // Another principal, another acting user, another number: each its own first time.
    const other = env({ principal: tokenPrincipal('someone-else') });
    expect(out(await a.app.runner.run(tool('place_call'), { to: '203' }, other)).status).toBe('done');
    expect(out(await a.app.runner.run(tool('place_call'), { to: '203', user: 'bob' }, env())).status).toBe('done');
    expect(out(await a.app.runner.run(tool('place_call'), { to: '202' }, env())).status).toBe('done');
    // An outside number asks first anyway; asking (and the token never used) is not a call made.
    const asked = out(await a.app.runner.run(tool('place_call'), { to: '06 1234 5678' }, env()));
    expect(asked.message).toMatch(/Call \+39 06 1234 5678 \(Italy/);
    const second = out(await a.app.runner.run(tool('place_call'), { to: '+39 06 1234 5678' }, env()));
    expect(second.message).toMatch(/Call \+39 06 1234 5678 \(Italy/);
    expect(out(await a.app.runner.run(tool('place_call'), { to: '+39 06 1234 5678', confirm_token: second.confirm_token }, env())).status).toBe('done');
    // Done now: the same number however written asks as a repeat.
    const repeat = out(await a.app.runner.run(tool('place_call'), { to: '0612345678' }, env()));
    expect(repeat.message).toContain('You called +39 06 1234 5678 (Italy');
    expect(repeat.message).toContain('0 s ago. Call again?');
  });

  it('asks before putting the same call on hold again (the call and the arguments make the target), with the tool\'s own question', async () => {
    const a = await app();
    const e = a.sim().engine;
    const c = e.inboundCall('+390612345678', '201');
    e.answer('alice', c.id);
    const hold = async (on: boolean, token?: string) =>
      out(await a.app.runner.run(tool('hold_call'), { call_id: c.id, on, ...(token ? { confirm_token: token } : {}) }, env()));
    const asked = await hold(true);
    expect(asked.message).toMatch(/: Put the call between .* on hold\?/);
    expect((await hold(true, asked.confirm_token)).status).toBe('done');
    now += 3_000;
    const off = await hold(false);
    expect(off.message, 'taking it off hold is another action').toMatch(/: Take the call between .* off hold\?/);
    expect((await hold(false, off.confirm_token)).status).toBe('done');
    now += 4_000;
    expect((await hold(true)).message).toMatch(/: The same was done 7 s ago\. Put the call between .* on hold\?/);
  });

  it('a call whose outcome is unknown stays in the window (a retry asks first); one the PBX refused does not', async () => {
    const a = await app();
    let answer: 'unknown' | 'refused' = 'unknown';
    let dialled = 0;
    const flaky: Backend = {
      name: 'desk',
      type: 'fake',
      userModel: 'self',
      defaultUser: 'agent7',
      capabilities: new Set(['placeCall']),
      placeCall: () => {
        dialled++;
        return Promise.reject(
          answer === 'unknown'
            ? new BackendError('outcome_unknown', 'no answer before the deadline')
            : new BackendError('conflict', 'the PBX refused the number'),
        );
      },
      close: () => Promise.resolve(),
    };
    (a.app.runner as unknown as { deps: { pbxes: PbxRouter } }).deps.pbxes = new PbxRouter([a.sim(), flaky], 'office');
    const call = (to: string) => a.app.runner.run(tool('place_call'), { to, pbx: 'desk' }, env());
    expect(await call('203')).toMatchObject({ ok: false, error: { kind: 'outcome_unknown' } });
    const retry = out(await call('203'));
    expect(retry.message).toMatch(/You called extension 203 from .* 0 s ago\. Call again\?/);
    answer = 'refused';
    expect(await call('204')).toMatchObject({ ok: false, error: { kind: 'conflict' } });
    expect(await call('204'), 'refused: no window, it goes to the PBX again').toMatchObject({ ok: false, error: { kind: 'conflict' } });
    expect(dialled).toBe(3);
  });

  it('says a longer time as a person would, in the words the tools use for durations', async () => {
    const a = await app({ repeatWindowSeconds: 600 });
    expect(out(await a.app.runner.run(tool('place_call'), { to: '203' }, env())).status).toBe('done');
    now += 185_000;
    expect(out(await a.app.runner.run(tool('place_call'), { to: '203' }, env())).message).toContain('You called extension 203 from alice 3 min ago. Call again?');
  });

  it('two identical calls sent together: one dials, the other asks', async () => {
    const a = await app();
    const both = await Promise.all([0, 1].map(() => a.app.runner.run(tool('place_call'), { to: '203' }, env())));
    expect(both.map((r) => out(r).status).sort()).toEqual(['confirmation_required', 'done']);
    expect(a.sim().engine.listCalls()).toHaveLength(1);
  });

  it('is off with repeatWindowSeconds 0, and under confirm off (nobody to ask)', async () => {
    for (const safety of [{ repeatWindowSeconds: 0 }, { confirm: 'off' }]) {
      const a = await app(safety);
      for (let i = 0; i < 2; i++) expect(out(await a.app.runner.run(tool('place_call'), { to: '203' }, env())).status).toBe('done');
      expect(a.sim().engine.listCalls()).toHaveLength(2);
      await a.close();
      t = undefined;
    }
  });
});

describe('MemoryRepeatLog', () => {
  it('finds an action within its window only, forgets one not done unless noted again, and keeps a bounded number', async () => {
    let at = 1000;
    const log = new MemoryRepeatLog(() => at);
    const first = await log.begin('k', 60_000);
    expect(first).toHaveProperty('mark');
    at += 12_000;
    expect(await log.begin('k', 60_000)).toEqual({ ago: 12_000 });
    await log.forget('k', 'not-its-mark');
    expect(await log.begin('k', 60_000)).toEqual({ ago: 12_000 });
    await log.forget('k', (first as { mark: string }).mark);
    expect(await log.begin('k', 60_000)).toHaveProperty('mark');
    at += 60_000;
    expect(await log.begin('k', 60_000), 'past its window').toHaveProperty('mark');
    for (let i = 0; i < 25_000; i++) await log.begin(`many-${i}`, 60_000);
    expect(await log.begin('many-0', 60_000), 'the oldest were forgotten').toHaveProperty('mark');
    expect(await log.begin('many-24999', 60_000)).toEqual({ ago: 0 });
  });

  it('keys hide what they key, and differ by principal, tool, PBX and target', () => {
    const k = repeatKey('p', 'place_call', 'office', ['call', '+390612345678', 'alice']);
    expect(k).not.toContain('390612345678');
    expect(new Set([k, repeatKey('q', 'place_call', 'office', ['call', '+390612345678', 'alice']), repeatKey('p', 'dial_user', 'office', ['call', '+390612345678', 'alice']), repeatKey('p', 'place_call', 'home', ['call', '+390612345678', 'alice']), repeatKey('p', 'place_call', 'office', ['call', '+390612345678', 'bob'])]).size).toBe(5);
  });
});
