/** Shared setup of the xivo adapter tests: a ManualClock engine, the XUC simulator on a free port, backends. */
import { LogHub } from '../../../src/log.js';
import type { ManualClock } from '../../../src/util/clock.js';
import type { PbxEngine } from '../../../src/simulators/engine/engine.js';
import { XivoBackend, xivoType } from '../../../src/backends/xivo/backend.js';
import { XivoConfig } from '../../../src/backends/xivo/config.js';
import type { BackendShared } from '../../../src/backends/types.js';
import { startXucSimulator, type XucSimOptions, type XucSimulator } from '../../../src/simulators/xivo/simulator.js';
import { engine as testEngine } from '../../helpers/scenario.js';

export const WS = { login: 'xuc-ws', password: 'xuc-ws-pa55' };
export const CTI_PASSWORD = 'cti-pa55';

export const quietLog = () => new LogHub({ level: 'error', write: () => {} }).logger();

export interface XivoRig {
  engine: PbxEngine;
  clock: ManualClock;
  sim: XucSimulator;
  /** A backend on the simulator; `cti` logs in as alice (a CTI user), else as the web-service user. */
  backend(o?: { cti?: boolean; password?: string; timeoutMs?: number; extra?: Record<string, unknown>; shared?: BackendShared }): Promise<XivoBackend>;
  close(): Promise<void>;
}

export async function rig(simOpts: Omit<XucSimOptions, 'engine'> = {}): Promise<XivoRig> {
  const { engine, clock } = testEngine();
  const sim = await startXucSimulator({ engine, host: '127.0.0.1', port: 0, ...simOpts });
  const made: XivoBackend[] = [];
  return {
    engine,
    clock,
    sim,
    async backend(o = {}) {
      const config = XivoConfig.parse({
        type: 'xivo',
        url: sim.server.url,
        login: o.cti ? 'alice' : WS.login,
        password: o.password ?? (o.cti ? CTI_PASSWORD : WS.password),
        userType: o.cti ? 'cti' : 'webservice',
        ...(o.cti ? {} : { defaultUser: 'alice' }),
        ...(o.timeoutMs ? { timeoutMs: o.timeoutMs } : {}),
        ...o.extra,
      });
      const b = (await xivoType.create(o.cti ? 'xivo-cti' : 'xivo-ws', config, { log: quietLog(), baseDir: process.cwd(), shared: o.shared })) as XivoBackend;
      made.push(b);
      return b;
    },
    async close() {
      await Promise.allSettled(made.map((b) => b.close()));
      await sim.close();
      engine.close();
    },
  };
}
