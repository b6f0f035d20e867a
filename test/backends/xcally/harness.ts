/** An xcally backend over real HTTP against the xCALLY phone bar simulator, on a manual-clock test engine. */
import type { Backend } from '../../../src/backends/backend.js';
import type { ManualClock } from '../../../src/util/clock.js';
import type { PbxEngine } from '../../../src/simulators/engine/engine.js';
import { type XcallyBackend, xcallyType } from '../../../src/backends/xcally/backend.js';
import { startXcallySimulator, type XcallyReading, type XcallyReadingName, type XcallySimulator } from '../../../src/simulators/xcally/simulator.js';
import { silentLogger } from '../../../src/log.js';
import { engine as testEngine } from '../../helpers/scenario.js';

export interface XcallyHarness {
  backend: XcallyBackend;
  engine: PbxEngine;
  clock: ManualClock;
  sim: XcallySimulator;
  /** The agent logged in at the phone bar (engine user id). */
  user: string;
  /** Another backend on the same simulator, e.g. with a short deadline. */
  backendWith(extra?: Record<string, unknown>): Promise<XcallyBackend>;
  close(): Promise<void>;
}

export async function xcallyHarness(
  opts: { agent?: string; typographicQuotes?: boolean; reading?: XcallyReadingName | XcallyReading } = {},
): Promise<XcallyHarness> {
  const { engine, clock } = testEngine();
  const agent = opts.agent ?? 'alice';
  const sim = await startXcallySimulator({ engine, agent, typographicQuotes: opts.typographicQuotes ?? false, ...(opts.reading ? { reading: opts.reading } : {}) });
  const ext = engine.user(agent).extension;
  const backendWith = async (extra: Record<string, unknown> = {}) =>
    (await xcallyType.create('desk', xcallyType.config.parse({ type: 'xcally', url: sim.server.url, agent: ext, ...extra }), {
      log: silentLogger,
      baseDir: '.',
    })) as XcallyBackend;
  const backend = await backendWith();
  return {
    backend,
    engine,
    clock,
    sim,
    user: agent,
    backendWith,
    close: async () => {
      await sim.close();
      engine.close();
    },
  };
}

export type { Backend };
