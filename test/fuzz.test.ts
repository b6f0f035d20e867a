/**
 * Fuzzing every tool's arguments through the SDK's real Client and the real glue, against every backend's
 * simulator at once: no crash, no unhandled rejection, only typed results (never a stack), the server keeps
 * serving, and nothing unescaped reaches a request (every request body the simulators saw is well-formed in its
 * format, every path holds only what its vendor allows).
 */
import fc from 'fast-check';
import { XMLValidator } from 'fast-xml-parser';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { parseXmlTree } from '../src/backends/pbxpress/xmltree.js';
import { inMemoryClient } from './helpers/app.js';
import { VENDORS, vendorRig, type VendorRig } from './helpers/vendors.js';

const FUZZ_SEED = Number(process.env.FUZZ_SEED ?? 20261205);

let r: VendorRig;
let client: Awaited<ReturnType<typeof inMemoryClient>>;
const unhandled: unknown[] = [];
const onUnhandled = (e: unknown) => void unhandled.push(e);

beforeAll(async () => {
  process.on('unhandledRejection', onUnhandled);
  r = await vendorRig({ config: { safety: { confirm: 'off', dialPolicy: { defaultCountry: 'IT', allowInternational: true, maxCallsPerMinute: 10000, maxCallsPerMinutePerPbx: 100000, maxConcurrentCalls: 1000 } } } });
  client = await inMemoryClient(r.app);
});
afterAll(async () => {
  process.off('unhandledRejection', onUnhandled);
  await client.close();
  await r.close();
});

/** Strings that have broken parsers and dial strings before. */
const nasty = fc.oneof(
  fc.string({ maxLength: 30 }),
  fc.string({ unit: 'binary', maxLength: 30 }),
  fc.constantFrom(
    '202',
    '+39 06 1234 5678',
    '../../etc/passwd',
    '%2e%2e%2f',
    '202?x=1#y',
    '<kpbx_request/>',
    '</number_to_call><DND>1</DND>',
    ']]><!--',
    '"; DROP TABLE',
    '\u202E202',
    '2\u00000\u00002',
    '&amp;&lt;',
    'SIP/4003,SIP/5011',
    '{"res":"success"}',
    '𝟚𝟘𝟚',
  ),
);
/** Nested thousands deep: recursive checks (a schema refinement, a redaction walk) overflow the stack on it. */
function deeplyNested(levels: number, asObject: boolean): unknown {
  let v: unknown = 'x';
  for (let i = 0; i < levels; i++) v = asObject ? { a: v } : [v];
  return v;
}
const value: fc.Arbitrary<unknown> = fc.oneof(
  nasty,
  fc.integer(),
  fc.boolean(),
  fc.constant(null),
  fc.array(nasty, { maxLength: 3 }),
  fc.constant(deeplyNested(5000, false)),
  fc.constant(deeplyNested(5000, true)),
);

type JsonSchema = { type?: string | string[]; enum?: unknown[]; properties?: Record<string, JsonSchema>; items?: JsonSchema; required?: string[]; anyOf?: JsonSchema[] };

/** Values for a JSON Schema: the right type with hostile content, and sometimes the wrong type. */
function arb(schema: JsonSchema | undefined, key = ''): fc.Arbitrary<unknown> {
  if (!schema) return value;
  if (schema.enum) return fc.oneof({ weight: 9, arbitrary: fc.constantFrom(...schema.enum) }, { weight: 1, arbitrary: value });
  if (schema.anyOf) return fc.oneof(...schema.anyOf.map((s) => arb(s, key)));
  const type = Array.isArray(schema.type) ? schema.type[0] : schema.type;
  let right: fc.Arbitrary<unknown>;
  if (key === 'pbx') right = fc.constantFrom(...VENDORS);
  else if (key === 'user') right = fc.oneof(fc.constant('alice'), nasty);
  else if (type === 'string') right = nasty;
  else if (type === 'integer' || type === 'number') right = fc.oneof(fc.integer({ min: -5, max: 800 }), fc.constant(701));
  else if (type === 'boolean') right = fc.boolean();
  else if (type === 'array') right = fc.array(arb(schema.items), { maxLength: 3 });
  else if (type === 'object') {
    const props = schema.properties ?? {};
    right = fc.record(Object.fromEntries(Object.entries(props).map(([k, v]) => [k, arb(v, k)])), { requiredKeys: schema.required ?? [] });
  } else right = value;
  return fc.oneof({ weight: 9, arbitrary: right }, { weight: 1, arbitrary: value });
}

it('survives arbitrary arguments to every tool on every backend (property)', async () => {
  const { tools } = await client.client.listTools();
  const args = fc.oneof(
    ...tools.map((t) => arb(t.inputSchema as JsonSchema).map((a) => ({ name: t.name, ...(a && typeof a === 'object' ? (a as object) : {}) }))),
  ) as fc.Arbitrary<{ name: string } & Record<string, unknown>>;
  await fc.assert(
    fc.asyncProperty(args, async ({ name, ...rest }) => {
      const a = Object.fromEntries(Object.entries(rest).filter(([, v]) => v !== undefined));
      const res = await client.client.callTool({ name, arguments: a });
      const text = (res.content as { type: string; text?: string }[]).map((c) => c.text ?? '').join('\n');
      expect(text).not.toMatch(/\n\s+at \S+ \(|internal error/i);
      if (res.isError) expect(text.length).toBeGreaterThan(10);
    }),
    // A fixed seed by default: how many generated calls get past validation to each PBX depends on the draw, and a
    // random draw sometimes left a vendor below the reach floor checked below (a flaky CI). FUZZ_SEED=<n> explores
    // other draws; fast-check prints the seed of any failure.
    { numRuns: 3000, seed: FUZZ_SEED },
  );
  // Still serving, nothing left unhandled.
  expect((await client.client.callTool({ name: 'get_active_call', arguments: { pbx: 'xcally' } })).isError).toBeFalsy();
  expect(unhandled).toEqual([]);

  // The property must reach the PBXs, not only the argument validation.
  // (Most hostile calls stop at argument validation or the dial policy; enough get through to each PBX.)
  // IPPS answers from its 3 s cache, so one request serves the whole run.
  const reached = Object.fromEntries(VENDORS.map((v) => [v, r.sim[v].log.length]));
  console.log(`fuzz seed ${FUZZ_SEED}: requests per simulator ${JSON.stringify(reached)}`);
  for (const v of VENDORS) expect(reached[v], v).toBeGreaterThan(v === 'ipbx' ? 0 : 10);
  // Nothing unescaped reached a PBX.
  for (const q of r.sim.kalliope.log) expect(XMLValidator.validate(q.body), q.body).toBe(true);
  for (const q of r.sim.pbxpress.log) expect(() => parseXmlTree(q.body), q.body).not.toThrow();
  for (const q of r.sim.xcally.log) {
    expect(q.path).toMatch(/^\/xcally\/svc\/[a-z]+(\/(%2B)?[0-9]{1,20})?$/);
    expect([...q.query.keys()]).toEqual([]);
  }
  for (const q of r.sim.xivo.log) {
    // Every segment non-empty: a "." or ".." that URL resolution swallowed would leave a shorter or slash-ended path.
    expect(q.path).toMatch(/^\/xuc\/api\/2\.0\/[a-z_]+(\/[^/?#\s]+)+$/);
    if (q.body && q.headers['content-type']?.includes('json')) expect(() => JSON.parse(q.body), q.body).not.toThrow();
  }
  for (const q of r.sim.ipbx.log) expect(q.path).toMatch(/^\/ipps\/(channelinfo|queueactive)\.php$/);
});
