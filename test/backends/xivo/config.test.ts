/** The `xivo` config entry, the API base URL, and the encoding of values in paths. */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { unsafeDialable } from '../../../src/backends/backend.js';
import { xivoType } from '../../../src/backends/xivo/backend.js';
import { XivoConfig } from '../../../src/backends/xivo/config.js';
import { parseConfig } from '../../../src/config.js';
import { expectBackendError } from '../contract.js';
import { quietLog, rig, type XivoRig } from './harness.js';

const base = { type: 'xivo', url: 'http://xuc.example:8090', login: 'ws', password: 'secret-pw' };

describe('config', () => {
  it('defaults: webservice user, 10 s deadline, no time zone', () => {
    expect(XivoConfig.parse(base)).toMatchObject({ userType: 'webservice', timeoutMs: 10_000, insecureTls: false, ownedNumbers: [] });
  });

  it('refuses unknown keys, a non-http url, an unknown time zone, insecureTls off loopback', () => {
    const issues = (v: object) => XivoConfig.safeParse({ ...base, ...v }).error?.issues.map((i) => `${i.path.join('.')}: ${i.message}`) ?? [];
    expect(issues({ passwd: 'x' })[0]).toMatch(/passwd/);
    expect(issues({ url: 'ftp://xuc.example' })[0]).toMatch(/^url/);
    expect(issues({ timeZone: 'Mars/Olympus' })[0]).toMatch(/^timeZone: an IANA time zone/);
    expect(issues({ insecureTls: true })[0]).toMatch(/^insecureTls: only allowed for a loopback url/);
    expect(issues({ insecureTls: true, url: 'https://127.0.0.1:8443' })).toEqual([]);
    expect(issues({ userType: 'admin' })[0]).toMatch(/^userType/);
  });

  it('a CTI entry acts for its own login: defaultUser is that login or nothing', () => {
    const issues = XivoConfig.safeParse({ ...base, userType: 'cti', login: 'alice', defaultUser: 'bob' }).error?.issues ?? [];
    expect(issues[0]).toMatchObject({ path: ['defaultUser'], message: expect.stringMatching(/acts only for itself.*"alice"/) });
    expect(XivoConfig.safeParse({ ...base, userType: 'cti', login: 'alice', defaultUser: 'alice' }).success).toBe(true);
  });

  it('is a known PBX type of the server config, with ${VAR} secrets', () => {
    const c = parseConfig({ pbxes: { xuc: { ...base, password: '${XUC_PW}' } } }, { env: { XUC_PW: 'from-env' } });
    expect(c.pbxes.xuc).toMatchObject({ type: 'xivo', password: 'from-env' });
    expect(() => parseConfig({ pbxes: { xuc: { ...base, url: 'nope' } } }, { env: {} })).toThrow(/pbxes\.xuc\.url/);
  });

  it('an unreadable caFile is a start-up error naming the key', () => {
    const config = XivoConfig.parse({ ...base, caFile: './no-such-ca.pem' });
    expect(() => xivoType.create('xuc', config, { log: quietLog(), baseDir: '/nonexistent' })).toThrow(/pbxes\.xuc\.caFile: cannot read \/nonexistent\/no-such-ca\.pem \(ENOENT\)/);
  });
});

describe('on the wire', () => {
  let r: XivoRig;
  beforeEach(async () => {
    r = await rig();
  });
  afterEach(() => r.close());

  it('appends /xuc/api/2.0 to the url unless it has it, and percent-encodes path values', async () => {
    const b = await r.backend({ extra: { url: `${r.sim.server.url}/` } });
    await expectBackendError(b.setDnd!({ user: 'jean dupont%', enabled: true }), ['not_found']);
    await expectBackendError(b.placeCall!({ user: 'é/../../auth', to: unsafeDialable('202') }), ['not_found']);
    const paths = r.sim.server.log.map((q) => q.path);
    expect(paths).toEqual(['/xuc/api/2.0/auth/webservice', '/xuc/api/2.0/dnd/jean%20dupont%25', '/xuc/api/2.0/dial/number/%C3%A9%2F..%2F..%2Fauth']);
  });
});
