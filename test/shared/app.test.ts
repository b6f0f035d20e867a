/**
 * Two apps (two servers of a deployment, in this process) sharing a real redis-server, driven through the runner
 * and the resources: a confirmation issued by one is completed by the other exactly once, the limits hold for
 * both, audit://recent shows a caller its entries from both; with Redis gone actions are refused (nothing done)
 * while reads go on, and once it is back actions resume without a restart. Without a Redis URL nothing is shared.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { isSharedStoreError } from '../../src/shared/errors.js';
import { ALL_TOOLS } from '../../src/tools/index.js';
import { env, testApp, type TestApp } from '../helpers/app.js';
import { needBinaries, type RedisServer, startRedis } from '../helpers/services.js';

const SECRET = 'a-shared-state-secret-of-32-bytes-or-more';
const tool = (name: string) => ALL_TOOLS.find((t) => t.name === name)!;

describe('a server on its own', () => {
  it('shares nothing and needs no Redis', async () => {
    const t = await testApp();
    try {
      expect(t.app.shared.kind).toBe('memory');
      expect(t.app.shared.gate).toBeUndefined();
      const r = await t.app.runner.run(tool('place_call'), { to: '202' }, env());
      expect(r).toMatchObject({ ok: true, structured: { status: 'done' } });
    } finally {
      await t.close();
    }
  });
});

describe('two servers sharing Redis', () => {
  if (!needBinaries(['redis-server'])) return;

  let redis: RedisServer;
  let n = 0;
  const apps: TestApp[] = [];
  async function server(extra: { dialPolicy?: Record<string, unknown>; audit?: Record<string, unknown> } = {}): Promise<TestApp> {
    const t = await testApp({
      shared: { redisUrl: redis.url, keyPrefix: `app${n}:`, commandTimeoutMs: 300 },
      safety: { confirm: 'token', stateSecret: SECRET, dialPolicy: { defaultCountry: 'IT', ...extra.dialPolicy } },
    });
    apps.push(t);
    return t;
  }
  beforeAll(async () => {
    redis = await startRedis();
  });
  afterEach(async () => {
    n++;
    await Promise.all(apps.splice(0).map((a) => a.close()));
  });
  afterAll(async () => {
    await redis?.stop();
  });

  it('a confirm_token asked for on one is used on the other exactly once; a replay on either does nothing and says so', async () => {
    const [a, b] = [await server(), await server()];
    expect(a.app.shared.kind).toBe('redis');
    const args = { to: '+39 06 1234 5678' };
    const asked = await a.app.runner.run(tool('place_call'), args, env());
    const token = (asked as unknown as { structured: { confirm_token: string } }).structured.confirm_token;
    const done = await b.app.runner.run(tool('place_call'), { ...args, confirm_token: token }, env());
    expect(done, JSON.stringify(done)).toMatchObject({ ok: true, structured: { status: 'done' } });
    expect(b.sim().engine.listCalls()).toHaveLength(1);
    for (const t of [a, b]) {
      const replay = await t.app.runner.run(tool('place_call'), { ...args, confirm_token: token }, env());
      expect(replay).toMatchObject({ ok: false, error: { kind: 'invalid' } });
      expect((replay as { message: string }).message).toContain('The confirm_token was refused: it was already used (tokens are single use). Nothing was done');
    }
    expect(a.sim().engine.listCalls()).toHaveLength(0);
    expect(b.sim().engine.listCalls()).toHaveLength(1);
  });

  it('the repeat window is the deployment\'s: a call done on one asks again on the other; two sent together to both, one dials', async () => {
    const [a, b] = [await server(), await server()];
    const first = await a.app.runner.run(tool('place_call'), { to: '203' }, env());
    expect(first).toMatchObject({ ok: true, structured: { status: 'done' } });
    const again = await b.app.runner.run(tool('place_call'), { to: '203' }, env());
    expect(again).toMatchObject({ ok: true, structured: { status: 'confirmation_required' } });
    expect((again as unknown as { structured: { message: string } }).structured.message).toMatch(/You called extension 203 from alice \d+ s ago\. Call again\?/);
    const both = await Promise.all([a, b].map((s) => s.app.runner.run(tool('place_call'), { to: '202' }, env())));
    expect(both.map((r) => (r as unknown as { structured: { status: string } }).structured.status).sort()).toEqual(['confirmation_required', 'done']);
    expect(a.sim().engine.listCalls().length + b.sim().engine.listCalls().length).toBe(2);
  });

  it('the per-PBX rate holds for both: four calls a minute, whichever server places them', async () => {
    const [a, b] = [await server({ dialPolicy: { maxCallsPerMinutePerPbx: 4 } }), await server({ dialPolicy: { maxCallsPerMinutePerPbx: 4 } })];
    const users = ['alice', 'bob', 'carol', 'alice', 'bob', 'carol'];
    // A number per call: the same number from the same user twice would be asked about as a repeat.
    const results = await Promise.all(users.map((user, i) => (i % 2 ? a : b).app.runner.run(tool('place_call'), { to: i < 3 ? '600' : '601', user }, env())));
    expect(results.filter((r) => r.ok), JSON.stringify(results)).toHaveLength(4);
    const refused = results.filter((r) => !r.ok);
    expect(refused).toHaveLength(2);
    expect((refused[0] as { message: string }).message).toContain('4 calls were placed on this PBX in the last minute, for all users together (limit 4)');
  });

  it('audit://recent shows a caller its entries from every server, oldest first, and no one else\'s', async () => {
    const [a, b] = [await server(), await server()];
    await a.app.runner.run(tool('set_dnd'), { enabled: true }, env());
    await b.app.runner.run(tool('set_dnd'), { enabled: false }, env());
    await b.app.runner.run(tool('set_dnd'), { enabled: true }, env({ principal: { id: 'token:other', kind: 'token', name: 'other' } }));
    const view = await a.app.audit.recentOf(env().principal.id);
    expect(view.partial).toBeUndefined();
    expect(view.entries.map((e) => (e.args as { enabled: boolean }).enabled)).toEqual([true, false]);
  });

  it('Redis gone: actions are refused at once naming the store (nothing done), reads go on; back: actions resume', async () => {
    const a = await server();
    await redis.stop();
    // No waiting for the server to notice: the action's own check does.
    const t0 = Date.now();
    const refused = await a.app.runner.run(tool('place_call'), { to: '202' }, env());
    expect(Date.now() - t0).toBeLessThan(300);
    expect(refused).toMatchObject({ ok: false, error: { kind: 'unavailable', retryable: true } });
    const message = (refused as { message: string }).message;
    expect(message).toMatch(/^The shared store of this deployment \(Redis at redis:\/\/127\.0\.0\.1:\d+\) (is unreachable|did not answer within 300 ms|failed \(.*\)), so this action was refused: nothing was done\./);
    expect(message).toContain('actions resume by themselves once it answers again, without a restart');
    expect(message).not.toContain('PBX');
    expect(a.sim().engine.listCalls()).toHaveLength(0);
    expect(a.app.audit.recent().at(-1)).toMatchObject({ tool: 'place_call', outcome: 'error', error: { kind: 'unavailable' } });
    // Reads do not need the store.
    expect(await a.app.runner.run(tool('get_active_call'), {}, env())).toMatchObject({ ok: true });
    const view = await a.app.audit.recentOf(env().principal.id);
    expect(view.partial).toContain('these are the entries of this server only');
    expect(view.entries.at(-1)).toMatchObject({ tool: 'place_call' });
    await redis.start();
    const back = Date.now() + 5000;
    let again = await a.app.runner.run(tool('place_call'), { to: '202' }, env());
    while (!again.ok && Date.now() < back) {
      await new Promise((r) => setTimeout(r, 100));
      again = await a.app.runner.run(tool('place_call'), { to: '202' }, env());
    }
    expect(again).toMatchObject({ ok: true, structured: { status: 'done' } });
    expect(a.sim().engine.listCalls()).toHaveLength(1);
  });

  it('a claim that cannot be made refuses the confirmation and does nothing', async () => {
    const [a, b] = [await server(), await server()];
    const args = { to: '+39 06 1234 5678' };
    const asked = await a.app.runner.run(tool('place_call'), args, env());
    const token = (asked as unknown as { structured: { confirm_token: string } }).structured.confirm_token;
    // Frozen after the gate let the action in: the claim times out, and nothing is dialled.
    redis.pause();
    try {
      const r = await b.app.runner.run(tool('place_call'), { ...args, confirm_token: token }, env());
      expect(r).toMatchObject({ ok: false, error: { kind: 'unavailable' } });
      expect((r as { message: string }).message).toContain('did not answer within 300 ms, so this action was refused: nothing was done');
      expect(b.sim().engine.listCalls()).toHaveLength(0);
    } finally {
      redis.resume();
    }
    expect(isSharedStoreError(new Error('x'))).toBe(false);
  });
});
