/**
 * A Kalliope simulator over a ManualClock engine on 127.0.0.1 (HTTPS, generated certificate), and backends built
 * through the real BackendType from config entries pointing at it (trusting the certificate via caFile).
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { z } from 'zod';
import type { Backend } from '../../../src/backends/backend.js';
import { kalliopeType } from '../../../src/backends/kalliope/backend.js';
import type { KctiCommand } from '../../../src/backends/kalliope/codec.js';
import { KalliopeConfig } from '../../../src/backends/kalliope/config.js';
import { type RunningKalliopeSimulator, startKalliopeSimulator } from '../../../src/simulators/kalliope/simulator.js';
import type { ResponseStyle } from '../../../src/simulators/kalliope/wire.js';
import type { ScenarioInput } from '../../../src/simulators/engine/scenario.js';
import { silentLogger } from '../../../src/log.js';
import { engine as testEngine } from '../../helpers/scenario.js';
import type { Harness } from '../contract.js';

export type KalliopeEntry = Partial<z.input<typeof KalliopeConfig>>;

export interface KalliopeHarness extends Harness {
  sim: RunningKalliopeSimulator['server'];
  running: RunningKalliopeSimulator;
  /** Directory of the (virtual) config file; sim.pem in it is the simulator's certificate. */
  dir: string;
  /** The config entry the main backend was built from. */
  entry: KalliopeEntry;
  /** Build another backend from the main entry with `over` applied (undefined values remove keys). */
  make(over?: KalliopeEntry): Promise<Backend>;
  /** Commands the simulator received, in order (from its wire log). */
  commands(): string[];
}

export interface KalliopeHarnessOptions {
  style?: ResponseStyle;
  agent?: string;
  password?: string;
  username?: string;
  without?: KctiCommand[];
  timeZone?: string;
  scenario?: Partial<ScenarioInput>;
}

export function buildBackend(entry: KalliopeEntry, dir: string): Promise<Backend> {
  const config = KalliopeConfig.parse({ type: 'kalliope', ...entry });
  return Promise.resolve(kalliopeType.create('office', config, { log: silentLogger, baseDir: dir }));
}

export async function kalliopeHarness(opts: KalliopeHarnessOptions = {}): Promise<KalliopeHarness> {
  const { engine, clock } = testEngine(opts.scenario);
  const running = await startKalliopeSimulator({
    engine,
    host: '127.0.0.1',
    port: 0,
    style: opts.style ?? 'doc',
    ...(opts.agent ? { agent: opts.agent } : {}),
    ...(opts.username ? { username: opts.username } : {}),
    ...(opts.password ? { password: opts.password } : {}),
    ...(opts.without ? { without: opts.without } : {}),
    timeZone: opts.timeZone ?? 'Europe/Rome',
  });
  const dir = mkdtempSync(join(tmpdir(), 'kalliope-test-'));
  writeFileSync(join(dir, 'sim.pem'), running.certPem);
  const entry: KalliopeEntry = { url: running.server.url, username: running.username, password: running.password!, caFile: 'sim.pem' };
  const built: Backend[] = [];
  const make = async (over: KalliopeEntry = {}) => {
    const merged = Object.fromEntries(Object.entries({ ...entry, ...over }).filter(([, v]) => v !== undefined));
    const b = await buildBackend(merged, dir);
    built.push(b);
    return b;
  };
  const backend = await buildBackend(entry, dir);
  return {
    backend,
    engine,
    clock,
    user: running.agent,
    sim: running.server,
    running,
    dir,
    entry,
    make,
    withBadCredentials: () => make({ password: 'not-the-password' }),
    // Warmed with one read so the short deadline measures the request, not a TLS handshake on a loaded machine
    // (a long-running server has its keep-alive connection already).
    withDeadline: async (ms) => {
      const b = await make({ timeoutMs: ms });
      await b.activeCalls!({}).catch(() => undefined);
      return b;
    },
    commands: () =>
      running.server.log.map((r) => /<kpbx_request>\s*<([A-Za-z_][\w.-]*)/.exec(r.body)?.[1] ?? '(none)'),
    async close() {
      await Promise.allSettled(built.map((b) => b.close()));
      await running.close();
      engine.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
