/**
 * The Kalliope adapter over real HTTPS: the exact requests it sends, every error code, auth, TLS trust and its
 * refusals, the current-call check, faults on actions (sent exactly once), and canned answers shaped like the
 * vendor doc's samples served byte for byte.
 */
import { describeError } from '../../../src/wording.js';
import { md5Hex } from '../../../src/backends/kalliope/config.js';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type Backend, unsafeDialable } from '../../../src/backends/backend.js';
import { ATTENDED_COMPLETION } from '../../../src/backends/kalliope/backend.js';

import { KalliopeConfig } from '../../../src/backends/kalliope/config.js';
import { kalliopeHandler } from '../../../src/simulators/kalliope/simulator.js';
import { type SimRequest, type SimResponse, type SimServer, startSimServer } from '../../../src/simulators/kit.js';
import { redact } from '../../../src/safety/redact.js';
import { selfSignedCertificate } from '../../../src/util/selfsigned.js';
import { engine as testEngine } from '../../helpers/scenario.js';
import { expectBackendError } from '../contract.js';
import { type KalliopeHarness, type KalliopeHarnessOptions, buildBackend, kalliopeHarness } from './harness.js';
import * as S from './samples.js';

const CALLER = '+390612345678';

let h: KalliopeHarness;
async function harness(opts: KalliopeHarnessOptions = {}): Promise<KalliopeHarness> {
  await h?.close();
  h = await kalliopeHarness(opts);
  return h;
}
beforeEach(async () => {
  await harness();
});
afterEach(async () => {
  await h.backend.close();
  await h.close();
});

/** An outside caller rings the agent; it is connected unless `answer` is false. */
function inbound(answer = true) {
  const c = h.engine.inboundCall(CALLER, '201');
  if (answer) h.clock.advance(h.engine.answerAfterMs + 10_000);
  return c;
}

describe('requests on the wire', () => {
  it('POSTs the doc shape to / as application/xml, credentials inside the command', async () => {
    await h.backend.placeCall!({ to: unsafeDialable('202') });
    expect(h.sim.log).toHaveLength(1);
    const req = h.sim.log[0]!;
    expect(req.method).toBe('POST');
    expect(req.path).toBe('/');
    expect(req.headers['content-type']).toBe('application/xml');
    expect(req.body).toBe(
      `<?xml version="1.0"?><kpbx_request><click2call><username>alice</username><pwd_md5>${md5Hex('kalliope-sim')}</pwd_md5>` +
        '<number_to_call>202</number_to_call></click2call></kpbx_request>',
    );
  });

  it('sends each operation as its documented command with its parameters', async () => {
    const c = inbound();
    await h.backend.activeCalls!({});
    await h.backend.setDnd!({ enabled: true });
    await h.backend.setDnd!({ enabled: false });
    await h.backend.pauseQueues!({ paused: true });
    await h.backend.pauseQueues!({ paused: false });
    await h.backend.listQueue!({ queue: 'support' });
    await h.backend.transferAttended!({ callId: c.id, to: unsafeDialable('203') });
    const bodies = h.sim.log.map((r) => r.body.replace(/<username>.*<\/pwd_md5>/, ''));
    expect(bodies).toEqual([
      '<?xml version="1.0"?><kpbx_request><activeCallInfo></activeCallInfo></kpbx_request>',
      '<?xml version="1.0"?><kpbx_request><setDND><DND>1</DND></setDND></kpbx_request>',
      '<?xml version="1.0"?><kpbx_request><setDND><DND>0</DND></setDND></kpbx_request>',
      '<?xml version="1.0"?><kpbx_request><pauseQueues><paused>1</paused></pauseQueues></kpbx_request>',
      '<?xml version="1.0"?><kpbx_request><pauseQueues><paused>0</paused></pauseQueues></kpbx_request>',
      '<?xml version="1.0"?><kpbx_request><queuedCallsInfo><queue_name>support</queue_name></queuedCallsInfo></kpbx_request>',
      '<?xml version="1.0"?><kpbx_request><activeCallInfo></activeCallInfo></kpbx_request>',
      '<?xml version="1.0"?><kpbx_request><attendedTransferCall><xferTo>203</xferTo></attendedTransferCall></kpbx_request>',
    ]);
  });

  it('escapes the username and hashes a non-ASCII password as UTF-8 (the simulator decodes and accepts them)', async () => {
    await harness({ username: `o'brien & <co> "x"`, password: 'pässwörd' });
    expect(await h.backend.activeCalls!({})).toEqual([]);
    expect(h.sim.log[0]!.body).toContain(`<username>o&apos;brien &amp; &lt;co&gt; &quot;x&quot;</username><pwd_md5>${md5Hex('pässwörd')}</pwd_md5>`);
  });

  it('accepts passwordMd5 instead of password, in either case', async () => {
    const b = await h.make({ password: undefined, passwordMd5: md5Hex('kalliope-sim').toUpperCase() });
    expect(await b.activeCalls!({})).toEqual([]);
    expect(h.sim.log.at(-1)!.body).toContain(`<pwd_md5>${md5Hex('kalliope-sim')}</pwd_md5>`);
  });

  it('never shows the password or its hash: both are registered secrets', async () => {
    await h.make({ password: 'S3cret-pässwort' });
    const hash = md5Hex('S3cret-pässwort');
    expect(redact(`password S3cret-pässwort hash ${hash}`)).toBe('password *** hash ***');
  });
});

describe('the generic error codes', () => {
  it('10: wrong credentials are an auth error that says what to check, for reads and actions', async () => {
    const bad = await h.withBadCredentials!();
    const e = await expectBackendError(bad.activeCalls!({}), ['auth']);
    expect(e.message).toMatch(/code 10/);
    expect(e.hint).toMatch(/username and password\/passwordMd5/);
    expect(e).toMatchObject({ code: '10' });
    await expectBackendError(bad.setDnd!({ enabled: true }), ['auth']);
    expect(h.engine.user('alice').dnd).toBe(false);
    const wrongUser = await h.make({ username: 'bob' });
    await expectBackendError(wrongUser.activeCalls!({}), ['auth']);
  });

  it('11: a request the client refuses as invalid (transfer to oneself, an undialable number)', async () => {
    const c = inbound();
    const e = await expectBackendError(h.backend.transferBlind!({ callId: c.id, to: unsafeDialable('201') }), ['invalid']);
    expect(e.message).toMatch(/code 11/);
    expect(h.engine.call(c.id)).toMatchObject({ state: 'connected', to: { number: '201' } });
    await expectBackendError(h.backend.placeCall!({ to: unsafeDialable('12ab') }), ['invalid']);
  });

  it('12: a command this client version lacks is unsupported, naming it and the version needed', async () => {
    await harness({ without: ['queuedCallsInfo'] });
    const e = await expectBackendError(h.backend.listQueue!({ queue: 'support' }), ['unsupported']);
    expect(e.message).toMatch(/lacks the command queuedCallsInfo.*KCTI4 v4\.5 or later/);
    expect(e.code).toBe('12');
  });
});

describe('code 1, per command', () => {
  it('activeCallInfo: no active calls is an empty list', async () => {
    expect(await h.backend.activeCalls!({})).toEqual([]);
  });

  it('queuedCallsInfo: no such queue is not_found', async () => {
    const e = await expectBackendError(h.backend.listQueue!({ queue: 'nope' }), ['not_found']);
    expect(e.message).toMatch(/no queue named nope.*"No such queue"/);
  });

  it('hangupcall without a call is not_found; a transfer without a call is a conflict', async () => {
    await expectBackendError(h.backend.hangup!({}), ['not_found']);
    await expectBackendError(h.backend.transferBlind!({ to: unsafeDialable('203') }), ['conflict']);
    await expectBackendError(h.backend.transferAttended!({ to: unsafeDialable('203') }), ['conflict']);
  });

  it('click2call to a busy target is a conflict quoting the client', async () => {
    h.engine.setDnd('bob', true);
    const e = await expectBackendError(h.backend.placeCall!({ to: unsafeDialable('202') }), ['conflict']);
    expect(e.message).toMatch(/could not place the call to 202 \(code 1: ".*do-not-disturb.*"\)/);
    expect(h.engine.listCalls('alice')).toEqual([]);
  });

  it('pauseQueues for an agent in no queue is a conflict', async () => {
    await harness({ scenario: { queues: [] } });
    await expectBackendError(h.backend.pauseQueues!({ paused: true }), ['conflict']);
  });
});

describe('what the API can and cannot do', () => {
  it('reads the current call: ringing, then connected, from the caller to the agent, started when it started', async () => {
    h.engine.setAnswerMode('alice', 'manual');
    const c = inbound(false);
    const [ringing] = await h.backend.activeCalls!({});
    expect(ringing).toMatchObject({ id: c.id, state: 'ringing', answered: false, from: { number: CALLER, name: 'Giuseppe Test' }, to: { number: '201' } });
    expect(ringing!.startedAt).toBe(new Date(Math.floor(h.clock.now() / 1000) * 1000).toISOString());
    h.engine.answer('alice', c.id);
    expect((await h.backend.activeCalls!({}))[0]).toMatchObject({ id: c.id, state: 'connected', answered: true });
  });

  it("shows the agent's own outgoing call from the agent (by username) to the number", async () => {
    await h.backend.placeCall!({ to: unsafeDialable(CALLER) });
    const [c] = await h.backend.activeCalls!({});
    expect(c).toMatchObject({ from: { number: 'alice' }, to: { number: CALLER, name: 'Giuseppe Test' }, state: 'ringing' });
  });

  it('a queue call shows the queue number as the number called', async () => {
    h.engine.pauseQueues('dave', true);
    h.engine.inboundCall(CALLER, '601');
    const [c] = await h.backend.activeCalls!({});
    expect(c).toMatchObject({ from: { number: CALLER }, to: { number: '601' } });
  });

  it('reads a queue: count and oldest arrival in the PBX local time (no calls)', async () => {
    for (const m of ['bob', 'carol']) h.engine.pauseQueues(m, true);
    h.engine.inboundCall(CALLER, '600');
    h.clock.advance(60_000);
    h.engine.inboundCall('+393471234567', '600');
    // The clock starts at 2026-01-05T09:00:00Z; the simulator's PBX is in Europe/Rome.
    expect(await h.backend.listQueue!({ queue: 'support' })).toEqual({ queue: 'support', waitingCount: 2, oldestArrival: '2026-01-05 10:00:00', calls: [] });
    h.engine.pauseQueues('bob', false);
    h.engine.pauseQueues('carol', false);
    h.clock.advance(h.engine.answerAfterMs + 1000);
    expect(await h.backend.listQueue!({ queue: 'support' })).toEqual({ queue: 'support', waitingCount: 0, calls: [] });
  });

  it('an attended transfer is started, and says honestly that it completes from the client or phone', async () => {
    const c = inbound();
    const r = await h.backend.transferAttended!({ callId: c.id, to: unsafeDialable('203') });
    expect(r).toEqual({ completion: ATTENDED_COMPLETION });
    expect(r.completion).toMatch(/only starts.*Kalliope client or the phone/);
    expect(h.engine.call(c.id).state).toBe('on_hold');
    expect(h.engine.listCalls('alice').find((x) => x.consultFor === c.id)?.to.number).toBe('203');
  });

  it('refuses a list of queues (Kalliope pauses in all at once) without sending anything', async () => {
    const e = await expectBackendError(h.backend.pauseQueues!({ paused: true, queues: ['sales'] }), ['invalid']);
    expect(e.message).toMatch(/all queues at once/);
    expect(h.sim.stats.requests).toBe(0);
    expect(h.engine.user('alice').queues.some((q) => q.paused)).toBe(false);
  });
});

describe('actions on the current call only', () => {
  it('refuses to hang up or transfer a named call that is not the current one, and sends no action', async () => {
    const c = inbound();
    const e = await expectBackendError(h.backend.hangup!({ callId: '1234567890.99' }), ['conflict']);
    expect(e.message).toMatch(new RegExp(`current call, which is ${c.id.replace('.', '\\.')}, not 1234567890\\.99`));
    await expectBackendError(h.backend.transferBlind!({ callId: 'other', to: unsafeDialable('203') }), ['conflict']);
    await expectBackendError(h.backend.transferAttended!({ callId: 'other', to: unsafeDialable('203') }), ['conflict']);
    expect(h.commands()).toEqual(['activeCallInfo', 'activeCallInfo', 'activeCallInfo']);
    expect(h.engine.call(c.id).state).toBe('connected');
  });

  it('a named call that has ended is not_found, and nothing is sent after the read', async () => {
    await expectBackendError(h.backend.hangup!({ callId: '1234567890.1' }), ['not_found']);
    expect(h.commands()).toEqual(['activeCallInfo']);
  });

  it('acts on the named call when it is the current one: one read, then the action once', async () => {
    const c = inbound();
    await h.backend.hangup!({ callId: c.id });
    expect(h.commands()).toEqual(['activeCallInfo', 'hangupcall']);
    expect(h.engine.listCalls('alice')).toEqual([]);
  });

  it('without a call id, acts on the current call directly', async () => {
    inbound();
    await h.backend.transferBlind!({ to: unsafeDialable('203') });
    expect(h.commands()).toEqual(['transfercall']);
    expect(h.engine.listCalls('carol')[0]).toMatchObject({ from: { number: CALLER }, to: { number: '203' } });
  });
});

describe('faults: an action is sent exactly once', () => {
  it('placeCall cut off after the client acted: outcome_unknown, one click2call, and the call exists', async () => {
    h.sim.inject({ kind: 'reset_after' });
    const e = await expectBackendError(h.backend.placeCall!({ to: unsafeDialable('202') }), ['outcome_unknown']);
    expect(describeError(e)).toMatch(/Do not retry/);
    expect(h.commands()).toEqual(['click2call']);
    expect(h.sim.stats.handled).toBe(1);
    expect(h.engine.listCalls('alice')).toHaveLength(1);
  });

  it('a transfer whose connection drops before an answer: outcome_unknown, one request', async () => {
    inbound();
    h.sim.inject({ kind: 'reset_before' });
    await expectBackendError(h.backend.transferBlind!({ to: unsafeDialable('203') }), ['outcome_unknown']);
    expect(h.sim.stats.requests).toBe(1);
  });

  it('a hangup of a named call that stalls: outcome_unknown within the deadline, one read and one hangupcall', async () => {
    const { engine } = testEngine();
    const tls = selfSignedCertificate();
    const inner = kalliopeHandler(engine, { agent: 'alice', username: 'alice', pwdMd5: md5Hex('pw'), style: 'doc', without: [] });
    let hangups = 0;
    const server = await startSimServer({
      tls,
      handle: (req) => {
        if (!req.body.includes('<hangupcall>')) return inner(req);
        hangups++;
        return new Promise<SimResponse>(() => {}); // the client never answers
      },
    });
    const dir = mkdtempSync(join(tmpdir(), 'kalliope-stall-'));
    writeFileSync(join(dir, 'ca.pem'), tls.cert);
    const b = await buildBackend({ url: server.url, username: 'alice', password: 'pw', caFile: 'ca.pem', timeoutMs: 1500 }, dir);
    try {
      const c = engine.inboundCall(CALLER, '201');
      engine.answer('alice', c.id);
      const started = Date.now();
      await expectBackendError(b.hangup!({ callId: c.id }), ['outcome_unknown']);
      expect(Date.now() - started).toBeLessThan(6000);
      expect(hangups).toBe(1);
      expect(server.stats.requests).toBe(2);
    } finally {
      await b.close();
      await server.close();
      engine.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('a read that stalls is unavailable within the deadline, retried at most once', async () => {
    const b = await h.withDeadline!(400);
    h.sim.resetStats();
    h.sim.inject({ kind: 'stall', times: Infinity });
    const started = Date.now();
    await expectBackendError(b.activeCalls!({}), ['unavailable']);
    expect(Date.now() - started).toBeLessThan(3000);
    expect(h.sim.stats.requests).toBeLessThanOrEqual(2);
  });

  it('an HTTP error status on an action is outcome_unknown (5xx) or auth (401), sent once', async () => {
    h.sim.inject({ kind: 'status', status: 500 });
    await expectBackendError(h.backend.setDnd!({ enabled: true }), ['outcome_unknown']);
    h.sim.inject({ kind: 'status', status: 401 });
    await expectBackendError(h.backend.setDnd!({ enabled: true }), ['auth']);
    expect(h.sim.stats.requests).toBe(2);
  });

  it('a KCTI error code sent with an HTTP error status is read by its code; success or no KCTI body goes by the status', async () => {
    const reply = (code: number, msg: string) =>
      `<?xml version="1.0"?>\n<kpbx_response>\n <setDND>\n  <error_code>\n   <code>${code}</code>\n   <message>${msg}</message>\n  </error_code>\n </setDND>\n</kpbx_response>\n`;
    h.sim.inject({ kind: 'replace', status: 400, body: reply(12, 'Unknown command') });
    expect(await expectBackendError(h.backend.setDnd!({ enabled: true }), ['unsupported'])).toMatchObject({ code: '12' });
    h.sim.inject({ kind: 'replace', status: 500, body: reply(10, 'Authentication failed') });
    await expectBackendError(h.backend.setDnd!({ enabled: true }), ['auth']);
    h.sim.inject({ kind: 'replace', status: 500, body: reply(0, 'OK') });
    await expectBackendError(h.backend.setDnd!({ enabled: true }), ['outcome_unknown']);
    h.sim.inject({ kind: 'replace', status: 502, body: '<html><body>Bad Gateway</body></html>' });
    await expectBackendError(h.backend.setDnd!({ enabled: true }), ['outcome_unknown']);
    expect(h.sim.stats.requests).toBe(4);
  });

  it('garbage in answer to an action is outcome_unknown, sent once', async () => {
    h.sim.inject({ kind: 'garbage' });
    const e = await expectBackendError(h.backend.setDnd!({ enabled: true }), ['outcome_unknown']);
    expect(e.message).toMatch(/not a KCTI4 response/);
    expect(h.sim.stats.requests).toBe(1);
    expect(h.engine.user('alice').dnd).toBe(true);
  });
});

describe('TLS trust', () => {
  it('without caFile or insecureTls the self-signed certificate is refused: unavailable, naming both, nothing sent', async () => {
    const b = await h.make({ caFile: undefined });
    const e = await expectBackendError(b.activeCalls!({}), ['unavailable']);
    expect(`${e.message} ${e.hint}`).toMatch(/certificate is not trusted.*caFile.*insecureTls/);
    const a = await expectBackendError(b.setDnd!({ enabled: true }), ['unavailable']);
    expect(a.message).toMatch(/nothing was sent/);
    expect(h.sim.stats.requests).toBe(0);
    expect(h.engine.user('alice').dnd).toBe(false);
  });

  it('a client that is not running is unavailable, nothing done, and says to check it runs', async () => {
    const port = h.sim.port;
    await h.running.close();
    const a = await expectBackendError(h.backend.setDnd!({ enabled: true }), ['unavailable']);
    expect(`${a.message} ${a.hint}`).toMatch(new RegExp(`cannot connect to the PBX at 127\\.0\\.0\\.1:${port} \\(ECONNREFUSED\\); nothing was done.*desktop client\\) is running`));
    expect(h.engine.user('alice').dnd).toBe(false);
  });

  it('a caFile with another certificate is refused the same way', async () => {
    writeFileSync(join(h.dir, 'other.pem'), selfSignedCertificate().cert);
    const b = await h.make({ caFile: 'other.pem' });
    await expectBackendError(b.activeCalls!({}), ['unavailable']);
    expect(h.sim.stats.requests).toBe(0);
  });

  it("trusts the client's certificate from caFile, relative to the config file or absolute", async () => {
    expect(await (await h.make({ caFile: 'sim.pem' })).activeCalls!({})).toEqual([]);
    expect(await (await h.make({ caFile: join(h.dir, 'sim.pem') })).activeCalls!({})).toEqual([]);
  });

  it('insecureTls works on 127.0.0.1', async () => {
    const b = await h.make({ caFile: undefined, insecureTls: true });
    await b.setDnd!({ enabled: true });
    expect(h.engine.user('alice').dnd).toBe(true);
  });

  it('refuses insecureTls for any url off this machine, naming the key and pointing to caFile', async () => {
    for (const url of ['https://pbx.example.com:5039', 'https://10.0.0.5:5039', 'https://[::2]:5039', 'https://127.0.0.1.nip.io:5039']) {
      await expect(h.make({ url, caFile: undefined, insecureTls: true }), url).rejects.toThrow(/pbxes\.office\.insecureTls:.*use caFile/);
    }
    for (const url of ['https://localhost:5039', 'https://[::1]:5039', 'https://LOCALHOST:1']) {
      await expect(h.make({ url, caFile: undefined, insecureTls: true }), url).resolves.toBeDefined();
    }
  });

  it('refuses caFile with insecureTls, an unreadable caFile, and a file that is not a PEM certificate', async () => {
    await expect(h.make({ insecureTls: true })).rejects.toThrow(/caFile or insecureTls, not both/);
    await expect(h.make({ caFile: 'missing.pem' })).rejects.toThrow(/pbxes\.office\.caFile: cannot read .*missing\.pem \(ENOENT\)/);
    writeFileSync(join(h.dir, 'junk.pem'), 'not a certificate');
    await expect(h.make({ caFile: 'junk.pem' })).rejects.toThrow(/pbxes\.office\.caFile: .* is not a PEM certificate/);
  });
});

describe('config', () => {
  const base = { type: 'kalliope', username: 'pippo', password: 'x' };

  it('defaults the url to https://127.0.0.1:5039 and the user to the username', async () => {
    const c = KalliopeConfig.parse(base);
    expect(c).toMatchObject({ url: 'https://127.0.0.1:5039', insecureTls: false, timeoutMs: 10_000 });
    const b = await buildBackend({ username: 'pippo', password: 'x' }, h.dir);
    expect(b).toMatchObject({ type: 'kalliope', userModel: 'self', defaultUser: 'pippo' });
    await b.close();
  });

  it('wants exactly one of password and passwordMd5, an https url, and no unknown keys', () => {
    const md5 = '353f9bfab2d01dbb1db343fdaf9ab02e';
    expect(KalliopeConfig.safeParse({ ...base, passwordMd5: md5 }).success).toBe(false);
    expect(KalliopeConfig.safeParse({ type: 'kalliope', username: 'pippo' }).success).toBe(false);
    expect(KalliopeConfig.safeParse({ type: 'kalliope', username: 'pippo', passwordMd5: md5 }).success).toBe(true);
    expect(KalliopeConfig.safeParse({ type: 'kalliope', username: 'pippo', passwordMd5: 'abc' }).success).toBe(false);
    expect(KalliopeConfig.safeParse({ ...base, url: 'http://127.0.0.1:5039' }).success).toBe(false);
    expect(KalliopeConfig.safeParse({ ...base, pasword: 'typo' }).success).toBe(false);
    expect(KalliopeConfig.safeParse({ ...base, username: '' }).success).toBe(false);
  });

  it('refuses a defaultUser other than the username', async () => {
    await expect(h.make({ defaultUser: 'bob' })).rejects.toThrow(/pbxes\.office\.defaultUser: a Kalliope client acts only for .*alice/);
    expect((await h.make({ defaultUser: 'alice' })).defaultUser).toBe('alice');
  });
});

describe('answers exactly like the doc samples, served byte for byte', () => {
  let server: SimServer;
  let dir: string;
  let b: Backend;
  let answer: (req: SimRequest) => SimResponse;
  const xml = (body: string): SimResponse => ({ status: 200, headers: { 'content-type': 'application/xml' }, body });

  beforeEach(async () => {
    const tls = selfSignedCertificate();
    server = await startSimServer({ tls, handle: (req) => answer(req) });
    dir = mkdtempSync(join(tmpdir(), 'kalliope-canned-'));
    writeFileSync(join(dir, 'ca.pem'), tls.cert);
    b = await buildBackend({ url: server.url, username: 'pippo', passwordMd5: '353f9bfab2d01dbb1db343fdaf9ab02e', caFile: 'ca.pem' }, dir);
  });
  afterEach(async () => {
    await b.close();
    await server.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('the active call sample', async () => {
    answer = () => xml(S.RES_ACTIVE_CALL);
    const [c] = await b.activeCalls!({});
    expect(c).toMatchObject({ id: '1518436447.72', state: 'ringing', answered: false, from: { number: 'pippo' }, to: { number: '625', name: 'Giuseppe Test' }, startedAt: '2018-02-12T11:54:07.000Z' });
  });

  it('the no-active-calls, queue and no-such-queue samples', async () => {
    answer = () => xml(S.RES_NO_ACTIVE_CALLS);
    expect(await b.activeCalls!({})).toEqual([]);
    answer = () => xml(S.RES_QUEUED_SOME);
    expect(await b.listQueue!({ queue: 'QueueNameToBeQueried' })).toEqual({ queue: 'QueueNameToBeQueried', waitingCount: 1, oldestArrival: '2018-07-04 16:25:08', calls: [] });
    answer = () => xml(S.RES_QUEUED_NONE);
    expect(await b.listQueue!({ queue: 'QueueNameToBeQueried' })).toMatchObject({ waitingCount: 0 });
    answer = () => xml(S.RES_NO_SUCH_QUEUE);
    await expectBackendError(b.listQueue!({ queue: 'QueueNameToBeQueried' }), ['not_found']);
  });

  it('the generic samples: success for every action, and codes 10, 11, 12', async () => {
    answer = () => xml(S.RES_SUCCESS);
    await b.setDnd!({ enabled: true });
    await b.pauseQueues!({ paused: false });
    await b.placeCall!({ to: unsafeDialable('625') });
    await b.hangup!({});
    await b.transferBlind!({ to: unsafeDialable('234') });
    expect((await b.transferAttended!({ to: unsafeDialable('234') })).completion).toBe(ATTENDED_COMPLETION);
    answer = () => xml(S.RES_AUTH_FAILED);
    await expectBackendError(b.setDnd!({ enabled: true }), ['auth']);
    answer = () => xml(S.RES_INVALID_REQUEST);
    await expectBackendError(b.setDnd!({ enabled: true }), ['invalid']);
    answer = () => xml(S.RES_UNKNOWN_COMMAND);
    await expectBackendError(b.setDnd!({ enabled: true }), ['unsupported']);
  });

  it('the generic success sample where data was expected is a typed error', async () => {
    answer = () => xml(S.RES_SUCCESS);
    await expectBackendError(b.activeCalls!({}), ['unavailable']);
    await expectBackendError(b.listQueue!({ queue: 'q' }), ['unavailable']);
  });

  it('an undocumented code: unavailable for a read, outcome_unknown for an action, with the code', async () => {
    answer = () => xml(S.RES_UNKNOWN_COMMAND.replace('<code>12</code>', '<code>99</code>'));
    const r = await expectBackendError(b.activeCalls!({}), ['unavailable']);
    expect(r.message).toMatch(/undocumented code 99/);
    expect(r.code).toBe('99');
    server.resetStats();
    const a = await expectBackendError(b.hangup!({}), ['outcome_unknown']);
    expect(describeError(a)).toMatch(/Do not retry/);
    expect(server.stats.requests).toBe(1);
  });

  it('a vendor message is data: cleaned and bounded in the error', async () => {
    answer = () => xml(S.RES_NO_ACTIVE_CALLS.replace('No active calls', `Busy\u202E\u0007 ${'x'.repeat(500)}`));
    const e = await expectBackendError(b.setDnd!({ enabled: true }), ['conflict']);
    expect(e.message).not.toMatch(/[\u202E\u0007]/);
    expect(e.message.length).toBeLessThan(400);
  });
});
