/** The shared vendor HTTP client against the simulator kit's server, over real sockets. */
import { describeError } from '../../src/wording.js';
import { createServer } from 'node:net';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { VendorHttp } from '../../src/backends/http.js';
import { startSimServer, type SimServer } from '../../src/simulators/kit.js';
import { silentLogger } from '../../src/log.js';
import { expectBackendError } from './contract.js';

let sim: SimServer;
let actions = 0;
let http: VendorHttp;

function client(extra: Partial<ConstructorParameters<typeof VendorHttp>[0]> = {}): VendorHttp {
  return new VendorHttp({ pbx: 'office', pbxType: 'test', baseUrl: sim.url, timeoutMs: 1000, log: silentLogger, ...extra });
}

beforeEach(async () => {
  actions = 0;
  sim = await startSimServer({
    handle: (req) => {
      if (req.path === '/act') actions++;
      return { status: 200, headers: { 'content-type': 'text/plain' }, body: `ok ${req.method} ${req.path}` };
    },
  });
  http = client();
});
afterEach(async () => {
  await http.close();
  await sim.close();
});

const read = () => http.request({ method: 'GET', path: '/read', read: true, what: 'read something' });
const act = () => http.request({ method: 'POST', path: '/act', body: 'x', read: false, what: 'do something' });

describe('VendorHttp', () => {
  it('returns the answer and reuses one connection for sequential requests', async () => {
    expect((await read()).body).toBe('ok GET /read');
    for (let i = 0; i < 10; i++) await read();
    expect(sim.stats.connections).toBe(1);
    expect(sim.stats.requests).toBe(11);
  });

  it('refuses a path that URL resolution would retarget (dot segments, backslashes, tabs, another host) before sending', async () => {
    for (const path of ['contact/personal/..', 'contact/personal/.', 'dnd/%2e%2E', 'a/.%2e/b', '/x/./y?size=1', 'contact/personal/..\\', 'contact/personal/.\t.', '\\\\evil.example/x', '//evil.example/x', 'a\nb']) {
      const e = await expectBackendError(http.request({ method: 'DELETE', path, read: false, what: 'delete a contact' }), ['invalid']);
      expect(e.message).toMatch(/nothing was sent/);
    }
    expect(sim.stats.requests).toBe(0);
    // Dots inside a segment are ordinary characters.
    expect((await http.request({ method: 'GET', path: 'contact/.../a.b?x=..', read: true, what: 'read' })).body).toBe('ok GET /contact/.../a.b');
  });

  it('decodes an answer by its charset: a Latin-1 XML-RPC answer and an undeclared Latin-1 CSV keep their accents', async () => {
    const xml = '<?xml version="1.0" encoding="ISO-8859-1"?><methodResponse><params><param><value><string>Zoë Müller</string></value></param></params></methodResponse>';
    sim.inject({ kind: 'replace', body: Buffer.from(xml, 'latin1'), headers: { 'content-type': 'text/xml' } });
    expect((await read()).body).toBe(xml);
    sim.inject({ kind: 'replace', body: Buffer.from('1.2,555,José Peña,WAITING\n', 'latin1'), headers: { 'content-type': 'text/html' } });
    expect((await read()).body).toBe('1.2,555,José Peña,WAITING\n');
  });

  it('reports an action cut off after it was carried out as outcome_unknown, and never retries it', async () => {
    sim.inject({ kind: 'reset_after' });
    const e = await expectBackendError(act(), ['outcome_unknown']);
    expect(describeError(e)).toMatch(/Do not retry/);
    expect(actions).toBe(1);
    expect(sim.stats.requests).toBe(1);
  });

  it('reports an action with no answer before the deadline as outcome_unknown, within the deadline', async () => {
    sim.inject({ kind: 'stall' });
    const t = Date.now();
    const e = await expectBackendError(act(), ['outcome_unknown']);
    expect(e.message).toMatch(/no answer within 1000 ms/);
    expect(Date.now() - t).toBeLessThan(2000);
    expect(sim.stats.requests).toBe(1);
  });

  it('stops when the caller cancels: a read says cancelled, an action already sent says outcome unknown', async () => {
    sim.inject({ kind: 'stall', times: 2 });
    const cancelled = (req: Parameters<VendorHttp['request']>[0]) => {
      const c = new AbortController();
      setTimeout(() => c.abort(), 100);
      return http.request({ ...req, signal: c.signal });
    };
    const t = Date.now();
    const r = await expectBackendError(cancelled({ method: 'GET', path: '/read', read: true, what: 'read something' }), ['unavailable']);
    expect(r.message).toMatch(/was cancelled/);
    const a = await expectBackendError(cancelled({ method: 'POST', path: '/act', body: 'x', read: false, what: 'do something' }), ['outcome_unknown']);
    expect(a.message).toMatch(/cancelled after it was sent/);
    // Well before the 1000 ms deadline, and the cancelled read was not retried.
    expect(Date.now() - t).toBeLessThan(800);
    expect(sim.stats.requests).toBe(2);
    // An already-aborted signal sends nothing, and costs no pooled connection.
    const before = sim.stats.connections;
    const pre = await expectBackendError(http.request({ method: 'POST', path: '/act', read: false, what: 'act', signal: AbortSignal.abort() }), ['unavailable']);
    expect(pre.message).toMatch(/before it was sent; nothing was done/);
    expect(sim.stats.requests).toBe(2);
    for (let i = 0; i < 3; i++) await read();
    expect(sim.stats.connections - before).toBeLessThanOrEqual(1);
  });

  it('retries a failing read a bounded number of times, then succeeds or reports unavailable', async () => {
    sim.inject({ kind: 'reset_before', times: 2 });
    expect((await read()).body).toBe('ok GET /read');
    expect(sim.stats.requests).toBe(3);
    sim.resetStats();
    sim.inject({ kind: 'status', status: 503, times: Infinity });
    const r = await read();
    expect(r.status).toBe(503);
    expect(sim.stats.requests).toBe(3);
  });

  it('says unavailable, nothing done, when nothing listens', async () => {
    const port = await new Promise<number>((resolve) => {
      const s = createServer().listen(0, '127.0.0.1', () => {
        const p = (s.address() as { port: number }).port;
        s.close(() => resolve(p));
      });
    });
    const dead = new VendorHttp({ pbx: 'office', pbxType: 'test', baseUrl: `http://127.0.0.1:${port}`, timeoutMs: 1000, log: silentLogger });
    const e = await expectBackendError(dead.request({ method: 'POST', path: '/act', read: false, what: 'do something' }), ['unavailable']);
    expect(e.message).toMatch(/cannot connect.*nothing was done/);
    await dead.close();
  });

  it('refuses an oversized answer', async () => {
    await http.close();
    http = client({ maxBodyBytes: 1024 });
    sim.inject({ kind: 'huge', times: Infinity });
    await expectBackendError(read(), ['unavailable']);
    expect(sim.stats.requests).toBe(3);
    await expectBackendError(act(), ['outcome_unknown']);
    expect(actions).toBe(1);
  });

  it('opens the circuit after repeated failures and fails fast without contacting the PBX', async () => {
    await http.close();
    http = client({ breakAfter: 2, breakForMs: 60_000, readRetries: 0 });
    sim.inject({ kind: 'reset_before', times: Infinity });
    await expectBackendError(read(), ['unavailable']);
    await expectBackendError(read(), ['unavailable']);
    sim.resetStats();
    const e = await expectBackendError(read(), ['unavailable']);
    expect(e.message).toMatch(/not contacting it/);
    expect(sim.stats.requests).toBe(0);
  });

  it('counts a read that failed after its retries as one failure of the circuit, not one per attempt', async () => {
    await http.close();
    http = client({ breakAfter: 2, breakForMs: 60_000, readRetries: 2 });
    sim.inject({ kind: 'reset_before', times: Infinity });
    await expectBackendError(read(), ['unavailable']);
    expect(sim.stats.requests).toBe(3);
    await expectBackendError(read(), ['unavailable']);
    expect(sim.stats.requests).toBe(6);
    const e = await expectBackendError(read(), ['unavailable']);
    expect(e.message).toMatch(/not contacting it/);
    expect(sim.stats.requests).toBe(6);
  });

  it('closes the circuit again once the PBX answers after the break', async () => {
    await http.close();
    http = client({ breakAfter: 2, breakForMs: 200, readRetries: 0 });
    sim.inject({ kind: 'reset_before', times: 2 });
    await expectBackendError(read(), ['unavailable']);
    await expectBackendError(read(), ['unavailable']);
    await expectBackendError(read(), ['unavailable']); // open: fails fast
    await new Promise((r) => setTimeout(r, 250));
    expect((await read()).body).toBe('ok GET /read'); // half-open trial succeeds
    expect((await read()).body).toBe('ok GET /read'); // closed again
  });

  it('maps unexpected statuses to typed errors', () => {
    const res = (status: number) => ({ status, headers: {}, body: '' });
    expect(http.statusError(res(401), { read: true, what: 'x' }).kind).toBe('auth');
    expect(http.statusError(res(404), { read: true, what: 'x' }).kind).toBe('not_found');
    expect(http.statusError(res(429), { read: true, what: 'x' }).kind).toBe('rate_limited');
    expect(http.statusError(res(500), { read: true, what: 'x' }).kind).toBe('unavailable');
    expect(http.statusError(res(500), { read: false, what: 'x' }).kind).toBe('outcome_unknown');
    expect(http.statusError(res(400), { read: false, what: 'x' }).kind).toBe('invalid');
  });
});
