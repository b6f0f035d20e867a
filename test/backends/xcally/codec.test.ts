/** The xCALLY codec: the vendor doc's own samples byte for byte, well-formed variants, and garbage. */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { BackendError } from '../../../src/errors.js';
import { thrownBackendError } from '../contract.js';
import { Call, HistoryEntry } from '../../../src/backends/model.js';
import {
  MALFORMED,
  channelState,
  decodeAnswer,
  decodeJson,
  decodeXml,
  normalizeRow,
  pathNumber,
  peerToExtensions,
  rowToHistory,
  rowsToCalls,
  rowsToQueueNames,
  sameNumber,
  svcPath,
  toIso,
  toSeconds,
  type ChannelContext,
} from '../../../src/backends/xcally/codec.js';

/** xcally-phonebar-api.txt, "JSON answer:", as printed there (typographic quotes, U+2033 after 600). */
const DOC_JSON = '{“method”:”channels”,”response”:”true”,”rows”:[{“extension”:”600″,”queue”:””,”calldata”:””,”channel”:””,”event”:””, “uniqueid”:””,”status”:”ACTIVE”,”duration”:6,”codec”:”PCMU”}]}';
/** xcally-phonebar-api.txt, "XML answer:", as printed there. */
const DOC_XML = '<root xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xmlns:xsd="http://www.w3.org/2001/XMLSchema"> <method>channels</method> <response>true</response> <row> <extension>600</extension> <queue/> <calldata/> <channel/> <evt/> <uniqueid/> <status>ACTIVE</status> <duration>2</duration> <codec>PCMU</codec> </row> </root>';

const ctx = (placed: string[] = []): ChannelContext => ({
  agent: { number: '201' },
  now: Date.parse('2026-01-02T10:00:00Z'),
  outbound: (_id, n) => placed.includes(n),
});

describe('the vendor doc samples', () => {
  it('keeps the JSON sample byte for byte, defects included', () => {
    expect(DOC_JSON).toContain('\u201Cmethod\u201D:\u201Dchannels\u201D');
    expect(DOC_JSON).toContain('\u201D600\u2033');
    expect(Buffer.byteLength(DOC_JSON, 'utf8')).toBe(266);
    expect(Buffer.byteLength(DOC_XML, 'utf8')).toBe(323);
    expect(() => JSON.parse(DOC_JSON)).toThrow();
  });

  it('reads the JSON sample (typographic quotes) through the fallback', () => {
    const a = decodeJson(DOC_JSON);
    expect(a).toEqual({
      method: 'channels',
      ok: true,
      rows: [
        {
          fields: {
            extension: '600',
            queue: '',
            calldata: '',
            channel: '',
            event: '',
            uniqueid: '',
            status: 'ACTIVE',
            duration: '6',
            codec: 'PCMU',
          },
          duration: 6,
        },
      ],
    });
  });

  it('reads the XML sample: evt becomes event, the text duration a number', () => {
    const a = decodeXml(DOC_XML);
    expect(a.method).toBe('channels');
    expect(a.ok).toBe(true);
    expect(a.rows).toHaveLength(1);
    expect(a.rows[0]!.duration).toBe(2);
    expect(a.rows[0]!.fields).toEqual({
      extension: '600',
      queue: '',
      calldata: '',
      channel: '',
      event: '',
      uniqueid: '',
      status: 'ACTIVE',
      duration: '2',
      codec: 'PCMU',
    });
  });

  it('gives both dialects the same row keys', () => {
    expect(Object.keys(decodeXml(DOC_XML).rows[0]!.fields).sort()).toEqual(Object.keys(decodeJson(DOC_JSON).rows[0]!.fields).sort());
    expect(decodeAnswer(DOC_XML, 'xml')).toEqual(decodeXml(DOC_XML));
    expect(decodeAnswer(DOC_JSON, 'json')).toEqual(decodeJson(DOC_JSON));
  });

  it('turns the sample row into a call from 600 to the agent, named by its number; ACTIVE tells no phase', () => {
    const [c] = rowsToCalls(decodeJson(DOC_JSON).rows, ctx());
    expect(c!.numbers).toEqual(['600']);
    expect(c!.said).toBeUndefined();
    expect(c!.ownLine).toBe(false);
    expect(Call.parse(c!.call)).toEqual({
      id: 'tel-600',
      state: 'unknown',
      from: { number: '600' },
      to: { number: '201' },
      answered: false,
      startedAt: '2026-01-02T09:59:54.000Z',
      durationSeconds: 6,
    });
  });
});

describe('JSON variants', () => {
  const straight = (response: unknown, rows?: unknown) => JSON.stringify({ method: 'channels', response, ...(rows === undefined ? {} : { rows }) });

  it('reads the sample with straight quotes the same as with typographic ones', () => {
    const fixed = DOC_JSON.replace(/[\u201C\u201D\u2033]/g, '"');
    expect(decodeJson(fixed)).toEqual(decodeJson(DOC_JSON));
  });

  it('accepts response as the string "true" (any case) or the boolean true; anything else is not ok', () => {
    expect(decodeJson(straight('true')).ok).toBe(true);
    expect(decodeJson(straight(' TRUE ')).ok).toBe(true);
    expect(decodeJson(straight(true)).ok).toBe(true);
    for (const r of ['false', false, 'yes', 1, 0, null, '', 'ok']) expect(decodeJson(straight(r)).ok, String(r)).toBe(false);
    expect(decodeJson('{"method":"answer"}').ok).toBe(false);
  });

  it('reads absent, empty, single-object and mixed rows', () => {
    expect(decodeJson(straight('true')).rows).toEqual([]);
    expect(decodeJson(straight('true', [])).rows).toEqual([]);
    expect(decodeJson(straight('true', null)).rows).toEqual([]);
    expect(decodeJson(straight('true', { extension: '202' })).rows).toEqual([{ fields: { extension: '202' } }]);
    expect(decodeJson(straight('true', [1, 'x', null, { extension: '203' }])).rows).toEqual([{ fields: { extension: '203' } }]);
  });

  it('normalizes keys and values: lowercase keys, trimmed strings, numbers and booleans as text, nested values left out', () => {
    expect(normalizeRow({ Extension: ' 600 ', EVT: 'Hangup', Duration: '00:01:05', flag: true, n: 3, nil: null, nested: { a: 1 }, list: [1] })).toEqual({
      fields: { extension: '600', event: 'Hangup', duration: '00:01:05', flag: 'true', n: '3', nil: '' },
      duration: 65,
    });
  });

  it('reads durations as numbers, numeric text, or clock text; anything else is no duration', () => {
    expect(toSeconds(6)).toBe(6);
    expect(toSeconds(6.9)).toBe(6);
    expect(toSeconds('12')).toBe(12);
    expect(toSeconds('01:05')).toBe(65);
    expect(toSeconds('1:00:00')).toBe(3600);
    for (const v of [-1, NaN, Infinity, 1e20, '999999999999', 'six', '', '1:2:3:4', null, {}]) expect(toSeconds(v), String(v)).toBeUndefined();
  });

  it('refuses what is not a JSON object with a typed error', () => {
    for (const body of ['', 'true', '[]', '"x"', '{', '<root/>', 'null']) {
      const e = thrownBackendError(() => decodeJson(body, 'read the active calls'));
      expect(e.code, body).toBe(MALFORMED);
      expect(e.message).toContain('read the active calls');
    }
  });
});

describe('XML variants', () => {
  const root = (inner: string) => `<?xml version="1.0" encoding="utf-8"?><root><method>channels</method>${inner}</root>`;

  it('reads one row as a list of one, several rows in order, and no rows as empty', () => {
    expect(decodeXml(root('<response>true</response><row><extension>202</extension></row>')).rows).toEqual([{ fields: { extension: '202' } }]);
    const two = decodeXml(root('<response>true</response><row><extension>202</extension></row><row><extension>203</extension><duration>7</duration></row>'));
    expect(two.rows.map((r) => r.fields.extension)).toEqual(['202', '203']);
    expect(two.rows[1]!.duration).toBe(7);
    expect(decodeXml(root('<response>true</response>')).rows).toEqual([]);
    expect(decodeXml(root('<response>true</response><row/>')).rows).toEqual([]);
  });

  it('reads response false, and entities in values', () => {
    expect(decodeXml(root('<response>false</response>')).ok).toBe(false);
    expect(decodeXml(root('<response>true</response><row><calldata>a &amp; b &lt;c&gt;</calldata></row>')).rows[0]!.fields.calldata).toBe('a & b <c>');
  });

  it('refuses malformed XML, several roots and document types with a typed error', () => {
    for (const body of ['', '<root>', '<root><row></root>', '<a/><b/>', 'plain text', '<!DOCTYPE root [<!ENTITY x "y">]><root>&x;</root>', '{"response":"true"}']) {
      const e = thrownBackendError(() => decodeXml(body));
      expect(e.code, body).toBe(MALFORMED);
    }
  });
});

describe('garbage never escapes as anything but a BackendError', () => {
  it('for any text, in either dialect', () => {
    fc.assert(
      fc.property(fc.oneof(fc.string(), fc.string({ unit: 'binary' }), fc.json()), (body) => {
        for (const dialect of ['json', 'xml'] as const) {
          try {
            const a = decodeAnswer(body, dialect);
            expect(typeof a.ok).toBe('boolean');
            expect(Array.isArray(a.rows)).toBe(true);
          } catch (e) {
            expect(e).toBeInstanceOf(BackendError);
          }
        }
      }),
      { numRuns: 250 },
    );
  });

  it('for any JSON answer, rows become valid calls and history entries (or are dropped)', () => {
    const anyRow = fc.dictionary(
      fc.oneof(fc.constantFrom('extension', 'uniqueid', 'status', 'duration', 'queue', 'calldate', 'type', 'disposition', 'billsec'), fc.string()),
      fc.oneof(fc.string(), fc.integer(), fc.double(), fc.boolean(), fc.constant(null), fc.jsonValue()),
    );
    fc.assert(
      fc.property(fc.array(anyRow, { maxLength: 6 }), (rows) => {
        const a = decodeJson(JSON.stringify({ method: 'channels', response: 'true', rows }));
        const calls = rowsToCalls(a.rows, ctx());
        const ids = calls.map((c) => Call.parse(c.call).id);
        expect(new Set(ids).size).toBe(ids.length);
        for (const id of ids) expect(id).toMatch(/^[A-Za-z0-9._:@-]{1,128}$/);
        for (const r of a.rows) {
          const h = rowToHistory(r, '201');
          if (h) HistoryEntry.parse(h);
        }
      }),
      { numRuns: 300 },
    );
  });
});

describe('paths', () => {
  it('builds the documented paths, percent-encoding the parameter', () => {
    expect(svcPath('channels')).toBe('/xcally/svc/channels');
    expect(svcPath('channels', undefined, 'xml')).toBe('/xcally/svc/channels/xml');
    expect(svcPath('originate', '+390612345678')).toBe('/xcally/svc/originate/%2B390612345678');
    expect(svcPath('hangup', '600', 'xml')).toBe('/xcally/svc/hangup/xml/600');
    expect(svcPath('answer')).toBe('/xcally/svc/answer');
  });

  it('lets only plain numbers into a path', () => {
    for (const ok of ['600', '+390612345678', '0039061234']) expect(pathNumber(ok, 'destination')).toBe(ok);
    for (const bad of ['', '../channels', '600/../peer', '600?x=1', '600#', '60 0', '++39', '39+', '*97', 'abc', '6'.repeat(21), '%2e%2e', '600\n']) {
      const e = thrownBackendError(() => pathNumber(bad, 'call'));
      expect(e.kind, bad).toBe('invalid');
    }
  });

  it('for any text: either refused, or a path with nothing but digits after the method', () => {
    fc.assert(
      fc.property(fc.oneof(fc.string(), fc.stringMatching(/^\+?[0-9./?#%+]{0,22}$/)), (s) => {
        let n: string;
        try {
          n = pathNumber(s, 'destination');
        } catch (e) {
          expect((e as BackendError).kind).toBe('invalid');
          return;
        }
        expect(svcPath('originate', n)).toMatch(/^\/xcally\/svc\/originate\/(%2B)?[0-9]{1,20}$/);
      }),
      { numRuns: 1000 },
    );
  });
});

describe('channels as calls', () => {
  const row = (fields: Record<string, string>, duration?: number) => (duration === undefined ? { fields } : { fields, duration });

  it('maps the words that say a phase; ACTIVE (the only documented one) and anything else say nothing', () => {
    expect(channelState('ACTIVE')).toBeUndefined();
    expect(channelState('active')).toBeUndefined();
    expect(channelState('Up')).toBe('connected');
    expect(channelState('RINGING')).toBe('ringing');
    expect(channelState('Ring')).toBe('ringing');
    expect(channelState('DIALING')).toBe('dialing');
    expect(channelState('on hold')).toBe('on_hold');
    expect(channelState('HOLD')).toBe('on_hold');
    expect(channelState('QUEUED')).toBe('queued');
    expect(channelState('')).toBeUndefined();
    expect(channelState('WEIRD')).toBeUndefined();
    expect(channelState(undefined)).toBeUndefined();
  });

  it('uses the uniqueid as the call id, shows calls this adapter placed as outbound, and others as from the number', () => {
    const calls = rowsToCalls(
      [row({ extension: '+390612345678', uniqueid: '1700000000.1', status: 'RINGING', queue: 'support' }, 3), row({ extension: '202', uniqueid: '1700000000.2', status: 'UP' }, 9)],
      ctx(['202']),
    );
    expect(calls.map((c) => c.call)).toEqual([
      expect.objectContaining({ id: '1700000000.1', state: 'ringing', answered: false, from: { number: '+390612345678' }, to: { number: '201' }, queue: 'support' }),
      expect.objectContaining({ id: '1700000000.2', state: 'connected', direction: 'outbound', from: { number: '201' }, to: { number: '202' } }),
    ]);
    expect(calls[0]!.call.direction).toBeUndefined();
  });

  it('joins rows that share a uniqueid into one conference call, numbered by each leg', () => {
    const [c, ...rest] = rowsToCalls(
      [row({ extension: '+390612345678', uniqueid: '9.1', status: 'ACTIVE' }, 30), row({ extension: '202', uniqueid: '9.1', status: 'ACTIVE' }, 10)],
      ctx(),
    );
    expect(rest).toEqual([]);
    expect(c!.numbers).toEqual(['+390612345678', '202']);
    expect(c!.call).toMatchObject({ id: '9.1', state: 'unknown', durationSeconds: 30, participants: [{ number: '201' }, { number: '+390612345678' }, { number: '202' }] });
  });

  it("a row carrying the agent's own line names no other party: the call says so and gives no number to name it by", () => {
    const [c] = rowsToCalls([row({ extension: '201', uniqueid: '9.2', status: 'ACTIVE' }, 5)], ctx());
    expect(c).toMatchObject({ numbers: [], ownLine: true, call: { id: '9.2', from: { number: '' }, to: { number: '201' } } });
    const [d] = rowsToCalls([row({ extension: '201', status: 'ACTIVE' })], ctx());
    expect(d!.call.id).toBe('channel-1');
    expect(sameNumber('+41 (0)201', '+410201')).toBe(true);
    expect(sameNumber('', '')).toBe(false);
  });

  it("the state comes from the context's knowledge where the phone bar says no more than ACTIVE", () => {
    const seen: [string, unknown][] = [];
    const [c] = rowsToCalls([row({ extension: '600', uniqueid: '9.3', status: 'ACTIVE' })], {
      ...ctx(),
      stateOf: (id, said) => (seen.push([id, said]), 'on_hold'),
    });
    expect(c!.call).toMatchObject({ state: 'on_hold', answered: true });
    expect(seen).toEqual([['9.3', undefined]]);
  });

  it('gives rows without a usable uniqueid distinct ids derived from their numbers', () => {
    const calls = rowsToCalls(
      [row({ extension: '+39061', uniqueid: '' }), row({ extension: '+39061', uniqueid: 'bad id/..' }), row({ extension: '' })],
      ctx(),
    );
    expect(calls.map((c) => c.call.id)).toEqual(['tel-0039061', 'tel-0039061-dup2', 'channel-3']);
  });
});

describe('recents as history', () => {
  const r = (fields: Record<string, string>, duration?: number) => normalizeRow(duration === undefined ? fields : { ...fields, duration });

  it('reads direction, disposition, time and duration', () => {
    expect(rowToHistory(r({ extension: '202', type: 'outgoing', status: 'ANSWERED', calldate: '2026-01-02T09:00:00.000Z' }, 65), '201')).toEqual({
      start: '2026-01-02T09:00:00.000Z',
      durationSeconds: 65,
      from: '201',
      to: '202',
      status: 'emitted',
    });
    expect(rowToHistory(r({ extension: '+390612345678', direction: 'in', disposition: 'NO ANSWER', start: '1767344400' }), '201')).toEqual({
      start: '2026-01-02T09:00:00.000Z',
      durationSeconds: 0,
      from: '+390612345678',
      to: '201',
      status: 'missed',
    });
    expect(rowToHistory(r({ number: '203', status: 'ANSWERED', billsec: '12' }), '201')).toMatchObject({ from: '203', to: '201', status: 'answered', durationSeconds: 12, start: '' });
    expect(rowToHistory(r({ extension: '203', type: 'outgoing', status: 'BUSY' }), '201')!.status).toBe('busy');
    expect(rowToHistory(r({ extension: '203', status: 'Transferred' }), '201')!.status).toBe('transferred');
    expect(rowToHistory(r({ extension: '203' }), '201')!.status).toBe('unknown');
  });

  it('drops rows with neither a number nor a time', () => {
    expect(rowToHistory(r({ status: 'ANSWERED' }), '201')).toBeUndefined();
  });

  it('turns epoch seconds, epoch milliseconds and zoned dates into ISO 8601, and keeps other text', () => {
    expect(toIso('1767344400')).toBe('2026-01-02T09:00:00.000Z');
    expect(toIso('1767344400000')).toBe('2026-01-02T09:00:00.000Z');
    expect(toIso('2026-01-02T10:00:00+01:00')).toBe('2026-01-02T09:00:00.000Z');
    expect(toIso('yesterday')).toBe('yesterday');
    expect(toIso('')).toBe('');
  });
});

describe('queues and peer (undocumented shapes)', () => {
  const rows = (body: string) => decodeJson(body).rows;

  it('names the queues from queue, name or queuename, trimmed, once each, bounded', () => {
    expect(rowsToQueueNames(rows('{"method":"queues","response":"true","rows":[{"queue":"support","status":"READY"},{"queue":" sales "},{"name":"vip"},{"queuename":"support"}]}'))).toEqual([
      'support',
      'sales',
      'vip',
    ]);
    const xmlRows = decodeXml('<root><method>queues</method><response>true</response><row><queue>support</queue><extension>600</extension></row></root>').rows;
    expect(rowsToQueueNames(xmlRows)).toEqual(['support']);
    expect(rowsToQueueNames(rows(`{"response":"true","rows":[{"queue":"${'q'.repeat(81)}"},{"queue":"a\\u0007b"},{"status":"READY"}]}`))).toEqual([]);
    expect(rowsToQueueNames(rows('{"response":"true"}'))).toEqual([]);
  });

  it("reads the agent's own peer: number, name, reachability and DND as far as it says", () => {
    expect(peerToExtensions(rows('{"method":"peer","response":"true","rows":[{"extension":"600","name":"Alice","status":"OK (5 ms)","dnd":"false"}]}'), '201')).toEqual([
      { id: '600', number: '600', name: 'Alice', kind: 'user', online: true, dnd: false },
    ]);
    expect(peerToExtensions(rows('{"response":"true","rows":{"peer":"600","status":"UNREACHABLE"}}'), '201')).toEqual([
      { id: '600', number: '600', kind: 'user', online: false },
    ]);
    // No number in the answer: the configured agent's; an unknown status says nothing about reachability.
    expect(peerToExtensions(rows('{"response":"true","rows":[{"status":"Strange","dnd":"maybe"}]}'), '201')).toEqual([{ id: '201', number: '201', kind: 'user' }]);
    expect(peerToExtensions(rows('{"response":"true","rows":[{"status":"OK"}]}'), '')).toEqual([]);
    expect(peerToExtensions(rows('{"response":"true","rows":[{"extension":"600"},{"extension":"601"}]}'), '')).toHaveLength(1);
  });
});
