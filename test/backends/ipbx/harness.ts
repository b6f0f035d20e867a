/** Building the ipbx backend over its simulator for tests: engine, simulator, config, clocks. */
import type { Backend } from '../../../src/backends/backend.js';
import { ipbxType, type IpbxBackend } from '../../../src/backends/ipbx/backend.js';
import { IpbxConfig } from '../../../src/backends/ipbx/config.js';
import { ipbxConfigFor, startIpbxSimulator, type IpbxSimOptions, type IpbxSimulator } from '../../../src/simulators/ipbx/simulator.js';
import { ManualClock } from '../../../src/util/clock.js';
import type { PbxEngine } from '../../../src/simulators/engine/engine.js';
import { LogHub } from '../../../src/log.js';

export const IPPS_USER = 'ipps-reader';
export const IPPS_PASSWORD = 'Ipps-S3cret-pw';

export const quietLog = () => new LogHub({ level: 'error', write: () => {} }).logger();

export interface IpbxRig {
  engine: PbxEngine;
  sim: IpbxSimulator;
  /** The clock of the backends' caches (separate from the engine's: moving it does not move calls on). */
  cacheClock: ManualClock;
  /** A config entry pointing at the simulator, with the rig's credentials. */
  config(over?: Record<string, unknown>): IpbxConfig;
  backend(over?: Record<string, unknown>): Promise<IpbxBackend>;
  close(): Promise<void>;
}

export async function ipbxRig(engine: PbxEngine, sim: Partial<IpbxSimOptions> = {}): Promise<IpbxRig> {
  const server = await startIpbxSimulator({ engine, auth: { username: IPPS_USER, password: IPPS_PASSWORD }, ...sim });
  const cacheClock = new ManualClock();
  const config = (over: Record<string, unknown> = {}) =>
    IpbxConfig.parse({ ...ipbxConfigFor(engine, server.url), username: IPPS_USER, password: IPPS_PASSWORD, timeoutMs: 3000, ...over });
  return {
    engine,
    sim: server,
    cacheClock,
    config,
    backend: async (over = {}) => (await ipbxType.create('office', config(over), { log: quietLog(), baseDir: process.cwd(), clock: cacheClock })) as IpbxBackend,
    close: () => server.close(),
  };
}

/**
 * The backend as the contract suite should see it: before every read the cache clock moves one poll interval,
 * so each read is a fresh poll of the simulator (the contract changes the engine and reads right away). The
 * production floor is untouched: only this test's clock moves.
 */
export function freshReads<B extends Backend>(backend: B, clock: ManualClock, intervalMs: number): B {
  const reads = new Set<PropertyKey>(['activeCalls', 'listQueue']);
  return new Proxy(backend, {
    get(target, prop, receiver) {
      const v = Reflect.get(target, prop, receiver) as unknown;
      if (!reads.has(prop) || typeof v !== 'function') return v;
      return (...args: unknown[]) => {
        clock.advance(intervalMs);
        return (v as (...a: unknown[]) => unknown).apply(target, args);
      };
    },
  });
}
