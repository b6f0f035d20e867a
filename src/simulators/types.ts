/** What a vendor simulator is to `telephony-mcp simulate` and the tests: how it starts, and what it gives back. */
import type { PbxEngine } from './engine/engine.js';
import type { SimServer } from './kit.js';

export interface SimulatorOptions {
  engine: PbxEngine;
  host?: string;
  port?: number;
  /** The password the simulated PBX accepts, where it has one (each simulator has a default). */
  password?: string;
  /** One of the simulator's `readings` (default: the first). */
  reading?: string;
}

export interface RunningSimulator {
  server: SimServer;
  /** A config entry that points telephony-mcp at this simulator. */
  configExample: Record<string, unknown>;
  /** More entries for the same simulator, by suggested PBX name (XiVO: the CTI user that contacts need). */
  moreConfig?: Record<string, Record<string, unknown>>;
  close(): Promise<void>;
}

export interface SimulatorDef {
  vendor: string;
  description: string;
  defaultPort: number;
  /**
   * Where the vendor doc can be read several ways, the readings this simulator can take (name -> what it does),
   * the least convenient for an adapter first: it is the default.
   */
  readings?: Readonly<Record<string, string>>;
  start(opts: SimulatorOptions): Promise<RunningSimulator>;
}
