/**
 * `telephony-mcp check` against the real adapters and the vendor simulators over real sockets: what passes, and
 * how each kind of failure (unreachable, untrusted certificate, wrong credentials) is reported.
 */
import { createServer } from 'node:net';
import { writeFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkAll, checkPbx, formatChecks } from '../src/check.js';
import { parseConfig } from '../src/config.js';
import { PbxEngine } from '../src/simulators/engine/engine.js';
import { SIMULATORS, type RunningSimulator } from '../src/simulators/index.js';
import { writeConfig } from './helpers/mcp.js';
import { scenario } from './helpers/scenario.js';

const VENDORS = ['kalliope', 'xcally', 'xivo', 'ipbx', 'pbxpress'] as const;
const sims = {} as Record<(typeof VENDORS)[number], RunningSimulator>;
const engines: PbxEngine[] = [];
let closedPort = 0;
const tmp = writeConfig({});

beforeAll(async () => {
  for (const v of VENDORS) {
    const engine = new PbxEngine(scenario());
    engines.push(engine);
    // ipbx asks for HTTP Basic only when a password is set, as an ipbx with IPPSPassword does.
    sims[v] = await SIMULATORS[v]!.start({ engine, port: 0, ...(v === 'ipbx' ? { password: 'ipps-Secret-3' } : {}) });
  }
  // A port nothing listens on: bound, then released.
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  closedPort = (s.address() as { port: number }).port;
  await new Promise((r) => s.close(r));
});
afterAll(async () => {
  for (const v of VENDORS) await sims[v]?.close();
  for (const e of engines) e.close();
});

const config = (pbxes: Record<string, unknown>) => parseConfig({ pbxes, audit: { file: '-' } }, { baseDir: tmp.dir, env: {} });
const entries = () => ({
  sim: { type: 'sim', traffic: false },
  ...Object.fromEntries(VENDORS.map((v) => [v, sims[v].configExample])),
  ...sims.xivo.moreConfig,
});

describe('telephony-mcp check', () => {
  it('passes every vendor simulator and the sim, naming what it read', async () => {
    const checks = await checkAll(config(entries()));
    expect(checks.map((c) => [c.pbx, c.ok, c.problems])).toEqual([
      ['sim', true, []],
      ['kalliope', true, []],
      ['xcally', true, []],
      ['xivo', true, []],
      ['ipbx', true, []],
      ['pbxpress', true, []],
      ['xivo-cti', true, []],
    ]);
    const kalliope = checks.find((c) => c.pbx === 'kalliope')!;
    expect(kalliope).toMatchObject({ tls: { state: 'ok', text: 'not verified (insecureTls)' }, login: { state: 'ok' }, read: { state: 'ok', text: 'active calls: 0 calls' } });
    expect(checks.find((c) => c.pbx === 'xivo')!.read.text).toBe('history of alice: 0 entries');
    expect(checks.find((c) => c.pbx === 'xivo-cti')!.read.text).toMatch(/^contacts: /);
    expect(checks.find((c) => c.pbx === 'xcally')!.login.text).toBe('none (the phone bar has no login)');
    const table = formatChecks(checks, 'test.json');
    expect(table).toMatch(/^PBX +type +reachable +TLS +credentials +read +result$/m);
    expect(table).toMatch(/All 7 PBXs passed\.\n$/);
  });

  it('reports wrong credentials for each vendor that has a login, saying what to fix', async () => {
    const bad = Object.fromEntries(
      Object.entries(entries())
        .filter(([, e]) => 'password' in (e as object))
        .map(([n, e]) => [n, { ...(e as object), password: 'not-the-password' }]),
    );
    expect(Object.keys(bad).sort()).toEqual(['ipbx', 'kalliope', 'pbxpress', 'xivo', 'xivo-cti']);
    const checks = await checkAll(config(bad));
    for (const c of checks) {
      expect(c, c.pbx).toMatchObject({ ok: false, reach: { state: 'ok' }, login: { state: 'fail', text: 'refused' }, read: { state: 'n/a' } });
      expect(c.problems.join(' '), c.pbx).toMatch(/^credentials: PBX `[a-z-]+` \([a-z]+\): .*(password|credentials)/);
    }
    expect(formatChecks(checks, 'bad.json')).toMatch(/5 PBXs of 5 failed\.\n$/);
  });

  it('reports a port nothing listens on, without trying to log in', async () => {
    const c = await checkPbx('down', { type: 'xivo', url: `http://127.0.0.1:${closedPort}`, login: 'a', password: 'b' }, { baseDir: tmp.dir });
    expect(c).toMatchObject({ ok: false, reach: { state: 'fail', text: 'refused' }, login: { state: 'n/a' } });
    expect(c.problems).toEqual([`not reachable: nothing listens on 127.0.0.1:${closedPort} (is the PBX API, or the desktop client, running? is the port right?)`]);
  });

  it('checks TLS with the configured trust: an unknown self-signed certificate fails, its caFile passes', async () => {
    const k = sims.kalliope as RunningSimulator & { certPem: string };
    const { insecureTls: _drop, ...strict } = k.configExample;
    const untrusted = await checkPbx('desk', strict as never, { baseDir: tmp.dir });
    expect(untrusted).toMatchObject({ ok: false, tls: { state: 'fail' }, login: { state: 'n/a' } });
    expect(untrusted.problems[0]).toMatch(/^TLS: the certificate of 127\.0\.0\.1:\d+ is not trusted \([A-Z_]+\): set caFile/);
    writeFileSync(`${tmp.dir}/kalliope.pem`, k.certPem);
    const trusted = await checkPbx('desk', { ...strict, caFile: 'kalliope.pem' } as never, { baseDir: tmp.dir });
    expect(trusted).toMatchObject({ ok: true, tls: { state: 'ok', text: 'verified (caFile)' } });
  });
});
