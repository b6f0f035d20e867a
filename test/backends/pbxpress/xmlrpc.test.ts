/**
 * The XML-RPC codec: documents as a Python server (the guide's sample is Python's xmlrpclib) writes them, byte
 * for byte, every "none" and nil variant, faults with backslash escapes, and garbage, which may only ever be a
 * typed error.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { BackendError } from '../../../src/errors.js';
import {
  decodeCall,
  decodeEscapes,
  decodeResponse,
  encodeCall,
  encodeEscapes,
  encodeFault,
  encodeResponse,
  type XmlRpcValue,
} from '../../../src/backends/pbxpress/xmlrpc.js';

/** xmlrpc.client.dumps(([call],), methodresponse=True, allow_none=True): a get_calls answer with the guide's fields. */
const PY_GET_CALLS = `<?xml version='1.0'?>
<methodResponse>
<params>
<param>
<value><array><data>
<value><struct>
<member>
<name>id</name>
<value><string>1700000000.4</string></value>
</member>
<member>
<name>state</name>
<value><string>setup</string></value>
</member>
<member>
<name>from</name>
<value><struct>
<member>
<name>id</name>
<value><int>1</int></value>
</member>
<member>
<name>number</name>
<value><string>201</string></value>
</member>
<member>
<name>name</name>
<value><string>Alice</string></value>
</member>
<member>
<name>type</name>
<value><string>extension</string></value>
</member>
</struct></value>
</member>
<member>
<name>to</name>
<value><struct>
<member>
<name>id</name>
<value><int>0</int></value>
</member>
<member>
<name>number</name>
<value><string>+390612345678</string></value>
</member>
<member>
<name>name</name>
<value><string></string></value>
</member>
<member>
<name>type</name>
<value><string>unknown</string></value>
</member>
</struct></value>
</member>
<member>
<name>duration</name>
<value><int>3</int></value>
</member>
<member>
<name>via</name>
<value><string>sip-trunk</string></value>
</member>
<member>
<name>qcall</name>
<value><int>0</int></value>
</member>
</struct></value>
</data></array></value>
</param>
</params>
</methodResponse>
`;

/** A Python server's None with allow_none=True. */
const PY_NIL = `<?xml version='1.0'?>
<methodResponse>
<params>
<param>
<value><nil/></value></param>
</params>
</methodResponse>
`;

/** xmlrpc.client.dumps(Fault(-1, "no such call \\'abc\\'"), methodresponse=True): a user-level fault, escaped. */
const PY_FAULT = `<?xml version='1.0'?>
<methodResponse>
<fault>
<value><struct>
<member>
<name>faultCode</name>
<value><int>-1</int></value>
</member>
<member>
<name>faultString</name>
<value><string>no such call \\'abc\\'</string></value>
</member>
</struct></value>
</fault>
</methodResponse>
`;

/** get_parking_info as <parking_extension, slots, parked_calls>: the 3-element array, slot keys as strings. */
const PY_PARKING = `<?xml version='1.0'?>
<methodResponse>
<params>
<param>
<value><array><data>
<value><int>700</int></value>
<value><int>5</int></value>
<value><struct>
<member>
<name>701</name>
<value><string>abc</string></value>
</member>
</struct></value>
</data></array></value>
</param>
</params>
</methodResponse>
`;

const wrap = (value: string) => `<?xml version="1.0"?><methodResponse><params><param><value>${value}</value></param></params></methodResponse>`;
const valueOf = (inner: string): XmlRpcValue | undefined => {
  const r = decodeResponse(wrap(inner));
  if ('fault' in r) throw new Error('unexpected fault');
  return r.value;
};

function expectTyped(fn: () => unknown): BackendError {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(BackendError);
    return e as BackendError;
  }
  throw new Error('expected a BackendError');
}

describe('decodeResponse', () => {
  it("reads a Python server's get_calls answer with the guide's call fields", () => {
    expect(decodeResponse(PY_GET_CALLS)).toEqual({
      value: [
        {
          id: '1700000000.4',
          state: 'setup',
          from: { id: 1, number: '201', name: 'Alice', type: 'extension' },
          to: { id: 0, number: '+390612345678', name: '', type: 'unknown' },
          duration: 3,
          via: 'sip-trunk',
          qcall: 0,
        },
      ],
    });
  });

  it('reads the 3-element parking answer with its string slot keys', () => {
    expect(decodeResponse(PY_PARKING)).toEqual({ value: [700, 5, { '701': 'abc' }] });
  });

  it('accepts every way of saying "none": nil, ex:nil, empty params, an empty value, false, 0, ""', () => {
    expect(decodeResponse(PY_NIL)).toEqual({ value: null });
    expect(valueOf('<ex:nil xmlns:ex="http://ws.apache.org/xmlrpc/namespaces/extensions"/>')).toBeNull();
    expect(decodeResponse('<methodResponse><params/></methodResponse>')).toEqual({ value: undefined });
    expect(decodeResponse('<methodResponse><params></params></methodResponse>')).toEqual({ value: undefined });
    expect(valueOf('')).toBe('');
    expect(decodeResponse(wrap('').replace('<value></value>', '<value/>'))).toEqual({ value: '' });
    expect(valueOf('<boolean>0</boolean>')).toBe(false);
    expect(valueOf('<boolean>1</boolean>')).toBe(true);
    expect(valueOf('<int>0</int>')).toBe(0);
    expect(valueOf('<string></string>')).toBe('');
    expect(valueOf('<string/>')).toBe('');
  });

  it('reads every scalar type, untyped strings with their whitespace, entities and CDATA', () => {
    expect(valueOf('<i4> 42 </i4>')).toBe(42);
    expect(valueOf('<int>-7</int>')).toBe(-7);
    expect(valueOf('<i8>9007199254740993</i8>')).toBe('9007199254740993');
    expect(valueOf('<double>-1.5e3</double>')).toBe(-1500);
    expect(valueOf('<boolean>true</boolean>')).toBe(true);
    expect(valueOf('  two  words ')).toBe('  two  words ');
    expect(valueOf('<string>a &amp; b &lt;c&gt; &quot;d&quot; &#13;&#x41;</string>')).toBe('a & b <c> "d" \rA');
    expect(valueOf('<string><![CDATA[<not> & markup]]></string>')).toBe('<not> & markup');
    expect(valueOf('<base64>aMOpbGxv</base64>')).toBe('héllo');
    expect(valueOf('<dateTime.iso8601>20070606T14:35:34</dateTime.iso8601>')).toBe('20070606T14:35:34');
    expect(valueOf('<array><data/></array>')).toEqual([]);
    expect(valueOf('<array/>')).toEqual([]);
    expect(valueOf('<struct/>')).toEqual({});
  });

  it('keeps a member named __proto__ as data without touching any prototype', () => {
    const v = valueOf('<struct><member><name>__proto__</name><value><string>x</string></value></member></struct>') as Record<string, unknown>;
    expect(Object.prototype.hasOwnProperty.call(v, '__proto__')).toBe(true);
    expect(({} as Record<string, unknown>).x).toBeUndefined();
  });

  it('reads a fault, its code and its escaped text', () => {
    const r = decodeResponse(PY_FAULT);
    expect(r).toEqual({ fault: { code: -1, string: "no such call \\'abc\\'" } });
    expect(decodeEscapes((r as { fault: { string: string } }).fault.string)).toBe("no such call 'abc'");
    // faultCode as a numeric string, faultString missing: still a fault.
    expect(decodeResponse(encodeFault(3, 'x').replace('<int>3</int>', '<string>3</string>'))).toEqual({ fault: { code: 3, string: 'x' } });
    expect(
      decodeResponse('<methodResponse><fault><value><struct><member><name>faultCode</name><value><int>2</int></value></member></struct></value></fault></methodResponse>'),
    ).toEqual({ fault: { code: 2, string: '' } });
  });

  const GARBAGE: [string, string][] = [
    ['empty', ''],
    ['whitespace', '  \n'],
    ['an HTML error page', '<html><head><title>500 Internal Server Error</title></head><body><h1>Oops</h1></body></html>'],
    ['JSON', '{"result": []}'],
    ['truncated XML', PY_GET_CALLS.slice(0, 400)],
    ['the simkit garbage', '\u0000<<garbage{"not":[valid, <xml'],
    ['a DOCTYPE with entities', '<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;">]><methodResponse><params><param><value>&b;</value></param></params></methodResponse>'],
    ['two roots', '<methodResponse><params/></methodResponse><methodResponse><params/></methodResponse>'],
    ['a methodCall', encodeCall('get_calls', [])],
    ['an unknown type', wrap('<float>1</float>')],
    ['a bad boolean', wrap('<boolean>2</boolean>')],
    ['a bad int', wrap('<int>12a</int>')],
    ['a bad double', wrap('<double>one</double>')],
    ['a value with two types', wrap('<int>1</int><string>x</string>')],
    ['a member without a value', wrap('<struct><member><name>a</name></member></struct>')],
    ['a member without a name', wrap('<struct><member><value>1</value></member></struct>')],
    ['text between array values', wrap('<array><data>oops<value>1</value></data></array>')],
    ['two results', '<methodResponse><params><param><value>1</value></param><param><value>2</value></param></params></methodResponse>'],
    ['params and fault', '<methodResponse><params/><fault/></methodResponse>'],
    ['a fault without a struct', '<methodResponse><fault><value><string>bad</string></value></fault></methodResponse>'],
    ['a fault without a code', '<methodResponse><fault><value><struct><member><name>faultString</name><value>x</value></member></struct></value></fault></methodResponse>'],
    ['a nil with content', wrap('<nil>x</nil>')],
    ['bad base64', wrap('<base64>!!!</base64>')],
    ['nesting past the bound', wrap(`${'<array><data><value>'.repeat(80)}1${'</value></data></array>'.repeat(80)}`)],
  ];
  it.each(GARBAGE)('turns %s into a typed error that says it is not XML-RPC', (_name, body) => {
    const e = expectTyped(() => decodeResponse(body));
    expect(e.kind).toBe('unavailable');
    expect(e.message).toMatch(/not XML-RPC/);
    expect(e.message).not.toMatch(/\n\s+at /);
  });

  it('fast-check: any text, and any damaged copy of a real answer, is a result or a typed error', () => {
    const check = (s: string) => {
      try {
        decodeResponse(s);
      } catch (e) {
        if (!(e instanceof BackendError)) throw e;
      }
    };
    fc.assert(fc.property(fc.string({ maxLength: 300 }), check), { numRuns: 300 });
    fc.assert(
      fc.property(
        fc.constantFrom(PY_GET_CALLS, PY_FAULT, PY_PARKING, PY_NIL),
        fc.nat(),
        fc.nat(),
        fc.string({ maxLength: 8 }),
        (doc, a, b, insert) => {
          const i = a % doc.length;
          const j = Math.min(doc.length, i + (b % 12));
          check(doc.slice(0, i) + insert + doc.slice(j));
        },
      ),
      { numRuns: 500 },
    );
  });
});

describe('decodeEscapes (the sample decodes faultString with Python\'s string-escape)', () => {
  it.each([
    ['no such call \\x27abc\\x27', "no such call 'abc'"],
    ["it\\'s \\\"quoted\\\"", 'it\'s "quoted"'],
    ['line\\nbreak\\ttab\\\\slash', 'line\nbreak\ttab\\slash'],
    ['caf\\xc3\\xa9', 'café'],
    ['caf\\351', 'café'],
    ['\\a\\b\\f\\v\\r', '\u0007\b\f\u000b\r'],
    ['unknown \\q escape', 'unknown \\q escape'],
    ['bad \\xZZ hex', 'bad \\xZZ hex'],
    ['trailing \\', 'trailing \\'],
    ['plain text, no escapes', 'plain text, no escapes'],
    ['emoji \\xf0\\x9f\\x98\\x80 and 😀', 'emoji 😀 and 😀'],
  ])('%s', (raw, decoded) => {
    expect(decodeEscapes(raw)).toBe(decoded);
  });

  it('fast-check: decoding what a Python 2 server escapes gives the text back', () => {
    fc.assert(fc.property(fc.string({ unit: 'grapheme', maxLength: 60 }), (s) => decodeEscapes(encodeEscapes(s)) === s));
  });
});

describe('encoding (strict in what we send)', () => {
  it('writes a methodCall exactly: declaration, method name, typed params', () => {
    expect(encodeCall('transfer', ['1700000000.4', '203'])).toBe(
      '<?xml version="1.0"?>\n<methodCall><methodName>transfer</methodName><params>' +
        '<param><value><string>1700000000.4</string></value></param><param><value><string>203</string></value></param>' +
        '</params></methodCall>\n',
    );
    expect(encodeCall('get_calls', [])).toBe('<?xml version="1.0"?>\n<methodCall><methodName>get_calls</methodName><params></params></methodCall>\n');
    expect(encodeCall('park', ['x', 701])).toContain('<param><value><int>701</int></value></param>');
  });

  it('escapes markup and carriage returns, and types every value', () => {
    expect(encodeCall('dict_set', ['k', 'a<b>&c\r\nd'])).toContain('<string>a&lt;b&gt;&amp;c&#13;\nd</string>');
    const all = encodeResponse({ n: null, t: true, f: false, i: -3, big: 2 ** 40, d: 1.25, s: 's', a: [1, 'x'] });
    expect(all).toContain('<member><name>n</name><value><nil/></value></member>');
    expect(all).toContain('<value><boolean>1</boolean></value>');
    expect(all).toContain('<value><int>-3</int></value>');
    expect(all).toContain('<value><i8>1099511627776</i8></value>');
    expect(all).toContain('<value><double>1.25</double></value>');
    expect(all).toContain('<value><array><data><value><int>1</int></value><value><string>x</string></value></data></array></value>');
    expect(encodeResponse(undefined)).toBe('<?xml version="1.0"?>\n<methodResponse><params/></methodResponse>\n');
  });

  it('refuses what XML cannot carry, as a typed invalid error', () => {
    expect(expectTyped(() => encodeCall('dict_set', ['k', 'bell\u0007'])).kind).toBe('invalid');
    expect(expectTyped(() => encodeCall('dict_set', ['k', '\ud800'])).kind).toBe('invalid');
    expect(expectTyped(() => encodeCall('park', ['x', Number.NaN])).kind).toBe('invalid');
    expect(expectTyped(() => encodeCall('bad name', [])).kind).toBe('invalid');
  });

  const xmlSafe = fc.string({ unit: 'grapheme', maxLength: 20 }).filter((s) => !/[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]/.test(s));
  const value: fc.Arbitrary<XmlRpcValue> = fc.letrec((tie) => ({
    v: fc.oneof(
      { depthSize: 'small', withCrossShrink: true },
      xmlSafe,
      fc.integer(),
      fc.boolean(),
      fc.constant(null),
      fc.double({ noNaN: true, noDefaultInfinity: true }).filter((d) => !Object.is(d, -0)),
      fc.array(tie('v'), { maxLength: 4 }),
      fc.dictionary(xmlSafe, tie('v'), { maxKeys: 4 }),
    ),
  })).v as fc.Arbitrary<XmlRpcValue>;

  it('fast-check: what we encode decodes to the same values (call and response)', () => {
    fc.assert(
      fc.property(fc.array(value, { maxLength: 3 }), (params) => {
        expect(decodeCall(encodeCall('m', params))).toEqual({ method: 'm', params });
        for (const p of params) expect(decodeResponse(encodeResponse(p))).toEqual({ value: p });
      }),
      { numRuns: 200 },
    );
  });

  it('writes a fault the way the guide reads it', () => {
    expect(decodeResponse(encodeFault(-1, "no such call \\'x\\'"))).toEqual({ fault: { code: -1, string: "no such call \\'x\\'" } });
  });
});

describe('decodeCall (the simulator reads requests)', () => {
  it('reads a call with and without params, and refuses garbage', () => {
    expect(decodeCall('<?xml version="1.0"?><methodCall><methodName>get_calls</methodName></methodCall>')).toEqual({ method: 'get_calls', params: [] });
    expect(decodeCall(encodeCall('park', ['abc', 701]))).toEqual({ method: 'park', params: ['abc', 701] });
    expect(expectTyped(() => decodeCall('<methodCall><params/></methodCall>')).kind).toBe('unavailable');
    expect(expectTyped(() => decodeCall('<methodCall><methodName>a b</methodName></methodCall>')).kind).toBe('unavailable');
  });
});
