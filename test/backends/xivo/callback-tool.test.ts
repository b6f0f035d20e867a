/**
 * The outbound rules on XiVO's paths, through the runner (in-process app, real HTTP to the XUC simulator): queue
 * dials meet the do-not-call list and the calling hours before XUC is asked; every number of a callback import
 * passes the dial policy before anyone is asked or anything is sent, the confirmation names how many requests will
 * be created and which lines are refused and why, and only the valid requests reach XUC.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { ToolOutcome } from '../../../src/tools/call.js';
import { env, testApp, type TestApp } from '../../helpers/app.js';
import { CTI_PASSWORD, rig, WS, type XivoRig } from './harness.js';

/** "HH:MM" in Rome, `minutes` from now. */
const romeIn = (minutes: number) =>
  new Intl.DateTimeFormat('en-GB', { timeZone: 'Europe/Rome', hour: '2-digit', minute: '2-digit', hourCycle: 'h23' }).format(Date.now() + minutes * 60_000);
// Read once: computed again later, a minute boundary crossed meanwhile would move the expected opening time.
const OPENS = romeIn(120);
const CLOSED = `${OPENS}-${romeIn(180)}`;

let r: XivoRig;
let t: TestApp;
let list: string;
const asked: string[] = [];

beforeAll(async () => {
  r = await rig();
  list = r.sim.callbackListUuid('support')!;
  const dir = mkdtempSync(join(tmpdir(), 'tmcp-cb-'));
  writeFileSync(join(dir, 'dnc.txt'), '# opted out\n+39 02 8765 4321\n+39 347*\n');
  t = await testApp({
    pbxes: {
      office: { type: 'sim', scenario: './scenario.json', defaultUser: 'alice', traffic: false },
      xws: { type: 'xivo', url: r.sim.server.url, login: WS.login, password: WS.password, defaultUser: 'alice' },
      xcti: { type: 'xivo', url: r.sim.server.url, login: 'alice', password: CTI_PASSWORD, userType: 'cti' },
    },
    // Calling hours closed now: a callback is scheduled, nobody is rung now, so they do not apply to an import.
    safety: { dialPolicy: { defaultCountry: 'IT', doNotCall: join(dir, 'dnc.txt'), callingHours: { IT: CLOSED } } },
  });
});
afterAll(async () => {
  await t.close();
  await r.close();
});
beforeEach(() => {
  asked.length = 0;
  r.sim.callbackLists.get(list)!.requests.length = 0;
  r.sim.server.resetStats();
});

const tool = () => t.app.tools.find((x) => x.name === 'callback_lists')!;
const run = (args: Record<string, unknown>, elicit = true): Promise<ToolOutcome> =>
  t.app.runner.run(tool(), { pbx: 'xws', ...args }, env(elicit ? { elicit: async (m) => (asked.push(m), { answer: 'accept', confirm: true }) } : {}));
/** The confirm_token of a confirmation_required outcome. */
function tokenOf(o: ToolOutcome): string {
  if (!o.ok) throw new Error(o.message);
  return o.structured.confirm_token as string;
}
const imports = () => r.sim.server.log.filter((q) => q.path.endsWith('/callback_lists/callback_requests/csv'));

describe('queue dials', () => {
  const dial = (args: Record<string, unknown>) => t.app.runner.run(t.app.tools.find((x) => x.name === 'place_call')!, { pbx: 'xws', ...args }, env({ elicit: async () => ({ answer: 'accept', confirm: true }) }));
  const dials = () => r.sim.server.log.filter((q) => q.path.includes('/dial/'));

  it('refuse a listed number or a closed window, from or into a queue, before XUC is asked', async () => {
    for (const args of [
      { to: '+39 02 8765 4321', from_queue_id: 1 },
      { to: '+39 347 000 1111', to_queue: 'support', caller_id: '+39 06 0000 0000' },
    ]) {
      const o = await dial(args);
      expect(o.ok ? o.structured : o.message).toMatch(/^PBX `xws` \(xivo\): Refused by the dial policy \(rule: do_not_call\)/);
    }
    const closed = await dial({ to: '+39 06 1234 5678', from_queue_id: 1 });
    expect(closed.ok ? closed.structured : closed.message).toMatch(
      new RegExp(`rule: calling_hours\\): It is \\d\\d:\\d\\d in Rome; calls to Italy are allowed from ${OPENS}( tomorrow)?\\.`),
    );
    expect(dials()).toEqual([]);
  });
});

describe('callback_lists import', () => {
  it('sends only the requests whose numbers pass the dial policy, and the confirmation names the rest', async () => {
    const o = await run({
      action: 'import',
      list_uuid: list,
      requests: [
        { phone_number: '+39 06 1234 5678', first_name: 'Anna', last_name: 'Rossi', description: 'order 7|B\nurgent', period: 'Afternoon' },
        { phone_number: '02 8765 4321', last_name: 'Listed' },
        { phone_number: '+39 899 123456', last_name: 'Premium' },
        { phone_number: '+39 06 1111 2222', mobile_phone_number: '+39 347 123 4567', last_name: 'Mobile listed' },
        { last_name: 'No number' },
        { phone_number: '112' },
      ],
    });
    expect(asked).toEqual([
      `Create 1 callback request in callback list ${list} on PBX xws? 5 refused lines are left out: line 2 02 8765 4321 (do_not_call); line 3 +39 899 123456 (number_type); line 4 +39 347 123 4567 (do_not_call); line 5 (no phone_number or mobile_phone_number); line 6 112 (emergency). (PBX xws)`,
    ]);
    expect(o.ok).toBe(true);
    const s = (o as { structured: Record<string, unknown> }).structured;
    expect(s).toMatchObject({ status: 'done', created: 1, list_uuid: list });
    expect(s.refused).toEqual([
      { line: 2, number: '02 8765 4321', rule: 'do_not_call', reason: expect.stringMatching(/^Refused by the dial policy \(rule: do_not_call\): \+39 02 8765 4321 is on the do-not-call list .*dnc\.txt; telephony-mcp does not schedule callbacks to it$/) },
      { line: 3, number: '+39 899 123456', rule: 'number_type', reason: expect.stringMatching(/premium rate number, which this server does not schedule a callback to$/) },
      { line: 4, number: '+39 347 123 4567', rule: 'do_not_call', reason: expect.stringContaining('+39 347 123 4567 is on the do-not-call list') },
      { line: 5, reason: 'no phone_number or mobile_phone_number' },
      { line: 6, number: '112', rule: 'emergency', reason: expect.stringContaining('emergency number') },
    ]);
    expect(s.message).toMatch(/^Created 1 callback request in callback list .*\. 5 refused requests were not sent \(see refused\)\. 1 value held a "\|" or a line break/);
    expect(r.sim.callbackLists.get(list)!.requests).toEqual([
      expect.objectContaining({ phoneNumber: '+390612345678', firstName: 'Anna', lastName: 'Rossi', description: 'order 7¦B urgent', period: 'Afternoon' }),
    ]);
  });

  it('refuses, without asking or sending, an import where every request is refused', async () => {
    const o = await run({ action: 'import', list_uuid: list, requests: [{ phone_number: '+39 02 8765 4321' }, { phone_number: '+39 899 123456' }] });
    expect(o).toMatchObject({ ok: false, error: { kind: 'invalid' } });
    expect((o as { message: string }).message).toBe(
      'PBX `xws` (xivo): none of the 2 callback requests can be imported: line 1 +39 02 8765 4321 (do_not_call); line 2 +39 899 123456 (number_type). Nothing was sent. Correct or leave out those requests.',
    );
    expect(asked).toEqual([]);
    expect(imports()).toEqual([]);
  });

  it('refuses a due date that does not exist before asking anyone (XUC would refuse the whole import after the question)', async () => {
    const o = await run({ action: 'import', list_uuid: list, requests: [{ phone_number: '202', due_date: '2026-02-31' }] });
    expect(o).toMatchObject({ ok: false, error: { kind: 'invalid' } });
    expect((o as { message: string }).message).toMatch(/a date that exists/);
    expect(asked).toEqual([]);
    expect(imports()).toEqual([]);
  });

  it('without elicitation, asks with a token bound to the same requests, then imports', async () => {
    const args = { action: 'import', list_uuid: list, requests: [{ phone_number: '202', last_name: 'Desk' }] };
    const first = await run(args, false);
    expect(first).toMatchObject({ ok: true, structured: { status: 'confirmation_required' } });
    expect(imports()).toEqual([]);
    const token = tokenOf(first);
    const changed = await run({ ...args, requests: [{ phone_number: '203' }], confirm_token: token }, false);
    expect(changed).toMatchObject({ ok: false });
    expect(imports()).toEqual([]);
    const again = await run(args, false);
    const done = await run({ ...args, confirm_token: tokenOf(again) }, false);
    expect(done).toMatchObject({ ok: true, structured: { status: 'done', created: 1, refused: [] } });
    expect(r.sim.callbackLists.get(list)!.requests).toEqual([expect.objectContaining({ phoneNumber: '202', lastName: 'Desk' })]);
  });

  it('export_tickets reads without asking', async () => {
    await run({ action: 'import', list_uuid: list, requests: [{ phone_number: '+39 06 1234 5678' }] });
    r.sim.processCallbacks(list);
    asked.length = 0;
    const o = await run({ action: 'export_tickets', list_uuid: list });
    expect(asked).toEqual([]);
    expect(o).toMatchObject({ ok: true, structured: { status: 'done', csv: expect.stringContaining('+390612345678|') } });
  });

  it('export_tickets hands the model at most `limit` tickets, says how many there are, and counts rows as lines', async () => {
    await run({ action: 'import', list_uuid: list, requests: [1, 2, 3].map((i) => ({ phone_number: `+39 06 1234 567${i}`, description: `said "call me at 5 ${i}` })) });
    r.sim.processCallbacks(list);
    const o = await run({ action: 'export_tickets', list_uuid: list, limit: 2 });
    if (!o.ok) throw new Error(o.message);
    const s = o.structured as { csv: string; total: number; truncated?: string };
    expect(s.total).toBeGreaterThanOrEqual(3);
    expect(s.csv.split('\n').filter(Boolean)).toHaveLength(3);
    expect(s.truncated).toMatch(/^the CSV holds the first 2 of \d+ tickets; pass a higher limit/);
  });

  it('is routed only to a web-service XUC entry', async () => {
    const o = await run({ pbx: 'xcti', action: 'export_tickets', list_uuid: list });
    expect(o).toMatchObject({ ok: false, error: { kind: 'unsupported' } });
    expect((o as { message: string }).message).toMatch(/callback lists needs a web-service user/);
  });
});
