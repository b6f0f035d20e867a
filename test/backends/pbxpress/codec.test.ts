/**
 * PBXpress records -> the shared model, with the guide's structures (call, extension, favorites, parking) and
 * every liberty the guide leaves: ints or strings, the two parking shapes, queue legs with nothing linking them.
 */
import { describeError } from '../../../src/wording.js';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { BackendError } from '../../../src/errors.js';
import { Call, Extension, Favorite, ParkingInfo } from '../../../src/backends/model.js';
import {
  callState,
  decodeCalls,
  decodeExtensions,
  decodeFavorites,
  decodeParking,
  decodeSlot,
  encodeFavorites,
  faultError,
  groupCalls,
  involves,
  splitEntityId,
  type WireCall,
} from '../../../src/backends/pbxpress/codec.js';
import { decodeResponse, type XmlRpcValue } from '../../../src/backends/pbxpress/xmlrpc.js';

const START = (id: string, duration: number) => `t-${duration}`;

/** A call record with the guide's keys (id, state, from, to, duration, via, qcall). */
function rec(id: string | number, state: string, from: XmlRpcValue, to: XmlRpcValue, extra: Record<string, XmlRpcValue> = {}): XmlRpcValue {
  return { id, state, from, to, duration: 10, via: '', qcall: 0, ...extra };
}
const ext = (id: number, number: string, name = ''): XmlRpcValue => ({ id, number, name, type: 'extension' });
const outside = (number: string, name = ''): XmlRpcValue => ({ id: 0, number, name, type: 'unknown' });
const queue = (id: number, number: string, name: string): XmlRpcValue => ({ id, number, name, type: 'queue' });

const calls = (records: XmlRpcValue[]) => groupCalls(decodeCalls(records), START);

describe('calls', () => {
  it('maps the guide\'s call record to the model, ids as strings', () => {
    const [c] = calls([rec(42, 'connected', outside('+390612345678', 'Giuseppe'), ext(12, '201', 'Alice'), { duration: '65', via: 'sip-trunk' })]);
    expect(Call.parse(c!.call)).toEqual({
      id: '42',
      state: 'connected',
      direction: 'inbound',
      from: { number: '+390612345678', name: 'Giuseppe' },
      to: { number: '201', name: 'Alice' },
      answered: true,
      startedAt: 't-65',
      durationSeconds: 65,
    });
  });

  it.each([
    ['setup', 'dialing'],
    ['connected', 'connected'],
    ['onhold', 'on_hold'],
    ['ringing', 'ringing'],
    ['parked', 'parked'],
    ['unknown', 'unknown'],
    ['ONHOLD', 'on_hold'],
    ['on_hold', 'on_hold'],
    ['transferring', 'unknown'],
  ])('state %s -> %s', (wire, model) => {
    expect(callState(wire.toLowerCase())).toBe(model);
    expect(calls([rec('a', wire, ext(1, '201'), ext(2, '202'))])[0]!.call.state).toBe(model);
  });

  it('tells direction from the party types', () => {
    const dir = (from: XmlRpcValue, to: XmlRpcValue) => calls([rec('a', 'connected', from, to)])[0]!.call.direction;
    expect(dir(ext(1, '201'), ext(2, '202'))).toBe('internal');
    expect(dir(ext(1, '201'), outside('+3906'))).toBe('outbound');
    expect(dir(outside('+3906'), queue(1, '600', 'support'))).toBe('inbound');
    expect(dir(ext(1, '201'), { id: 3, number: 'vm-201', name: '', type: 'vm' })).toBe('internal');
  });

  it('groups a queue call (the incoming leg plus one leg per ringing extension) into one ringing call', () => {
    const list = calls([
      rec('q1', 'ringing', outside('+390612345678', 'Giuseppe'), queue(1, '600', 'support'), { qcall: 1, duration: 30 }),
      rec('l1', 'ringing', outside('+390612345678', 'Giuseppe'), ext(2, '202', 'Bob'), { qcall: 1, duration: 5 }),
      rec('l2', 'ringing', outside('+390612345678', 'Giuseppe'), ext(3, '203', 'Carol'), { qcall: 1, duration: 5 }),
      rec('n1', 'connected', ext(1, '201'), ext(4, '204')),
    ]);
    expect(list.map((g) => g.call.id)).toEqual(['q1', 'n1']);
    expect(list[0]!.call).toMatchObject({ id: 'q1', state: 'ringing', queue: 'support', to: { number: '600' }, answered: false, durationSeconds: 30 });
    // Every ringing extension is a party of the call, for the user filter.
    expect(involves(list[0]!, '203')).toBe(true);
    expect(involves(list[0]!, 'extension:3')).toBe(true);
    expect(involves(list[0]!, 'queue:3')).toBe(false);
    expect(involves(list[0]!, '204')).toBe(false);
  });

  it('a queue call one extension answered is connected to that extension; one with no leg is queued', () => {
    const list = calls([
      rec('q1', 'connected', outside('+3906111'), queue(1, '600', 'support'), { qcall: 1 }),
      rec('l1', 'connected', outside('+3906111'), ext(2, '202', 'Bob'), { qcall: 1 }),
      rec('q2', 'connected', outside('+3906222'), queue(1, '600', 'support'), { qcall: 1 }),
    ]);
    expect(list.map((g) => [g.call.id, g.call.state, g.call.to.number, g.call.answered])).toEqual([
      ['q1', 'connected', '202', true],
      ['q2', 'queued', '600', false],
    ]);
  });

  it('legs that come from the queue go to the longest-waiting call of that queue; an answered leg to an unanswered call', () => {
    const list = calls([
      rec('q-new', 'ringing', outside('+3906111'), queue(1, '600', 'support'), { qcall: 1, duration: 5 }),
      rec('q-old', 'ringing', outside('+3906222'), queue(1, '600', 'support'), { qcall: 1, duration: 50 }),
      rec('q-other', 'ringing', outside('+3906333'), queue(2, '601', 'sales'), { qcall: 1, duration: 90 }),
      rec('l1', 'ringing', queue(1, '600', 'support'), ext(2, '202'), { qcall: 1 }),
      rec('l2', 'ringing', queue(1, '600', 'support'), ext(3, '203'), { qcall: 1 }),
    ]);
    const byId = Object.fromEntries(list.map((g) => [g.call.id, g]));
    expect(list).toHaveLength(3);
    expect(byId['q-old']!.call.state).toBe('ringing');
    expect(involves(byId['q-old']!, '202') && involves(byId['q-old']!, '203')).toBe(true);
    expect(byId['q-new']!.call.state).toBe('queued');
    expect(byId['q-other']!.call.state).toBe('queued');
  });

  it('a queue leg matched by id + type is not confused with an extension of the same id', () => {
    const list = calls([
      rec('q1', 'ringing', outside(''), queue(2, '600', 'support'), { qcall: 1 }),
      rec('q2', 'ringing', outside(''), queue(7, '601', 'sales'), { qcall: 1 }),
      rec('l1', 'ringing', { id: 7, number: '', name: '', type: 'queue' }, ext(2, '202'), { qcall: 1 }),
    ]);
    expect(list.find((g) => g.call.id === 'q2')!.call).toMatchObject({ state: 'ringing', to: { number: '202' } });
    expect(list.find((g) => g.call.id === 'q1')!.call.state).toBe('queued');
  });

  it('a member leg with no queue leg to belong to is reported on its own', () => {
    const list = calls([
      rec('q1', 'ringing', outside('+3906111'), queue(1, '600', 'support'), { qcall: 1 }),
      rec('q2', 'ringing', outside('+3906222'), queue(2, '601', 'sales'), { qcall: 1 }),
      rec('l9', 'ringing', outside('+3906999'), ext(2, '202'), { qcall: 1 }),
    ]);
    expect(list.map((g) => g.call.id)).toEqual(['q1', 'q2', 'l9']);
  });

  it('accepts "no calls" as an empty array, nil, empty string, false or 0, and skips records without an id', () => {
    for (const none of [[], null, '', false, 0, undefined, {}] as (XmlRpcValue | undefined)[]) expect(decodeCalls(none)).toEqual([]);
    expect(decodeCalls([{ state: 'ringing' }, 'junk', rec('ok', 'ringing', ext(1, '201'), ext(2, '202'))]).map((c) => c.id)).toEqual(['ok']);
  });

  it('accepts qcall as 1, "1", true; duration as int, string or double; a party as a bare number', () => {
    const [c] = decodeCalls([{ id: 'x', state: 'ringing', from: '201', to: ext(2, '202'), duration: 12.9, qcall: true }]) as [WireCall];
    expect(c).toMatchObject({ qcall: true, duration: 12, from: { number: '201', type: 'unknown' } });
    expect(decodeCalls([rec('y', 'ringing', ext(1, '1'), ext(2, '2'), { qcall: '1', duration: 'soon' })])[0]).toMatchObject({ qcall: true, duration: 0 });
  });

  it('refuses an answer that is no list of calls at all', () => {
    expect(() => decodeCalls('some text')).toThrow(BackendError);
    expect(() => decodeCalls(7)).toThrow(BackendError);
  });
});

describe('extensions', () => {
  const GUIDE_RECORDS: XmlRpcValue = [
    { id: 12, type: 'extension', abbreviated: 201, callerid: { phone: '+3906555201', name: 'Alice' }, voicemail: 1, email: 'alice@example.com', state: 'online' },
    { id: 12, type: 'queue', abbreviated: '600', callerid: { phone: '', name: 'support' }, voicemail: 0, email: '', state: 'offline' },
    { id: 3, type: 'attendant', abbreviated: '800', callerid: { phone: '', name: 'Main menu' }, voicemail: 0, email: '', state: 'online' },
  ];

  it('maps the guide\'s extension records, identity = type + id', () => {
    const list = decodeExtensions(GUIDE_RECORDS);
    expect(list.map((e) => Extension.parse(e))).toEqual([
      { id: 'extension:12', number: '201', name: 'Alice', kind: 'user', online: true },
      { id: 'queue:12', number: '600', name: 'support', kind: 'queue', online: false },
      { id: 'attendant:3', number: '800', name: 'Main menu', kind: 'attendant', online: true },
    ]);
    expect(splitEntityId('queue:12')).toEqual({ type: 'queue', id: '12' });
    expect(splitEntityId('12')).toBeUndefined();
  });

  it('skips unknown types and id-less records; falls back to callerid.phone for the number', () => {
    expect(
      decodeExtensions([
        { id: 1, type: 'fax', abbreviated: '999' },
        { type: 'extension', abbreviated: '998' },
        { id: '5', type: 'Extension', callerid: { phone: '205' } },
      ]),
    ).toEqual([{ id: 'extension:5', number: '205', kind: 'user' }]);
  });
});

describe('favorites', () => {
  const extensions = decodeExtensions([
    { id: 1, type: 'extension', abbreviated: '201', callerid: { phone: '', name: 'Alice' }, state: 'online' },
    { id: 1, type: 'queue', abbreviated: '600', callerid: { phone: '', name: 'support' }, state: 'online' },
  ]);

  it('reads the guide\'s entries (id, slot, size, type) in slot order, named by the (id, type) pair', () => {
    const list = decodeFavorites(
      [
        { id: 1, slot: 3, size: 'double', type: 'queue' },
        { id: 1, slot: '1', size: 'single', type: 'extension' },
        { id: 9, slot: 2, size: 'huge', type: 'attendant' },
        { id: 4, size: 'single', type: 'extension' },
      ],
      extensions,
    );
    expect(list.map((f) => Favorite.parse(f))).toEqual([
      { id: 'extension:1', kind: 'user', slot: 1, size: 'single', number: '201', name: 'Alice' },
      { id: 'attendant:9', kind: 'attendant', slot: 2, size: 'single' },
      { id: 'queue:1', kind: 'queue', slot: 3, size: 'double', number: '600', name: 'support' },
    ]);
  });

  it('writes structs {id (integer), slot, size, type}, and refuses an id that does not match its kind', () => {
    expect(
      encodeFavorites([
        { id: 'extension:1', kind: 'user', slot: 1, size: 'single', name: 'ignored' },
        { id: 'queue:1', kind: 'queue', slot: 2, size: 'double' },
      ]),
    ).toEqual([
      { id: 1, slot: 1, size: 'single', type: 'extension' },
      { id: 1, slot: 2, size: 'double', type: 'queue' },
    ]);
    expect(() => encodeFavorites([{ id: 'queue:1', kind: 'user', slot: 1, size: 'single' }])).toThrow(BackendError);
    expect(() => encodeFavorites([{ id: 'alice', kind: 'user', slot: 1, size: 'single' }])).toThrow(BackendError);
  });
});

describe('parking', () => {
  it('reads <parking_extension, slots, parked_calls> as the 3-element array, slot keys from text', () => {
    const r = decodeResponse(
      '<methodResponse><params><param><value><array><data><value><int>700</int></value><value><int>5</int></value>' +
        '<value><struct><member><name>0702</name><value><string>b</string></value></member><member><name>701</name>' +
        '<value><string>a</string></value></member></struct></value></data></array></value></param></params></methodResponse>',
    ) as { value: XmlRpcValue };
    expect(ParkingInfo.parse(decodeParking(r.value))).toEqual({
      firstSlot: '700',
      slots: 5,
      parked: [
        { slot: '701', callId: 'a' },
        { slot: '702', callId: 'b' },
      ],
    });
  });

  it('reads the struct form, string numbers, callids as ints, and an empty lot in any "none" shape', () => {
    expect(decodeParking({ parking_extension: '700', slots: '3', parked_calls: { 701: 123 } as XmlRpcValue })).toEqual({
      firstSlot: '700',
      slots: 3,
      parked: [{ slot: '701', callId: '123' }],
    });
    for (const empty of [{}, [], null, '', false] as XmlRpcValue[]) {
      expect(decodeParking([700, 5, empty]).parked).toEqual([]);
    }
    expect(decodeParking(null)).toEqual({ parked: [] });
    expect(decodeParking([700, 5])).toEqual({ firstSlot: '700', slots: 5, parked: [] });
  });

  it('reads parked calls given as pairs or structs', () => {
    expect(decodeParking([700, 5, [[703, 'c'], ['701', 'a']]]).parked).toEqual([
      { slot: '701', callId: 'a' },
      { slot: '703', callId: 'c' },
    ]);
    expect(decodeParking([700, 5, [{ slot: 702, callid: 'b' }]]).parked).toEqual([{ slot: '702', callId: 'b' }]);
  });

  it('refuses a parking answer of no known shape', () => {
    expect(() => decodeParking('full')).toThrow(BackendError);
    expect(() => decodeParking([700, 5, 'x'])).toThrow(BackendError);
  });

  it('reads park\'s "slot taken" as an int, a string or a struct; nothing usable is undefined', () => {
    expect(decodeSlot(701)).toBe('701');
    expect(decodeSlot(' 0701 ')).toBe('701');
    expect(decodeSlot({ slot: 702 })).toBe('702');
    for (const v of [null, undefined, true, false, '', 0]) expect(decodeSlot(v as XmlRpcValue)).toBeUndefined();
  });
});

describe('faults', () => {
  const read = { read: true, what: 'read the active calls' };
  const act = { read: false, what: 'drop call 7' };

  it('faultCode > 0 is an internal error: unavailable for a read, outcome_unknown for an action', () => {
    expect(faultError({ code: 1, string: 'Traceback' }, read)).toMatchObject({ kind: 'unavailable', code: 'fault 1' });
    const e = faultError({ code: 5, string: 'db locked' }, act);
    expect(e.kind).toBe('outcome_unknown');
    expect(e.message).toMatch(/may or may not have happened/);
    expect(describeError(e)).toMatch(/Do not retry/);
  });

  it.each([
    [-1, "no such call \\'7\\'", 'not_found', "no such call '7'"],
    [0, 'Call not found', 'not_found', 'Call not found'],
    [-2, 'slot 701 is taken', 'conflict', 'slot 701 is taken'],
    [-3, 'extension 202 is busy', 'conflict', 'extension 202 is busy'],
    [-4, 'destination must be a number', 'invalid', 'destination must be a number'],
    [-5, 'permission denied: not your admin group', 'auth', 'permission denied: not your admin group'],
  ])('faultCode %i "%s" -> %s with the unescaped text', (code, string, kind, shown) => {
    const e = faultError({ code, string }, act);
    expect(e.kind).toBe(kind);
    expect(e.message).toContain(`"${shown}"`);
    expect(e.message).toContain('drop call 7');
  });

  it('cleans and bounds the PBX text it quotes', () => {
    const e = faultError({ code: -1, string: `bad\\x1b[31m red\u202e ${'x'.repeat(500)}` }, act);
    expect(e.message).not.toMatch(/[\u001b\u202e]/);
    expect(e.message.length).toBeLessThan(320);
    expect(faultError({ code: -1, string: '' }, act).message).toContain('(no reason given)');
  });
});

describe('fast-check: any decoded XML-RPC value maps to valid model objects or a typed error', () => {
  const scalar = fc.oneof(fc.string({ maxLength: 8 }), fc.integer(), fc.boolean(), fc.constant(null), fc.constantFrom('extension', 'queue', 'attendant', 'online', 'ringing', 'onhold', '701'));
  const value: fc.Arbitrary<XmlRpcValue> = fc.letrec((tie) => ({
    v: fc.oneof(
      { depthSize: 'small' },
      scalar,
      fc.array(tie('v'), { maxLength: 4 }),
      fc.dictionary(fc.constantFrom('id', 'type', 'state', 'from', 'to', 'number', 'name', 'qcall', 'duration', 'slot', 'size', 'abbreviated', 'callerid', 'parked_calls', '701'), tie('v'), { maxKeys: 6 }),
    ),
  })).v as fc.Arbitrary<XmlRpcValue>;

  const typedOr = <T>(fn: () => T, check: (r: T) => void) => {
    try {
      check(fn());
    } catch (e) {
      if (!(e instanceof BackendError)) throw e;
    }
  };

  it('calls, extensions, favorites, parking, slot', () => {
    fc.assert(
      fc.property(value, (v) => {
        typedOr(() => calls(Array.isArray(v) ? v : [v]), (r) => r.forEach((g) => Call.parse(g.call)));
        typedOr(() => decodeExtensions(v), (r) => r.forEach((e) => Extension.parse(e)));
        typedOr(() => decodeFavorites(v), (r) => r.forEach((f) => Favorite.parse(f)));
        typedOr(() => decodeParking(v), (r) => ParkingInfo.parse(r));
        typedOr(() => decodeSlot(v), (r) => expect(r === undefined || typeof r === 'string').toBe(true));
      }),
      { numRuns: 1000 },
    );
  });
});
