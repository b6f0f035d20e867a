/**
 * The IPPS codec against the vendor doc's own samples (copied byte for byte, the wiki's leading space included),
 * then the variants the doc allows or real servers show: commas in names and countries, blank lines, CRLF and
 * CR, trimmed rows, a bare `down`, ERROR lines whatever the status, HTML pages, garbage.
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { BackendError } from '../../../src/errors.js';
import { thrownBackendError } from '../contract.js';
import {
  channelRowsToCalls,
  classifyAnswer,
  parseChannelInfo,
  parseChannelLine,
  parseQueueActive,
  parseQueueLine,
  queueRowsToStatus,
  splitLines,
  uniqueIdTime,
  waitedSeconds,
} from '../../../src/backends/ipbx/codec.js';

/** "Sample Data" of the channel state interface, as in taridium-ipbx-ipps.txt. */
const DOC_CHANNEL_SAMPLE = ' SIP/4002,down,,,,\n SIP/5011,ring,5007,John McManx,5007@default,1267042128.359\n';

/** "Sample Data" of the queue interface, as in taridium-ipbx-ipps.txt. */
const DOC_QUEUE_SAMPLE = [
  ' 1236606951.132,99532356420,Georgia,WAITING,09:55:51,,',
  ' 1236606991.135,99532356420,Georgia,CONNECTED,09:56:31,3,SIP/4002',
  ' 1236607029.138,448450043606,United Kingdom,CONNECTED,09:57:10,1,SIP/4002',
  ' 1236607156.144,792074279,Switzerland,CONNECTED,09:59:16,2,SIP/4002',
  ' 1236607198.147,444557400,Switzerland,WAITING,09:59:59,,',
  ' 1236607198.147,444557400,Switzerland,CONNECTED,09:59:59,6,SIP/4002',
  ' 1236607246.150,688677809010,Tuvalu,CONNECTED,10:00:46,2,SIP/4002',
  ' 1236607333.153,6596489564,Singapore,CONNECTED,10:02:13,2,SIP/4002',
  ' 1236607363.156,12124611807,North America and Caribbean,CONNECTED,10:02:43,1,SIP/4002',
].join('\n');

const NOW = Date.parse('2010-02-24T20:09:18Z'); // 30 s after the sample's unique id 1267042128

function expectError(fn: () => unknown, kind: BackendError['kind']): BackendError {
  const e = thrownBackendError(fn);
  expect(e.kind).toBe(kind);
  return e;
}

describe('channel state interface', () => {
  it("parses the doc's sample rows byte for byte", () => {
    const { rows, malformed } = parseChannelInfo(DOC_CHANNEL_SAMPLE, ['SIP/4002', 'SIP/5011']);
    expect(malformed).toBe(0);
    expect(rows).toEqual([
      { channel: 'SIP/4002', state: 'down' },
      { channel: 'SIP/5011', state: 'ring', clidNumber: '5007', clidName: 'John McManx', accountCode: '5007@default', uniqueId: '1267042128.359' },
    ]);
  });

  it("maps the doc's sample to one call: ring is the caller's side, not answered yet", () => {
    const { rows } = parseChannelInfo(DOC_CHANNEL_SAMPLE);
    expect(channelRowsToCalls(rows, { now: NOW })).toEqual([
      {
        id: '1267042128.359',
        state: 'ringing',
        direction: 'outbound',
        from: { number: '5007', name: 'John McManx' },
        to: { number: '' },
        answered: false,
        startedAt: '2010-02-24T20:08:48.000Z',
        durationSeconds: 30,
      },
    ]);
  });

  it('ringing is the called side: the caller ID is the caller, the channel the callee', () => {
    const { rows } = parseChannelInfo('SIP/4003,ringing,+390612345678,Giuseppe Test,,1267042128.360\n');
    expect(channelRowsToCalls(rows, { now: NOW })[0]).toMatchObject({
      id: '1267042128.360',
      state: 'ringing',
      direction: 'inbound',
      from: { number: '+390612345678', name: 'Giuseppe Test' },
      to: { number: '4003' },
      answered: false,
    });
  });

  it('up is connected; an up channel whose caller ID is itself placed the call', () => {
    const { rows } = parseChannelInfo('SIP/4003,up,0612345678,,,1267042128.1\nSIP/5011,up,5011,Bob,5011@default,1267042128.2\n');
    const calls = channelRowsToCalls(rows, { now: NOW });
    expect(calls[0]).toMatchObject({ state: 'connected', answered: true, direction: 'inbound', from: { number: '0612345678' }, to: { number: '4003' } });
    expect(calls[1]).toMatchObject({ state: 'connected', direction: 'outbound', from: { number: '5011', name: 'Bob' }, to: { number: '' } });
  });

  it('one call seen from two watched channels is one internal call, and each user sees their side', () => {
    const body = 'SIP/201,ring,201,Alice,201@default,1267042128.7\r\nSIP/202,ringing,201,Alice,201@default,1267042128.7\r\n';
    const { rows } = parseChannelInfo(body);
    const internal = new Set(['201', '202']);
    const all = channelRowsToCalls(rows, { now: NOW, internal });
    expect(all).toHaveLength(1);
    expect(all[0]).toMatchObject({ id: '1267042128.7', state: 'ringing', direction: 'internal', from: { number: '201', name: 'Alice' }, to: { number: '202' } });
    expect(channelRowsToCalls(rows, { now: NOW, perspective: new Set(['SIP/201']) })[0]).toMatchObject({ direction: 'outbound', to: { number: '202' } });
    expect(channelRowsToCalls(rows, { now: NOW, perspective: new Set(['SIP/202']) })[0]).toMatchObject({ direction: 'inbound' });
    expect(channelRowsToCalls(rows, { now: NOW, perspective: new Set(['SIP/203']) })).toEqual([]);
  });

  it('keeps commas that belong to the caller name (values are not quoted)', () => {
    expect(parseChannelLine('SIP/5011,ring,5007,McManx, John,5007@default,1267042128.359')).toMatchObject({
      clidNumber: '5007',
      clidName: 'McManx, John',
      accountCode: '5007@default',
      uniqueId: '1267042128.359',
    });
    expect(parseChannelLine('SIP/5011,up,5007,Doe, Jane, Dr.,,1267042128.359')).toEqual({
      channel: 'SIP/5011',
      state: 'up',
      clidNumber: '5007',
      clidName: 'Doe, Jane, Dr.',
      uniqueId: '1267042128.359',
    });
  });

  it('an idle channel may answer just "down", attributed by position when the lines match the channels', () => {
    const { rows } = parseChannelInfo('down\r\nup,5007,John,5007@default,1267042128.359\r\n', ['SIP/4002', 'SIP/5011']);
    expect(rows.map((r) => r.channel)).toEqual(['SIP/4002', 'SIP/5011']);
    expect(channelRowsToCalls(rows, { now: NOW, perspective: new Set(['SIP/5011']) })).toHaveLength(1);
    expect(parseChannelInfo('down', ['SIP/4002']).rows).toEqual([{ channel: 'SIP/4002', state: 'down' }]);
    // Counts differ: no guessing.
    expect(parseChannelInfo('down\n', ['SIP/4002', 'SIP/5011']).rows).toEqual([{ state: 'down' }]);
  });

  it('an idle channel may answer its name alone ("either the channel name and/or the keyword down"): idle, not garbage', () => {
    // An office where every watched phone is idle: nothing but names.
    const idle = parseChannelInfo('SIP/4002\nSIP/5011\n', ['SIP/4002', 'SIP/5011']);
    expect(idle).toEqual({ rows: [{ channel: 'SIP/4002', state: 'down' }, { channel: 'SIP/5011', state: 'down' }], malformed: 0 });
    expect(channelRowsToCalls(idle.rows, { now: NOW })).toEqual([]);
    // The three readings of an idle channel, mixed with a call on another channel.
    const mixed = parseChannelInfo('SIP/4002\ndown\nSIP/4004,down,,,,\nSIP/5011,ring,5007,John McManx,5007@default,1267042128.359\n', [
      'SIP/4002',
      'SIP/4003',
      'SIP/4004',
      'SIP/5011',
    ]);
    expect(mixed.malformed).toBe(0);
    expect(mixed.rows.map((r) => [r.channel, r.state])).toEqual([
      ['SIP/4002', 'down'],
      ['SIP/4003', 'down'],
      ['SIP/4004', 'down'],
      ['SIP/5011', 'ring'],
    ]);
    expect(channelRowsToCalls(mixed.rows, { now: NOW })).toHaveLength(1);
    // A requested name without a technology is a channel name too; a word that is neither is not.
    expect(parseChannelLine('4002', ['4002'])).toEqual({ channel: '4002', state: 'down' });
    expect(parseChannelLine('IAX2/trunk-1')).toEqual({ channel: 'IAX2/trunk-1', state: 'down' });
    expect(parseChannelLine('hello')).toBeUndefined();
    expect(parseChannelLine('SIP/ 4002')).toBeUndefined();
  });

  it('accepts rows trimmed of their empty trailing fields, and rows without a unique id', () => {
    expect(parseChannelLine('SIP/4002,down')).toEqual({ channel: 'SIP/4002', state: 'down' });
    expect(parseChannelLine('SIP/4002,Down,,')).toEqual({ channel: 'SIP/4002', state: 'down' });
    const row = parseChannelLine('SIP/4003,up,5007,John')!;
    expect(row).toEqual({ channel: 'SIP/4003', state: 'up', clidNumber: '5007', clidName: 'John' });
    const calls = channelRowsToCalls([row], { now: NOW, firstSeen: new Map([['SIP/4003#0', NOW - 5000]]) });
    expect(calls[0]).toMatchObject({ id: 'SIP/4003#0', state: 'connected', durationSeconds: 5 });
  });

  it('reads other Asterisk states and system-name prefixed unique ids', () => {
    expect(channelRowsToCalls(parseChannelInfo('SIP/4003,Dialing,4003,,,pbx1-1267042128.9').rows, { now: NOW })[0]).toMatchObject({
      id: 'pbx1-1267042128.9',
      state: 'dialing',
      startedAt: '2010-02-24T20:08:48.000Z',
    });
    expect(channelRowsToCalls(parseChannelInfo('SIP/4003,Busy,,,,1267042128.9').rows, { now: NOW })[0]).toMatchObject({ state: 'unknown' });
    expect(channelRowsToCalls(parseChannelInfo('SIP/4003,Rsrvd,,,,').rows, { now: NOW })).toEqual([]);
  });

  it('an empty body is no channel data, not an error', () => {
    expect(parseChannelInfo('').rows).toEqual([]);
    expect(parseChannelInfo('\r\n\r\n  \n').rows).toEqual([]);
  });

  it('garbage is a typed error; a stray line among rows is counted and skipped', () => {
    expectError(() => parseChannelInfo('\u0000<<garbage{"not":[valid, <xml'), 'unavailable');
    expectError(() => parseChannelInfo('hello world\nfoo,bar'), 'unavailable');
    const mixed = parseChannelInfo('Notice: Undefined index: x in /var/www/ipps/channelinfo.php on line 12\nSIP/4002,down,,,,\n');
    expect(mixed).toEqual({ rows: [{ channel: 'SIP/4002', state: 'down' }], malformed: 1 });
  });
});

describe('queue interface', () => {
  it("parses the doc's sample rows byte for byte", () => {
    const { rows, malformed } = parseQueueActive(DOC_QUEUE_SAMPLE);
    expect(malformed).toBe(0);
    expect(rows).toHaveLength(9);
    expect(rows[0]).toEqual({ uniqueId: '1236606951.132', callerId: '99532356420', country: 'Georgia', status: 'WAITING', entered: '09:55:51' });
    expect(rows[1]).toEqual({
      uniqueId: '1236606991.135',
      callerId: '99532356420',
      country: 'Georgia',
      status: 'CONNECTED',
      entered: '09:56:31',
      waited: '3',
      agent: 'SIP/4002',
    });
    expect(rows[8]).toMatchObject({ country: 'North America and Caribbean', agent: 'SIP/4002' });
  });

  it("maps the doc's sample: the call listed WAITING then CONNECTED is one connected call", () => {
    const q = queueRowsToStatus('MC', parseQueueActive(DOC_QUEUE_SAMPLE).rows);
    expect(q.queue).toBe('MC');
    expect(q.calls.map((c) => c.id)).toEqual([
      '1236606951.132',
      '1236606991.135',
      '1236607029.138',
      '1236607156.144',
      '1236607198.147',
      '1236607246.150',
      '1236607333.153',
      '1236607363.156',
    ]);
    expect(q.waitingCount).toBe(1);
    expect(q.oldestArrival).toBe('09:55:51');
    expect(q.calls[0]).toEqual({ id: '1236606951.132', caller: '99532356420', country: 'Georgia', status: 'waiting', enteredAt: '09:55:51' });
    expect(q.calls[4]).toEqual({
      id: '1236607198.147',
      caller: '444557400',
      country: 'Switzerland',
      status: 'connected',
      enteredAt: '09:59:59',
      waitedSeconds: 6,
      agent: 'SIP/4002',
    });
  });

  it('CONNECTED wins over a later WAITING; otherwise the later row wins', () => {
    const body = '1.1,100,X,CONNECTED,10:00:00,4,SIP/1\n1.1,100,X,WAITING,10:00:00,,\n2.2,200,Y,WAITING,10:01:00,,\n2.2,201,Y,WAITING,10:01:00,,\n';
    const q = queueRowsToStatus('Q', parseQueueActive(body).rows);
    expect(q.calls).toEqual([
      expect.objectContaining({ id: '1.1', status: 'connected', waitedSeconds: 4 }),
      expect.objectContaining({ id: '2.2', status: 'waiting', caller: '201' }),
    ]);
  });

  it('keeps commas that belong to the country, and to a non-numeric caller ID', () => {
    expect(parseQueueLine('1236607198.147,82212345678,Korea, Republic of,WAITING,09:59:59,,')).toEqual({
      uniqueId: '1236607198.147',
      callerId: '82212345678',
      country: 'Korea, Republic of',
      status: 'WAITING',
      entered: '09:59:59',
    });
    expect(parseQueueLine("1.5,+850212345678,Korea, Democratic People's Republic of,CONNECTED,10:00:00,12,IAX2/592")).toMatchObject({
      country: "Korea, Democratic People's Republic of",
      agent: 'IAX2/592',
      waited: '12',
    });
    expect(parseQueueLine('1.6,McManx, John,,WAITING,10:00:00,,')).toEqual({ uniqueId: '1.6', callerId: 'McManx, John', status: 'WAITING', entered: '10:00:00' });
  });

  it('accepts missing caller ID and country, rows without res_cc, trimmed rows and odd spacing', () => {
    expect(parseQueueLine('1.1,,,WAITING,09:55:51,,')).toEqual({ uniqueId: '1.1', status: 'WAITING', entered: '09:55:51' });
    expect(parseQueueLine('1.1,anonymous,,WAITING,09:55:51,,')).toEqual({ uniqueId: '1.1', callerId: 'anonymous', status: 'WAITING', entered: '09:55:51' });
    expect(parseQueueLine('1.1,0612345678,WAITING,09:55:51,,')).toEqual({ uniqueId: '1.1', callerId: '0612345678', status: 'WAITING', entered: '09:55:51' });
    expect(parseQueueLine('1.1,WAITING,09:55:51')).toEqual({ uniqueId: '1.1', status: 'WAITING', entered: '09:55:51' });
    expect(parseQueueLine(' 1.1 , 0612345678 , Italy , connected , 09:55:51 , 7 , SIP/201 ')).toEqual({
      uniqueId: '1.1',
      callerId: '0612345678',
      country: 'Italy',
      status: 'CONNECTED',
      entered: '09:55:51',
      waited: '7',
      agent: 'SIP/201',
    });
  });

  it('an empty body means no calls', () => {
    expect(queueRowsToStatus('MC', parseQueueActive('').rows)).toEqual({ queue: 'MC', waitingCount: 0, calls: [] });
    expect(parseQueueActive(' \r\n\n').rows).toEqual([]);
  });

  it('blank lines, CRLF, lone CR and a BOM do not matter', () => {
    const lf = parseQueueActive(DOC_QUEUE_SAMPLE).rows;
    const lines = DOC_QUEUE_SAMPLE.split('\n');
    expect(parseQueueActive(lines.join('\r\n') + '\r\n').rows).toEqual(lf);
    expect(parseQueueActive(lines.join('\r')).rows).toEqual(lf);
    expect(parseQueueActive(`\uFEFF\n\n${lines.join('\n\n  \n')}\n\n`).rows).toEqual(lf);
    expect(splitLines('a\r\n\r\nb\rc\n')).toEqual(['a', 'b', 'c']);
  });

  it('garbage is a typed error', () => {
    expectError(() => parseQueueActive('\u0000<<garbage{"not":[valid, <xml'), 'unavailable');
    expectError(() => parseQueueActive('SIP/4002,down,,,,'), 'unavailable');
  });

  it('orders the oldest waiting call by its unique id, not by HH:MM:SS (which wraps at midnight)', () => {
    const body = '1236606000.1,1,X,WAITING,23:59:50,,\n1236606100.2,2,X,WAITING,00:01:30,,\n';
    expect(queueRowsToStatus('Q', parseQueueActive(body).rows).oldestArrival).toBe('23:59:50');
  });

  it('reads WAITED as seconds, liberally also as [H:]MM:SS', () => {
    expect(waitedSeconds('6')).toBe(6);
    expect(waitedSeconds('01:05')).toBe(65);
    expect(waitedSeconds('1:00:01')).toBe(3601);
    expect(waitedSeconds('soon')).toBeUndefined();
    expect(uniqueIdTime('1267042128.359')).toBe(1267042128000);
    expect(uniqueIdTime('5007')).toBeUndefined();
  });
});

describe('errors and foreign answers', () => {
  const ERRORS: [string, BackendError['kind'], RegExp][] = [
    ['ERROR: NO CHANNEL SUPPLIED', 'invalid', /channels/],
    ['ERROR: NO QUEUE NAME SUPPLIED', 'invalid', /queues/],
    ['ERROR: SSL QUERY REQUIRED', 'invalid', /https:\/\//],
    ['ERROR: AUTHENTICATION FAILED', 'auth', /username.*password/],
  ];

  for (const [line, kind, hint] of ERRORS) {
    it(`"${line}" is a typed ${kind} error whatever the HTTP status`, () => {
      for (const status of [200, 401, 403, 500]) {
        for (const body of [line, `${line}\n`, `\r\n  ${line}\r\n`, line.toLowerCase()]) {
          const a = classifyAnswer(status, body);
          expect(a.kind, `${status} ${JSON.stringify(body)}`).toBe('error');
          if (a.kind !== 'error') continue;
          expect(a.error.kind).toBe(kind);
          expect(a.error.code).toBe(line.slice('ERROR: '.length));
          expect(a.error.hint).toMatch(hint);
        }
      }
    });
  }

  it('an undocumented ERROR line is a typed error quoting it briefly', () => {
    const a = classifyAnswer(200, `ERROR: IPPS DISABLED\u0007 ${'x'.repeat(300)}`);
    expect(a.kind).toBe('error');
    if (a.kind !== 'error') return;
    expect(a.error.kind).toBe('invalid');
    expect(a.error.message).toMatch(/ERROR: IPPS DISABLED x+…"$/);
    expect(a.error.message.length).toBeLessThan(160);
  });

  it('an HTML page (IPPS disabled, a proxy or login page, a PHP error) is a typed error', () => {
    const pages = [
      '<!DOCTYPE html>\n<html><head><title>ipbx</title></head><body>IPPS is disabled</body></html>',
      '<html><body><h1>502 Bad Gateway</h1></body></html>',
      '\n<br />\n<b>Warning</b>:  mysql_connect(): Too many connections in <b>/var/www/ipps/channelinfo.php</b>',
      'Please log in\n<HTML><BODY>login</BODY></HTML>',
    ];
    for (const body of pages) {
      const a = classifyAnswer(200, body);
      expect(a.kind, body).toBe('error');
      if (a.kind === 'error') {
        expect(a.error.kind).toBe('unavailable');
        expect(a.error.hint).toMatch(/IPPSEnabled/);
      }
    }
    const refused = classifyAnswer(401, pages[0]!);
    expect(refused.kind === 'error' && refused.error.kind).toBe('auth');
  });

  it('data on 2xx; another status without an ERROR line goes back to the caller', () => {
    expect(classifyAnswer(200, DOC_CHANNEL_SAMPLE)).toEqual({ kind: 'data', body: DOC_CHANNEL_SAMPLE });
    expect(classifyAnswer(200, '')).toEqual({ kind: 'data', body: '' });
    expect(classifyAnswer(503, 'Service Unavailable')).toEqual({ kind: 'status' });
    expect(classifyAnswer(404, '')).toEqual({ kind: 'status' });
  });
});

describe('properties', () => {
  const fragments = fc.constantFrom(
    'SIP/4002', 'down', 'up', 'ring', 'ringing', 'WAITING', 'CONNECTED', 'ERROR:', '<html>', '1267042128.359', '5007@default',
    '09:55:51', 'Korea', ' Republic of', '', ' ', '\r', '\n', '\r\n', '\u0000', '\uFEFF', '"', ',,,,', 'IAX2/592', 'Zoë',
  );
  const body = fc.oneof(fc.string({ maxLength: 200 }), fc.array(fc.oneof(fragments, fc.string({ maxLength: 8 })), { maxLength: 40 }).map((a) => a.join(',')));

  it('never throws anything but a BackendError, whatever the body and status', () => {
    fc.assert(
      fc.property(body, fc.integer({ min: 100, max: 599 }), (b, status) => {
        const guard = (fn: () => unknown) => {
          try {
            fn();
          } catch (e) {
            if (!(e instanceof BackendError)) throw e;
            expect(['unavailable', 'invalid', 'auth']).toContain(e.kind);
          }
        };
        guard(() => classifyAnswer(status, b));
        guard(() => channelRowsToCalls(parseChannelInfo(b, ['SIP/4002', 'SIP/5011']).rows, { now: NOW }));
        guard(() => queueRowsToStatus('MC', parseQueueActive(b).rows));
      }),
      { numRuns: 2000 },
    );
  });

  const text = fc.string({ minLength: 1, maxLength: 30 }).filter((s) => !/[\r\n]/.test(s) && s.trim() === s && s.length > 0);

  it('recovers a caller name with commas from an unquoted channel row', () => {
    fc.assert(
      fc.property(fc.stringMatching(/^[0-9]{2,12}$/), text, fc.stringMatching(/^[0-9a-z@]{0,12}$/), (num, name, account) => {
        const row = parseChannelLine(`SIP/4003,ringing,${num},${name},${account},1267042128.359`);
        expect(row).toBeDefined();
        expect(row!.clidNumber).toBe(num);
        expect(row!.clidName).toBe(name.trim() || undefined);
        expect(row!.uniqueId).toBe('1267042128.359');
      }),
      { numRuns: 1000 },
    );
  });

  it('recovers a country with commas from an unquoted queue row', () => {
    fc.assert(
      fc.property(fc.stringMatching(/^\+?[0-9]{3,15}$/), text, fc.boolean(), (caller, country, connected) => {
        const status = connected ? 'CONNECTED,10:00:00,5,SIP/592' : 'WAITING,10:00:00,,';
        const row = parseQueueLine(`1236607198.147,${caller},${country},${status}`);
        expect(row).toBeDefined();
        expect(row!.callerId).toBe(caller);
        expect(row!.country).toBe(country.trim() || undefined);
        expect(row!.status).toBe(connected ? 'CONNECTED' : 'WAITING');
      }),
      { numRuns: 1000 },
    );
  });
});
