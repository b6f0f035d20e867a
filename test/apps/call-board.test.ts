/**
 * The call board's logic without a browser: what it reads out of tool results (and what it leaves out), how it
 * understands an action's outcome, the server's confirmation question included, when it reads the PBX again, and
 * the built page itself (one self-contained file under 400 KB, nothing remote, no markup from data).
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { clock, numberText, partyText, secondsSince } from '../../src/apps/call-board/format.js';
import { MAX_BACKOFF_MS, nextDelay, paceOf, Poller } from '../../src/apps/call-board/pace.js';
import { outcomeOf, questionOf, readCalls, readQueue, readQueueNames } from '../../src/apps/call-board/results.js';
import { toCallToolResult } from '../../src/server.js';
import { CONFIG_SLOT } from '../../src/server/apps.js';
import { ALL_TOOLS } from '../../src/tools/index.js';
import { env, testApp, type TestApp } from '../helpers/app.js';
import { REPO } from '../helpers/mcp.js';

const call = (over: Record<string, unknown> = {}) => ({
  id: 'c1',
  state: 'connected',
  from: { number: '+390612345678', name: 'Giuseppe Test' },
  to: { number: '201' },
  answered: true,
  started_at: '2026-12-05T10:00:00.000Z',
  duration_seconds: 75,
  ...over,
});

describe('reading results', () => {
  it('takes the calls of a get_active_call result and leaves out what does not have their shape', () => {
    const data = readCalls({
      pbx: 'office',
      user: 'alice',
      total: 4,
      calls: [call(), call({ id: 'c2', state: 'teleporting' }), call({ id: 'c3', from: { name: 'no number' } }), 'junk', call({ id: 'c4', from: { number: '202', name: 'x'.repeat(5000) } })],
    });
    expect(data?.calls.map((c) => c.id)).toEqual(['c1', 'c4']);
    expect(data?.calls[1]!.from.name).toHaveLength(120);
    expect(data).toMatchObject({ pbx: 'office', user: 'alice', total: 4 });
    // A queue result is not a calls result, and neither is anything else.
    expect(readCalls({ queue: 'support', calls: [] })).toBeUndefined();
    expect(readCalls(null)).toBeUndefined();
  });

  it('keeps "the PBX does not report members" apart from "no members"', () => {
    const base = { queue: 'support', waiting_count: 2, calls: [{ id: 'q1', caller: '', status: 'waiting', waited_seconds: 30 }] };
    expect(readQueue({ ...base, members: null, members_note: 'this PBX does not report queue members' })).toMatchObject({ members: null, membersNote: 'this PBX does not report queue members' });
    expect(readQueue({ ...base, members: [] })!.members).toEqual([]);
    expect(readQueue({ ...base, members: [{ user: 'bob', paused: 'yes' }, { user: 'carol', paused: true, state: 'on_call', reason: 'lunch' }] })!.members).toEqual([
      { user: 'carol', paused: true, state: 'on_call', reason: 'lunch' },
    ]);
    expect(readQueue({ ...base, waiting_count: -1 })).toBeUndefined();
  });

  it('reads queue names out of the pbx://{pbx}/queues resource', () => {
    expect(readQueueNames(JSON.stringify({ queues: [{ name: 'support' }, { nom: 'x' }, { name: 'sales' }], total: 9 }))).toEqual({ names: ['support', 'sales'], total: 9 });
    expect(readQueueNames('not json')).toBeUndefined();
  });
});

describe('what an action came to', () => {
  let t: TestApp;
  afterEach(() => t?.close());

  it("finds the question in the server's own confirmation_required result, and the token to send back", async () => {
    t = await testApp();
    const c = t.sim().engine.inboundCall('+390612345678', '201');
    t.clock.advance(61_000);
    const hangup = ALL_TOOLS.find((x) => x.name === 'hangup')!;
    const result = toCallToolResult(await t.app.runner.run(hangup, { call_id: c.id }, env()));
    const outcome = outcomeOf(result);
    expect(outcome).toEqual({
      kind: 'confirm',
      question: 'Hang up the call between +390612345678 (Giuseppe Test) and 201 (Alice) (connected, started 1 min ago)?',
      token: (result.structuredContent as { confirm_token: string }).confirm_token,
    });
    // Nothing happened yet; with the token, it does.
    expect(t.sim().engine.listCalls()).toHaveLength(1);
    const done = outcomeOf(toCallToolResult(await t.app.runner.run(hangup, { call_id: c.id, confirm_token: (outcome as { token: string }).token }, env())));
    expect(done).toMatchObject({ kind: 'done', message: expect.stringMatching(/^Hung up the call between/) });
    expect(t.sim().engine.listCalls()).toEqual([]);
  });

  it('tells a refusal, a decline and an error apart', () => {
    expect(outcomeOf({ isError: true, content: [{ type: 'text', text: 'PBX office is unreachable' }] })).toEqual({ kind: 'error', message: 'PBX office is unreachable' });
    expect(outcomeOf({ content: [], structuredContent: { status: 'not_confirmed', message: 'The user declined' } })).toEqual({ kind: 'declined' });
    expect(outcomeOf({ content: [], structuredContent: { status: 'confirmation_required', message: 'x' } }).kind).toBe('error');
    expect(outcomeOf(undefined).kind).toBe('error');
    expect(questionOf('Something else entirely')).toBe('Something else entirely');
  });
});

describe('pace', () => {
  it("reads at the PBX's pace, backs off after failures up to a minute, and never below the pace", () => {
    expect(nextDelay(3000, 0)).toBe(3000);
    expect(nextDelay(3000, 1, () => 0.5)).toBe(6000);
    expect(nextDelay(3000, 3, () => 0.5)).toBe(24_000);
    expect(nextDelay(3000, 20, () => 0.5)).toBe(MAX_BACKOFF_MS);
    for (const r of [0, 0.999]) expect(nextDelay(3000, 1, () => r)).toBeGreaterThanOrEqual(3000);
    expect(paceOf({ pace: { office: 2000, ipps: 3000 } }, 'ipps')).toBe(3000);
    expect(paceOf({ pace: { office: 2000, ipps: 3000, xuc: 8000 } }, 'unknown')).toBe(8000);
    expect(paceOf({ pace: { fast: 10 } }, 'fast')).toBe(1000);
    expect(paceOf(undefined, undefined)).toBe(5000);
  });

  /** A poller on a fake clock; returns the start times of its rounds. */
  function fake(results: boolean[], interval = 3000) {
    let now = 0;
    const timers: { at: number; fn: () => void; id: number }[] = [];
    let ids = 0;
    const starts: number[] = [];
    const poller = new Poller(
      async () => {
        starts.push(now);
        return results.shift() ?? true;
      },
      () => interval,
      {
        now: () => now,
        setTimer: (fn, ms) => {
          const id = ++ids;
          timers.push({ at: now + ms, fn, id });
          return id;
        },
        clearTimer: (id) => timers.splice(timers.findIndex((x) => x.id === id) >>> 0, 1),
        random: () => 0.5,
      },
    );
    const advance = async (ms: number) => {
      const end = now + ms;
      for (;;) {
        timers.sort((a, b) => a.at - b.at);
        const next = timers[0];
        if (!next || next.at > end) break;
        timers.shift();
        now = next.at;
        next.fn();
        for (let i = 0; i < 5; i++) await Promise.resolve();
      }
      now = end;
    };
    return { poller, starts, advance };
  }

  it('starts rounds at least one pace apart, even when asked for one sooner after an action', async () => {
    const f = fake([]);
    f.poller.start();
    await f.advance(1000);
    f.poller.soon();
    f.poller.soon();
    await f.advance(9000);
    expect(f.starts).toEqual([0, 3000, 6000, 9000]);
    // Stopped (hidden, torn down) and started again: at once when the pace allows, else when it does.
    f.poller.stop();
    await f.advance(1000);
    f.poller.start();
    await f.advance(0);
    expect(f.starts.at(-1)).toBe(9000);
    await f.advance(2000);
    expect(f.starts.at(-1)).toBe(12_000);
    f.poller.stop();
    await f.advance(10_000);
    f.poller.start();
    await f.advance(0);
    expect(f.starts.at(-1)).toBe(23_000);
  });

  it('counts the read that opened the view: the first round of its own comes a pace after it', async () => {
    const f = fake([]);
    await f.advance(1000);
    f.poller.start(1000);
    f.poller.start(); // the fallback start of a host that sent the input first: no round sooner
    await f.advance(5000);
    expect(f.starts).toEqual([4000]);
  });

  it('waits longer after each failed round and comes back to the pace after a good one; stops for good', async () => {
    const f = fake([false, false, false, true]);
    f.poller.start();
    await f.advance(60_000);
    expect(f.starts.slice(0, 6)).toEqual([0, 6000, 18_000, 42_000, 45_000, 48_000]);
    f.poller.stop();
    const n = f.starts.length;
    await f.advance(60_000);
    expect(f.starts.length).toBe(n);
  });
});

describe('wording', () => {
  it('writes durations as a clock, and says when a number is hidden', () => {
    expect([0, 7, 133, 3723].map(clock)).toEqual(['0:00', '0:07', '2:13', '1:02:03']);
    expect([undefined, '', 'anonymous', ' 201 '].map(numberText)).toEqual(['hidden number', 'hidden number', 'hidden number', '201']);
    expect(partyText({ number: '201', name: 'Alice' })).toBe('Alice · 201');
    expect(secondsSince('12:00:01', Date.now())).toBeUndefined();
    expect(secondsSince('2026-01-01T00:00:00Z', Date.parse('2026-01-01T00:01:30Z'))).toBe(90);
  });
});

describe('the built page', () => {
  const html = readFileSync(join(REPO, 'dist', 'call-board.html'), 'utf8');

  it('is one self-contained file under 400 KB with its settings slot', () => {
    expect(Buffer.byteLength(html)).toBeLessThan(400 * 1024);
    expect(html.split(CONFIG_SLOT)).toHaveLength(2);
    // Nothing to fetch: no external script, stylesheet, font, image or frame, and no URL to reach at all.
    expect(html).not.toMatch(/<(script|link|img|iframe|source|object|embed)\b[^>]*\b(src|href|data)=/i);
    expect(html).not.toMatch(/@import|url\(|@font-face/i);
    expect(html).not.toMatch(/https?:\/\//i);
  });

  it('builds DOM only through text: no innerHTML or any other markup sink in the view sources', () => {
    const dir = join(REPO, 'src', 'apps', 'call-board');
    for (const f of readdirSync(dir).filter((x) => x.endsWith('.ts'))) {
      expect(readFileSync(join(dir, f), 'utf8'), f).not.toMatch(/innerHTML|outerHTML|insertAdjacentHTML|document\.write|\beval\(|new Function/);
    }
  });
});
