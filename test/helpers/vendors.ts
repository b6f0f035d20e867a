/**
 * All five vendor simulators over their own sim engines, and an app whose PBXs point at them (one PBX per vendor,
 * named after it): for tests that go through the tools, the runner and the real adapters at once.
 */
import { createApp, type App } from '../../src/app.js';
import { PbxEngine } from '../../src/simulators/engine/engine.js';
import type { SimServer } from '../../src/simulators/kit.js';
import { parseConfig } from '../../src/config.js';
import { LogHub } from '../../src/log.js';
import { SIMULATORS, type RunningSimulator } from '../../src/simulators/index.js';
import { writeConfig } from './mcp.js';
import { scenario } from './scenario.js';

export const VENDORS = ['kalliope', 'xcally', 'xivo', 'ipbx', 'pbxpress'] as const;
export type Vendor = (typeof VENDORS)[number];

export interface VendorRig {
  app: App;
  engine: Record<Vendor, PbxEngine>;
  sim: Record<Vendor, SimServer>;
  /** Everything written to the log (stderr in production). */
  logged(): string;
  close(): Promise<void>;
}

export async function vendorRig(opts: { timeoutMs?: number; config?: Record<string, unknown>; logLevel?: 'debug' | 'info' } = {}): Promise<VendorRig> {
  const engines = {} as Record<Vendor, PbxEngine>;
  const running = {} as Record<Vendor, RunningSimulator>;
  for (const v of VENDORS) {
    engines[v] = new PbxEngine(scenario());
    // Passwords that are not also words of the messages (the redactor masks a secret wherever it appears).
    const credentials = v === 'kalliope' ? { password: 'kcti-Secret-7' } : v === 'pbxpress' ? { password: 'rpc-Secret-9' } : {};
    running[v] = await SIMULATORS[v]!.start({ engine: engines[v], port: 0, ...credentials });
  }
  const tmp = writeConfig({});
  const pbxes = Object.fromEntries(
    VENDORS.map((v) => [v, { ...running[v].configExample, ...(opts.timeoutMs ? { timeoutMs: opts.timeoutMs } : {}), ...(v === 'xivo' ? { defaultUser: 'alice' } : {}) }]),
  );
  let log = '';
  const logs = new LogHub({ level: opts.logLevel ?? 'debug', write: (l) => void (log += l) });
  const app = await createApp(
    parseConfig(
      {
        defaultPbx: 'xcally',
        pbxes,
        safety: { confirm: 'off', dialPolicy: { defaultCountry: 'IT', maxCallsPerMinute: 10000, maxCallsPerMinutePerPbx: 100000, maxConcurrentCalls: 1000 } },
        audit: { file: `${tmp.dir}/audit.jsonl` },
        ...opts.config,
      },
      { baseDir: tmp.dir, env: {} },
    ),
    { logs },
  );
  return {
    app,
    engine: engines,
    sim: Object.fromEntries(VENDORS.map((v) => [v, running[v].server])) as Record<Vendor, SimServer>,
    logged: () => log,
    async close() {
      await app.close();
      for (const v of VENDORS) {
        await running[v].close();
        engines[v].close();
      }
    },
  };
}
