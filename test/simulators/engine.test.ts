import { describe, expect, it } from 'vitest';
import type { Change } from '../../src/backends/backend.js';
import { EngineError } from '../../src/simulators/engine/engine.js';
import { parseScenario } from '../../src/simulators/engine/scenario.js';
import { engine, TEST_SCENARIO } from '../helpers/scenario.js';

function codeOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (e) {
    if (e instanceof EngineError) return e.code;
    throw e;
  }
  return undefined;
}

describe('placing calls', () => {
  it('rings an extension, connects after its answer delay, and writes history for both parties on hangup', () => {
    const { engine: e, clock } = engine();
    const call = e.placeCall('alice', '202');
    expect(call).toMatchObject({ state: 'ringing', direction: 'internal', from: { number: '201', name: 'Alice' }, to: { number: '202' } });
    expect(call.answered).toBe(false);
    clock.advance(999);
    expect(e.call(call.id).state).toBe('ringing');
    clock.advance(1);
    expect(e.call(call.id)).toMatchObject({ state: 'connected', answered: true });
    clock.advance(65_000);
    expect(e.call(call.id).durationSeconds).toBe(66);
    e.hangup('bob');
    expect(e.listCalls()).toEqual([]);
    expect(e.history('alice')[0]).toMatchObject({ from: '201', to: '202', status: 'emitted', durationSeconds: 65 });
    expect(e.history('bob')[0]).toMatchObject({ from: '201', to: '202', status: 'answered', durationSeconds: 65 });
  });

  it('accepts a user by extension number as well as by login', () => {
    const { engine: e } = engine();
    expect(e.placeCall('201', '203').fromUser).toBe('alice');
  });

  it('rejects a call to an extension in do-not-disturb as busy, with no call left and a busy history entry', () => {
    const { engine: e } = engine();
    e.setDnd('bob', true);
    expect(codeOf(() => e.placeCall('alice', '202'))).toBe('busy');
    expect(e.listCalls()).toEqual([]);
    expect(e.history('alice')[0]).toMatchObject({ to: '202', status: 'busy' });
  });

  it('rejects calls to an offline extension and from an offline phone', () => {
    const { engine: e } = engine();
    expect(codeOf(() => e.placeCall('alice', '205'))).toBe('busy');
    expect(codeOf(() => e.placeCall('erin', '201'))).toBe('conflict');
  });

  it('fails clearly on unknown, malformed and self-directed numbers', () => {
    const { engine: e } = engine();
    expect(codeOf(() => e.placeCall('alice', '999'))).toBe('not_found');
    expect(() => e.placeCall('alice', '999')).toThrow(/does not exist on this PBX/);
    expect(codeOf(() => e.placeCall('alice', '20a'))).toBe('invalid');
    expect(codeOf(() => e.placeCall('alice', '201'))).toBe('invalid');
    expect(codeOf(() => e.placeCall('nobody', '202'))).toBe('not_found');
    expect(e.listCalls()).toEqual([]);
  });

  it('calls outside numbers (00 prefix = +), which answer, stay silent or are busy per scenario', () => {
    const { engine: e, clock } = engine();
    const out = e.placeCall('alice', '0039 06 1234 5678');
    expect(out).toMatchObject({ direction: 'outbound', to: { number: '+390612345678', name: 'Giuseppe Test' } });
    clock.advance(2000);
    expect(e.call(out.id).state).toBe('connected');
    expect(codeOf(() => e.placeCall('bob', '+390811234567'))).toBe('busy');
    const silent = e.placeCall('carol', '+390554567890');
    clock.advance(19_999);
    expect(e.call(silent.id).state).toBe('ringing');
    clock.advance(1);
    expect(codeOf(() => e.call(silent.id))).toBe('not_found');
    expect(e.history('carol')[0]).toMatchObject({ to: '+390554567890', status: 'emitted', durationSeconds: 0 });
  });

  it('lets a manual-answer user answer, and records a missed call when the ring times out', () => {
    const { engine: e, clock } = engine();
    const c1 = e.placeCall('alice', '204');
    clock.advance(10_000);
    expect(e.call(c1.id).state).toBe('ringing');
    expect(e.answer('dave').id).toBe(c1.id);
    expect(e.call(c1.id).state).toBe('connected');
    expect(codeOf(() => e.answer('dave'))).toBe('not_found');
    e.hangup('dave');
    const c2 = e.placeCall('bob', '204');
    clock.advance(20_000);
    expect(codeOf(() => e.call(c2.id))).toBe('not_found');
    expect(e.history('dave')[0]).toMatchObject({ from: '202', status: 'missed' });
  });
});

describe('hangup and hold', () => {
  it("ends the user's current call when no id is given, and refuses when there is none", () => {
    const { engine: e, clock } = engine();
    const c = e.placeCall('alice', '202');
    clock.advance(1000);
    e.hangup('alice');
    expect(codeOf(() => e.call(c.id))).toBe('not_found');
    expect(codeOf(() => e.hangup('alice'))).toBe('not_found');
  });

  it("refuses to hang up another user's call by id", () => {
    const { engine: e } = engine();
    const c = e.placeCall('alice', '202');
    expect(codeOf(() => e.hangup('carol', c.id))).toBe('not_found');
    expect(e.call(c.id).state).toBe('ringing');
  });

  it('holds, resumes and toggles a connected call, but not a ringing one', () => {
    const { engine: e, clock } = engine();
    const c = e.placeCall('alice', '202');
    expect(codeOf(() => e.hold('alice', c.id))).toBe('conflict');
    clock.advance(1000);
    expect(e.hold('alice', c.id, true).state).toBe('on_hold');
    expect(e.hold('alice', c.id, false).state).toBe('connected');
    expect(e.hold('alice', c.id).state).toBe('on_hold');
    expect(e.hold('alice', c.id).state).toBe('connected');
  });
});

describe('transfers', () => {
  it('blind transfer moves the far party to the target; the transferring user leaves', () => {
    const { engine: e, clock } = engine();
    const c = e.inboundCall('+390612345678', '201');
    clock.advance(1000);
    expect(e.call(c.id).state).toBe('connected');
    const t = e.transferBlind('alice', c.id, '203');
    expect(t).toMatchObject({ state: 'ringing', from: { number: '+390612345678' }, to: { number: '203' } });
    expect(e.listCalls('alice')).toEqual([]);
    expect(e.history('alice')[0]).toMatchObject({ status: 'answered' });
    clock.advance(1000);
    expect(e.call(c.id)).toMatchObject({ state: 'connected', toUser: 'carol' });
  });

  it('refuses a blind transfer to a busy target, leaving the call as it was', () => {
    const { engine: e, clock } = engine();
    const c = e.inboundCall('+390612345678', '201');
    clock.advance(1000);
    e.setDnd('carol', true);
    expect(codeOf(() => e.transferBlind('alice', c.id, '203'))).toBe('busy');
    expect(e.call(c.id)).toMatchObject({ state: 'connected', toUser: 'alice' });
    expect(codeOf(() => e.transferBlind('alice', c.id, '999'))).toBe('not_found');
    expect(codeOf(() => e.transferBlind('alice', c.id, '201'))).toBe('invalid');
  });

  it('refuses to transfer a call that is not answered yet', () => {
    const { engine: e } = engine();
    const c = e.placeCall('alice', '202');
    expect(codeOf(() => e.transferBlind('alice', c.id, '203'))).toBe('conflict');
  });

  it('blind transfer to a queue queues the caller; to a parking slot parks it', () => {
    const { engine: e, clock } = engine();
    const c = e.inboundCall('+390612345678', '201');
    clock.advance(1000);
    e.transferBlind('alice', c.id, '600');
    expect(e.call(c.id)).toMatchObject({ queue: 'support', state: 'ringing', toUser: 'bob' });
    const d = e.inboundCall('+393471234567', '203');
    clock.advance(1000);
    e.transferBlind('carol', d.id, '702');
    expect(e.call(d.id)).toMatchObject({ state: 'parked', parkedSlot: '702' });
  });

  it('attended transfer holds the call, consults the target, and completes when the user hangs up the consultation', () => {
    const { engine: e, clock } = engine();
    const c = e.inboundCall('+390612345678', '201');
    clock.advance(1000);
    const { held, consult } = e.transferAttended('alice', c.id, '202');
    expect(held.state).toBe('on_hold');
    expect(consult).toMatchObject({ state: 'ringing', consultFor: c.id, to: { number: '202' } });
    clock.advance(1000);
    expect(e.call(consult.id).state).toBe('connected');
    e.hangup('alice', consult.id);
    expect(codeOf(() => e.call(consult.id))).toBe('not_found');
    expect(e.call(c.id)).toMatchObject({ state: 'connected', from: { number: '+390612345678' }, toUser: 'bob' });
    expect(e.listCalls('alice')).toEqual([]);
  });

  it('completing before the target answers leaves the caller ringing at the target', () => {
    const { engine: e, clock } = engine();
    const c = e.inboundCall('+390612345678', '201');
    clock.advance(1000);
    const { consult } = e.transferAttended('alice', c.id, '204');
    e.hangup('alice', consult.id);
    expect(e.call(c.id)).toMatchObject({ state: 'ringing', toUser: 'dave' });
  });

  it('when the target hangs up the consultation, the original call stays on hold with the user', () => {
    const { engine: e, clock } = engine();
    const c = e.inboundCall('+390612345678', '201');
    clock.advance(1000);
    const { consult } = e.transferAttended('alice', c.id, '202');
    clock.advance(1000);
    e.hangup('bob', consult.id);
    expect(e.call(c.id)).toMatchObject({ state: 'on_hold', toUser: 'alice' });
    expect(codeOf(() => e.transferAttended('alice', c.id, '600'))).toBe('invalid');
  });
});

describe('parking', () => {
  it('parks in the first free slot, lists it, and anyone dialling the slot picks the call up', () => {
    const { engine: e, clock } = engine();
    const c = e.inboundCall('+390612345678', '201');
    clock.advance(1000);
    expect(e.park(c.id)).toBe('701');
    expect(e.call(c.id)).toMatchObject({ state: 'parked', parkedSlot: '701', to: { number: '701' } });
    expect(e.listCalls('alice')).toEqual([]);
    expect(e.parkingInfo()).toMatchObject({ firstSlot: 701, slots: 3, parked: [{ slot: '701', callId: c.id }] });
    const picked = e.placeCall('carol', '701');
    expect(picked).toMatchObject({ id: c.id, state: 'connected', toUser: 'carol' });
    expect(e.parkingInfo().parked).toEqual([]);
    expect(codeOf(() => e.placeCall('bob', '701'))).toBe('not_found');
  });

  it('takes a requested slot, and refuses a taken or invalid slot and a full lot', () => {
    const { engine: e, clock } = engine();
    const calls = ['+390612345678', '+393471234567', '202', '203'].map((from, i) =>
      e.inboundCall(from, i < 2 ? '201' : '204'),
    );
    clock.advance(1000);
    // Alice is talking on the first call, so the second waits for her to answer it (and hold the first).
    e.answer('alice', calls[1]!.id);
    for (const id of [calls[2]!.id, calls[3]!.id]) e.answer('dave', id);
    expect(e.park(calls[0]!.id, '703', 'alice')).toBe('703');
    expect(codeOf(() => e.park(calls[1]!.id, '703', 'alice'))).toBe('conflict');
    expect(codeOf(() => e.park(calls[1]!.id, '799', 'alice'))).toBe('invalid');
    expect(e.park(calls[1]!.id, undefined, 'alice')).toBe('701');
    expect(e.park(calls[2]!.id, undefined, 'dave')).toBe('702');
    expect(codeOf(() => e.park(calls[3]!.id, undefined, 'dave'))).toBe('conflict');
  });

  it('refuses to park a ringing call, or a call between two users without saying who parks', () => {
    const { engine: e, clock } = engine();
    const c = e.placeCall('alice', '202');
    expect(codeOf(() => e.park(c.id))).toBe('conflict');
    clock.advance(1000);
    expect(codeOf(() => e.park(c.id))).toBe('invalid');
    expect(e.park(c.id, undefined, 'alice')).toBe('701');
    expect(e.call(c.id).from.number).toBe('202');
  });

  it('rings the parker back after the parking timeout', () => {
    const { engine: e, clock } = engine({ parking: { firstSlot: 701, slots: 3, timeoutMs: 45_000 } });
    const c = e.inboundCall('+390612345678', '201');
    clock.advance(1000);
    e.park(c.id);
    clock.advance(45_000);
    expect(e.call(c.id)).toMatchObject({ state: 'ringing', toUser: 'alice' });
    expect(e.parkingInfo().parked).toEqual([]);
  });
});

describe('queues', () => {
  it('offers a queue call to an available member, who answers; the queue reports it', () => {
    const { engine: e, clock } = engine();
    const c = e.inboundCall('+390612345678', '600');
    expect(e.call(c.id)).toMatchObject({ state: 'ringing', queue: 'support', toUser: 'bob' });
    expect(e.queueStatus('support')).toMatchObject({ waitingCount: 1, calls: [{ status: 'waiting', caller: '+390612345678' }] });
    clock.advance(1000);
    expect(e.queueStatus('support')).toMatchObject({
      waitingCount: 0,
      calls: [{ id: c.id, status: 'connected', agent: '202', waitedSeconds: 1, callerName: 'Giuseppe Test' }],
    });
    expect(e.queueStatus('support').oldestArrival).toBeUndefined();
  });

  it('does not offer calls to paused, DND or busy members, and offers again when one becomes free', () => {
    const { engine: e, clock } = engine();
    e.pauseQueues('bob', true, ['support'], 'lunch');
    expect(e.user('bob').queues).toEqual([{ queue: 'support', paused: true, reason: 'lunch' }]);
    e.setDnd('carol', true);
    const c = e.inboundCall('+390612345678', '600');
    expect(e.call(c.id).state).toBe('queued');
    clock.advance(5000);
    const q = e.queueStatus('support');
    expect(q).toMatchObject({ waitingCount: 1, calls: [{ status: 'waiting', waitedSeconds: 5 }] });
    expect(q.oldestArrival).toBe(q.calls[0]!.enteredAt);
    e.pauseQueues('bob', false);
    expect(e.call(c.id)).toMatchObject({ state: 'ringing', toUser: 'bob' });
  });

  it('moves an unanswered offer to the next member', () => {
    const { engine: e, clock } = engine();
    const c = e.inboundCall('+390612345678', '601');
    expect(e.call(c.id).toUser).toBe('dave');
    clock.advance(15_000);
    expect(e.call(c.id)).toMatchObject({ state: 'ringing', toUser: 'alice' });
  });

  it('refuses pausing in an unknown queue, a queue the user is not in, or for a user in no queue', () => {
    const { engine: e } = engine();
    expect(codeOf(() => e.pauseQueues('bob', true, ['nope']))).toBe('not_found');
    expect(codeOf(() => e.pauseQueues('bob', true, ['sales']))).toBe('not_found');
    expect(codeOf(() => e.pauseQueues('erin', true))).toBe('not_found');
    expect(e.pauseQueues('alice', true)).toEqual(['sales']);
    expect(codeOf(() => e.queueStatus('nope'))).toBe('not_found');
  });

  it('drops a caller who hangs up while waiting', () => {
    const { engine: e } = engine();
    e.pauseQueues('bob', true);
    e.pauseQueues('carol', true);
    const c = e.inboundCall('+390612345678', '600');
    e.hangup(undefined, c.id);
    expect(e.queueStatus('support')).toMatchObject({ waitingCount: 0, calls: [] });
  });
});

describe('forwarding', () => {
  it('forwards unconditionally, on busy and on no answer', () => {
    const { engine: e, clock } = engine();
    e.setForward('bob', 'unconditional', '203', true);
    expect(e.placeCall('alice', '202').toUser).toBe('carol');
    e.setForward('bob', 'unconditional', undefined, false);
    e.setForward('dave', 'noanswer', '+390612345678', true);
    const c = e.placeCall('alice', '204');
    clock.advance(20_000);
    expect(e.call(c.id)).toMatchObject({ state: 'ringing', to: { number: '+390612345678' } });
    expect(e.history('dave')[0]).toMatchObject({ status: 'missed' });
    e.setForward('carol', 'busy', '202', true);
    const d = e.placeCall('alice', '203');
    expect(d.toUser).toBe('bob');
  });

  it('refuses forwarding to nowhere, to oneself, or in a loop', () => {
    const { engine: e } = engine();
    expect(codeOf(() => e.setForward('bob', 'busy', '999', true))).toBe('not_found');
    expect(codeOf(() => e.setForward('bob', 'busy', '202', true))).toBe('invalid');
    expect(codeOf(() => e.setForward('bob', 'busy', undefined, true))).toBe('invalid');
    e.setForward('bob', 'unconditional', '203', true);
    e.setForward('carol', 'unconditional', '202', true);
    expect(codeOf(() => e.placeCall('alice', '202'))).toBe('conflict');
    expect(e.listCalls()).toEqual([]);
  });
});

describe('conference', () => {
  it('joins a held call with the current one, and falls back to two parties when one leaves', () => {
    const { engine: e, clock } = engine();
    const a = e.inboundCall('+390612345678', '201');
    clock.advance(1000);
    expect(codeOf(() => e.conference('alice', a.id))).toBe('conflict');
    e.hold('alice', a.id, true);
    expect(codeOf(() => e.conference('alice', a.id))).toBe('conflict');
    const b = e.placeCall('alice', '202');
    clock.advance(1000);
    const conf = e.conference('alice', a.id);
    expect(conf.participants?.map((p) => p.number).sort()).toEqual(['+390612345678', '201', '202']);
    expect(codeOf(() => e.call(b.id))).toBe('not_found');
    e.hangup('bob');
    const after = e.call(a.id);
    expect(after.participants).toBeUndefined();
    expect([after.from.number, after.to.number].sort()).toEqual(['+390612345678', '201']);
  });

  it('drops one party of a conference by number, leaving a plain call, and refuses a number not in it', () => {
    const { engine: e, clock } = engine();
    const a = e.inboundCall('+390612345678', '201');
    clock.advance(1000);
    e.hold('alice', a.id, true);
    e.placeCall('alice', '202');
    clock.advance(1000);
    e.conference('alice', a.id);
    expect(codeOf(() => e.dropParticipant(a.id, '203'))).toBe('not_found');
    const left = e.dropParticipant(a.id, '+390612345678');
    expect(left.participants).toBeUndefined();
    expect([left.from.number, left.to.number].sort()).toEqual(['201', '202']);
    expect(codeOf(() => e.dropParticipant(a.id, '202'))).toBe('not_found');
    e.hangup('alice', a.id);
    expect(e.listCalls()).toEqual([]);
    expect(e.history('bob')[0]).toMatchObject({ status: 'answered' });
  });
});

describe('history', () => {
  it('returns the last N calls or those of the last N days, newest first', () => {
    const { engine: e, clock } = engine({
      history: { alice: [{ start: '2025-12-01T10:00:00Z', durationSeconds: 5, from: '201', to: '202', status: 'emitted' }] },
    });
    for (const to of ['202', '203']) {
      e.placeCall('alice', to);
      clock.advance(1000);
      e.hangup('alice');
    }
    expect(e.history('alice').map((h) => h.to)).toEqual(['203', '202', '202']);
    expect(e.history('alice', { size: 1 }).map((h) => h.to)).toEqual(['203']);
    expect(e.history('alice', { days: 7 })).toHaveLength(2);
  });
});

describe('contacts', () => {
  it('creates, reads, updates, deletes and refuses invalid or duplicate contacts', () => {
    const { engine: e } = engine();
    const c = e.withContacts('alice', (b) => b.create({ firstname: 'Giuseppe', lastname: 'Test', number: '+390612345678' }));
    expect(e.book('alice').get(c.id)).toEqual(c);
    expect(e.book('bob').list()).toEqual([]);
    const u = e.withContacts('alice', (b) => b.update(c.id, { email: 'g@example.com', number: '' }));
    expect(u).toEqual({ id: c.id, firstname: 'Giuseppe', lastname: 'Test', email: 'g@example.com' });
    expect(codeOf(() => e.book('alice').create({ email: 'x@example.com' }))).toBe('invalid');
    expect(codeOf(() => e.book('alice').create({ lastname: 'X', email: 'nope' }))).toBe('invalid');
    expect(codeOf(() => e.book('alice').create({ firstname: 'Giuseppe', lastname: 'Test' }))).toBe('conflict');
    e.withContacts('alice', (b) => b.delete(c.id));
    expect(codeOf(() => e.book('alice').get(c.id))).toBe('not_found');
    expect(codeOf(() => e.book('alice').delete(c.id))).toBe('not_found');
  });

  it('imports CSV with good and bad lines and exports a CSV that imports back the same', () => {
    const { engine: e } = engine();
    const csv =
      'firstname,lastname,number,email,company\r\n' +
      'Ada,Lovelace,+441234567890,ada@example.com,"Analytical, Engines"\r\n' +
      ',,,bad-email,\r\n' +
      '"Grace ""Amazing""",Hopper,,,Navy\r\n';
    const r = e.withContacts('alice', (b) => b.importCsv(csv));
    expect(r.created).toHaveLength(2);
    expect(r.failed).toEqual([{ line: 3, errors: [expect.stringMatching(/needs a firstname/)] }]);
    const out = e.book('alice').exportCsv();
    expect(out.split('\r\n')[0]).toBe('company,email,fax,firstname,lastname,mobile,number');
    expect(out).toContain('"Analytical, Engines"');
    const { engine: other } = engine();
    const back = other.withContacts('bob', (b) => b.importCsv(out));
    expect(back.failed).toEqual([]);
    const strip = (l: { id: string }[]) => l.map(({ id: _id, ...rest }) => rest).sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b)));
    expect(strip(other.book('bob').list())).toEqual(strip(e.book('alice').list()));
    expect(codeOf(() => e.book('alice').importCsv('foo,bar\n1,2\n'))).toBe('invalid');
  });
});

describe('change events', () => {
  it('announces each touched topic once per operation', () => {
    const { engine: e, clock } = engine();
    const seen: Change[] = [];
    e.on('change', (c) => seen.push(c));
    e.placeCall('alice', '600');
    expect(seen).toEqual(expect.arrayContaining([{ topic: 'calls' }, { topic: 'queue', queue: 'support' }]));
    expect(seen.filter((c) => c.topic === 'calls')).toHaveLength(1);
    seen.length = 0;
    clock.advance(1000);
    expect(seen).toContainEqual({ topic: 'calls' });
    seen.length = 0;
    e.setDnd('alice', true);
    e.setDnd('alice', true);
    expect(seen).toEqual([{ topic: 'extensions' }]);
    seen.length = 0;
    e.hangup('alice');
    expect(seen).toContainEqual({ topic: 'history', user: 'alice' });
  });
});

describe('scenario validation', () => {
  it('names the offending key and refuses clashing numbers and unknown members', () => {
    expect(() => parseScenario({ users: [{ id: 'a', extension: 'x1' }] })).toThrow(/users\.0\.extension/);
    expect(() => parseScenario({ ...TEST_SCENARIO, users: [...TEST_SCENARIO.users!, { id: 'z', extension: '600' }] })).toThrow(
      /600 is used by both/,
    );
    expect(() => parseScenario({ queues: [{ name: 'q', number: '1', members: ['ghost'] }] })).toThrow(/unknown member ghost/);
    expect(() => parseScenario({ bogus: 1 })).toThrow(/bogus/);
  });
});
