/**
 * ipbx specifics: the exact requests on the wire (checked on a bare HTTP server written from the doc, not our
 * simulator), every documented ERROR line, HTTPS and IPPSRequireSSL, HTML pages, the simulator's variants
 * (CRLF, bare `down`, WAITING-then-CONNECTED, commas), users, secrets and the config's rules.
 */
import { createServer, type IncomingMessage, type Server } from 'node:http';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { describeError } from '../../../src/wording.js';
import { ipbxType, type IpbxBackend } from '../../../src/backends/ipbx/backend.js';
import { IpbxConfig } from '../../../src/backends/ipbx/config.js';
import { IppsClient, encodeChannel } from '../../../src/backends/ipbx/client.js';
import { basicAuth } from '../../../src/util/basic-auth.js';
import { countryName, ipbxConfigFor, startIpbxSimulator } from '../../../src/simulators/ipbx/simulator.js';
import { PbxHandle } from '../../../src/backends/registry.js';
import { ManualClock } from '../../../src/util/clock.js';
import { parseConfig } from '../../../src/config.js';
import { redact } from '../../../src/safety/redact.js';
import { selfSignedCertificate } from '../../../src/util/selfsigned.js';
import { loadNumberingPlan } from '../../../src/safety/numbering.js';
import { engine as testEngine } from '../../helpers/scenario.js';
import { expectBackendError } from '../contract.js';
import { IPPS_PASSWORD, IPPS_USER, ipbxRig, quietLog, type IpbxRig } from './harness.js';

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

/** A rig on the test scenario; `clock` is the engine's. */
async function rig(sim: Parameters<typeof ipbxRig>[1] = {}, scenario: Parameters<typeof testEngine>[0] = {}): Promise<IpbxRig & { clock: ManualClock }> {
  const { engine, clock } = testEngine(scenario);
  const r = await ipbxRig(engine, sim);
  cleanups.push(() => engine.close(), () => r.close());
  return Object.assign(r, { clock });
}

async function backendOf(r: IpbxRig, over: Record<string, unknown> = {}): Promise<IpbxBackend> {
  const b = await r.backend(over);
  cleanups.push(() => b.close());
  return b;
}

/** A bare server written from the vendor doc: records raw request lines, answers the doc's samples. */
async function docServer(answer: (req: IncomingMessage) => { status?: number; body: string } = () => ({ body: '' })) {
  const seen: { method: string; url: string; headers: IncomingMessage['headers'] }[] = [];
  const server: Server = createServer((req, res) => {
    seen.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers });
    const a = answer(req);
    res.writeHead(a.status ?? 200, { 'content-type': 'text/html' });
    res.end(a.body);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  cleanups.push(() => new Promise<void>((r) => server.close(() => r())));
  return { url, seen };
}

async function docBackend(url: string, over: Record<string, unknown> = {}): Promise<IpbxBackend> {
  const config = IpbxConfig.parse({ type: 'ipbx', url, channels: ['SIP/4003', 'SIP/5011'], queues: ['MC', 'Sales Team'], ...over });
  const b = (await ipbxType.create('office', config, { log: quietLog(), baseDir: process.cwd(), clock: new ManualClock() })) as IpbxBackend;
  cleanups.push(() => b.close());
  return b;
}

describe('requests on the wire', () => {
  it('GETs channelinfo.php with the channels as the doc writes them (the "/" kept), merged, and useid=1; Basic auth in the header only', async () => {
    const doc = await docServer(() => ({ body: ' SIP/4002,down,,,,\n SIP/5011,ring,5007,John McManx,5007@default,1267042128.359\n' }));
    const b = await docBackend(doc.url, { username: 'myuser', password: 'pass-word' });
    const calls = await b.activeCalls({});
    expect(calls).toEqual([expect.objectContaining({ id: '1267042128.359', from: { number: '5007', name: 'John McManx' } })]);
    expect(doc.seen).toHaveLength(1);
    expect(doc.seen[0]).toMatchObject({ method: 'GET', url: '/ipps/channelinfo.php?channel=SIP/4003,SIP/5011&useid=1' });
    expect(doc.seen[0]!.headers.authorization).toBe(`Basic ${Buffer.from('myuser:pass-word').toString('base64')}`);
    expect(doc.seen[0]!.url).not.toContain('pass-word');
  });

  it('GETs queueactive.php for ONE queue per request, name percent-encoded, with res_cc=1', async () => {
    const doc = await docServer(() => ({ body: '1236606951.132,99532356420,Georgia,WAITING,09:55:51,,\n' }));
    const b = await docBackend(doc.url);
    const [mc, sales] = await Promise.all([b.listQueue({ queue: 'MC' }), b.listQueue({ queue: 'Sales Team' })]);
    expect(mc).toMatchObject({ queue: 'MC', waitingCount: 1 });
    expect(sales.queue).toBe('Sales Team');
    expect(doc.seen.map((s) => s.url).sort()).toEqual(['/ipps/queueactive.php?queue_name=MC&res_cc=1', '/ipps/queueactive.php?queue_name=Sales%20Team&res_cc=1']);
    expect(doc.seen[0]!.headers.authorization).toBeUndefined();
  });

  it('keeps a path prefix of the url, and accepts a url given down to /ipps', async () => {
    const doc = await docServer();
    await (await docBackend(`${doc.url}/pbx/`)).listQueue({ queue: 'MC' });
    await (await docBackend(`${doc.url}/ipps`)).listQueue({ queue: 'MC' });
    expect(doc.seen.map((s) => s.url)).toEqual(['/pbx/ipps/queueactive.php?queue_name=MC&res_cc=1', '/ipps/queueactive.php?queue_name=MC&res_cc=1']);
  });

  it('a call the PBX lists without a unique id keeps the time it was first seen, poll after poll', async () => {
    const doc = await docServer(() => ({ body: 'SIP/4003,down,,,,\nSIP/5011,up,0612345678,Rossi\n' }));
    const clock = new ManualClock();
    const config = IpbxConfig.parse({ type: 'ipbx', url: doc.url, channels: ['SIP/4003', 'SIP/5011'] });
    const b = (await ipbxType.create('office', config, { log: quietLog(), baseDir: process.cwd(), clock })) as IpbxBackend;
    cleanups.push(() => b.close());
    const first = await b.activeCalls({});
    expect(first).toEqual([expect.objectContaining({ id: 'SIP/5011#0', state: 'connected', startedAt: new Date(clock.now()).toISOString(), durationSeconds: 0 })]);
    clock.advance(7000);
    const later = await b.activeCalls({ user: '5011' });
    expect(doc.seen).toHaveLength(2);
    expect(later).toEqual([expect.objectContaining({ id: 'SIP/5011#0', startedAt: first[0]!.startedAt, durationSeconds: 7 })]);
  });

  it('splits a very long channel list over several requests and merges the answers', async () => {
    const channels = Array.from({ length: 300 }, (_, i) => `SIP/${1000 + i}`);
    const doc = await docServer((req) => {
      const list = new URL(req.url!, 'http://x').searchParams.get('channel')!.split(',');
      return { body: list.map((c) => (c === 'SIP/1299' ? `${c},up,0612345678,,,1267042128.1` : `${c},down,,,,`)).join('\n') };
    });
    const b = await docBackend(doc.url, { channels });
    expect(await b.activeCalls({ user: '1299' })).toEqual([expect.objectContaining({ id: '1267042128.1', to: { number: '1299' } })]);
    expect(doc.seen.length).toBeGreaterThan(1);
    for (const s of doc.seen) expect(s.url.length).toBeLessThan(2100);
  });
});

describe('documented errors', () => {
  it('ERROR: AUTHENTICATION FAILED (wrong or missing credentials) is auth, sent once, whatever the status', async () => {
    for (const errorStatus of [200, 401, 403]) {
      const r = await rig({ errorStatus });
      r.sim.server.resetStats();
      const wrong = await backendOf(r, { password: 'not-the-password' });
      const e = await expectBackendError(wrong.activeCalls({}), ['auth']);
      expect(e.code).toBe('AUTHENTICATION FAILED');
      expect(e.hint).toMatch(/username.*password/);
      expect(r.sim.server.stats.requests).toBe(1);
      const none = await backendOf(r, { username: undefined, password: undefined });
      await expectBackendError(none.listQueue({ queue: 'support' }), ['auth']);
    }
  });

  it('an ERROR line on a 5xx status is still the documented error, and a failed poll is not retried (3 s floor)', async () => {
    const r = await rig({ errorStatus: 500 });
    const b = await backendOf(r, { password: 'not-the-password' });
    r.sim.server.resetStats();
    await expectBackendError(b.activeCalls({}), ['auth']);
    expect(r.sim.server.stats.requests).toBe(1);
    r.sim.server.inject({ kind: 'status', status: 503 });
    await expectBackendError(b.listQueue({ queue: 'support' }), ['unavailable']);
    expect(r.sim.server.stats.requests).toBe(2);
  });

  it('percent-encodes everything in a channel name but its "/"', () => {
    expect(encodeChannel('SIP/4003')).toBe('SIP/4003');
    expect(encodeChannel('PJSIP/a&b=c#d?e%f g+h')).toBe('PJSIP/a%26b%3Dc%23d%3Fe%25f%20g%2Bh');
  });

  it('ERROR: SSL QUERY REQUIRED is invalid, with the hint to use an https url', async () => {
    const r = await rig({ requireSSL: true });
    const e = await expectBackendError((await backendOf(r)).activeCalls({}), ['invalid']);
    expect(e.code).toBe('SSL QUERY REQUIRED');
    expect(describeError(e)).toMatch(/HTTPS only.*Use an https:\/\/ url/);
  });

  it('ERROR: NO CHANNEL SUPPLIED and NO QUEUE NAME SUPPLIED are invalid (the client sends what it is given)', async () => {
    const r = await rig();
    const client = new IppsClient({ pbx: 'office', baseUrl: r.sim.url, timeoutMs: 2000, log: quietLog(), username: IPPS_USER, password: IPPS_PASSWORD });
    cleanups.push(() => client.close());
    expect((await expectBackendError(client.channelInfo([]), ['invalid'])).code).toBe('NO CHANNEL SUPPLIED');
    expect((await expectBackendError(client.queueActive(''), ['invalid'])).code).toBe('NO QUEUE NAME SUPPLIED');
    expect(r.sim.server.log.map((l) => l.body)).toEqual(['', '']);
  });

  it('IPPS disabled (a web page) and a wrong url (a 404 page) are typed errors saying what to check', async () => {
    const disabled = await rig({ disabled: true });
    const e = await expectBackendError((await backendOf(disabled)).listQueue({ queue: 'support' }), ['unavailable']);
    expect(e.hint).toMatch(/IPPSEnabled/);
    const r = await rig();
    const wrong = await expectBackendError((await backendOf(r, { url: `${r.sim.url}/not-ipbx` })).activeCalls({}), ['unavailable', 'not_found']);
    expect(describeError(wrong)).toMatch(/web page|404/);
  });

  it('never shows the password or the Authorization value in errors, and registers both as secrets', async () => {
    const r = await rig({ errorStatus: 401 });
    const e = await expectBackendError((await backendOf(r, { password: 'Another-Secret-9' })).activeCalls({}), ['auth']);
    const shown = `${describeError(e)} ${JSON.stringify(e)}`;
    expect(shown).not.toContain('Another-Secret-9');
    expect(redact(`x Another-Secret-9 ${basicAuth(IPPS_USER, 'Another-Secret-9').slice(6)} y`)).toBe('x *** *** y');
  });
});

describe('HTTPS', () => {
  let tls: { key: string; cert: string; caFile: string };
  beforeAll(() => {
    // Our own certificate maker (util/selfsigned.ts), as the Kalliope simulator uses: no openssl to be missing.
    const { key, cert } = selfSignedCertificate({ commonName: '127.0.0.1', altNames: ['127.0.0.1'] });
    const caFile = join(mkdtempSync(join(tmpdir(), 'ipbx-tls-')), 'cert.pem');
    writeFileSync(caFile, cert);
    tls = { key, cert, caFile };
  });

  it('an ipbx with IPPSRequireSSL answers over https with caFile (and refuses plain http)', async () => {
    const r = await rig({ requireSSL: true, tls: { key: tls.key, cert: tls.cert } });
    expect(r.sim.url).toMatch(/^https:/);
    const b = await backendOf(r, { caFile: tls.caFile });
    expect(await b.activeCalls({})).toEqual([]);
    const untrusted = await backendOf(r);
    const e = await expectBackendError(untrusted.activeCalls({}), ['unavailable']);
    expect(e.hint).toMatch(/caFile/);
    const insecure = await backendOf(r, { insecureTls: true });
    expect(await insecure.listQueue({ queue: 'support' })).toMatchObject({ waitingCount: 0 });
  });
});

describe('reading calls and queues from the simulator', () => {
  it('a caller name with a comma, on LF and on CRLF', async () => {
    for (const lineEnding of ['\n', '\r\n'] as const) {
      const r = await rig({ lineEnding });
      r.engine.setAnswerMode('alice', 'manual');
      const c = r.engine.inboundCall('+390612345678', '201', 'McManx, John');
      const b = await backendOf(r);
      expect(await b.activeCalls({ user: 'alice' })).toEqual([
        expect.objectContaining({ id: c.id, state: 'ringing', direction: 'inbound', from: { number: '+390612345678', name: 'McManx, John' }, to: { number: '201' } }),
      ]);
      expect(r.sim.server.log.at(-1)!.query.get('useid')).toBe('1');
    }
  });

  it('idle channels answering a bare "down" are read, and calls still land on their channel', async () => {
    const r = await rig({ idleLine: 'down' });
    const b = await backendOf(r);
    expect(await b.activeCalls({})).toEqual([]);
    r.engine.setAnswerMode('carol', 'manual');
    const c = r.engine.inboundCall('+390612345678', '203');
    r.cacheClock.advance(b.minPollIntervalMs);
    expect((await b.activeCalls({ user: 'carol' })).map((x) => x.id)).toEqual([c.id]);
    expect(await b.activeCalls({ user: 'alice' })).toEqual([]);
  });

  it('an internal call is one call, seen by both users; users resolve by name, extension or channel', async () => {
    const r = await rig();
    r.engine.setAnswerMode('bob', 'manual');
    const c = r.engine.placeCall('alice', '202');
    const b = await backendOf(r);
    const all = await b.activeCalls({});
    expect(all).toEqual([expect.objectContaining({ id: c.id, state: 'ringing', direction: 'internal', from: { number: '201', name: 'Alice' }, to: { number: '202' } })]);
    for (const u of ['alice', 'bob', '202', 'SIP/201']) expect((await b.activeCalls({ user: u })).map((x) => x.id), u).toEqual([c.id]);
    expect(await b.activeCalls({ user: 'carol' })).toEqual([]);
    const e = await expectBackendError(b.activeCalls({ user: 'mallory' }), ['not_found']);
    expect(e.hint).toMatch(/userChannels/);
    r.engine.answer('bob', c.id);
    r.cacheClock.advance(b.minPollIntervalMs);
    expect((await b.activeCalls({ user: 'alice' }))[0]).toMatchObject({ id: c.id, state: 'connected', answered: true });
  });

  it('a queue: countries with commas, WAITING then CONNECTED as one connected call with its agent', async () => {
    const r = await rig({}, { externals: [{ number: '+82212345678', name: 'Kim' }, { number: '+393471234567', name: 'Maria Esposito' }] });
    for (const u of ['bob', 'carol']) r.engine.pauseQueues(u, true);
    const kim = r.engine.inboundCall('+82212345678', '600');
    r.clock.advance(4000);
    const maria = r.engine.inboundCall('+393471234567', '600');
    r.clock.advance(3000);
    r.engine.pauseQueues('bob', false); // bob takes the longest-waiting call (Kim)
    r.clock.advance(2000); // answered after the scenario's 1 s
    const b = await backendOf(r);
    const q = await b.listQueue({ queue: 'support' });
    expect(r.sim.server.log.at(-1)!.query.get('res_cc')).toBe('1');
    expect(q).toEqual({
      queue: 'support',
      waitingCount: 1,
      oldestArrival: '09:00:04',
      calls: [
        { id: kim.id, caller: '+82212345678', country: 'Korea, Republic of', status: 'connected', enteredAt: '09:00:00', waitedSeconds: 8, agent: 'SIP/202' },
        { id: maria.id, caller: '+393471234567', country: 'Italy', status: 'waiting', enteredAt: '09:00:04' },
      ],
    });
  });

  it('a queue not in the config is not_found without asking the PBX', async () => {
    const r = await rig();
    const b = await backendOf(r);
    r.sim.server.resetStats();
    const e = await expectBackendError(b.listQueue({ queue: 'MC' }), ['not_found']);
    expect(e.hint).toMatch(/support, sales/);
    expect(r.sim.server.stats.requests).toBe(0);
    expect(await b.listQueues()).toEqual(['support', 'sales']);
    expect(await b.knownUsers()).toEqual(['alice', 'bob', 'carol', 'dave', 'erin']);
  });

  it('resolves country names as the doc describes (best effort)', async () => {
    await loadNumberingPlan();
    const o = { defaultCountry: 'Switzerland', domesticMaxLen: 9 };
    const sample: [string, string][] = [
      ['99532356420', 'Georgia'],
      ['448450043606', 'United Kingdom'],
      ['792074279', 'Switzerland'],
      ['444557400', 'Switzerland'],
      ['688677809010', 'Tuvalu'],
      ['6596489564', 'Singapore'],
      ['12124611807', 'North America and Caribbean'],
    ];
    for (const [n, name] of sample) expect(countryName(n, o), n).toBe(name);
    expect(countryName('+82212345678', o)).toBe('Korea, Republic of');
    expect(countryName('unknown', o)).toBeUndefined();
    expect(countryName('201', o)).toBe('Switzerland');
  });
});

describe('what it cannot do, and its lifecycle', () => {
  it('declares only reads, and PbxHandle says clearly what else it cannot do', async () => {
    const r = await rig();
    const b = await backendOf(r);
    expect([...b.capabilities].sort()).toEqual(['activeCalls', 'listQueue', 'listQueues']);
    expect(b.minPollIntervalMs).toBe(3000);
    const h = new PbxHandle(b);
    let message = '';
    try {
      h.op('placeCall');
    } catch (e) {
      message = describeError(e as never);
    }
    expect(message).toBe('PBX `office` (ipbx): this PBX cannot place calls. It can: read active calls, read a queue, list queues.');
    const queuesOnly = await backendOf(r, { channels: [], userChannels: {} });
    expect([...queuesOnly.capabilities].sort()).toEqual(['listQueue', 'listQueues']);
  });

  it('a caller that gives up stops waiting; close() ends a poll under way', async () => {
    const r = await rig();
    const b = await backendOf(r, { timeoutMs: 10_000 });
    r.sim.server.inject({ kind: 'stall_before', times: Infinity });
    const ac = new AbortController();
    const mine = b.activeCalls({}, { signal: ac.signal });
    const other = b.activeCalls({});
    ac.abort();
    await expectBackendError(mine, ['unavailable']);
    const otherFails = expectBackendError(other, ['unavailable']);
    const started = Date.now();
    await b.close();
    await otherFails;
    expect(Date.now() - started).toBeLessThan(3000);
  });
});

describe('config', () => {
  const base = { type: 'ipbx', url: 'http://pbx.example', channels: ['SIP/4003'] };
  const parse = (entry: Record<string, unknown>) => parseConfig({ pbxes: { office: { ...base, ...entry } } }, { env: {} });

  it('refuses a poll interval under the vendor floor, naming the key', () => {
    expect(() => parse({ pollIntervalMs: 2999 })).toThrow(/pbxes\.office\.pollIntervalMs: must be at least 3000/);
    expect(() => parse({ pollIntervalMs: 0 })).toThrow(/pollIntervalMs/);
    expect(IpbxConfig.parse(parse({}).pbxes.office)).toMatchObject({ pollIntervalMs: 3000 });
    expect(IpbxConfig.parse(parse({ pollIntervalMs: 5000 }).pbxes.office)).toMatchObject({ pollIntervalMs: 5000 });
  });

  it('refuses credentials in the url, channels that would break the query, and odd combinations', () => {
    expect(() => parse({ url: 'http://myuser:pass@127.0.0.1' })).toThrow(/pbxes\.office\.url: put the credentials in `username` and `password`/);
    expect(() => parse({ channels: ['SIP/4003,SIP/5011'] })).toThrow(/channels\.0/);
    expect(() => parse({ queues: ['MC,Q2'] })).toThrow(/queues\.0/);
    expect(() => parse({ password: 'x' })).toThrow(/username: a password needs a username/);
    expect(() => parse({ channels: [] })).toThrow(/channels: list the channels/);
    expect(() => parse({ insecureTls: true })).toThrow(/insecureTls: allowed only for a loopback url/);
    expect(() => parse({ url: 'ftp://pbx.example' })).toThrow(/url/);
    expect(() => parse({ bogus: 1 })).toThrow(/pbxes\.office\.bogus: unknown key; the keys here are type, defaultUser/);
  });

  it('refuses a defaultUser without a channel, and a caFile it cannot read', async () => {
    const deps = { log: quietLog(), baseDir: process.cwd() };
    expect(() => ipbxType.create('office', IpbxConfig.parse({ ...base, defaultUser: 'alice' }), deps)).toThrow(/defaultUser: "alice" has no channel/);
    const ok = await ipbxType.create('office', IpbxConfig.parse({ ...base, defaultUser: 'alice', userChannels: { alice: 'SIP/4003' } }), deps);
    expect(ok.defaultUser).toBe('alice');
    await ok.close();
    expect(() => ipbxType.create('office', IpbxConfig.parse({ ...base, caFile: './no-such.pem' }), deps)).toThrow(/caFile: cannot read/);
  });

  it('the simulator prints a config entry that works as is', async () => {
    const { engine } = testEngine();
    const sim = await startIpbxSimulator({ engine });
    cleanups.push(() => engine.close(), () => sim.close());
    const dir = mkdtempSync(join(tmpdir(), 'ipbx-cfg-'));
    writeFileSync(join(dir, 'c.json'), JSON.stringify({ pbxes: { office: ipbxConfigFor(engine, sim.url) } }));
    const cfg = parseConfig(JSON.parse(readFileSync(join(dir, 'c.json'), 'utf8')), { env: {} });
    const b = await ipbxType.create('office', IpbxConfig.parse(cfg.pbxes.office), { log: quietLog(), baseDir: dir });
    cleanups.push(() => b.close());
    expect(await b.activeCalls!({})).toEqual([]);
  });
});
