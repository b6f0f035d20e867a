/**
 * The xCALLY phone bar simulator over raw HTTP: every documented method, both dialects, asserting on the engine;
 * mostly in the reading that uses status words (the block on readings covers the others).
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { ManualClock } from '../../src/util/clock.js';
import type { PbxEngine } from '../../src/simulators/engine/engine.js';
import { decodeJson, decodeXml, type XcAnswer } from '../../src/backends/xcally/codec.js';
import { XCALLY_READINGS, startXcallySimulator, typographic, type XcallySimulator } from '../../src/simulators/xcally/simulator.js';
import { SIMULATORS } from '../../src/simulators/index.js';
import { engine as testEngine } from '../helpers/scenario.js';

let e: PbxEngine;
let clock: ManualClock;
let sim: XcallySimulator;

beforeEach(async () => {
  ({ engine: e, clock } = testEngine());
  sim = await startXcallySimulator({ engine: e, agent: 'alice', reading: 'words' });
});
afterEach(async () => {
  await sim.close();
  e.close();
});

async function get(path: string, method = 'GET'): Promise<{ status: number; body: string; type: string }> {
  const res = await fetch(`${sim.server.url}${path}`, { method });
  return { status: res.status, body: await res.text(), type: res.headers.get('content-type') ?? '' };
}

/** A JSON call: HTTP 200 and the decoded answer. */
async function json(path: string): Promise<XcAnswer> {
  const r = await get(`/xcally/svc/${path}`);
  expect(r.status, path).toBe(200);
  expect(r.type).toMatch(/^application\/json/);
  return decodeJson(r.body);
}

/** The same method in the XML dialect: /xcally/svc/{method}/xml[/{param}]. */
async function xml(method: string, param?: string): Promise<XcAnswer> {
  const r = await get(`/xcally/svc/${method}/xml${param === undefined ? '' : `/${encodeURIComponent(param)}`}`);
  expect(r.status, method).toBe(200);
  expect(r.type).toMatch(/^application\/xml/);
  return decodeXml(r.body);
}

const mine = () => e.listCalls('alice');

describe('xCALLY phone bar simulator', () => {
  it('is registered for `telephony-mcp simulate xcally` on the documented port, with its readings of the doc', () => {
    expect(SIMULATORS.xcally).toMatchObject({ vendor: 'xcally', defaultPort: 9888 });
    expect(Object.keys(SIMULATORS.xcally!.readings!)).toEqual(Object.keys(XCALLY_READINGS));
    expect(Object.keys(XCALLY_READINGS)[0]).toBe('doc');
    expect(sim.configExample).toEqual({ type: 'xcally', url: sim.server.url, agent: '201' });
  });

  it('channels: empty, then the agent\'s calls named by the other party, in both dialects', async () => {
    expect(await json('channels')).toEqual({ method: 'channels', ok: true, rows: [] });
    expect(await xml('channels')).toEqual({ method: 'channels', ok: true, rows: [] });
    e.setAnswerMode('alice', 'manual');
    const c = e.inboundCall('+390612345678', '201');
    clock.advance(3000);
    const j = await json('channels');
    expect(j.rows).toEqual([
      {
        fields: expect.objectContaining({ extension: '+390612345678', uniqueid: c.id, status: 'RINGING', event: '', queue: '', codec: 'PCMU' }),
        duration: 3,
      },
    ]);
    expect(Object.keys(j.rows[0]!.fields).sort()).toEqual(['calldata', 'channel', 'codec', 'duration', 'event', 'extension', 'queue', 'status', 'uniqueid']);
    const x = await xml('channels');
    expect(x.rows).toEqual(j.rows);
    expect((await get('/xcally/svc/channels/xml')).body).toMatch(/^<root xmlns:xsi="[^"]+" xmlns:xsd="[^"]+"> <method>channels<\/method> <response>true<\/response> <row> <extension>\+390612345678<\/extension> <queue\/> <calldata\/> <channel>SIP\/201-[0-9]{8}<\/channel> <evt\/>/);
  });

  it('channel/{n}: the one call with that number, or response false', async () => {
    const c = e.inboundCall('+390612345678', '201');
    e.placeCall('bob', '203');
    expect((await json('channel/%2B390612345678')).rows.map((r) => r.fields.uniqueid)).toEqual([c.id]);
    expect((await xml('channel', '+390612345678')).rows.map((r) => r.fields.uniqueid)).toEqual([c.id]);
    expect((await json('channel/203')).ok).toBe(false);
    expect((await xml('channel', '999')).ok).toBe(false);
  });

  it('originate/{n}: the agent calls the number; a refusal of the PBX is response false', async () => {
    expect(await json('originate/202')).toEqual({ method: 'originate', ok: true, rows: [] });
    expect(mine()).toEqual([expect.objectContaining({ fromUser: 'alice', to: { number: '202', name: 'Bob' }, state: 'ringing' })]);
    e.hangup('alice');
    expect((await xml('originate', '+390612345678')).ok).toBe(true);
    expect(mine()[0]!.to.number).toBe('+390612345678');
    e.hangup('alice');
    e.setDnd('carol', true);
    expect(await json('originate/203')).toEqual({ method: 'originate', ok: false, rows: [] });
    expect((await json('originate')).ok).toBe(false);
    expect(mine()).toEqual([]);
  });

  it('answer: the ringing call connects; with none ringing, response false', async () => {
    expect((await json('answer')).ok).toBe(false);
    e.setAnswerMode('alice', 'manual');
    const c = e.inboundCall('+390612345678', '201');
    expect((await json('answer')).ok).toBe(true);
    expect(e.call(c.id).state).toBe('connected');
    const d = e.inboundCall('+393471234567', '201');
    expect((await xml('answer')).ok).toBe(true);
    expect(e.call(d.id).state).toBe('connected');
  });

  it('holding/{n}: toggles hold on that call; with no call, toggles the agent\'s pause', async () => {
    const c = e.inboundCall('+390612345678', '201');
    clock.advance(1000);
    expect((await json('holding/%2B390612345678')).ok).toBe(true);
    expect(e.call(c.id).state).toBe('on_hold');
    expect((await json('channels')).rows[0]!.fields.status).toBe('HOLD');
    expect((await xml('holding', '+390612345678')).ok).toBe(true);
    expect(e.call(c.id).state).toBe('connected');
    expect((await json('holding/999')).ok).toBe(false);
    e.hangup('alice');
    expect((await json('holding/201')).ok).toBe(true);
    expect(e.user('alice').queues.every((q) => q.paused)).toBe(true);
    expect((await json('holding')).ok).toBe(true);
    expect(e.user('alice').queues.some((q) => q.paused)).toBe(false);
  });

  it('hangup/{n}: that call ends; an unknown number is response false', async () => {
    const c = e.inboundCall('+390612345678', '201');
    clock.advance(1000);
    expect((await json('hangup/555')).ok).toBe(false);
    expect((await json('hangup/%2B390612345678')).ok).toBe(true);
    expect(() => e.call(c.id)).toThrow();
    e.placeCall('alice', '202');
    expect((await xml('hangup', '202')).ok).toBe(true);
    expect(mine()).toEqual([]);
  });

  it('transfer/{n}: the active call moves to the number and the agent leaves it', async () => {
    const c = e.inboundCall('+390612345678', '201');
    clock.advance(1000);
    expect((await json('transfer/203')).ok).toBe(true);
    expect(e.call(c.id)).toMatchObject({ from: { number: '+390612345678' }, to: { number: '203' } });
    expect(mine()).toEqual([]);
    expect((await xml('transfer', '203')).ok).toBe(false);
  });

  it('atxfer/{n}: the active call is held and the number called; hanging that up completes the transfer', async () => {
    const c = e.inboundCall('+390612345678', '201');
    clock.advance(1000);
    expect((await json('atxfer/203')).ok).toBe(true);
    expect(e.call(c.id).state).toBe('on_hold');
    expect((await json('channels')).rows.map((r) => [r.fields.extension, r.fields.status])).toEqual([
      ['+390612345678', 'HOLD'],
      ['203', 'RINGING'],
    ]);
    clock.advance(1000);
    expect((await json('hangup/203')).ok).toBe(true);
    expect(e.call(c.id)).toMatchObject({ state: 'connected', from: { number: '+390612345678' }, to: { number: '203' } });
    expect(mine()).toEqual([]);
    const d = e.inboundCall('+393471234567', '201');
    clock.advance(1000);
    expect((await xml('atxfer', '202')).ok).toBe(true);
    expect(e.call(d.id).state).toBe('on_hold');
  });

  it('runs the documented conference recipe over the engine: answer A, holding/A, originate/B, conference/A, hangup/A, hangup/B', async () => {
    e.setAnswerMode('alice', 'manual');
    const a = e.inboundCall('+390612345678', '201');
    expect((await json('answer')).ok).toBe(true);
    expect((await json('holding/%2B390612345678')).ok).toBe(true);
    expect((await json('conference/%2B390612345678')).ok).toBe(false); // no second call yet
    expect((await json('originate/202')).ok).toBe(true);
    clock.advance(1000);
    expect((await json('conference/%2B390612345678')).ok).toBe(true);
    expect(e.call(a.id).participants?.map((p) => p.number).sort()).toEqual(['+390612345678', '201', '202']);
    const legs = (await json('channels')).rows.map((r) => [r.fields.extension, r.fields.uniqueid, r.fields.status]);
    expect(legs).toEqual([
      ['+390612345678', a.id, 'ACTIVE'],
      ['202', a.id, 'ACTIVE'],
    ]);
    expect((await xml('channels')).rows.map((r) => r.fields.uniqueid)).toEqual([a.id, a.id]);
    expect((await json('hangup/%2B390612345678')).ok).toBe(true);
    expect(e.call(a.id)).toMatchObject({ state: 'connected', from: { number: '201' }, to: { number: '202' } });
    expect((await json('hangup/202')).ok).toBe(true);
    expect(e.listCalls()).toEqual([]);
  });

  it('conference in the XML dialect', async () => {
    const a = e.inboundCall('+390612345678', '201');
    clock.advance(1000);
    e.hold('alice', a.id, true);
    e.placeCall('alice', '203');
    clock.advance(1000);
    expect((await xml('conference', '+390612345678')).ok).toBe(true);
    expect(e.call(a.id).participants).toHaveLength(3);
  });

  it('recents, queues, peer and reload answer in both dialects', async () => {
    e.placeCall('alice', '202');
    clock.advance(5000);
    e.hangup('alice');
    const r = await json('recents');
    expect(r.rows[0]).toEqual({ fields: expect.objectContaining({ extension: '202', type: 'outgoing', status: 'ANSWERED' }), duration: 4 });
    expect((await xml('recents')).rows).toEqual(r.rows);
    expect((await json('queues')).rows).toEqual([{ fields: { queue: 'sales', extension: '601', status: 'READY', waiting: '0' } }]);
    expect((await xml('queues')).rows).toHaveLength(1);
    expect((await json('peer')).rows[0]!.fields).toMatchObject({ extension: '201', status: 'OK' });
    expect((await xml('peer')).rows[0]!.fields.extension).toBe('201');
    expect(await json('reload')).toEqual({ method: 'reload', ok: true, rows: [] });
    expect((await xml('reload')).ok).toBe(true);
  });

  it('answers only the documented paths: unknown methods and extra segments are 404, other verbs 405', async () => {
    expect((await get('/xcally/svc/dial/202')).status).toBe(404);
    expect((await get('/xcally/svc/originate/202/x')).status).toBe(404);
    expect((await get('/xcally/svc/answer/123/4')).status).toBe(404);
    expect((await get('/xcally/svc/reload/1')).status).toBe(404);
    expect((await get('/xcally/svc/channels/xml/1/2')).status).toBe(404);
    expect((await get('/api/calls')).status).toBe(404);
    expect((await get('/xcally/svc/__proto__')).status).toBe(404);
    expect((await get('/xcally/svc/originate/202', 'POST')).status).toBe(405);
    expect((await get('/xcally/svc/originate/%E0%A4%A')).status).toBe(400);
    expect(mine()).toEqual([]);
  });

  it('can quote its JSON like the vendor sample, which still decodes to the same answer', async () => {
    e.inboundCall('+390612345678', '201');
    const plain = (await get('/xcally/svc/channels')).body;
    sim.setTypographicQuotes(true);
    const curly = (await get('/xcally/svc/channels')).body;
    expect(curly).toBe(typographic(plain));
    expect(curly).toMatch(/^\{\u201Cmethod\u201D:\u201Dchannels\u201D,\u201Dresponse\u201D:\u201Dtrue\u201D/);
    expect(curly).toContain('\u2033');
    expect(() => JSON.parse(curly)).toThrow();
    expect(decodeJson(curly)).toEqual(decodeJson(plain));
  });
});

describe('the readings of what the doc leaves open', () => {
  async function start(reading: keyof typeof XCALLY_READINGS) {
    await sim.close();
    sim = await startXcallySimulator({ engine: e, agent: 'alice', reading });
  }

  it("doc (the default): every row says ACTIVE, ringing, held or connected; answer/{n} is not found", async () => {
    await sim.close();
    sim = await startXcallySimulator({ engine: e, agent: 'alice' });
    expect(sim.reading).toEqual({ status: 'active', extension: 'other', answer: 'bare' });
    e.setAnswerMode('alice', 'manual');
    const a = e.inboundCall('+390612345678', '201');
    expect((await json('channels')).rows.map((r) => [r.fields.extension, r.fields.status])).toEqual([['+390612345678', 'ACTIVE']]);
    expect((await get('/xcally/svc/answer/%2B390612345678')).status).toBe(404);
    expect((await json('answer')).ok).toBe(true);
    expect((await json('holding/%2B390612345678')).ok).toBe(true);
    expect(e.call(a.id).state).toBe('on_hold');
    expect((await json('channels')).rows[0]!.fields.status).toBe('ACTIVE');
    expect((await xml('channels')).rows[0]!.fields.status).toBe('ACTIVE');
  });

  it("own-line: extension is the agent's own line, and paths naming it act on the agent's first call", async () => {
    await start('own-line');
    const a = e.inboundCall('+390612345678', '201');
    clock.advance(1000);
    e.hold('alice', a.id, true);
    const c = e.inboundCall('+393471234567', '201');
    clock.advance(1000);
    expect((await json('channels')).rows.map((r) => [r.fields.extension, r.fields.uniqueid])).toEqual([
      ['201', a.id],
      ['201', c.id],
    ]);
    // The other party's number names nothing here; the agent's own line names the first call, whichever was meant.
    expect((await json('hangup/%2B393471234567')).ok).toBe(false);
    expect((await json('channel/201')).rows.map((r) => r.fields.uniqueid)).toEqual([a.id]);
    expect((await json('hangup/201')).ok).toBe(true);
    expect(mine().map((x) => x.id)).toEqual([c.id]);
  });

  it('words: answer/{n} answers that ringing call, and bare answer the first one', async () => {
    e.setAnswerMode('alice', 'manual');
    const a = e.inboundCall('+390612345678', '201');
    const c = e.inboundCall('+393471234567', '201');
    expect((await json('answer/%2B393471234567')).ok).toBe(true);
    expect(e.call(c.id).state).toBe('connected');
    expect(e.call(a.id).state).toBe('ringing');
    expect((await json('answer/%2B393471234567')).ok).toBe(false);
    expect((await xml('answer')).ok).toBe(true);
    expect(e.call(a.id).state).toBe('connected');
  });

  it('`simulate xcally --reading` takes a reading by name', async () => {
    await sim.close();
    const r = await SIMULATORS.xcally!.start({ engine: e, port: 0, reading: 'own-line' });
    sim = r as XcallySimulator;
    expect(sim.reading).toEqual(XCALLY_READINGS['own-line'].reading);
  });
});
