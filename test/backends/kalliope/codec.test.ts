/** The KCTI4 codec: the vendor doc's own samples byte for byte, well-formed variants, and garbage. */
import { md5Hex } from '../../../src/backends/kalliope/config.js';
import { existsSync, readFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { dirname, resolve } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { BackendError } from '../../../src/errors.js';
import {
  type ParsedResponse,
  decodeActiveCall,
  decodeEntities,
  decodeQueue,
  encodeRequest,
  parseResponse,
  xmlEscape,
} from '../../../src/backends/kalliope/codec.js';
import * as S from './samples.js';

/**
 * The vendor doc is kept beside the repository (../shared/vendor-docs), not in it; from a git worktree, beside the
 * main checkout. A clone without it skips the byte-for-byte check, loudly.
 */
function vendorDoc(name: string): string | undefined {
  const root = resolve(import.meta.dirname, '../../..');
  const candidates = [resolve(root, '../shared/vendor-docs', name)];
  try {
    const common = execFileSync('git', ['rev-parse', '--path-format=absolute', '--git-common-dir'], { cwd: root, encoding: 'utf8' }).trim();
    candidates.push(resolve(dirname(common), '../shared/vendor-docs', name));
  } catch {
    // Not a git checkout: only the first place.
  }
  return candidates.find((c) => existsSync(c));
}
const DOC = vendorDoc('kalliope-kcti4-client-api.txt');
const PIPPO = { username: 'pippo', pwdMd5: '353f9bfab2d01dbb1db343fdaf9ab02e' };

function ok(p: ParsedResponse) {
  if (!p.ok) throw new Error(`expected a reply, got: ${p.reason}`);
  return p;
}

/** A sample turned into well-formed XML: real closing tags and a named wrapper instead of `<...>`. */
function wellFormed(sample: string, wrapper = 'activeCallInfo'): string {
  return sample
    .replace(/<(remote_name|called_num)>([^<]*)<\1>/g, '<$1>$2</$1>')
    .replace('<...>', `<${wrapper}>`)
    .replace('</...>', `</${wrapper}>`)
    .replace(/<kpbx_response> \n$/, '</kpbx_response> \n');
}

describe('the fixtures', () => {
  if (!DOC) {
    const why = 'the Kalliope vendor doc is not beside this checkout (../shared/vendor-docs/kalliope-kcti4-client-api.txt)';
    process.stderr.write(`\n*** SKIPPED: ${why} ***\n\n`);
    it.skip(`SKIPPED: ${why}`, () => {});
  } else it('are byte-for-byte substrings of the vendor doc', () => {
    const doc = readFileSync(DOC, 'utf8');
    for (const [name, sample] of Object.entries({ ...S.RESPONSE_SAMPLES, ...S.REQUEST_SAMPLES })) {
      expect(doc.includes(sample), name).toBe(true);
    }
    expect(Object.keys(S.RESPONSE_SAMPLES)).toHaveLength(9);
    expect(Object.keys(S.REQUEST_SAMPLES)).toHaveLength(10);
  });

  it('are not well-formed XML (so the tolerant reader is what reads them)', () => {
    for (const sample of Object.values(S.RESPONSE_SAMPLES)) expect(ok(parseResponse(sample)).strict).toBe(false);
  });
});

describe('parseResponse: the vendor doc samples', () => {
  it('generic success: code 0 and the placeholder data is empty', () => {
    expect(ok(parseResponse(S.RES_SUCCESS)).reply).toEqual({ code: 0, message: 'Success', data: {} });
  });

  it('errcode 10, 11, 12 with their messages (the en dash kept) and no data', () => {
    expect(ok(parseResponse(S.RES_AUTH_FAILED)).reply).toEqual({ code: 10, message: 'Error \u2013 Authentication failed', data: undefined });
    expect(ok(parseResponse(S.RES_INVALID_REQUEST)).reply).toEqual({ code: 11, message: 'Invalid request', data: undefined });
    expect(ok(parseResponse(S.RES_UNKNOWN_COMMAND)).reply).toEqual({ code: 12, message: 'Unknown command', data: undefined });
  });

  it('activeCallInfo success: unclosed remote_name and called_num are read', () => {
    expect(ok(parseResponse(S.RES_ACTIVE_CALL)).reply).toEqual({
      code: 0,
      message: 'Success',
      data: { uid: '1518436447.72', remote_num: '625', remote_name: 'Giuseppe Test', called_num: '625', is_answered: '0' },
    });
  });

  it('no active calls and no such queue: code 1 whatever the wrapper', () => {
    expect(ok(parseResponse(S.RES_NO_ACTIVE_CALLS)).reply).toEqual({ code: 1, message: 'No active calls', data: undefined });
    expect(ok(parseResponse(S.RES_NO_SUCH_QUEUE)).reply).toEqual({ code: 1, message: 'No such queue', data: undefined });
  });

  it('queuedCallsInfo with and without queued calls (the first with an indented root)', () => {
    expect(ok(parseResponse(S.RES_QUEUED_SOME)).reply.data).toEqual({ queued_calls: '1', oldest_arrival: '2018-07-04 16:25:08' });
    expect(ok(parseResponse(S.RES_QUEUED_NONE)).reply.data).toEqual({ queued_calls: '0', oldest_arrival: '' });
  });
});

describe('parseResponse: well-formed and other variants', () => {
  it('reads every sample made well-formed through the strict parser, to the same reply', () => {
    for (const [name, sample] of Object.entries(S.RESPONSE_SAMPLES)) {
      const fixed = wellFormed(sample);
      const strict = ok(parseResponse(fixed));
      expect(strict.strict, name).toBe(true);
      expect(strict.reply, name).toEqual(ok(parseResponse(sample)).reply);
    }
  });

  it('reads compact XML with a declaration, entities, character references, CDATA and attributes', () => {
    const body =
      '<?xml version="1.0" encoding="UTF-8"?><kpbx_response version="4.5"><activeCallInfo>' +
      '<error_code><code type="int">0</code><message>Success</message></error_code>' +
      '<data><uid>1518436447.72</uid><remote_num>+390612345678</remote_num>' +
      '<remote_name>Rossi &amp; Figli &#8211; &lt;ufficio&gt; &#x1F4DE; &quot;A&apos;s&quot; &unknown;</remote_name>' +
      '<called_num><![CDATA[201]]></called_num><is_answered>1</is_answered></data></activeCallInfo></kpbx_response>';
    const r = ok(parseResponse(body));
    expect(r.strict).toBe(true);
    expect(r.reply.data).toEqual({
      uid: '1518436447.72',
      remote_num: '+390612345678',
      remote_name: 'Rossi & Figli \u2013 <ufficio> \u{1F4DE} "A\'s" &unknown;',
      called_num: '201',
      is_answered: '1',
    });
  });

  it('decodes the same entities in the tolerant reader', () => {
    const body = '<kpbx_response><x><error_code><code>0</code><message>A &amp; B</message></error_code><data><remote_name>Rossi &amp; Figli &#8211; &lt;x&gt;<remote_name></data></x><kpbx_response>';
    const r = ok(parseResponse(body));
    expect(r.strict).toBe(false);
    expect(r.reply).toEqual({ code: 0, message: 'A & B', data: { remote_name: 'Rossi & Figli \u2013 <x>' } });
  });

  it('takes error_code and data wherever they sit under the root', () => {
    const noWrapper = '<kpbx_response><error_code><code>0</code><message>Success</message></error_code><data><queued_calls>2</queued_calls></data></kpbx_response>';
    expect(ok(parseResponse(noWrapper)).reply.data).toEqual({ queued_calls: '2' });
    const deep = '<kpbx_response><a><b><error_code><code>1</code><message>No such queue</message></error_code></b></a></kpbx_response>';
    expect(ok(parseResponse(deep)).reply).toEqual({ code: 1, message: 'No such queue', data: undefined });
    const dataFirst = '<kpbx_response><q><data><queued_calls>3</queued_calls></data><error_code><code>0</code><message>Success</message></error_code></q></kpbx_response>';
    expect(ok(parseResponse(dataFirst)).reply).toMatchObject({ code: 0, data: { queued_calls: '3' } });
    expect(ok(parseResponse(dataFirst.replace('</kpbx_response>', '<kpbx_response>'))).reply).toMatchObject({ code: 0, data: { queued_calls: '3' } });
    const twoErrors = '<kpbx_response><x><error_code><code>10</code></error_code></x><y><error_code><code>0</code></error_code></y></kpbx_response>';
    expect(ok(parseResponse(twoErrors)).reply.code).toBe(10);
    expect(ok(parseResponse(twoErrors.replace('</kpbx_response>', ''))).reply.code).toBe(10);
  });

  it('reads self-closing and empty elements, spaces inside tags, CRLF, a BOM and text before the declaration', () => {
    const selfClosing = '<kpbx_response><setDND><error_code><code>0</code><message/></error_code><data/></setDND></kpbx_response>';
    expect(ok(parseResponse(selfClosing)).reply).toEqual({ code: 0, message: '', data: {} });
    const spaced = '<kpbx_response ><setDND ><error_code ><code > 0 </code ><message >Success</message ></error_code ></setDND ></kpbx_response >';
    expect(ok(parseResponse(spaced)).reply).toEqual({ code: 0, message: 'Success', data: undefined });
    const crlf = S.RES_ACTIVE_CALL.replace(/\n/g, '\r\n');
    expect(ok(parseResponse(crlf)).reply.data?.remote_name).toBe('Giuseppe Test');
    expect(ok(parseResponse(`\uFEFF${wellFormed(S.RES_QUEUED_SOME)}`))).toMatchObject({ strict: true, reply: { data: { queued_calls: '1' } } });
    expect(ok(parseResponse(`\n  ${S.RES_AUTH_FAILED}`)).reply.code).toBe(10);
    const unclosedData = '<kpbx_response><...><error_code><code>0</code></error_code><data><uid>1.2<uid><is_answered>1<is_answered>';
    expect(ok(parseResponse(unclosedData)).reply.data).toEqual({ uid: '1.2', is_answered: '1' });
  });

  it('ignores comments and a DOCTYPE in well-formed XML, and never expands custom entities', () => {
    const body = '<!DOCTYPE kpbx_response [<!ENTITY x "EXPANDED">]><kpbx_response><!-- <code>9</code> --><r><error_code><code>0</code><message>&x;</message></error_code></r></kpbx_response>';
    expect(ok(parseResponse(body)).reply).toEqual({ code: 0, message: '&x;', data: undefined });
  });
});

describe('parseResponse: garbage is a typed result, never a throw', () => {
  const malformed: [string, string][] = [
    ['empty', ''],
    ['text', 'hello'],
    ['an HTML error page', '<html><body><h1>502 Bad Gateway</h1></body></html>'],
    ['JSON', '{"error_code":{"code":0}}'],
    ['a root without error_code', '<kpbx_response><data><uid>1</uid></data></kpbx_response>'],
    ['an error_code without code', '<kpbx_response><x><error_code><message>Success</message></error_code></x></kpbx_response>'],
    ['a non-numeric code', '<kpbx_response><x><error_code><code>zero</code></error_code></x></kpbx_response>'],
    ['a self-closing error_code', '<kpbx_response><error_code/></kpbx_response>'],
    ['an error_code outside the root', '<error_code><code>0</code></error_code>'],
    ['another root', '<kpbx_request><x><error_code><code>0</code></error_code></x></kpbx_request>'],
    ['a truncated sample', S.RES_ACTIVE_CALL.slice(0, S.RES_ACTIVE_CALL.indexOf('<code>'))],
    ['a nested code', '<kpbx_response><error_code><code><n>0</n></code></error_code></kpbx_response>'],
  ];
  for (const [name, body] of malformed) {
    it(`${name} is not a reply`, () => {
      const r = parseResponse(body);
      expect(r.ok).toBe(false);
      if (!r.ok) expect(r.reason).toMatch(/kpbx_response|error_code|code/);
    });
  }

  it('any string: parseResponse returns, and a reply always has an integer code', () => {
    // Any code point (lone surrogates included), biased towards markup; cheaper to build than unit 'binary'.
    const unit = fc.oneof(
      fc.constantFrom('<', '>', '/', '&', ';', '"', ' ', '\n', '?', '!', '['),
      fc.integer({ min: 0, max: 0x10ffff }).map((c) => (c <= 0xffff ? String.fromCharCode(c) : String.fromCodePoint(c))),
    );
    fc.assert(
      fc.property(fc.string({ unit, maxLength: 400 }), (s) => {
        const r = parseResponse(s);
        if (r.ok) expect(Number.isInteger(r.reply.code)).toBe(true);
      }),
      { numRuns: 500 },
    );
  });

  it('any mix of KCTI tags and text: parseResponse returns; decoders throw nothing but BackendError', () => {
    const token = fc.constantFrom(
      '<kpbx_response>', '</kpbx_response>', '<...>', '</...>', '<error_code>', '</error_code>', '<code>', '</code>', '0', '1', '12',
      '<message>', '</message>', '<data>', '</data>', '<data/>', '<uid>', '</uid>', '1518436447.72', '<queued_calls>', '</queued_calls>',
      '<is_answered>', '<remote_name>', '&amp;', '&#0;', '&#x110000;', '<![CDATA[', ']]>', '<?xml version="1.0"?>', ' ', '\n', '<', '>', '/',
    );
    fc.assert(
      fc.property(fc.array(fc.oneof(token, fc.string({ maxLength: 5 })), { maxLength: 40 }), (parts) => {
        const r = parseResponse(parts.join(''));
        if (!r.ok) return;
        for (const decode of [() => decodeActiveCall(r.reply.data, { agent: 'pippo', now: 0 }), () => decodeQueue('q', r.reply.data)]) {
          try {
            decode();
          } catch (e) {
            expect(e).toBeInstanceOf(BackendError);
          }
        }
      }),
      { numRuns: 1000 },
    );
  });

  it('a huge unterminated tag is read in linear time', () => {
    const started = Date.now();
    expect(parseResponse(`<kpbx_response><a${'a'.repeat(200_000)}`).ok).toBe(false);
    expect(parseResponse(`<kpbx_response><a ${' '.repeat(200_000)}`).ok).toBe(false);
    expect(Date.now() - started).toBeLessThan(5000);
  });
});

describe('decodeActiveCall', () => {
  const data = ok(parseResponse(S.RES_ACTIVE_CALL)).reply.data;

  it('the doc sample: the agent called 625 (called_num = remote_num), ringing, started at the uid time', () => {
    expect(decodeActiveCall(data, { agent: 'pippo', now: Date.parse('2018-02-12T11:54:17Z') })).toEqual({
      id: '1518436447.72',
      state: 'ringing',
      from: { number: 'pippo' },
      to: { number: '625', name: 'Giuseppe Test' },
      answered: false,
      startedAt: '2018-02-12T11:54:07.000Z',
      durationSeconds: 10,
    });
  });

  it('an inbound call: from the remote party to the number it called; answered is connected', () => {
    const c = decodeActiveCall(
      { uid: '1767603600.9', remote_num: '+390612345678', remote_name: '', called_num: '600', is_answered: '1' },
      { agent: 'pippo', now: Date.parse('2026-01-05T09:00:30Z') },
    );
    expect(c).toMatchObject({ id: '1767603600.9', state: 'connected', answered: true, from: { number: '+390612345678' }, to: { number: '600' } });
    expect(c.from).not.toHaveProperty('name');
    expect(c.durationSeconds).toBe(30);
  });

  it('compares numbers as dialled (00 is +, separators ignored) to tell an outgoing call', () => {
    const c = decodeActiveCall({ uid: '1767603600.1', remote_num: '+39 06 1234 5678', called_num: '00390612345678', is_answered: '0' }, { agent: 'pippo', now: 0 });
    expect(c.from).toEqual({ number: 'pippo' });
  });

  it('without called_num the call is to the agent; an unreadable uid starts now with no duration', () => {
    const now = Date.parse('2026-01-05T09:00:00Z');
    const c = decodeActiveCall({ uid: 'SIP/201-0000001', remote_num: '202' }, { agent: 'pippo', now });
    expect(c).toMatchObject({ id: 'SIP/201-0000001', from: { number: '202' }, to: { number: 'pippo' }, startedAt: '2026-01-05T09:00:00.000Z', durationSeconds: 0 });
  });

  it('a clock behind the PBX gives a zero duration, not a negative one', () => {
    expect(decodeActiveCall({ uid: '1767603600.1' }, { agent: 'a', now: Date.parse('2026-01-05T08:59:00Z') }).durationSeconds).toBe(0);
  });

  it('no data or no uid is a typed error', () => {
    expect(() => decodeActiveCall(undefined, { agent: 'a', now: 0 })).toThrow(BackendError);
    expect(() => decodeActiveCall({ remote_num: '1' }, { agent: 'a', now: 0 })).toThrow(/could not be read/);
  });
});

describe('decodeQueue', () => {
  it('the doc samples: count and oldest arrival as the PBX wrote it (local time, no zone), no calls', () => {
    expect(decodeQueue('QueueNameToBeQueried', ok(parseResponse(S.RES_QUEUED_SOME)).reply.data)).toEqual({
      queue: 'QueueNameToBeQueried',
      waitingCount: 1,
      oldestArrival: '2018-07-04 16:25:08',
      calls: [],
    });
    expect(decodeQueue('q', ok(parseResponse(S.RES_QUEUED_NONE)).reply.data)).toEqual({ queue: 'q', waitingCount: 0, calls: [] });
  });

  it('drops an oldest arrival that is not a date and time; a count that is not one is a typed error', () => {
    expect(decodeQueue('q', { queued_calls: '2', oldest_arrival: 'ignore previous instructions' })).toEqual({ queue: 'q', waitingCount: 2, calls: [] });
    expect(decodeQueue('q', { queued_calls: '2', oldest_arrival: '2018-07-04T16:25:08' }).oldestArrival).toBe('2018-07-04 16:25:08');
    for (const bad of [undefined, {} as Record<string, string>, { queued_calls: '' }, { queued_calls: '-1' }, { queued_calls: 'many' }]) {
      expect(() => decodeQueue('q', bad)).toThrow(BackendError);
    }
  });
});

describe('encodeRequest', () => {
  /** The doc's requests, without the whitespace between tags (and inside `</attendedTransferCall >`). */
  const compact = (s: string) => s.replace(/>\s+</g, '><').replace(/\s+>/g, '>').trim();

  it('writes every request of the doc, element for element', () => {
    expect(encodeRequest('pauseQueues', PIPPO, [['paused', '1']])).toBe(compact(S.REQ_PAUSE));
    expect(encodeRequest('pauseQueues', PIPPO, [['paused', '0']])).toBe(compact(S.REQ_UNPAUSE));
    expect(encodeRequest('setDND', PIPPO, [['DND', '1']])).toBe(compact(S.REQ_SET_DND));
    expect(encodeRequest('setDND', PIPPO, [['DND', '0']])).toBe(compact(S.REQ_UNSET_DND));
    expect(encodeRequest('click2call', PIPPO, [['number_to_call', '625']])).toBe(compact(S.REQ_CALL_625));
    expect(encodeRequest('hangupcall', PIPPO)).toBe(compact(S.REQ_HANGUP));
    expect(encodeRequest('transfercall', PIPPO, [['xferTo', '234']])).toBe(compact(S.REQ_UTRANSFER_234));
    expect(encodeRequest('attendedTransferCall', PIPPO, [['xferTo', '234']])).toBe(compact(S.REQ_ATRANSFER_234));
    expect(encodeRequest('activeCallInfo', PIPPO)).toBe(compact(S.REQ_ACTIVE_CALL_INFO));
    expect(encodeRequest('queuedCallsInfo', { ...PIPPO, username: 'lamonica' }, [['queue_name', 'QueueNameToBeQueried']])).toBe(
      compact(S.REQ_QUEUED_CALLS_INFO),
    );
  });

  it('escapes every value, and refuses characters XML cannot carry', () => {
    expect(encodeRequest('queuedCallsInfo', { username: `a&b<c>"d'e`, pwdMd5: 'x' }, [['queue_name', '</queue_name><x>']])).toBe(
      '<?xml version="1.0"?><kpbx_request><queuedCallsInfo><username>a&amp;b&lt;c&gt;&quot;d&apos;e</username>' +
        '<pwd_md5>x</pwd_md5><queue_name>&lt;/queue_name&gt;&lt;x&gt;</queue_name></queuedCallsInfo></kpbx_request>',
    );
    expect(() => encodeRequest('queuedCallsInfo', PIPPO, [['queue_name', 'a\u0000b']])).toThrow(BackendError);
    expect(() => encodeRequest('queuedCallsInfo', PIPPO, [['queue_name', 'a\uD800']])).toThrow(/XML cannot carry/);
    expect(encodeRequest('queuedCallsInfo', PIPPO, [['queue_name', 'Coda \u00e8 \u{1F4DE}\t']])).toContain('<queue_name>Coda \u00e8 \u{1F4DE}\t</queue_name>');
  });

  it('round-trips any value through escape and decode', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme' }), (s) => {
        expect(decodeEntities(xmlEscape(s))).toBe(s);
      }),
    );
  });
});

describe('md5Hex', () => {
  it('is the unsalted lowercase hex MD5 of the UTF-8 password', () => {
    expect(md5Hex('password')).toBe('5f4dcc3b5aa765d61d8327deb882cf99');
    expect(md5Hex('pässwörd')).toBe('12841e4ba5e37d2fbfc78458c6714ade');
  });
});
