/** The demo's traffic generator: outside callers ring the scenario's numbers, and hang up by themselves. */
import { inboundCall } from './actions.js';
import { hangUpLater } from './routing.js';
import { type CallRec, type EngineState, normalizeDialString } from './state.js';

/**
 * Start the scenario's demo traffic, if any: outside callers ring its numbers at irregular intervals averaging
 * `everyMs`, at most `maxConcurrent` at a time, each from a caller not already on the phone. A caller hangs up by
 * themselves: after a conversation of half a minute to four minutes, or after waiting one to three minutes
 * unanswered. The scenario's own calls from outside are such callers too, so the office never fills up for good.
 */
export function startTraffic(s: EngineState): void {
  const t = s.scenario.traffic;
  if (!t || s.trafficTimer !== undefined || !s.externals.size) return;
  s.op(() => {
    for (const rec of s.calls.values()) if (rec.from.kind === 'external') makeDemo(s, rec);
  });
  const callers = t.from ? t.from.map(normalizeDialString) : [...s.externals.keys()];
  const next = () => {
    // Irregular like real arrivals: between half and one and a half times the average interval.
    s.trafficTimer = s.later(tick, Math.round(t.everyMs * (0.5 + s.nextRand(1001) / 1000)));
  };
  const tick = () => {
    next();
    const active = [...s.calls.values()].filter((c) => c.demo).length;
    if (active >= t.maxConcurrent) return;
    const onPhone = new Set([...s.calls.values()].flatMap((c) => [c.from, c.to].filter((p) => p.kind === 'external').map((p) => normalizeDialString(p.number))));
    const free = callers.filter((n) => !onPhone.has(n));
    if (!free.length) return;
    const from = free[s.nextRand(free.length)]!;
    const to = t.to[s.nextRand(t.to.length)]!;
    try {
      const v = inboundCall(s, from, to);
      const rec = s.calls.get(v.id);
      if (rec) makeDemo(s, rec);
    } catch {
      // busy or DND: the demo caller simply gives up
    }
  };
  next();
}

/** An outside caller of the demo: hangs up after waiting a while unanswered, or talking a while once answered. */
function makeDemo(s: EngineState, rec: CallRec): void {
  rec.demo = true;
  if (rec.state === 'connected') {
    const talked = rec.answeredAt !== undefined ? s.clock.now() - rec.answeredAt : 0;
    hangUpLater(s, rec, Math.max(30_000, 30_000 + s.nextRand(210_000) - talked));
  } else {
    const waited = s.clock.now() - rec.startedAt;
    hangUpLater(s, rec, Math.max(15_000, 60_000 + s.nextRand(120_000) - waited));
  }
}

/** Stop every timer (the engine stays readable). */
export function stopTimers(s: EngineState): void {
  if (s.trafficTimer !== undefined) s.clock.clearTimeout(s.trafficTimer);
  s.trafficTimer = undefined;
  for (const c of s.calls.values()) {
    s.clearTimer(c);
    if (c.talkTimer !== undefined) s.clock.clearTimeout(c.talkTimer);
  }
}
