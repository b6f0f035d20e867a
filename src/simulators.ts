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
  /** One of the simulator's `readings` (default: the first). */
  reading?: string;
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
  /**
   * Where the vendor doc can be read several ways, the readings this simulator can take (name -> what it does),
   * the least convenient for an adapter first: it is the default.
   */
  readings?: Readonly<Record<string, string>>;
  start(opts: SimulatorOptions): Promise<RunningSimulator>;
}

/** The reading `name` of `def`, or its default; an unknown name is an error listing the known ones. */
export function readingOf(def: SimulatorDef, name: string | undefined): string | undefined {
  const known = Object.keys(def.readings ?? {});
  if (name === undefined) return known[0];
  if (!known.includes(name)) {
    throw new Error(
      known.length
        ? `--reading: the ${def.vendor} simulator knows the readings ${known.join(', ')}, not "${name}"`
        : `--reading: the ${def.vendor} simulator has only one reading of its vendor doc`,
    );
  }
  return name;
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
    options: { port: { type: 'string' }, host: { type: 'string' }, scenario: { type: 'string' }, reading: { type: 'string' } },
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
  const reading = readingOf(def, values.reading);
  const engine = new PbxEngine(loadScenario(values.scenario ?? DEMO_SCENARIO_PATH));
  engine.start();
  const sim = await def.start({ engine, port, host: values.host ?? '127.0.0.1', ...(reading ? { reading } : {}) });
  const others = Object.keys(def.readings ?? {}).filter((r) => r !== reading);
  process.stderr.write(
    `${def.description} simulator listening on ${sim.server.url}\n` +
      (reading ? `Reading of the vendor doc: ${reading} (${def.readings![reading]}); others: --reading ${others.join(' | ')}\n` : '') +
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
