/**
 * `telephony-mcp simulate <vendor>`: serve a vendor's API over the sim PBX, so users and tests can exercise the
 * real wire protocol without the vendor's software. Each vendor module registers its simulator here.
 */
import { parseArgs } from 'node:util';
import { PbxEngine } from './engine/engine.js';
import { DEMO_SCENARIO_PATH, loadScenario } from './engine/scenario.js';
import { kalliopeSimulator } from './kalliope/simulator.js';
import { ipbxSimulator } from './ipbx/simulator.js';
import { xcallySimulator } from './xcally/simulator.js';
import { pbxpressSimulator } from './pbxpress/simulator.js';
import { xivoSimulator } from './xivo/simulator.js';
import type { RunningSimulator, SimulatorDef } from './types.js';

export type { RunningSimulator, SimulatorDef, SimulatorOptions } from './types.js';

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

/**
 * A whole config file for the running simulator, ready to paste: its PBX entries (the simulator's vendor is the
 * default PBX) and the dial policy's country of the demo scenario's numbers.
 */
export function simulatorConfig(vendor: string, sim: Pick<RunningSimulator, 'configExample' | 'moreConfig'>): Record<string, unknown> {
  return {
    defaultPbx: vendor,
    pbxes: { [vendor]: sim.configExample, ...sim.moreConfig },
    safety: { dialPolicy: { defaultCountry: 'IT' } },
  };
}

export const SIMULATE_USAGE = `Usage: telephony-mcp simulate <vendor> [--port N] [--host H] [--scenario FILE] [--reading R]

Serves a protocol-faithful simulator of a vendor's API over the sim PBX (default: the demo scenario) and prints,
on stdout, a complete telephony-mcp config that points at it (save it: telephony-mcp simulate xivo > sim.json).
Vendors: ${Object.entries(SIMULATORS)
  .map(([v, d]) => `${v} (port ${d.defaultPort})`)
  .join(', ')}.
--reading picks how an ambiguous vendor doc is read (see "Simulators" in README.md).
`;

export async function runSimulator(argv: string[]): Promise<void> {
  const { values, positionals } = parseArgs({
    args: argv,
    options: {
      port: { type: 'string' },
      host: { type: 'string' },
      scenario: { type: 'string' },
      reading: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
    allowPositionals: true,
  });
  if (values.help) {
    process.stderr.write(SIMULATE_USAGE);
    return;
  }
  const vendor = positionals[0];
  const known = Object.keys(SIMULATORS).join(', ');
  if (vendor === undefined) throw new Error(`simulate: say which vendor to simulate: ${known}`);
  const def = SIMULATORS[vendor];
  if (!def) throw new Error(`simulate: unknown vendor "${vendor}"; the simulators are ${known}`);
  const port = values.port === undefined ? def.defaultPort : Number(values.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`--port must be a port number, not "${values.port}"`);
  const reading = readingOf(def, values.reading);
  const engine = new PbxEngine(loadScenario(values.scenario ?? DEMO_SCENARIO_PATH));
  engine.start();
  const sim = await def.start({ engine, port, host: values.host ?? '127.0.0.1', ...(reading ? { reading } : {}) });
  const others = Object.keys(def.readings ?? {}).filter((r) => r !== reading);
  const config = JSON.stringify(simulatorConfig(vendor, sim), null, 2);
  process.stderr.write(
    `${def.description} simulator listening on ${sim.server.url}\n` +
      (reading ? `Reading of the vendor doc: ${reading} (${def.readings![reading]}); others: --reading ${others.join(' | ')}\n` : '') +
      'A complete telephony-mcp config for it follows on stdout: save it as a file and start the server with\n' +
      '  telephony-mcp --config FILE   (check it first: telephony-mcp check --config FILE)\n' +
      'Press Ctrl+C to stop.\n',
  );
  process.stdout.write(`${config}\n`);
  await new Promise<void>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
  await sim.close();
  engine.close();
}
