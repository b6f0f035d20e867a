/** `telephony-mcp simulate <vendor>` prints a PBX entry to paste into a config; used as printed, under the
 * vendor's own name, it must give results that read right. */
import { afterEach, expect, it } from 'vitest';
import { createApp, type App } from '../src/app.js';
import { PbxEngine } from '../src/backends/sim/engine.js';
import { parseConfig } from '../src/config.js';
import { LogHub } from '../src/log.js';
import { tokenPrincipal } from '../src/principal.js';
import { SIMULATORS, type RunningSimulator } from '../src/simulators.js';
import { writeConfig } from './helpers/mcp.js';
import { scenario } from './helpers/scenario.js';

const open: { app?: App; sim?: RunningSimulator; engine?: PbxEngine }[] = [];
afterEach(async () => {
  for (const o of open.splice(0)) {
    await o.app?.close();
    await o.sim?.close();
    o.engine?.close();
  }
});

it.each(Object.keys(SIMULATORS))('the default %s simulator credentials never mask the PBX name in results', async (vendor) => {
  const engine = new PbxEngine(scenario());
  const sim = await SIMULATORS[vendor]!.start({ engine, port: 0 });
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
