/**
 * The demo as a person lives it, on the sim clock: the office keeps getting calls for as long as it runs, calls
 * end, and nobody is ever in two conversations at once.
 */
import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/util/clock.js';
import { type CallView, PbxEngine } from '../../src/simulators/engine/engine.js';
import { DEMO_SCENARIO_PATH, loadScenario } from '../../src/simulators/engine/scenario.js';
import { engine } from '../helpers/scenario.js';

/** Users talking on more than one call at once (a conference counts once): the impossible state. */
function doubleTalkers(calls: CallView[]): string[] {
  const talking = new Map<string, number>();
  for (const c of calls) {
    if (c.state !== 'connected') continue;
    const users = new Set([c.fromUser, c.toUser].filter((u): u is string => u !== undefined));
    for (const u of users) talking.set(u, (talking.get(u) ?? 0) + 1);
  }
  return [...talking].filter(([, n]) => n > 1).map(([u, n]) => `${u} on ${n} connected calls`);
}

describe('one conversation at a time', () => {
  it('a user on a call does not pick up another by itself: it rings (call waiting) and is missed', () => {
    const { engine: e, clock } = engine();
    const first = e.inboundCall('+390612345678', '202');
    clock.advance(1000);
    expect(e.call(first.id).state).toBe('connected');
    const second = e.inboundCall('+393471234567', '202');
    clock.advance(19_000);
    expect(e.call(second.id).state).toBe('ringing');
    expect(doubleTalkers(e.listCalls())).toEqual([]);
    clock.advance(1000);
    expect(e.listCalls().map((c) => c.id)).toEqual([first.id]);
    expect(e.history('bob')[0]).toMatchObject({ from: '+393471234567', status: 'missed' });
  });

  it('answering a waiting call, or placing a new one, holds the call in progress', () => {
    const { engine: e, clock } = engine();
    const first = e.inboundCall('+390612345678', '202');
    clock.advance(1000);
    const second = e.inboundCall('+393471234567', '202');
    e.answer('bob', second.id);
    expect(e.call(first.id)).toMatchObject({ state: 'on_hold', heldBy: 'bob' });
    expect(e.call(second.id).state).toBe('connected');
    const third = e.placeCall('bob', '203');
    expect(e.call(second.id)).toMatchObject({ state: 'on_hold', heldBy: 'bob' });
    clock.advance(1000);
    expect(e.call(third.id).state).toBe('connected');
    e.hold('bob', first.id, false);
    expect(e.call(third.id)).toMatchObject({ state: 'on_hold', heldBy: 'bob' });
    expect(e.call(first.id).state).toBe('connected');
    expect(doubleTalkers(e.listCalls())).toEqual([]);
  });

  it('a call that was answering by itself waits instead when the user got busy meanwhile', () => {
    const { engine: e, clock } = engine();
    const waiting = e.inboundCall('+390612345678', '202');
    const other = e.inboundCall('+393471234567', '202');
    e.answer('bob', other.id);
    clock.advance(1000);
    expect(e.call(waiting.id).state).toBe('ringing');
    expect(doubleTalkers(e.listCalls())).toEqual([]);
  });
});

describe('the demo office over time', () => {
  it('keeps calls arriving, ending and within reason for an hour, from plausible callers only', () => {
    const clock = new ManualClock();
    const e = new PbxEngine(loadScenario(DEMO_SCENARIO_PATH), { clock });
    const seeded = e.listCalls().map((c) => c.id);
    expect(seeded).toHaveLength(2);
    e.start();
    const arrivals: { at: number; from: string; to: string }[] = [];
    const seen = new Set(seeded);
    const problems: string[] = [];
    let maxActive = 0;
    const MINUTE = 60_000;
    for (let s = 1; s <= 3600; s++) {
      clock.advance(1000);
      const calls = e.listCalls();
      for (const c of calls) {
        if (seen.has(c.id)) continue;
        seen.add(c.id);
        if (c.fromKind === 'external') arrivals.push({ at: s, from: c.from.number, to: c.to.number });
      }
      for (const p of doubleTalkers(calls)) problems.push(`${s} s: ${p}`);
      for (const c of calls) if (c.durationSeconds > 15 * 60) problems.push(`${s} s: call ${c.id} has lasted ${c.durationSeconds} s`);
      maxActive = Math.max(maxActive, calls.length);
    }
    expect(problems.slice(0, 5)).toEqual([]);
    // The seeded calls end like any other.
    for (const id of seeded) expect(e.listCalls().some((c) => c.id === id), id).toBe(false);
    // Calls keep arriving: about one every 45 s, and never a quiet quarter of an hour.
    expect(arrivals.length).toBeGreaterThan(40);
    expect(arrivals.length).toBeLessThan(120);
    for (let from = 0; from < 3600; from += 5 * 60) {
      expect(arrivals.filter((a) => a.at > from && a.at <= from + 5 * 60).length, `arrivals in minute ${from / 60} to ${from / 60 + 5}`).toBeGreaterThan(0);
    }
    // Callers an office hears from: not the premium quiz line it could dial.
    expect(arrivals.filter((a) => a.from === '+39899123456')).toEqual([]);
    expect(new Set(arrivals.map((a) => a.from)).size).toBeGreaterThan(3);
    expect(maxActive).toBeLessThanOrEqual(6);
    // Still alive at the end, and the history shows the office's day.
    expect(clock.now() - Date.parse('2026-01-05T09:00:00Z')).toBe(60 * MINUTE);
    expect(e.history('bob').length).toBeGreaterThan(3);
    e.close();
    expect(clock.pendingTimers).toBe(0);
  });
});
