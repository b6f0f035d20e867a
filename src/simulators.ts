/**
 * `telephony-mcp simulate <vendor>`: serve a vendor's API over the sim PBX, so users and tests can exercise the
 * real wire protocol without the vendor's software. Each vendor module registers its simulator here.
 */
import { parseArgs } from 'node:util';
import { PbxEngine } from './backends/sim/engine.js';
import { DEMO_SCENARIO_PATH, loadScenario } from './backends/sim/scenario.js';
import type { SimServer } from './backends/simkit.js';
import { kalliopeSimulator } from './backends/kalliope/simulator.js';
import { ipbxSimulator } from './backends/ipbx/simulator.js';
import { xcallySimulator } from './backends/xcally/simulator.js';
import { pbxpressSimulator } from './backends/pbxpress/simulator.js';
import { xivoSimulator } from './backends/xivo/simulator.js';

export interface SimulatorOptions {
  engine: PbxEngine;
  host?: string;
  port?: number;
  /** The password the simulated PBX accepts, where it has one (each simulator has a default). */
  password?: string;
}

export interface RunningSimulator {
  server: SimServer;
  /** A config entry that points telephony-mcp at this simulator. */
  configExample: Record<string, unknown>;
  close(): Promise<void>;
}

export interface SimulatorDef {
  vendor: string;
  description: string;
  defaultPort: number;
  start(opts: SimulatorOptions): Promise<RunningSimulator>;
}

export const SIMULATORS: Record<string, SimulatorDef> = {
  kalliope: kalliopeSimulator,
  ipbx: ipbxSimulator,
  xcally: xcallySimulator,
  pbxpress: pbxpressSimulator,
  xivo: xivoSimulator,
};

export async function runSimulator(argv: string[]): Promise<void> {
  const { values, positionals } = parseArgs({
    args: argv,
    options: { port: { type: 'string' }, host: { type: 'string' }, scenario: { type: 'string' } },
    allowPositionals: true,
  });
  const vendor = positionals[0];
  const def = vendor ? SIMULATORS[vendor] : undefined;
  if (!def) {
    const known = Object.keys(SIMULATORS);
    throw new Error(`simulate: say which vendor to simulate: ${known.length ? known.join(', ') : '(none available)'}`);
  }
  const port = values.port === undefined ? def.defaultPort : Number(values.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`--port must be a port number, not "${values.port}"`);
  const engine = new PbxEngine(loadScenario(values.scenario ?? DEMO_SCENARIO_PATH));
  engine.start();
  const sim = await def.start({ engine, port, host: values.host ?? '127.0.0.1' });
  process.stderr.write(
    `${def.description} simulator listening on ${sim.server.url}\n` +
      `Point telephony-mcp at it with this PBX entry in your config:\n  ${JSON.stringify(sim.configExample)}\n` +
      'Press Ctrl+C to stop.\n',
  );
  await new Promise<void>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
  await sim.close();
  engine.close();
}
