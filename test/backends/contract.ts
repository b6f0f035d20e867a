/**
 * The adapter contract: one suite every backend runs, over real HTTP against its simulator, asserting on the
 * sim engine's state. A backend's capabilities are written out literally in its contract file and must be exactly
 * what it declares; only the cases those capabilities cover are registered (nothing is skipped), and
 * test/backends/coverage.test.ts holds every capability to at least one case and one backend. The fault cases run
 * for every backend with a wire; their harness must give what they need, or the case fails saying so.
 */
import { describeError } from '../../src/wording.js';
import { afterEach, beforeEach, describe, expect, it, type TestFunction } from 'vitest';
import { type Backend, type Capability, CAPABILITIES, READ_CAPABILITIES, unsafeDialable } from '../../src/backends/backend.js';
import { BackendError } from '../../src/errors.js';
import type { ManualClock } from '../../src/util/clock.js';
import type { PbxEngine } from '../../src/simulators/engine/engine.js';
import type { SimServer } from '../../src/simulators/kit.js';
import { formatWallClock } from '../../src/util/time.js';

export interface Harness {
  backend: Backend;
  engine: PbxEngine;
  clock: ManualClock;
  /** The engine user the backend acts as (desktop clients) or for. */
  user: string;
  /** The simulator's HTTP server, for fault injection and request counting. */
  sim?: SimServer;
  /** Build another backend on the same simulator with wrong credentials (to check auth errors). */
  withBadCredentials?: () => Promise<Backend>;
  /** Build another backend with a short deadline (to check stalls). */
  withDeadline?: (ms: number) => Promise<Backend>;
  /** Callers the simulator sent to a voicemail box (box as transferred to, caller's number). */
  voicemails?: () => { box: string; caller: string }[];
  /**
   * Contact-centre callback lists: a list that exists on the PBX, the requests it holds (fields as the PBX stored
   * them), and agents processing every pending request into a ticket.
   */
  callbacks?: { listUuid: string; requests(): Record<string, string>[]; process(): void };
  close(): Promise<void>;
}

export interface ContractOptions {
  name: string;
  /** Exactly the capabilities the backend must declare: a literal list in the contract file, not the backend's own. */
  capabilities: readonly Capability[];
  /**
   * What the fault cases can break: nothing for a backend without a wire ('in-memory', the sim backend); else its
   * HTTP, with wrong credentials tried unless the API has none (then why, in words).
   */
  wire: 'in-memory' | { credentials: true } | { credentials: false; why: string };
  setup(): Promise<Harness>;
  /** Vendor limits the contract must respect. */
  quirks?: {
    /** activeCalls reports at most the current call (Kalliope). */
    singleActiveCall?: boolean;
    /** listQueue reports counts only, no per-call rows (Kalliope). */
    queueCountsOnly?: boolean;
    /** The number of the queue to test with listQueue (default: support). */
    queue?: string;
    /**
     * The PBX accepts a dial request before the destination is routed (XUC REST answers {"res":"success"} at
     * once), so a destination that refuses is not an error of placeCall: the case then checks that the
     * request was accepted and that no call was left behind.
     */
    asyncDial?: boolean;
    /** History names the parties that are PBX users by their login, not their extension (XUC). */
    historyByLogin?: boolean;
    /** The PBX's numeric id of `queue`, for dialFromQueue and the qualification cases (default 1). */
    queueId?: number;
    /**
     * The PBX says no more of a call's phase than that it is there (xCALLY rows that all read ACTIVE, the only
     * status the doc shows): a call the adapter has not acted on is listed in state unknown, not answered.
     */
    phasesUnreported?: boolean;
    /**
     * The PBX's call list does not name the other party (xCALLY rows whose extension is the agent's own line), so
     * an action that names a call by that party is refused, nothing done, rather than sent to the wrong call.
     */
    otherPartyUnreported?: boolean;
    /** The PBX's local time zone, in which it writes times such as a qualification's (default UTC). */
    pbxTimeZone?: string;
  };
}

/** Expect a BackendError (never a raw error) whose kind is one of `kinds`. */
/** The BackendError `fn` throws (a codec's typed error); fails the test when it throws nothing or anything else. */
export function thrownBackendError(fn: () => unknown): BackendError {
  let caught: unknown;
  try {
    fn();
  } catch (e) {
    caught = e;
  }
  expect(caught, 'expected a BackendError').toBeInstanceOf(BackendError);
  return caught as BackendError;
}

export async function expectBackendError(p: Promise<unknown>, kinds: BackendError['kind'][]): Promise<BackendError> {
  let caught: unknown;
  try {
    await p;
  } catch (e) {
    caught = e;
  }
  expect(caught, 'expected the operation to fail').toBeInstanceOf(BackendError);
  const be = caught as BackendError;
  expect(kinds, `kind ${be.kind}: ${be.message}`).toContain(be.kind);
  expect(be.message).not.toMatch(/\n\s+at /);
  return be;
}

/** The test functions the contract registers with (a dry run records them instead: contractCases). */
export interface Registrar {
  describe(name: string, body: () => void): void;
  it(name: string, fn: TestFunction, covers: readonly Capability[]): void;
  beforeEach(fn: () => Promise<void>): void;
  afterEach(fn: () => Promise<void>): void;
}

const VITEST: Registrar = { describe, it: (name, fn) => it(name, fn), beforeEach, afterEach };

/** The cases the contract registers for `capabilities`, and the capabilities each exercises (a dry run). */
export function contractCases(capabilities: readonly Capability[], wire: ContractOptions['wire'] = { credentials: true }): { name: string; covers: readonly Capability[] }[] {
  const cases: { name: string; covers: readonly Capability[] }[] = [];
  const noop = () => {};
  runBackendContract(
    { name: 'dry run', capabilities, wire, setup: () => Promise.reject(new Error('a dry run sets nothing up')) },
    { describe: (_n, body) => body(), it: (name, _fn, covers) => void cases.push({ name, covers }), beforeEach: noop, afterEach: noop },
  );
  return cases;
}

export function runBackendContract(opts: ContractOptions, reg: Registrar = VITEST): void {
  const caps = new Set(opts.capabilities);
  const has = (c: Capability) => caps.has(c);
  const queue = opts.quirks?.queue ?? 'support';
  /** A case of these capabilities: registered only when the backend has them all. */
  const covers =
    (...needed: Capability[]) =>
    (name: string, fn: TestFunction) => {
      if (needed.every(has)) reg.it(name, fn, needed);
    };
  /** A case every backend runs. */
  const always = (name: string, fn: TestFunction) => reg.it(name, fn, []);

  reg.describe(`backend contract: ${opts.name}`, () => {
    let h: Harness;
    let b: Backend;
    let userArg: string | undefined;
    let ext: string;

    reg.beforeEach(async () => {
      h = await opts.setup();
      b = h.backend;
      userArg = b.userModel === 'self' ? undefined : h.user;
      ext = h.engine.user(h.user).extension;
    });
    reg.afterEach(async () => {
      await h.backend.close();
      await h.close();
    });

    /** An outside caller rings the user; `answer` connects it. */
    const inbound = (answer = true) => {
      const c = h.engine.inboundCall('+390612345678', ext);
      if (answer) h.clock.advance(h.engine.answerAfterMs + 10_000);
      return c;
    };

    always('declares exactly its capabilities, each implemented', () => {
      expect([...b.capabilities].sort()).toEqual([...caps].sort());
      for (const c of CAPABILITIES) {
        if (!caps.has(c)) continue;
        expect(c === 'contacts' ? typeof b.contacts : typeof b[c], c).toBe(c === 'contacts' ? 'object' : 'function');
      }
    });

    covers('activeCalls')('activeCalls: none, then a ringing call, then connected', async () => {
      const phases = !opts.quirks?.phasesUnreported;
      expect(await b.activeCalls!({ user: userArg })).toEqual([]);
      h.engine.setAnswerMode(h.user, 'manual');
      const c = h.engine.inboundCall('+390612345678', ext);
      const ringing = await b.activeCalls!({ user: userArg });
      expect(ringing).toHaveLength(1);
      expect(ringing[0]).toMatchObject(phases ? { state: 'ringing', answered: false } : { state: 'unknown', answered: false });
      if (!opts.quirks?.otherPartyUnreported) expect(JSON.stringify(ringing[0])).toContain('390612345678');
      h.engine.answer(h.user, c.id);
      const connected = await b.activeCalls!({ user: userArg });
      // Not answered through the adapter: a PBX that reports no phase cannot say it was.
      expect(connected[0]).toMatchObject(phases ? { state: 'connected', answered: true } : { state: 'unknown', answered: false });
      expect(connected[0]!.id).toBe(ringing[0]!.id);
    });

    covers('placeCall')('placeCall: exactly one call leaves the user for the number', async () => {
      h.sim?.resetStats();
      await b.placeCall!({ user: userArg, to: unsafeDialable('202') });
      const calls = h.engine.listCalls(h.user);
      expect(calls).toHaveLength(1);
      expect(calls[0]).toMatchObject({ fromUser: h.user, to: { number: '202' } });
      if (h.sim) expect(h.sim.stats.handled).toBe(1);
    });

    covers('placeCall')('placeCall: a number the PBX refuses is a typed error', async () => {
      h.engine.setDnd('bob', true);
      if (opts.quirks?.asyncDial) {
        await b.placeCall!({ user: userArg, to: unsafeDialable('202') });
        expect(h.engine.history(h.user)[0]).toMatchObject({ to: '202', status: 'busy' });
      } else {
        await expectBackendError(b.placeCall!({ user: userArg, to: unsafeDialable('202') }), ['conflict', 'invalid', 'not_found', 'unavailable']);
      }
      expect(h.engine.listCalls(h.user)).toEqual([]);
    });

    covers('dialUser')('dialUser: one call leaves the user for the other user; an unknown login is not_found', async () => {
      await b.dialUser!({ user: userArg, username: 'bob' });
      expect(h.engine.listCalls(h.user)).toEqual([expect.objectContaining({ fromUser: h.user, toUser: 'bob' })]);
      await expectBackendError(b.dialUser!({ user: userArg, username: 'nobody' }), ['not_found', 'invalid']);
    });

    covers('dialFromQueue')('dialFromQueue: one call leaves the user for the number', async () => {
      await b.dialFromQueue!({ user: userArg, to: unsafeDialable('202'), queueId: opts.quirks?.queueId ?? 1 });
      expect(h.engine.listCalls(h.user)).toEqual([expect.objectContaining({ fromUser: h.user, to: expect.objectContaining({ number: '202' }) })]);
    });

    covers('dialToQueue')('dialToQueue: the number is called into the queue', async () => {
      for (const m of h.engine.listUsers()) if (m.queues.length) h.engine.pauseQueues(m.id, true);
      await b.dialToQueue!({ to: unsafeDialable('+393471234567'), queue, callerId: unsafeDialable('+390600000000') });
      expect(h.engine.queueStatus(queue).calls).toEqual([expect.objectContaining({ caller: '+393471234567' })]);
    });

    covers('listQualifications')('listQualifications: options with sub-qualifications', async () => {
      const options = await b.listQualifications!({ queueId: opts.quirks?.queueId ?? 1 });
      expect(options.length).toBeGreaterThan(0);
      expect(options[0]!.subQualifications.length).toBeGreaterThan(0);
    });

    covers('recordQualification', 'exportQualifications')(
      'recordQualification then exportQualifications: the answer is in the export',
      async () => {
        const queueId = opts.quirks?.queueId ?? 1;
        const [first] = await b.listQualifications!({ queueId });
        const sub = first!.subQualifications[0]!.id;
        await b.recordQualification!({
          answer: { subQualificationId: sub, callId: 'contract-call-1', agent: 1, queue: queueId, time: '2026-01-05 09:00:00', comment: 'a, "quoted" comment' },
        });
        const csv = await b.exportQualifications!({ queueId, from: '2026-01-01', to: '2026-01-31' });
        expect(csv).toContain('contract-call-1');
        expect(await b.exportQualifications!({ queueId, from: '2025-01-01', to: '2025-01-31' })).not.toContain('contract-call-1');
      },
    );

    covers('importCallbacks')(
      'importCallbacks: one request per row, every field where it belongs, even with pipes, line breaks and quotes in them',
      async () => {
        const cb = h.callbacks!;
        const r = await b.importCallbacks!({
          listUuid: cb.listUuid,
          requests: [
            {
              phoneNumber: unsafeDialable('+390612345678'),
              mobilePhoneNumber: unsafeDialable('+393471234567'),
              firstName: 'Alice',
              lastName: "O'Neill",
              company: 'ACME | "Rome"',
              description: 'call back\nabout the invoice\r\nquickly',
              dueDate: '2026-08-01',
              period: 'Afternoon',
            },
            { phoneNumber: unsafeDialable('202'), lastName: 'Bianchi' },
          ],
        });
        expect(cb.requests()).toEqual([
          expect.objectContaining({
            phoneNumber: '+390612345678',
            mobilePhoneNumber: '+393471234567',
            firstName: 'Alice',
            lastName: "O'Neill",
            company: 'ACME ¦ "Rome"',
            description: 'call back about the invoice quickly',
            dueDate: '2026-08-01',
            period: 'Afternoon',
          }),
          expect.objectContaining({ phoneNumber: '202', lastName: 'Bianchi', firstName: '', description: '' }),
        ]);
        expect(r && r.note).toMatch(/^2 values held a "\|" or a line break/);
      },
    );

    covers('importCallbacks', 'exportCallbackTickets')(
      'exportCallbackTickets: no tickets until agents process the requests, then one per request',
      async () => {
        const cb = h.callbacks!;
        const none = await b.exportCallbackTickets!({ listUuid: cb.listUuid });
        expect(none).not.toContain('390612345678');
        await b.importCallbacks!({ listUuid: cb.listUuid, requests: [{ phoneNumber: unsafeDialable('+390612345678'), lastName: 'Rossi' }, { phoneNumber: unsafeDialable('203') }] });
        expect(await b.exportCallbackTickets!({ listUuid: cb.listUuid })).not.toContain('390612345678');
        cb.process();
        const csv = await b.exportCallbackTickets!({ listUuid: cb.listUuid });
        const rows = csv.split(/\r?\n/).filter(Boolean);
        expect(rows).toHaveLength(3);
        expect(rows[1]).toContain('+390612345678');
        expect(rows[1]).toContain('Rossi');
        expect(rows[2]).toContain('203');
      },
    );

    /** An action on a call that the PBX's call list cannot name: refused, nothing done. */
    const refusedUnnamed = async (p: Promise<unknown>) => {
      const e = await expectBackendError(p, ['conflict']);
      expect(e.message).toMatch(/nothing was done/);
    };

    covers('recordQualification', 'exportQualifications')(
      'exportQualifications: from and to are whole days on the PBX clock, both included, and nothing beyond',
      async () => {
        const queueId = opts.quirks?.queueId ?? 1;
        const [first] = await b.listQualifications!({ queueId });
        const sub = first!.subQualifications[0]!.id;
        const times = { 'day-before': '2026-01-04 23:59:59', 'first-second': '2026-01-05 00:00:00', 'last-second': '2026-01-05 23:59:59', 'day-after': '2026-01-06 00:00:00' };
        for (const [callId, time] of Object.entries(times)) {
          await b.recordQualification!({ answer: { subQualificationId: sub, callId, agent: 1, queue: queueId, time } });
        }
        const csv = await b.exportQualifications!({ queueId, from: '2026-01-05', to: '2026-01-05' });
        expect(csv).toContain('first-second');
        expect(csv).toContain('last-second');
        expect(csv).not.toContain('day-before');
        expect(csv).not.toContain('day-after');
        expect(csv.split(/\r?\n/)[0]).toMatch(/^sub_qualification_id,time,/);
      },
    );

    covers('recordQualification', 'exportQualifications')(
      "recordQualification without a time: now on the PBX's clock, found in its export of today",
      async () => {
        const queueId = opts.quirks?.queueId ?? 1;
        const [first] = await b.listQualifications!({ queueId });
        const tz = opts.quirks?.pbxTimeZone ?? 'UTC';
        const before = formatWallClock(Date.now(), tz);
        const r = await b.recordQualification!({ answer: { subQualificationId: first!.subQualifications[0]!.id, callId: 'contract-now', agent: 1, queue: queueId } });
        const after = formatWallClock(Date.now(), tz);
        if (r && r.time !== undefined) expect(r.time >= before && r.time <= after, `${r.time} between ${before} and ${after}`).toBe(true);
        const csv = await b.exportQualifications!({ queueId, from: before.slice(0, 10), to: after.slice(0, 10) });
        expect(csv).toContain('contract-now');
      },
    );

    covers('hangup')('hangup: the current call ends', async () => {
      const c = inbound();
      if (opts.quirks?.otherPartyUnreported) {
        await refusedUnnamed(b.hangup!({ user: userArg, callId: c.id }));
        expect(h.engine.listCalls(h.user).map((x) => x.id)).toEqual([c.id]);
        return;
      }
      await b.hangup!({ user: userArg, callId: c.id });
      expect(h.engine.listCalls(h.user)).toEqual([]);
    });

    covers('hangup')('hangup: of two calls, the one named ends and the other stays (or, where it cannot be named, nothing is done)', async () => {
      const a = inbound();
      h.engine.hold(h.user, a.id, true);
      const c = h.engine.inboundCall('+393471234567', ext);
      h.clock.advance(h.engine.answerAfterMs + 10_000);
      expect(h.engine.call(c.id).state).toBe('connected');
      if (opts.quirks?.otherPartyUnreported) {
        await refusedUnnamed(b.hangup!({ user: userArg, callId: c.id }));
        expect(h.engine.listCalls(h.user).map((x) => x.id).sort()).toEqual([a.id, c.id].sort());
        return;
      }
      await b.hangup!({ user: userArg, callId: c.id });
      expect(h.engine.listCalls(h.user).map((x) => x.id)).toEqual([a.id]);
    });

    covers('answer')('answer: a ringing call is connected', async () => {
      h.engine.setAnswerMode(h.user, 'manual');
      const c = inbound(false);
      await b.answer!({ user: userArg, callId: c.id });
      expect(h.engine.call(c.id).state).toBe('connected');
    });

    covers('hold')('hold: the call goes on hold, and holding it again leaves it on hold', async () => {
      const c = inbound();
      if (opts.quirks?.otherPartyUnreported) {
        await refusedUnnamed(b.hold!({ user: userArg, callId: c.id, on: true }));
        expect(h.engine.call(c.id).state).toBe('connected');
        return;
      }
      await b.hold!({ user: userArg, callId: c.id, on: true });
      expect(h.engine.call(c.id).state).toBe('on_hold');
      await b.hold!({ user: userArg, callId: c.id, on: true });
      expect(h.engine.call(c.id).state).toBe('on_hold');
      await b.hold!({ user: userArg, callId: c.id, on: false });
      expect(h.engine.call(c.id).state).toBe('connected');
    });

    covers('transferBlind')('transferBlind: the caller moves to the target and the user leaves', async () => {
      const c = inbound();
      await b.transferBlind!({ user: userArg, callId: c.id, to: unsafeDialable('203') });
      expect(h.engine.call(c.id)).toMatchObject({ from: { number: '+390612345678' }, to: { number: '203' } });
      expect(h.engine.listCalls(h.user)).toEqual([]);
    });

    covers('transferVoicemail')('transferVoicemail: the caller goes to the box and leaves the user', async () => {
      const c = inbound();
      const box = `vm-${h.engine.user('carol').extension}`;
      await b.transferVoicemail!({ user: userArg, callId: c.id, box });
      expect(h.engine.listCalls(h.user)).toEqual([]);
      if (h.voicemails) expect(h.voicemails()).toEqual([expect.objectContaining({ box, caller: '+390612345678' })]);
      // A box that is not one, or not there: refused, nothing done.
      const d = inbound();
      await expectBackendError(b.transferVoicemail!({ user: userArg, callId: d.id, box: 'vm-999' }), ['not_found', 'invalid']);
      await expectBackendError(b.transferVoicemail!({ user: userArg, callId: d.id, box: '203' }), ['invalid']);
      expect(h.engine.listCalls(h.user).map((x) => x.id)).toEqual([d.id]);
    });

    covers('transferAttended')('transferAttended: the call is held and the target consulted', async () => {
      const c = inbound();
      await b.transferAttended!({ user: userArg, callId: c.id, to: unsafeDialable('203') });
      expect(h.engine.call(c.id).state).toBe('on_hold');
      const consult = h.engine.listCalls(h.user).find((x) => x.consultFor === c.id);
      expect(consult?.to.number).toBe('203');
    });

    covers('conference')('conference: a held call joins the current one', async () => {
      const a = inbound();
      h.engine.hold(h.user, a.id, true);
      h.engine.placeCall(h.user, '202');
      h.clock.advance(h.engine.answerAfterMs + 10_000);
      if (opts.quirks?.otherPartyUnreported) {
        await refusedUnnamed(b.conference!({ user: userArg, callId: a.id }));
        expect(h.engine.call(a.id).participants).toBeUndefined();
        return;
      }
      await b.conference!({ user: userArg, callId: a.id });
      expect(h.engine.call(a.id).participants).toHaveLength(3);
    });

    covers('conference', 'answer', 'hold', 'placeCall')(
      'conference: the recipe through the adapter alone: answer A, hold A, call B, conference A',
      async () => {
        h.engine.setAnswerMode(h.user, 'manual');
        const a = h.engine.inboundCall('+390612345678', ext);
        await b.answer!({ user: userArg, callId: a.id });
        expect(h.engine.call(a.id).state).toBe('connected');
        if (opts.quirks?.otherPartyUnreported) {
          await refusedUnnamed(b.hold!({ user: userArg, callId: a.id, on: true }));
          expect(h.engine.call(a.id).state).toBe('connected');
          return;
        }
        await b.hold!({ user: userArg, callId: a.id, on: true });
        expect(h.engine.call(a.id).state).toBe('on_hold');
        await b.placeCall!({ user: userArg, to: unsafeDialable('202') });
        h.clock.advance(h.engine.answerAfterMs + 10_000);
        await b.conference!({ user: userArg, callId: a.id });
        expect(h.engine.call(a.id).participants?.map((p) => p.number).sort()).toEqual(['+390612345678', ext, '202'].sort());
      },
    );

    covers('setDnd')('setDnd: on and off', async () => {
      await b.setDnd!({ user: userArg, enabled: true });
      expect(h.engine.user(h.user).dnd).toBe(true);
      await b.setDnd!({ user: userArg, enabled: false });
      expect(h.engine.user(h.user).dnd).toBe(false);
    });

    covers('setForward')('setForward: on with a destination, then off', async () => {
      await b.setForward!({ user: userArg, kind: 'busy', destination: unsafeDialable('203'), enabled: true });
      expect(h.engine.user(h.user).forward).toEqual({ busy: '203' });
      await b.setForward!({ user: userArg, kind: 'busy', enabled: false });
      expect(h.engine.user(h.user).forward).toEqual({});
    });

    covers('pauseQueues')('pauseQueues: paused in all queues, then back', async () => {
      await b.pauseQueues!({ user: userArg, paused: true });
      expect(h.engine.user(h.user).queues.every((q) => q.paused)).toBe(true);
      await b.pauseQueues!({ user: userArg, paused: false });
      expect(h.engine.user(h.user).queues.some((q) => q.paused)).toBe(false);
    });

    covers('listQueue')('listQueue: a waiting call is counted; an unknown queue is not_found', async () => {
      for (const m of h.engine.listUsers()) if (m.queues.length) h.engine.pauseQueues(m.id, true);
      h.engine.inboundCall('+393471234567', h.engine.findQueue(queue)!.number);
      h.clock.advance(5000);
      const q = await b.listQueue!({ queue });
      expect(q.waitingCount).toBe(1);
      expect(q.oldestArrival).toBeTruthy();
      if (!opts.quirks?.queueCountsOnly) expect(q.calls[0]).toMatchObject({ caller: '+393471234567', status: 'waiting' });
      await expectBackendError(b.listQueue!({ queue: 'no-such-queue' }), ['not_found']);
    });

    covers('listQueues')('listQueues: names the queues (for a desktop-client API, exactly the agent\'s own)', async () => {
      if (b.userModel === 'self') {
        const mine = h.engine.user(h.user).queues.map((q) => q.queue);
        expect(mine.length).toBeGreaterThan(0);
        expect((await b.listQueues!()).sort()).toEqual(mine.sort());
      } else {
        expect(await b.listQueues!()).toEqual(expect.arrayContaining([queue]));
      }
    });

    covers('listExtensions')('listExtensions: users and queues with numbers', async () => {
      const list = await b.listExtensions!();
      expect(list).toEqual(expect.arrayContaining([expect.objectContaining({ number: '201', kind: 'user' })]));
    });

    covers('history')('history: a finished call is listed', async () => {
      h.engine.placeCall(h.user, '202');
      h.clock.advance(5000);
      h.engine.hangup(h.user);
      const entries = await b.history!({ user: userArg, size: 10 });
      expect(entries[0]).toMatchObject({ to: opts.quirks?.historyByLogin ? 'bob' : '202' });
    });

    covers('contacts')('contacts: create, get, update, list, export, import, delete', async () => {
      const store = b.contacts!;
      const c = await store.create({ user: userArg, contact: { firstname: 'Ada', lastname: 'Lovelace', number: '+441234567890' } });
      expect(await store.get({ user: userArg, id: c.id })).toMatchObject({ lastname: 'Lovelace' });
      expect(await store.update({ user: userArg, id: c.id, contact: { company: 'Engines' } })).toMatchObject({ company: 'Engines' });
      const list = await store.list({ user: userArg });
      expect(list.map((x) => x.lastname)).toContain('Lovelace');
      const csv = await store.exportCsv({ user: userArg });
      expect(csv).toMatch(/Lovelace/);
      const imported = await store.importCsv({ user: userArg, csv: 'firstname,lastname\nGrace,Hopper\n,\n' });
      expect(imported.created).toHaveLength(1);
      await store.delete({ user: userArg, id: c.id });
      await expectBackendError(store.get({ user: userArg, id: c.id }), ['not_found']);
      await store.deleteAll({ user: userArg });
      expect(await store.list({ user: userArg })).toEqual([]);
    });

    covers('parkCall')('parkCall: the call waits in a slot that parkingInfo lists', async () => {
      const c = inbound();
      const { slot } = await b.parkCall!({ user: userArg, callId: c.id });
      expect(h.engine.call(c.id)).toMatchObject({ state: 'parked', parkedSlot: slot });
      if (has('parkingInfo')) expect((await b.parkingInfo!()).parked).toContainEqual({ slot, callId: c.id });
    });

    covers('parkingInfo')('parkingInfo: a call parked on the PBX is listed in its slot', async () => {
      const c = inbound();
      const slot = h.engine.park(c.id, undefined, h.user);
      expect((await b.parkingInfo!()).parked).toContainEqual({ slot, callId: c.id });
    });

    covers('getFavorites', 'setFavorites', 'listExtensions')(
      'favorites: set, read back keyed on (id, kind), replaced, cleared; an unknown entity is refused',
      async () => {
        const exts = await b.listExtensions!();
        const user = exts.find((e) => e.kind === 'user' && e.number === ext)!;
        const queueExt = exts.find((e) => e.kind === 'queue')!;
        await b.setFavorites!({
          favorites: [
            { id: queueExt.id, kind: 'queue', slot: 2, size: 'double' },
            { id: user.id, kind: 'user', slot: 1, size: 'single' },
          ],
        });
        expect(await b.getFavorites!()).toEqual([
          expect.objectContaining({ id: user.id, kind: 'user', slot: 1, size: 'single', number: ext }),
          expect.objectContaining({ id: queueExt.id, kind: 'queue', slot: 2, size: 'double' }),
        ]);
        await b.setFavorites!({ favorites: [{ id: user.id, kind: 'user', slot: 5, size: 'double' }] });
        expect(await b.getFavorites!()).toEqual([expect.objectContaining({ id: user.id, kind: 'user', slot: 5, size: 'double' })]);
        // The same id under another kind is another entity.
        await expectBackendError(b.setFavorites!({ favorites: [{ id: user.id, kind: 'attendant', slot: 1, size: 'single' }] }), [
          'not_found',
          'invalid',
        ]);
        await b.setFavorites!({ favorites: [] });
        expect(await b.getFavorites!()).toEqual([]);
      },
    );

    covers('readNotes', 'writeNotes')('notes: set, get, set_many, set_json, get_json, list, delete', async () => {
      expect(await b.readNotes!({ op: 'get', key: 'contract.a' })).toMatchObject({ found: false });
      await b.writeNotes!({ op: 'set', key: 'contract.a', value: 'Prefers Italian, callback after 3 pm' });
      expect(await b.readNotes!({ op: 'get', key: 'contract.a' })).toEqual({ found: true, value: 'Prefers Italian, callback after 3 pm' });
      await b.writeNotes!({ op: 'set_many', entries: [{ key: 'contract.b', value: 'x' }, { key: 'contract.c', value: 'y <&> "z"' }] });
      expect(await b.readNotes!({ op: 'get', key: 'contract.c' })).toEqual({ found: true, value: 'y <&> "z"' });
      const json = { vip: ['+390612345678'], level: 3, tags: { lang: 'it' } };
      await b.writeNotes!({ op: 'set_json', key: 'contract.j', json });
      expect(await b.readNotes!({ op: 'get_json', key: 'contract.j' })).toEqual({ found: true, json });
      const list = await b.readNotes!({ op: 'list' });
      expect(list.notes).toEqual(expect.arrayContaining([{ key: 'contract.a', value: 'Prefers Italian, callback after 3 pm' }, { key: 'contract.b', value: 'x' }]));
      await b.writeNotes!({ op: 'delete', key: 'contract.a' });
      expect(await b.readNotes!({ op: 'get', key: 'contract.a' })).toMatchObject({ found: false });
      await expectBackendError(b.writeNotes!({ op: 'delete', key: 'contract.a' }), ['not_found']);
    });

    if (opts.wire === 'in-memory') return;
    const wire = opts.wire;
    /** What a fault case needs from the harness: missing, the case fails saying so (never skips). */
    const need = <T>(v: T | undefined, what: string): T => {
      if (v === undefined) throw new Error(`the ${opts.name} harness gives no ${what}, which the fault cases need`);
      return v;
    };
    /**
     * The action and the read each fault case uses, one per capability the backend may have. A backend with an
     * action (or read) none of these covers fails here rather than leaving its wire unchecked.
     */
    const ACTIONS: Partial<Record<Capability, () => Promise<unknown>>> = {
      setDnd: () => b.setDnd!({ user: userArg, enabled: true }),
      placeCall: () => b.placeCall!({ user: userArg, to: unsafeDialable('202') }),
      hangup: () => b.hangup!({ user: userArg, callId: inbound().id }),
      contacts: () => b.contacts!.create({ user: userArg, contact: { firstname: 'Ada', lastname: 'Lovelace' } }),
    };
    const READS: Partial<Record<Capability, () => Promise<unknown>>> = {
      activeCalls: () => b.activeCalls!({ user: userArg }),
      listQueue: () => b.listQueue!({ queue }),
      history: () => b.history!({ user: userArg }),
      listQualifications: () => b.listQualifications!({ queueId: opts.quirks?.queueId ?? 1 }),
      contacts: () => b.contacts!.list({ user: userArg }),
    };
    const pick = (table: Partial<Record<Capability, () => Promise<unknown>>>, kind: string, mine: Capability[]): (() => Promise<unknown>) => {
      const found = (Object.keys(table) as Capability[]).find((c) => mine.includes(c));
      if (!found) throw new Error(`the contract has no ${kind} for the fault cases among ${mine.join(', ')}: add one to its table`);
      return () => table[found]!();
    };
    const actions = opts.capabilities.filter((c) => !READ_CAPABILITIES.has(c));
    const reads = opts.capabilities.filter((c) => READ_CAPABILITIES.has(c) || c === 'contacts');
    const action = () => pick(ACTIONS, 'action', actions);
    const read = () => pick(READS, 'read', reads);

    reg.describe('faults', () => {
      if (actions.length) {
        always('an action whose connection drops after it was carried out is outcome_unknown, sent once', async () => {
          const sim = need(h.sim, 'simulator server');
          const go = action();
          sim.resetStats();
          sim.inject({ kind: 'reset_after' });
          const e = await expectBackendError(go(), ['outcome_unknown']);
          expect(describeError(e)).toMatch(/Do not retry/);
          expect(sim.stats.handled).toBe(1);
          expect(sim.stats.requests).toBe(1);
        });

        always('an action that gets no answer before the deadline is outcome_unknown, sent once', async () => {
          const sim = need(h.sim, 'simulator server');
          const short = await need(h.withDeadline, 'backend with a short deadline')(300);
          const saved = b;
          b = short;
          try {
            sim.resetStats();
            sim.inject({ kind: 'stall' });
            const started = Date.now();
            await expectBackendError(action()(), ['outcome_unknown']);
            expect(Date.now() - started).toBeLessThan(3000);
            expect(sim.stats.requests).toBe(1);
          } finally {
            b = saved;
            await short.close();
          }
        });
      }

      always('a read that meets server errors is retried a bounded number of times, then unavailable', async () => {
        const sim = need(h.sim, 'simulator server');
        const rd = read();
        sim.resetStats();
        sim.inject({ kind: 'status', status: 503, times: Infinity });
        await expectBackendError(rd(), ['unavailable']);
        expect(sim.stats.requests).toBeGreaterThanOrEqual(1);
        expect(sim.stats.requests).toBeLessThanOrEqual(4);
        sim.clearFaults();
        await rd();
      });

      always('garbage, truncated or oversized answers are typed errors, and the next call works', async () => {
        const sim = need(h.sim, 'simulator server');
        const rd = read();
        for (const kind of ['garbage', 'truncate', 'huge'] as const) {
          sim.inject({ kind, times: 5 });
          await expectBackendError(rd(), ['unavailable', 'invalid']);
          sim.clearFaults();
        }
        await rd();
      });

      if (wire.credentials) {
        always('wrong credentials are an auth error, not retried in a loop', async () => {
          const sim = need(h.sim, 'simulator server');
          const bad = await need(h.withBadCredentials, 'backend with wrong credentials')();
          try {
            sim.resetStats();
            const saved = b;
            b = bad;
            try {
              await expectBackendError(read()(), ['auth']);
            } finally {
              b = saved;
            }
            expect(sim.stats.requests).toBeLessThanOrEqual(3);
          } finally {
            await bad.close();
          }
        });
      }

      always('sequential requests reuse one connection (keep-alive)', async () => {
        const sim = need(h.sim, 'simulator server');
        const rd = read();
        await rd();
        sim.resetStats();
        for (let i = 0; i < 20; i++) await rd();
        expect(sim.stats.connections).toBeLessThanOrEqual(1);
      });
    });
  });
}
