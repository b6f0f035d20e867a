/**
 * The Kalliope simulator on its own: it accepts the doc's request samples byte for byte and, in 'doc' style,
 * answers byte for byte like the doc's response samples; it checks credentials, content type and shape.
 */
import { XMLValidator } from 'fast-xml-parser';
import { Agent, request } from 'undici';
import { afterEach, describe, expect, it } from 'vitest';
import { md5Hex } from '../../src/backends/kalliope/config.js';
import { type RunningKalliopeSimulator, localTime, startKalliopeSimulator } from '../../src/simulators/kalliope/simulator.js';
import { renderAnswer } from '../../src/simulators/kalliope/wire.js';
import type { PbxEngine } from '../../src/simulators/engine/engine.js';
import type { ManualClock } from '../../src/util/clock.js';
import { TEST_SCENARIO, engine as testEngine } from '../helpers/scenario.js';
import { buildBackend } from '../backends/kalliope/harness.js';
import * as S from '../backends/kalliope/samples.js';

const DOC_MD5 = '353f9bfab2d01dbb1db343fdaf9ab02e';

/** The test scenario plus the doc's parties: 625 (Giuseppe Test) and 234. */
const DOC_SCENARIO = {
  users: [
    ...TEST_SCENARIO.users!,
    { id: 'giuseppe', name: 'Giuseppe Test', extension: '625' },
    { id: 'xfer', extension: '234' },
  ],
};

let sim: RunningKalliopeSimulator | undefined;
let engine: PbxEngine;
let clock: ManualClock;
let agent: Agent | undefined;

async function start(opts: { username?: string; style?: 'doc' | 'wellformed' } = {}) {
  ({ engine, clock } = testEngine(DOC_SCENARIO));
  sim = await startKalliopeSimulator({ engine, port: 0, agent: 'alice', username: opts.username ?? 'pippo', passwordMd5: DOC_MD5, style: opts.style ?? 'doc' });
  agent = new Agent({ connect: { ca: sim.certPem } });
  return sim;
}

afterEach(async () => {
  await agent?.close();
  await sim?.close();
  engine?.close();
  sim = undefined;
  agent = undefined;
});

async function post(body: string, opts: { contentType?: string; method?: 'POST' | 'GET'; path?: string } = {}) {
  const res = await request(`${sim!.server.url}${opts.path ?? '/'}`, {
    method: opts.method ?? 'POST',
    headers: { 'content-type': opts.contentType ?? 'application/xml' },
    ...(opts.method === 'GET' ? {} : { body }),
    dispatcher: agent,
  });
  return { status: res.statusCode, body: await res.body.text() };
}

describe("doc style: the vendor's samples, byte for byte", () => {
  it('renders each generic and command answer exactly as the doc prints it', () => {
    const r = (a: Parameters<typeof renderAnswer>[0]) => renderAnswer(a, 'doc');
    expect(r({ code: 0, message: 'Success' })).toBe(S.RES_SUCCESS);
    expect(r({ code: 10, message: 'Error \u2013 Authentication failed' })).toBe(S.RES_AUTH_FAILED);
    expect(r({ code: 11, message: 'Invalid request' })).toBe(S.RES_INVALID_REQUEST);
    expect(r({ code: 12, message: 'Unknown command' })).toBe(S.RES_UNKNOWN_COMMAND);
    const call: [string, string][] = [['uid', '1518436447.72'], ['remote_num', '625'], ['remote_name', 'Giuseppe Test'], ['called_num', '625'], ['is_answered', '0']];
    expect(r({ code: 0, message: 'Success', data: call, sample: 'activeCall' })).toBe(S.RES_ACTIVE_CALL);
    expect(r({ code: 1, message: 'No active calls', sample: 'noActiveCall' })).toBe(S.RES_NO_ACTIVE_CALLS);
    expect(r({ code: 0, message: 'Success', data: [['queued_calls', '1'], ['oldest_arrival', '2018-07-04 16:25:08']], sample: 'queue' })).toBe(S.RES_QUEUED_SOME);
    expect(r({ code: 0, message: 'Success', data: [['queued_calls', '0'], ['oldest_arrival', '']], sample: 'queue' })).toBe(S.RES_QUEUED_NONE);
    expect(r({ code: 1, message: 'No such queue', sample: 'noSuchQueue' })).toBe(S.RES_NO_SUCH_QUEUE);
  });

  it("accepts the doc's requests byte for byte and answers them like the doc, over HTTPS", async () => {
    await start();
    expect(await post(S.REQ_PAUSE)).toEqual({ status: 200, body: S.RES_SUCCESS });
    expect(engine.user('alice').queues.every((q) => q.paused)).toBe(true);
    expect((await post(S.REQ_UNPAUSE)).body).toBe(S.RES_SUCCESS);
    expect((await post(S.REQ_SET_DND)).body).toBe(S.RES_SUCCESS);
    expect(engine.user('alice').dnd).toBe(true);
    expect((await post(S.REQ_UNSET_DND)).body).toBe(S.RES_SUCCESS);
    expect((await post(S.REQ_ACTIVE_CALL_INFO)).body).toBe(S.RES_NO_ACTIVE_CALLS);

    expect((await post(S.REQ_CALL_625)).body).toBe(S.RES_SUCCESS);
    const [call] = engine.listCalls('alice');
    expect(call).toMatchObject({ state: 'ringing', to: { number: '625' } });
    // The doc's own sample: alice rings 625 (Giuseppe Test), not yet answered; only the uid differs.
    expect((await post(S.REQ_ACTIVE_CALL_INFO)).body).toBe(S.RES_ACTIVE_CALL.replace('1518436447.72', call!.id));
    clock.advance(engine.answerAfterMs);
    expect((await post(S.REQ_ACTIVE_CALL_INFO)).body).toContain('<is_answered>1</is_answered>');

    expect((await post(S.REQ_UTRANSFER_234)).body).toBe(S.RES_SUCCESS);
    expect(engine.call(call!.id)).toMatchObject({ from: { number: '625' }, to: { number: '234' } });
    expect(engine.listCalls('alice')).toEqual([]);

    engine.inboundCall('+390612345678', '201');
    clock.advance(engine.answerAfterMs);
    expect((await post(S.REQ_ATRANSFER_234)).body).toBe(S.RES_SUCCESS);
    expect(engine.listCalls('alice').map((c) => c.state).sort()).toEqual(['on_hold', 'ringing']);
    expect((await post(S.REQ_HANGUP)).body).toBe(S.RES_SUCCESS);
  });

  it("answers the doc's queue request for an unknown queue like the doc (wrapped in activeCallInfo)", async () => {
    await start({ username: 'lamonica' });
    expect((await post(S.REQ_QUEUED_CALLS_INFO)).body).toBe(S.RES_NO_SUCH_QUEUE);
    const known = S.REQ_QUEUED_CALLS_INFO.replace('QueueNameToBeQueried', 'support');
    expect((await post(known)).body).toBe(S.RES_QUEUED_NONE);
  });

  it('answers wrong credentials, unknown commands and malformed requests with the doc samples', async () => {
    await start();
    expect((await post(S.REQ_SET_DND.replace('pippo', 'pluto'))).body).toBe(S.RES_AUTH_FAILED);
    expect((await post(S.REQ_SET_DND.replace(DOC_MD5, md5Hex('guess')))).body).toBe(S.RES_AUTH_FAILED);
    expect((await post(S.REQ_SET_DND.replace(/setDND/g, 'setdnd'))).body).toBe(S.RES_UNKNOWN_COMMAND);
    expect((await post(S.REQ_SET_DND.replace(/setDND/g, 'dialNumber'))).body).toBe(S.RES_UNKNOWN_COMMAND);
    expect(engine.user('alice').dnd).toBe(false);
  });
});

describe('checks on requests', () => {
  it('code 11 for anything malformed, and nothing happens', async () => {
    await start({ style: 'wellformed' });
    const invalid = [
      '<kpbx_request><setDND><username>pippo</username>',
      'DND=1',
      S.REQ_SET_DND.replace('<DND>1</DND>', '<DND>2</DND>'),
      S.REQ_SET_DND.replace('<DND>1</DND>', ''),
      S.REQ_SET_DND.replace('<username>pippo</username>', ''),
      S.REQ_SET_DND.replace(/kpbx_request/g, 'request'),
      S.REQ_CALL_625.replace('625', ' '),
      S.REQ_SET_DND.replace('</setDND>', '</setDND><hangupcall/>'),
      '<kpbx_request/>',
    ];
    for (const body of invalid) {
      const r = await post(body);
      expect(r.status, body).toBe(200);
      expect(r.body, body).toContain('<code>11</code>');
    }
    expect((await post(S.REQ_SET_DND, { contentType: 'application/json' })).body).toContain('<code>11</code>');
    expect(engine.user('alice').dnd).toBe(false);
    expect(engine.listCalls()).toEqual([]);
  });

  it('answers only POST on /', async () => {
    await start();
    expect((await post('', { method: 'GET' })).status).toBe(405);
    expect((await post(S.REQ_SET_DND, { path: '/api' })).status).toBe(404);
  });

  it('well-formed style: every answer is XML that validates, wrapped in the command name', async () => {
    await start({ style: 'wellformed' });
    engine.inboundCall('+390612345678', '201', 'Rossi & <Figli>');
    for (const req of [S.REQ_ACTIVE_CALL_INFO, S.REQ_SET_DND, S.REQ_PAUSE, S.REQ_SET_DND.replace('pippo', 'x'), S.REQ_SET_DND.replace(/setDND/g, 'nope'), 'junk']) {
      const { body } = await post(req);
      expect(XMLValidator.validate(body), body).toBe(true);
    }
    const { body } = await post(S.REQ_ACTIVE_CALL_INFO);
    expect(body).toMatch(/^<\?xml version="1.0" encoding="UTF-8"\?>\n<kpbx_response><activeCallInfo><error_code><code>0<\/code>/);
    expect(body).toContain('<remote_name>Rossi &amp; &lt;Figli&gt;</remote_name>');
  });
});

describe('starting the simulator', () => {
  it('acts for the first user by default, and refuses an agent the scenario lacks', async () => {
    const { engine: e } = testEngine();
    const s = await startKalliopeSimulator({ engine: e, port: 0 });
    expect(s).toMatchObject({ agent: 'alice', username: 'alice', password: 'kalliope-sim' });
    await s.close();
    await expect(startKalliopeSimulator({ engine: e, port: 0, agent: 'zed' })).rejects.toThrow(/agent "zed" is not a user/);
  });

  it('prints a config entry that works: insecureTls on loopback', async () => {
    const { engine: e } = testEngine();
    const s = await startKalliopeSimulator({ engine: e, port: 0 });
    try {
      expect(s.configExample).toEqual({ type: 'kalliope', url: s.server.url, username: 'alice', password: 'kalliope-sim', insecureTls: true });
      const { type: _t, ...entry } = s.configExample;
      const b = await buildBackend(entry, '/');
      await b.setDnd!({ enabled: true });
      expect(e.user('alice').dnd).toBe(true);
      await b.close();
    } finally {
      await s.close();
    }
  });

  it('writes oldest_arrival in the PBX local time zone', () => {
    expect(localTime('2026-01-05T09:00:00.000Z', 'Europe/Rome')).toBe('2026-01-05 10:00:00');
    expect(localTime('2026-07-05T23:30:05.000Z', 'Europe/Rome')).toBe('2026-07-06 01:30:05');
    expect(localTime('2026-07-05T23:30:05.000Z', 'UTC')).toBe('2026-07-05 23:30:05');
  });
});
