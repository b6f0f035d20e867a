/** `telephony-mcp simulate <vendor>` prints a PBX entry to paste into a config; used as printed, under the
 * vendor's own name, it must give results that read right. */
import { afterEach, expect, it } from 'vitest';
import { createApp, type App } from '../../src/app.js';
import { PbxEngine } from '../../src/simulators/engine/engine.js';
import { parseConfig } from '../../src/config.js';
import { LogHub } from '../../src/log.js';
import { tokenPrincipal } from '../../src/principal.js';
import { SIMULATORS, readingOf, type RunningSimulator } from '../../src/simulators/index.js';
import { writeConfig } from '../helpers/mcp.js';
import { scenario } from '../helpers/scenario.js';

const open: { app?: App; sim?: RunningSimulator; engine?: PbxEngine }[] = [];
afterEach(async () => {
  for (const o of open.splice(0)) {
    await o.app?.close();
    await o.sim?.close();
    o.engine?.close();
  }
});

/** Every simulator with each of its readings of the vendor doc (the first is the default), as `simulate --reading` starts it. */
const RUNS = Object.entries(SIMULATORS).flatMap(([vendor, def]) => (def.readings ? Object.keys(def.readings) : [undefined]).map((reading) => [vendor, reading] as const));

it('every simulator whose doc can be read several ways offers its readings; an unknown one is an error naming them', () => {
  expect(Object.fromEntries(Object.entries(SIMULATORS).map(([v, d]) => [v, Object.keys(d.readings ?? {})]))).toEqual({
    kalliope: ['doc', 'wellformed'],
    ipbx: ['name', 'down', 'sample'],
    xcally: ['doc', 'own-line', 'words'],
    pbxpress: ['array', 'struct'],
    xivo: ['strict', 'datetimes', 'lenient'],
  });
  expect(readingOf(SIMULATORS.xcally!, undefined)).toBe('doc');
  expect(readingOf(SIMULATORS.xcally!, 'words')).toBe('words');
  expect(() => readingOf(SIMULATORS.ipbx!, 'bare')).toThrow(/--reading: the ipbx simulator knows the readings name, down, sample, not "bare"/);
});

it.each(RUNS)('the %s simulator (reading %s): its printed entry works as is, and its credentials never mask the PBX name', async (vendor, reading) => {
  const engine = new PbxEngine(scenario());
  const sim = await SIMULATORS[vendor]!.start({ engine, port: 0, ...(reading ? { reading } : {}) });
  const tmp = writeConfig({});
  const entry = { ...(sim.configExample as object), ...(vendor === 'xivo' ? { defaultUser: 'alice' } : {}) };
  const app = await createApp(
    parseConfig({ defaultPbx: vendor, pbxes: { [vendor]: entry }, safety: { confirm: 'off', dialPolicy: { defaultCountry: 'IT' } }, audit: { file: `${tmp.dir}/audit.jsonl` } }, { baseDir: tmp.dir, env: {} }),
    { logs: new LogHub({ level: 'error', write: () => {} }) },
  );
  open.push({ app, sim, engine });
  // A read every vendor offers whose result names the PBX (XUC REST has no active-call read).
  const tool = app.tools.find((t) => t.name === 'get_active_call') ?? app.tools.find((t) => t.name === 'call_history')!;
  const r = await app.runner.run(tool, {}, { session: { id: 's' }, principal: tokenPrincipal('unit'), signal: new AbortController().signal });
  expect(r).toMatchObject({ ok: true, structured: { pbx: vendor } });
});
