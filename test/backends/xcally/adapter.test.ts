/**
 * The xcally adapter over real HTTP: against the simulator (asserting on the engine) for every action's faults
 * and refusals, the call-number rules, hold's toggle, and the paths it may send; and against a fake phone bar that
 * answers exactly the vendor doc's sample. The simulator takes the doc's least convenient reading (every row
 * ACTIVE) unless a block says otherwise with `reading(...)`.
 */
import fc from 'fast-check';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { unsafeDialable } from '../../../src/backends/backend.js';
import { startSimServer, type FaultKind, type SimServer } from '../../../src/simulators/kit.js';
import { ATTENDED_COMPLETION, type XcallyBackend, xcallyType } from '../../../src/backends/xcally/backend.js';
import type { XcAction } from '../../../src/backends/xcally/client.js';
import { silentLogger } from '../../../src/log.js';
import { expectBackendError } from '../contract.js';
import type { XcallyReadingName } from '../../../src/simulators/xcally/simulator.js';
import { xcallyHarness, type XcallyHarness } from './harness.js';

const CALLER = '+390612345678';
/** Every path the adapter may send: a documented method, JSON dialect, at most one plain-number parameter. */
const CLEAN_PATH = /^\/xcally\/svc\/(originate|answer|hangup|holding|transfer|atxfer|conference|channels|channel|recents|queues|peer)(\/(%2B)?[0-9]{1,20})?$/;

let h: XcallyHarness;
let b: XcallyBackend;
let simReading: XcallyReadingName = 'doc';

/** The tests of the enclosing block run against the simulator taking `name`. */
function reading(name: XcallyReadingName): void {
  beforeAll(() => void (simReading = name));
  afterAll(() => void (simReading = 'doc'));
}

beforeEach(async () => {
  h = await xcallyHarness({ reading: simReading });
  b = h.backend;
});
afterEach(async () => {
  await b.close();
  await h.close();
});

/** Requests the phone bar saw for `method` (any parameter). */
const sent = (method: string) => h.sim.server.log.filter((r) => r.path === `/xcally/svc/${method}` || r.path.startsWith(`/xcally/svc/${method}/`));

/** An outside caller rings the agent; connected unless `ring`. */
function inbound(from = CALLER, ring = false) {
  h.engine.setAnswerMode('alice', ring ? 'manual' : 'auto');
  const c = h.engine.inboundCall(from, '201');
  if (!ring) h.clock.advance(1500);
  return c;
}

/** A held call A and a connected call B: the conference is one step away. */
function heldAndConnected() {
  const a = inbound();
  h.engine.hold('alice', a.id, true);
  h.engine.placeCall('alice', '202');
  h.clock.advance(1500);
  return a;
}

/** Each action, set up so that the phone bar would carry it out, and the engine change it makes. */
const ACTIONS: Record<XcAction, { prepare(): (bk: XcallyBackend) => Promise<unknown>; happened(): boolean }> = {
  originate: {
    prepare: () => (bk) => bk.placeCall({ to: unsafeDialable('202') }),
    happened: () => h.engine.listCalls('alice').length === 1,
  },
  answer: {
    prepare: () => {
      const c = inbound(CALLER, true);
      return (bk) => bk.answer({ callId: c.id });
    },
    happened: () => h.engine.listCalls('alice')[0]?.state === 'connected',
  },
  hangup: {
    prepare: () => {
      const c = inbound();
      return (bk) => bk.hangup({ callId: c.id });
    },
    happened: () => h.engine.listCalls('alice').length === 0,
  },
  holding: {
    prepare: () => {
      const c = inbound();
      return (bk) => bk.hold({ callId: c.id, on: true });
    },
    happened: () => h.engine.listCalls('alice')[0]?.state === 'on_hold',
  },
  transfer: {
    prepare: () => {
      const c = inbound();
      return (bk) => bk.transferBlind({ callId: c.id, to: unsafeDialable('203') });
    },
    happened: () => h.engine.listCalls('alice').length === 0,
  },
  atxfer: {
    prepare: () => {
      const c = inbound();
      return (bk) => bk.transferAttended({ callId: c.id, to: unsafeDialable('203') });
    },
    happened: () => h.engine.listCalls('alice').length === 2,
  },
  conference: {
    prepare: () => {
      const a = heldAndConnected();
      return (bk) => bk.conference({ callId: a.id });
    },
    happened: () => h.engine.listCalls('alice').some((c) => c.participants?.length === 3),
  },
};
const NAMES = Object.keys(ACTIONS) as XcAction[];

describe('every action on the wire', () => {
  it('is one GET of a documented JSON path with Cache-Control: no-cache, for the whole call flow', async () => {
    for (const name of NAMES) {
      h.engine.listCalls().forEach((c) => h.engine.hangup(undefined, c.id));
      h.sim.server.resetStats();
      await ACTIONS[name].prepare()(b);
      expect(ACTIONS[name].happened(), name).toBe(true);
      expect(sent(name), name).toHaveLength(1);
    }
    h.engine.listCalls().forEach((x) => h.engine.hangup(undefined, x.id));
    h.sim.server.resetStats();
    h.engine.listCalls().forEach((x) => h.engine.hangup(undefined, x.id));
    const c = inbound();
    await b.hold({ callId: c.id, on: true });
    await b.hold({ callId: c.id, on: false });
    await b.hangup({});
    await b.history({});
    for (const name of NAMES) await (h.engine.listCalls().forEach((x) => h.engine.hangup(undefined, x.id)), ACTIONS[name].prepare()(b));
    const log = h.sim.server.log;
    expect(new Set(log.map((r) => r.path.split('/')[3]))).toEqual(new Set([...NAMES, 'channels', 'channel', 'recents']));
    for (const r of log) {
      expect(r.method).toBe('GET');
      expect(r.path).toMatch(CLEAN_PATH);
      expect(r.query.toString()).toBe('');
      expect(r.headers['cache-control']).toBe('no-cache');
    }
  });
});

describe.each(NAMES)('action %s', (name) => {
  const match = name === 'answer' ? '/xcally/svc/answer' : `/xcally/svc/${name}/`;

  it.each<[string, FaultKind, number | undefined, string]>([
    ['connection reset after it was carried out', 'reset_after', undefined, 'outcome_unknown'],
    ['connection reset before the phone bar ran it', 'reset_before', undefined, 'outcome_unknown'],
    ['truncated answer', 'truncate', undefined, 'outcome_unknown'],
    ['unreadable answer', 'garbage', undefined, 'outcome_unknown'],
    ['HTTP 500', 'status', 500, 'outcome_unknown'],
    ['HTTP 404', 'status', 404, 'not_found'],
    ['HTTP 400', 'status', 400, 'invalid'],
  ])('%s (%s): a typed error, sent exactly once', async (_label, kind, status, expected) => {
    const run = ACTIONS[name].prepare();
    h.sim.server.inject({ kind, match, ...(status ? { status } : {}) });
    const e = await expectBackendError(run(b), [expected as 'outcome_unknown']);
    expect(sent(name)).toHaveLength(1);
    if (expected === 'outcome_unknown') expect(`${e.message} ${e.hint}`).toMatch(/may or may not|Do not retry/);
    expect(e.message).not.toContain('garbage{');
  });

  it('with no answer before the deadline: outcome_unknown within it, sent once', async () => {
    const short = await h.backendWith({ timeoutMs: 300 });
    try {
      const run = ACTIONS[name].prepare();
      h.sim.server.inject({ kind: 'stall', match });
      const t = Date.now();
      await expectBackendError(run(short), ['outcome_unknown']);
      expect(Date.now() - t).toBeLessThan(3000);
      expect(sent(name)).toHaveLength(1);
      expect(ACTIONS[name].happened()).toBe(true);
    } finally {
      await short.close();
    }
  });
});

describe('the phone bar refusing (response "false")', () => {
  it('originate to a number the PBX refuses: conflict naming the method, nothing happened, sent once', async () => {
    h.engine.setDnd('bob', true);
    const e = await expectBackendError(b.placeCall({ to: unsafeDialable('202') }), ['conflict']);
    expect(e.message).toMatch(/originate answered response "false"/);
    expect(e.code).toBe('xcally.refused');
    expect(sent('originate')).toHaveLength(1);
    expect(h.engine.listCalls()).toEqual([]);
  });

  it('answer with nothing ringing, transfer to a busy number, conference the PBX refuses', async () => {
    await expectBackendError(b.answer({}), ['conflict']);
    const c = inbound();
    h.engine.setAnswerMode('carol', 'busy');
    const e = await expectBackendError(b.transferBlind({ callId: c.id, to: unsafeDialable('203') }), ['conflict']);
    expect(e.message).toMatch(/transfer answered response "false"/);
    expect(h.engine.call(c.id).to.number).toBe('201');
    await expectBackendError(b.transferAttended({ to: unsafeDialable('203') }), ['conflict']);
    expect(h.engine.call(c.id).state).toBe('connected');
    expect(sent('transfer')).toHaveLength(1);
    expect(sent('atxfer')).toHaveLength(1);
  });

  it('reads answered with response false or an error status are typed errors', async () => {
    h.sim.server.inject({ kind: 'status', status: 404, match: '/channels' });
    await expectBackendError(b.activeCalls({}), ['not_found']);
    h.sim.server.inject({ kind: 'reset_before', match: '/channels' });
    expect(await b.activeCalls({})).toEqual([]);
  });
});

describe('answer', () => {
  it('answers the ringing call and returns it connected, read back with channel/{n}', async () => {
    const c = inbound(CALLER, true);
    const call = await b.answer({ callId: c.id });
    expect(call).toMatchObject({ id: c.id, state: 'connected', from: { number: CALLER }, to: { number: '201' } });
    expect(sent('channel').map((r) => r.path)).toEqual(['/xcally/svc/channel/%2B390612345678']);
  });

  it('without a call id, sends answer and returns nothing to describe', async () => {
    const c = inbound(CALLER, true);
    expect(await b.answer({})).toBeUndefined();
    expect(h.engine.call(c.id).state).toBe('connected');
    expect(sent('channels')).toHaveLength(0);
  });

  it('names the call (answer/{n}) only when another call may be ringing too, and refuses where the phone bar does not take that form', async () => {
    // Rows all ACTIVE: every incoming call the adapter has not answered may be ringing.
    const a = inbound(CALLER, true);
    const c = inbound('+393471234567', true);
    const e = await expectBackendError(b.answer({ callId: c.id }), ['conflict']);
    expect(e.message).toMatch(/2 calls may be ringing.*answer\/%2B393471234567|2 calls may be ringing.*not found/);
    expect(h.engine.call(c.id).state).toBe('ringing');
    expect(h.engine.call(a.id).state).toBe('ringing');
    expect(sent('answer').map((r) => r.path)).toEqual(['/xcally/svc/answer/%2B393471234567']);
    // Alone, it is answered with the bare request.
    h.engine.hangup(undefined, a.id);
    h.sim.server.resetStats();
    expect(await b.answer({ callId: c.id })).toMatchObject({ id: c.id, state: 'connected' });
    expect(sent('answer').map((r) => r.path)).toEqual(['/xcally/svc/answer']);
  });

  it('answers a call the phone bar lists only as ACTIVE, and then knows it is connected', async () => {
    const c = inbound(CALLER, true);
    expect((await b.activeCalls({}))[0]).toMatchObject({ id: c.id, state: 'unknown', answered: false });
    await b.answer({ callId: c.id });
    expect((await b.activeCalls({}))[0]).toMatchObject({ id: c.id, state: 'connected', answered: true });
    await expectBackendError(b.answer({ callId: c.id }), ['conflict']);
    expect(sent('answer')).toHaveLength(1);
  });
});

describe('answer, with a phone bar that also takes answer/{number}', () => {
  reading('words');

  it('with two calls ringing, answers the one named', async () => {
    const a = inbound(CALLER, true);
    const c = inbound('+393471234567', true);
    await b.answer({ callId: c.id });
    expect(h.engine.call(c.id).state).toBe('connected');
    expect(h.engine.call(a.id).state).toBe('ringing');
    expect(sent('answer').map((r) => r.path)).toEqual(['/xcally/svc/answer/%2B393471234567']);
  });

  it('refuses, without sending answer: an unknown id, an answered call, a call the agent placed', async () => {
    await expectBackendError(b.answer({ callId: '1.999' }), ['not_found']);
    // Seen RINGING, then ACTIVE: the phone bar has said it was answered (at the phone).
    const c = inbound(CALLER, true);
    expect((await b.activeCalls({}))[0]).toMatchObject({ id: c.id, state: 'ringing' });
    h.engine.answer('alice', c.id);
    expect((await b.activeCalls({}))[0]).toMatchObject({ id: c.id, state: 'connected', answered: true });
    await expectBackendError(b.answer({ callId: c.id }), ['conflict']);
    h.engine.hangup(undefined, c.id);
    await b.placeCall({ to: unsafeDialable('204') }); // dave answers manually: it keeps ringing
    const out = (await b.activeCalls({}))[0]!;
    expect(out).toMatchObject({ state: 'ringing', direction: 'outbound', from: { number: '201' }, to: { number: '204' } });
    await expectBackendError(b.answer({ callId: out.id }), ['conflict']);
    expect(sent('answer')).toHaveLength(0);
  });
});

describe('hold (a toggle on the wire), with rows that all say ACTIVE', () => {
  it('holds a call it has not held, never holds it twice, resumes only what it held', async () => {
    const c = inbound();
    // Not held by telephony-mcp, and ACTIVE says nothing more: resuming could hold it instead.
    const e = await expectBackendError(b.hold({ callId: c.id, on: false }), ['conflict']);
    expect(e.message).toMatch(/did not put call .* on hold .*toggles/);
    expect(sent('holding')).toHaveLength(0);
    expect(await b.hold({ callId: c.id, on: true })).toEqual({ note: expect.stringMatching(/only as ACTIVE/) });
    expect(h.engine.call(c.id).state).toBe('on_hold');
    // The phone bar still says ACTIVE: the hold it made is what it goes by.
    expect((await b.activeCalls({}))[0]).toMatchObject({ id: c.id, state: 'on_hold', answered: true });
    await b.hold({ callId: c.id, on: true });
    expect(h.engine.call(c.id).state).toBe('on_hold');
    expect(sent('holding')).toHaveLength(1);
    expect(await b.hold({ callId: c.id, on: false })).toBeUndefined();
    expect(h.engine.call(c.id).state).toBe('connected');
    await b.hold({ callId: c.id, on: false });
    expect(h.engine.call(c.id).state).toBe('connected');
    expect(sent('holding')).toHaveLength(2);
    await b.hold({ callId: c.id });
    expect(h.engine.call(c.id).state).toBe('on_hold');
    await b.hold({ on: false });
    expect(h.engine.call(c.id).state).toBe('connected');
    expect(sent('holding')).toHaveLength(4);
  });
});

describe('hold (a toggle on the wire), with a phone bar that says HOLD, RINGING...', () => {
  reading('words');

  it('never toggles a call that already is where it should be', async () => {
    const c = inbound();
    // Connected, but the phone bar says only ACTIVE of a connected call: resuming it is refused, not guessed.
    await expectBackendError(b.hold({ callId: c.id, on: false }), ['conflict']);
    expect(sent('holding')).toHaveLength(0);
    await b.hold({ callId: c.id, on: true });
    await b.hold({ callId: c.id, on: true });
    expect(h.engine.call(c.id).state).toBe('on_hold');
    expect(sent('holding')).toHaveLength(1);
    await b.hold({ callId: c.id, on: false });
    await b.hold({ callId: c.id, on: false });
    expect(h.engine.call(c.id).state).toBe('connected');
    expect(sent('holding')).toHaveLength(2);
    await b.hold({ callId: c.id });
    expect(h.engine.call(c.id).state).toBe('on_hold');
  });

  it('resumes the held call when no id is given, even with another call connected', async () => {
    const a = heldAndConnected();
    await b.hold({ on: false });
    expect(h.engine.call(a.id).state).toBe('connected');
    expect(sent('holding').map((r) => r.path)).toEqual(['/xcally/svc/holding/%2B390612345678']);
  });

  it('refuses a ringing call, and a call that is not there', async () => {
    const c = inbound(CALLER, true);
    await expectBackendError(b.hold({ callId: c.id, on: true }), ['conflict']);
    await expectBackendError(b.hold({ callId: '1.999', on: true }), ['not_found']);
    expect(sent('holding')).toHaveLength(0);
  });
});

describe('hangup', () => {
  it('hangs up the current call when no id is given', async () => {
    inbound();
    await b.hangup({});
    expect(h.engine.listCalls()).toEqual([]);
    await expectBackendError(b.hangup({}), ['not_found']);
    expect(sent('hangup')).toHaveLength(1);
  });

  it('hangs up a conference leg by leg (hangup/A, hangup/B), and says which leg failed', async () => {
    const a = heldAndConnected();
    await b.conference({ callId: a.id });
    const [conf] = await b.activeCalls({});
    expect(conf).toMatchObject({ id: a.id, participants: [{ number: '201' }, { number: CALLER }, { number: '202' }] });
    await b.hangup({ callId: a.id });
    expect(sent('hangup').map((r) => r.path)).toEqual(['/xcally/svc/hangup/%2B390612345678', '/xcally/svc/hangup/202']);
    expect(h.engine.listCalls()).toEqual([]);

    const a2 = heldAndConnected();
    await b.conference({ callId: a2.id });
    h.sim.server.inject({ kind: 'status', status: 500, match: '/hangup/202' });
    const e = await expectBackendError(b.hangup({ callId: a2.id }), ['outcome_unknown']);
    expect(e.message).toMatch(/\+390612345678 was hung up, but hanging up 202 failed/);
  });
});

describe('transfers act on the active call', () => {
  it('with rows all ACTIVE, refuse a call id when another call may be the active one, without sending', async () => {
    const a = heldAndConnected();
    const e = await expectBackendError(b.transferBlind({ callId: a.id, to: unsafeDialable('203') }), ['conflict']);
    expect(e.message).toMatch(/2 calls may be the phone bar's active call/);
    expect(sent('transfer')).toHaveLength(0);
    // Held through the adapter, the other call is known not to be the active one.
    h.engine.hold('alice', a.id, false);
    const b2 = h.engine.listCalls('alice').find((x) => x.id !== a.id)!;
    await b.hold({ callId: a.id, on: true });
    await b.transferBlind({ callId: b2.id, to: unsafeDialable('203') });
    expect(h.engine.call(b2.id).to.number).toBe('203');
    expect(h.engine.call(a.id).state).toBe('on_hold');
  });
});

describe('transfers act on the active call, with a phone bar that says HOLD, RINGING...', () => {
  reading('words');

  it('refuse a call id that is not the one connected call, without sending', async () => {
    const a = heldAndConnected();
    const e = await expectBackendError(b.transferBlind({ callId: a.id, to: unsafeDialable('203') }), ['conflict']);
    expect(e.message).toMatch(/is on_hold, and the phone bar transfers only its active/);
    // Resuming A holds the call to 202, as a phone does: now that one is not the connected call.
    h.engine.hold('alice', a.id, false);
    const other = h.engine.listCalls('alice').find((c) => c.id !== a.id)!;
    await expectBackendError(b.transferAttended({ callId: other.id, to: unsafeDialable('203') }), ['conflict']);
    expect(sent('transfer')).toHaveLength(0);
    expect(sent('atxfer')).toHaveLength(0);
  });

  it('attended: returns the consultation call and an honest completion; hanging it up hands the call over', async () => {
    const c = inbound();
    const r = await b.transferAttended({ callId: c.id, to: unsafeDialable('203') });
    expect(r.completion).toBe(ATTENDED_COMPLETION);
    expect(r.completion).toMatch(/does not document/);
    expect(r.consultCall).toMatchObject({ direction: 'outbound', from: { number: '201' }, to: { number: '203' } });
    h.clock.advance(1500);
    await b.hangup({ callId: r.consultCall!.id });
    expect(h.engine.call(c.id)).toMatchObject({ state: 'connected', from: { number: CALLER }, to: { number: '203' } });
    expect(await b.activeCalls({})).toEqual([]);
  });
});

describe('conference', () => {
  it('refuses, without sending, a call not on hold or with no other connected call', async () => {
    const a = inbound();
    await expectBackendError(b.conference({ callId: a.id }), ['conflict']);
    h.engine.hold('alice', a.id, true);
    const e = await expectBackendError(b.conference({ callId: a.id }), ['conflict']);
    expect(e.hint).toMatch(/Call B first/);
    await expectBackendError(b.conference({ callId: '1.999' }), ['not_found']);
    expect(sent('conference')).toHaveLength(0);
  });

  it('runs the vendor recipe through the adapter: answer A, hold A, call B, conference A', async () => {
    const a = inbound(CALLER, true);
    await b.answer({ callId: a.id });
    await b.hold({ callId: a.id, on: true });
    await b.placeCall({ to: unsafeDialable('202') });
    h.clock.advance(1500);
    await b.conference({ callId: a.id });
    expect(h.engine.call(a.id).participants?.map((p) => p.number).sort()).toEqual([CALLER, '201', '202']);
    expect(sent('conference').map((r) => r.path)).toEqual(['/xcally/svc/conference/%2B390612345678']);
  });
});

describe('active calls and history', () => {
  it('shows a placed call as outbound from the agent, an incoming one from the caller; rows all ACTIVE tell no state', async () => {
    await b.placeCall({ to: unsafeDialable(CALLER) });
    h.engine.setAnswerMode('alice', 'manual');
    h.engine.inboundCall('+393471234567', '201');
    const calls = await b.activeCalls({});
    expect(calls).toEqual([
      expect.objectContaining({ direction: 'outbound', from: { number: '201' }, to: { number: CALLER }, state: 'unknown', answered: false }),
      expect.objectContaining({ from: { number: '+393471234567' }, to: { number: '201' }, state: 'unknown', answered: false }),
    ]);
  });

  it("rows naming the agent's own line: the other party is not shown, and nothing is sent that names the call", async () => {
    const own = await xcallyHarness({ reading: 'own-line' });
    try {
      own.engine.setAnswerMode('alice', 'manual');
      const c = own.engine.inboundCall(CALLER, '201');
      const [call] = await own.backend.activeCalls({});
      expect(call).toMatchObject({ id: c.id, state: 'unknown', from: { number: '' }, to: { number: '201' } });
      // The bare answer names no call: it works.
      await own.backend.answer({ callId: c.id });
      expect(own.engine.call(c.id).state).toBe('connected');
      for (const op of [() => own.backend.hangup({ callId: c.id }), () => own.backend.hold({ callId: c.id, on: true })]) {
        const e = await expectBackendError(op(), ['conflict']);
        expect(e.message).toMatch(/agent's own extension \(201\)/);
      }
      expect(own.sim.server.log.filter((r) => /\/(hangup|holding)\//.test(r.path))).toEqual([]);
      expect(own.engine.call(c.id).state).toBe('connected');
    } finally {
      await own.backend.close();
      await own.close();
    }
  });

  it('keeps the outbound mark on the call placed, not on its number: a call back from it is incoming', async () => {
    await b.placeCall({ to: unsafeDialable(CALLER) });
    const [out] = await b.activeCalls({});
    expect(out).toMatchObject({ direction: 'outbound' });
    await b.hangup({ callId: out!.id });
    const back = inbound(CALLER, true);
    expect((await b.activeCalls({}))[0]).toMatchObject({ id: back.id, from: { number: CALLER }, to: { number: '201' } });
    expect((await b.activeCalls({}))[0]!.direction).toBeUndefined();
    h.engine.hangup(undefined, back.id);
    h.engine.setDnd('bob', true);
    await expectBackendError(b.placeCall({ to: unsafeDialable('202') }), ['conflict']);
    h.engine.setDnd('bob', false);
    h.engine.inboundCall('202', '201');
    expect((await b.activeCalls({}))[0]).toMatchObject({ from: { number: '202' }, to: { number: '201' } });
  });

  it('maps recents to history, newest first, bounded by size', async () => {
    h.engine.placeCall('alice', '202');
    h.clock.advance(5000);
    h.engine.hangup('alice');
    h.clock.advance(1000);
    inbound();
    h.clock.advance(3000);
    h.engine.hangup('alice');
    const entries = await b.history({});
    expect(entries).toEqual([
      { start: expect.any(String), durationSeconds: 3, from: CALLER, to: '201', status: 'answered' },
      { start: expect.any(String), durationSeconds: 4, from: '201', to: '202', status: 'emitted' },
    ]);
    expect(await b.history({ size: 1 })).toHaveLength(1);
  });
});

describe('pause_queues: holding on an agent who is not on a call', () => {
  const paused = () => h.engine.user('alice').queues.every((q) => q.paused);

  it('pauses with holding/{agent}, never sends it twice, resumes only an agent it paused, and says what it cannot know', async () => {
    const first = await b.pauseQueues({ paused: true });
    expect(first).toEqual({ note: expect.stringMatching(/no request that reports whether the agent is paused.*already been paused/) });
    expect(paused()).toBe(true);
    expect(await b.pauseQueues({ paused: true })).toEqual({ note: expect.stringMatching(/nothing was sent/) });
    expect(paused()).toBe(true);
    expect(await b.pauseQueues({ paused: false })).toEqual({ note: expect.stringMatching(/Resuming is not documented/) });
    expect(paused()).toBe(false);
    await b.pauseQueues({ paused: false });
    expect(paused()).toBe(false);
    expect(sent('holding').map((r) => r.path)).toEqual(['/xcally/svc/holding/201', '/xcally/svc/holding/201']);
  });

  it('refuses, sending nothing: to resume an agent it did not pause, a list of queues, an agent on a call', async () => {
    h.engine.pauseQueues('alice', true);
    const e = await expectBackendError(b.pauseQueues({ paused: false }), ['conflict']);
    expect(e.message).toMatch(/documents no way to resume/);
    expect(h.engine.user('alice').queues.every((q) => q.paused)).toBe(true);
    await expectBackendError(b.pauseQueues({ paused: true, queues: ['sales'] }), ['invalid']);
    const c = inbound();
    const busy = await expectBackendError(b.pauseQueues({ paused: true }), ['conflict']);
    expect(busy.message).toMatch(/would put a call on hold/);
    expect(h.engine.call(c.id).state).toBe('connected');
    expect(sent('holding')).toEqual([]);
  });
});

describe("the agent's queues and extension", () => {
  it('lists the queues the agent is in (queues) and its own extension (peer), one GET each', async () => {
    const mine = h.engine.user('alice').queues.map((q) => q.queue);
    expect(await b.listQueues()).toEqual(mine);
    h.engine.setDnd('alice', true);
    expect(await b.listExtensions()).toEqual([expect.objectContaining({ number: '201', kind: 'user', online: true, dnd: true })]);
    expect(sent('queues').map((r) => r.path)).toEqual(['/xcally/svc/queues']);
    expect(sent('peer').map((r) => r.path)).toEqual(['/xcally/svc/peer']);
  });

  it('a phone bar that refuses them (response false) is a typed error, not an empty list', async () => {
    h.sim.server.inject({ kind: 'replace', match: '/queues', body: '{"method":"queues","response":"false","rows":[]}' });
    await expectBackendError(b.listQueues(), ['unavailable']);
  });
});

describe('nothing but a plain number reaches a path', () => {
  const weird = fc.oneof(
    fc.string({ maxLength: 24 }),
    fc.stringMatching(/^[+0-9./?#%&= \\]{0,24}$/),
    fc.constantFrom('../channels', '600/../../peer', '600?x=1', '600#frag', '%2e%2e', '+39 06', '', '..', '/'),
  );

  it('destinations: refused before sending, or sent as digits only', async () => {
    await fc.assert(
      fc.asyncProperty(weird, async (s) => {
        h.sim.server.resetStats();
        for (const op of [() => b.placeCall({ to: unsafeDialable(s) }), () => b.transferBlind({ to: unsafeDialable(s) }), () => b.transferAttended({ to: unsafeDialable(s) })]) {
          try {
            await op();
          } catch (e) {
            expect((e as Error).name).toBe('BackendError');
          }
        }
        for (const r of h.sim.server.log) {
          expect(r.path).toMatch(CLEAN_PATH);
          expect(r.query.toString()).toBe('');
        }
        if (!/^\+?[0-9]{1,20}$/.test(s)) expect(h.sim.server.log).toEqual([]);
        h.engine.listCalls().forEach((c) => h.engine.hangup(undefined, c.id));
      }),
      { numRuns: 150 },
    );
  });

  it('numbers that name a call come from the PBX: refused when not plain digits, for hangup, hold and conference', async () => {
    await fc.assert(
      fc.asyncProperty(weird, async (s) => {
        h.engine.listCalls().forEach((c) => h.engine.hangup(undefined, c.id));
        let a;
        try {
          a = inbound(s);
        } catch {
          return; // the engine would not route it
        }
        // A held call and a connected one: every action below gets as far as putting the number in a path.
        h.engine.hold('alice', a.id, true);
        h.engine.placeCall('alice', '203');
        h.clock.advance(1500);
        h.sim.server.resetStats();
        const plain = /^\+?[0-9]{1,20}$/.test(h.engine.call(a.id).from.number);
        for (const op of [() => b.conference({ callId: a.id }), () => b.hold({ callId: a.id, on: false }), () => b.hangup({ callId: a.id })]) {
          try {
            await op();
          } catch (e) {
            expect((e as Error).name).toBe('BackendError');
            // invalid: the number; conflict: refused before the number mattered (resuming a call it did not hold).
            if (!plain) expect(['invalid', 'conflict']).toContain((e as { kind: string }).kind);
          }
        }
        for (const r of h.sim.server.log) {
          expect(r.path).toMatch(CLEAN_PATH);
          expect(r.query.toString()).toBe('');
        }
        if (!plain) expect(h.sim.server.log.filter((r) => !r.path.endsWith('/channels'))).toEqual([]);
      }),
      { numRuns: 150 },
    );
  });
});

describe('the typographic quotes of the vendor sample, over the wire', () => {
  it('reads them for reads and actions alike', async () => {
    h.sim.setTypographicQuotes(true);
    const c = inbound();
    expect((await b.activeCalls({}))[0]).toMatchObject({ id: c.id, state: 'unknown', from: { number: CALLER } });
    await b.hold({ callId: c.id, on: true });
    expect(h.engine.call(c.id).state).toBe('on_hold');
    await b.hangup({ callId: c.id });
    expect(h.engine.listCalls()).toEqual([]);
  });
});

describe('against a fake phone bar that answers exactly the vendor doc sample', () => {
  /** xcally-phonebar-api.txt, "JSON answer:" (typographic quotes and all). */
  const DOC_JSON =
    '{\u201Cmethod\u201D:\u201Dchannels\u201D,\u201Dresponse\u201D:\u201Dtrue\u201D,\u201Drows\u201D:[{\u201Cextension\u201D:\u201D600\u2033,\u201Dqueue\u201D:\u201D\u201D,\u201Dcalldata\u201D:\u201D\u201D,\u201Dchannel\u201D:\u201D\u201D,\u201Devent\u201D:\u201D\u201D, \u201Cuniqueid\u201D:\u201D\u201D,\u201Dstatus\u201D:\u201DACTIVE\u201D,\u201Dduration\u201D:6,\u201Dcodec\u201D:\u201DPCMU\u201D}]}';
  let fake: SimServer;
  let fb: XcallyBackend;
  let channels = DOC_JSON;
  let actionResponse: unknown = 'true';

  beforeEach(async () => {
    channels = DOC_JSON;
    actionResponse = 'true';
    fake = await startSimServer({
      handle: (req) => {
        const method = req.path.split('/')[3] ?? '';
        const body = method === 'channels' || method === 'channel' ? channels : JSON.stringify({ method, response: actionResponse });
        return { status: 200, headers: { 'content-type': 'application/json' }, body };
      },
    });
    fb = (await xcallyType.create('doc', xcallyType.config.parse({ type: 'xcally', url: fake.url, agent: '201' }), {
      log: silentLogger,
      baseDir: '.',
    })) as XcallyBackend;
  });
  afterEach(async () => {
    await fb.close();
    await fake.close();
  });

  it('lists the sample channel as a call named by its number (ACTIVE tells no more), and acts on it by that number', async () => {
    const [call] = await fb.activeCalls({});
    expect(call).toMatchObject({ id: 'tel-600', state: 'unknown', answered: false, from: { number: '600' }, to: { number: '201' }, durationSeconds: 6 });
    await fb.transferBlind({ callId: 'tel-600', to: unsafeDialable('+390612345678') });
    await fb.hold({ callId: 'tel-600', on: true });
    await fb.hangup({ callId: 'tel-600' });
    await fb.placeCall({ to: unsafeDialable('+390612345678') });
    const actions = fake.log.filter((r) => !r.path.endsWith('/channels'));
    expect(actions.map((r) => r.path)).toEqual([
      '/xcally/svc/transfer/%2B390612345678',
      '/xcally/svc/holding/600',
      '/xcally/svc/hangup/600',
      '/xcally/svc/originate/%2B390612345678',
    ]);
    for (const r of actions) expect(r.headers['cache-control']).toBe('no-cache');
  });

  it('accepts response as a boolean, and treats every other value as a refusal naming the method', async () => {
    actionResponse = true;
    await fb.hangup({ callId: 'tel-600' });
    for (const v of ['false', false, 'no', null, 1]) {
      actionResponse = v;
      const e = await expectBackendError(fb.hangup({ callId: 'tel-600' }), ['conflict']);
      expect(e.message).toMatch(/hangup answered response "false"/);
    }
    channels = JSON.stringify({ method: 'channels', response: 'false' });
    const e = await expectBackendError(fb.activeCalls({}), ['unavailable']);
    expect(e.message).toMatch(/response "false".*channels/);
  });

  it('takes a status word it cannot read as no more than ACTIVE: holds only what it has not held, resumes only what it held', async () => {
    channels = JSON.stringify({ method: 'channels', response: 'true', rows: [{ extension: '600', status: 'MYSTERY', duration: 1 }] });
    const e = await expectBackendError(fb.hold({ callId: 'tel-600', on: false }), ['conflict']);
    expect(e.message).toMatch(/toggles/);
    await fb.hold({ callId: 'tel-600', on: true });
    await fb.hold({ callId: 'tel-600', on: true });
    await fb.hold({ callId: 'tel-600', on: false });
    expect(fake.log.filter((r) => r.path.includes('/holding')).map((r) => r.path)).toEqual(['/xcally/svc/holding/600', '/xcally/svc/holding/600']);
  });
});

describe('config', () => {
  const parse = (v: Record<string, unknown>) => xcallyType.config.safeParse({ type: 'xcally', ...v });

  it('defaults to the documented local URL, needs the agent\'s extension, and names the agent for messages', async () => {
    const c = parse({ agent: '201' });
    expect(c.success && c.data).toMatchObject({ url: 'http://localhost:9888', timeoutMs: 10_000 });
    // The agent's own number is how a row naming the agent's own line is told from one naming the other party.
    const none = parse({});
    expect(none.success).toBe(false);
    expect(JSON.stringify(none.error?.issues)).toMatch(/agent's extension number/);
    expect(parse({ defaultUser: '201' }).success).toBe(true);
    const named = await xcallyType.create('desk', xcallyType.config.parse({ type: 'xcally', agent: '201' }), { log: silentLogger, baseDir: '.' });
    expect(named).toMatchObject({ defaultUser: '201', userModel: 'self', type: 'xcally' });
    await named.close();
  });

  it('refuses unknown keys (there is no authentication to configure), other schemes and odd agent names', () => {
    expect(parse({ password: 'x' }).success).toBe(false);
    expect(parse({ url: 'ftp://localhost:9888' }).success).toBe(false);
    expect(parse({ url: 'not a url' }).success).toBe(false);
    expect(parse({ agent: '201/../x' }).success).toBe(false);
    expect(parse({ agent: 'alice' }).success).toBe(false);
    expect(parse({ url: 'https://agent-pc.example:9888', agent: '+41201' }).success).toBe(true);
  });
});
