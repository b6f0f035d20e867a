/** Test wiring: a PBXpress backend built through its BackendType against the simulator on a ManualClock engine. */
import { LogHub } from '../../../src/log.js';
import type { Backend } from '../../../src/backends/backend.js';
import { pbxpressType } from '../../../src/backends/pbxpress/backend.js';
import { PbxpressConfig } from '../../../src/backends/pbxpress/config.js';
import { startPbxpressSim, type PbxpressSim, type PbxpressSimOptions } from '../../../src/simulators/pbxpress/simulator.js';
import type { ManualClock } from '../../../src/util/clock.js';
import type { PbxEngine } from '../../../src/simulators/engine/engine.js';
import { engine as testEngine } from '../../helpers/scenario.js';

export const quietLog = new LogHub({ level: 'error', write: () => {} }).logger();

export async function backendFor(url: string, extra: Record<string, unknown> = {}): Promise<Backend> {
  const config = PbxpressConfig.parse({ type: 'pbxpress', url, username: '201', password: 'pbxpress-sim', ...extra });
  return pbxpressType.create('office', config, { log: quietLog, baseDir: '.' });
}

export interface SimSetup {
  engine: PbxEngine;
  clock: ManualClock;
  sim: PbxpressSim;
  backend: Backend;
  close(): Promise<void>;
}

/** A simulator (login 201 / pbxpress) on a manual-clock test engine, and a backend pointed at it. */
export async function simSetup(opts: Partial<PbxpressSimOptions> = {}, config: Record<string, unknown> = {}): Promise<SimSetup> {
  const { engine, clock } = testEngine();
  const sim = await startPbxpressSim({ engine, username: '201', password: 'pbxpress-sim', ...opts });
  const backend = await backendFor(sim.endpoint, config);
  return {
    engine,
    clock,
    sim,
    backend,
    async close() {
      await backend.close();
      await sim.close();
      engine.close();
    },
  };
}
