/**
 * PBXpress over https: the PBX's certificate is trusted through caFile, and refused without it, with a message
 * that says what to configure. The certificate is made here with openssl, for 127.0.0.1.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pbxpressType } from '../../../src/backends/pbxpress/backend.js';
import { PbxpressConfig } from '../../../src/backends/pbxpress/config.js';
import { startPbxpressSim, type PbxpressSim } from '../../../src/simulators/pbxpress/simulator.js';
import { expectBackendError } from '../contract.js';
import { engine as testEngine } from '../../helpers/scenario.js';
import { quietLog } from './harness.js';

let dir: string;
let sim: PbxpressSim;
const { engine } = testEngine();

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'pbxpress-tls-'));
  execFileSync('openssl', [
    'req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '1', '-subj', '/CN=127.0.0.1',
    '-addext', 'subjectAltName=IP:127.0.0.1', '-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem'),
  ], { stdio: 'ignore' });
  writeFileSync(join(dir, 'not-a-cert.pem'), 'hello');
  sim = await startPbxpressSim({ engine, tls: { key: readFileSync(join(dir, 'key.pem'), 'utf8'), cert: readFileSync(join(dir, 'cert.pem'), 'utf8') } });
});
afterAll(async () => {
  await sim.close();
  engine.close();
  rmSync(dir, { recursive: true, force: true });
});

const create = async (extra: Record<string, unknown>) =>
  pbxpressType.create('secure', PbxpressConfig.parse({ type: 'pbxpress', url: sim.endpoint, username: '201', password: 'pbxpress-sim', ...extra }), { log: quietLog, baseDir: dir });

describe('https', () => {
  it('trusts the PBX certificate given as caFile (relative to the config file)', async () => {
    expect(sim.endpoint).toMatch(/^https:/);
    const b = await create({ caFile: 'cert.pem' });
    try {
      expect((await b.listExtensions!()).length).toBeGreaterThan(0);
    } finally {
      await b.close();
    }
  });

  it('without caFile, a self-signed certificate is refused: unavailable, naming what to set', async () => {
    const b = await create({});
    try {
      const e = await expectBackendError(b.listExtensions!(), ['unavailable']);
      expect(`${e.message} ${e.hint}`).toMatch(/not trusted.*caFile/);
    } finally {
      await b.close();
    }
  });

  it('a caFile that cannot be read or is no certificate stops start-up with the key path', async () => {
    await expect(create({ caFile: 'missing.pem' })).rejects.toThrow(/pbxes\.secure\.caFile: cannot read .*missing\.pem \(ENOENT\)/);
    await expect(create({ caFile: 'not-a-cert.pem' })).rejects.toThrow(/is not a PEM certificate/);
  });
});
