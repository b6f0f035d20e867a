/**
 * XUC callback lists: the pipe CSV the import sends (the doc's header and dialect, values that cannot break a row),
 * the ticket export's two shapes, ACLs (refused before sending when the token lists them, named when XUC refuses),
 * and the errors of a list or period XUC does not know, over real HTTP against the simulator.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { unsafeDialable } from '../../../src/backends/backend.js';
import {
  aclGrants,
  callbackCsv,
  callbackImportBody,
  EXPORT_ACL,
  IMPORT_ACL,
  parseTicketExport,
  pipeField,
} from '../../../src/backends/xivo/callbacks.js';
import { WEBSERVICE_ACLS } from '../../../src/simulators/xivo/simulator.js';
import { expectBackendError, thrownBackendError } from '../contract.js';
import { rig, type XivoRig } from './harness.js';

describe('callback codec', () => {
  it("writes the doc's header and one pipe-separated line per request, empty fields kept", () => {
    const { csv, changed } = callbackCsv([
      { phoneNumber: unsafeDialable('0230210092'), mobilePhoneNumber: unsafeDialable('0689746321'), firstName: 'John', lastName: 'Doe', company: 'MyCompany', description: 'Call back quickly' },
      { phoneNumber: unsafeDialable('0587963214'), mobilePhoneNumber: unsafeDialable('0789654123'), firstName: 'Alice', lastName: "O'Neill", company: 'YourSociety', dueDate: '2016-08-01', period: 'Afternoon' },
    ]);
    // The doc's curl example, byte for byte.
    expect(csv).toBe(
      'phoneNumber|mobilePhoneNumber|firstName|lastName|company|description|dueDate|period\n0230210092|0689746321|John|Doe|MyCompany|Call back quickly||\n0587963214|0789654123|Alice|O\'Neill|YourSociety||2016-08-01|Afternoon',
    );
    expect(changed).toBe(0);
    expect(JSON.parse(callbackImportBody('1', csv))).toEqual({ listUuid: '1', csv });
    expect(callbackImportBody('1', 'a\nb')).toBe('{"listUuid":"1","csv":"a\\nb"}');
  });

  it('replaces what the dialect cannot carry: a pipe, and every kind of line break', () => {
    expect(pipeField('a|b')).toEqual({ value: 'a¦b', changed: true });
    expect(pipeField('one\r\ntwo\nthree\rfour\u2028five\u0085six\u000bseven')).toEqual({ value: 'one two three four five six seven', changed: true });
    expect(pipeField('"quoted", with commas; and \'apostrophes\'')).toEqual({ value: '"quoted", with commas; and \'apostrophes\'', changed: false });
    const { csv, changed } = callbackCsv([{ phoneNumber: unsafeDialable('202'), description: 'x|y\nz', company: 'a|b' }]);
    expect(csv.split('\n')).toHaveLength(2);
    expect(csv.split('\n')[1]!.split('|')).toHaveLength(8);
    expect(changed).toBe(2);
  });

  it('reads the ticket export as CSV, or wrapped in {"res":"success","data":...}', () => {
    const csv = 'phoneNumber|status\n+390612345678|Answered\n';
    expect(parseTicketExport(csv)).toBe(csv);
    expect(parseTicketExport(JSON.stringify({ res: 'success', data: csv }))).toBe(csv);
    expect(parseTicketExport(JSON.stringify({ res: 'success', data: { csv } }))).toBe(csv);
    expect(parseTicketExport(JSON.stringify(csv))).toBe(csv);
    expect(parseTicketExport('')).toBe('');
    expect(parseTicketExport('{"res":"success"}')).toBe('');
    expect(parseTicketExport('"first|field"|x\n')).toBe('"first|field"|x\n');
    expect(thrownBackendError(() => parseTicketExport('{"res":"success","data":{"rows":3}}')).code).toBe('unreadable');
  });

  it('matches XiVO ACL patterns: * one segment, # any number', () => {
    expect(aclGrants([IMPORT_ACL], IMPORT_ACL)).toBe(true);
    expect(aclGrants(['xuc.rest.callback_lists.*.csv.create'], EXPORT_ACL)).toBe(true);
    expect(aclGrants(['xuc.rest.callback_lists.#'], EXPORT_ACL)).toBe(true);
    expect(aclGrants(['xuc.#'], IMPORT_ACL)).toBe(true);
    expect(aclGrants(['xuc.rest.#.create'], IMPORT_ACL)).toBe(true);
    expect(aclGrants(['xuc.rest.callback_lists.*'], IMPORT_ACL)).toBe(false);
    expect(aclGrants(['xuc.rest.callback_lists.callback_requests.csv.read'], IMPORT_ACL)).toBe(false);
    expect(aclGrants(WEBSERVICE_ACLS.filter((a) => !a.includes('callback')), IMPORT_ACL)).toBe(false);
    expect(aclGrants([], IMPORT_ACL)).toBe(false);
  });
});

describe('callback lists over HTTP', () => {
  let r: XivoRig;
  afterEach(() => r.close());

  const setup = async (simOpts: Parameters<typeof rig>[0] = {}) => {
    r = await rig(simOpts);
    const ws = await r.backend();
    await ws.connect();
    r.sim.server.resetStats();
    return { ws, list: r.sim.callbackListUuid('support')! };
  };
  const sent = (path: string) => r.sim.server.log.filter((q) => q.path === `/xuc/api/2.0/callback_lists/${path}/csv`);

  it('posts {listUuid, csv} as text/json, as the doc shows', async () => {
    const { ws, list } = await setup();
    await ws.importCallbacks!({ listUuid: list, requests: [{ phoneNumber: unsafeDialable('+390612345678'), lastName: 'Rossi' }] });
    const [q] = sent('callback_requests');
    expect(q!.method).toBe('POST');
    expect(q!.headers['content-type']).toBe('text/json');
    expect(JSON.parse(q!.body)).toEqual({ listUuid: list, csv: 'phoneNumber|mobilePhoneNumber|firstName|lastName|company|description|dueDate|period\n+390612345678|||Rossi||||' });
    // Defaults XUC fills in: today, and the list's default period.
    expect(r.sim.callbackLists.get(list)!.requests[0]).toMatchObject({ phoneNumber: '+390612345678', period: 'Morning', dueDate: expect.stringMatching(/^\d{4}-\d{2}-\d{2}$/) });
  });

  it('the simulator splits at every pipe: an unescaped one is refused whole (so the adapter must replace it)', async () => {
    const { ws, list } = await setup();
    const raw = 'phoneNumber|mobilePhoneNumber|firstName|lastName|company|description|dueDate|period\n+390612345678|||Rossi|A|B|||\n';
    const e = await expectBackendError(
      ws.client.send({ method: 'POST', path: 'callback_lists/callback_requests/csv', contentType: 'text/json', body: callbackImportBody(list, raw), read: false, what: 'import' }),
      ['invalid'],
    );
    expect(e.code).toBe('JsonErrorDecoding');
    expect(r.sim.callbackLists.get(list)!.requests).toEqual([]);
  });

  it('a web-service user whose token lacks the ACL is refused before anything is sent, naming the ACL', async () => {
    const { ws, list } = await setup({ webserviceAcls: WEBSERVICE_ACLS.filter((a) => !a.includes('callback')) });
    const e = await expectBackendError(ws.importCallbacks!({ listUuid: list, requests: [{ phoneNumber: unsafeDialable('202') }] }), ['auth']);
    expect(e.message).toBe(`XUC user "xuc-ws" may not import 1 callback request into callback list ${list}: XUC requires the ACL ${IMPORT_ACL}, which its token does not grant`);
    expect(e.hint).toBe(`A XiVO administrator grants ${IMPORT_ACL} to web-service user "xuc-ws". Nothing was sent.`);
    const x = await expectBackendError(ws.exportCallbackTickets!({ listUuid: list }), ['auth']);
    expect(x.message).toContain(`XUC requires the ACL ${EXPORT_ACL}`);
    expect(sent('callback_requests')).toEqual([]);
    expect(sent('callback_tickets')).toEqual([]);
  });

  it("when the token does not list ACLs, XUC's 403 names the ACL", async () => {
    const { ws, list } = await setup({ webserviceAcls: [IMPORT_ACL], aclsInToken: false });
    await ws.importCallbacks!({ listUuid: list, requests: [{ phoneNumber: unsafeDialable('202') }] });
    const e = await expectBackendError(ws.exportCallbackTickets!({ listUuid: list }), ['auth']);
    expect(e.message).toBe(`XUC user "xuc-ws" is not allowed to export the tickets of callback list ${list}: XUC requires the ACL ${EXPORT_ACL} (Forbidden, HTTP 403)`);
    expect(e.hint).toMatch(/^A XiVO administrator grants xuc\.rest\.callback_lists\.callback_tickets\.csv\.create to this web-service user\. Nothing was done\.$/);
  });

  it('a period the list does not define: refused, said what to check; an unknown list: outcome unknown (import) or unavailable (export)', async () => {
    const { ws, list } = await setup();
    const e = await expectBackendError(ws.importCallbacks!({ listUuid: list, requests: [{ phoneNumber: unsafeDialable('202'), period: 'Evening' }] }), ['invalid']);
    expect(e.message).toMatch(/^XUC refused the import into callback list .* \(JsonErrorDecoding\): a list it does not know, a period the list does not define, or a date it does not take$/);
    expect(e.hint).toMatch(/CCManager/);
    const u = await expectBackendError(ws.importCallbacks!({ listUuid: 'no-such-list', requests: [{ phoneNumber: unsafeDialable('202') }] }), ['outcome_unknown']);
    expect(u.code).toBe('NotHandledError');
    expect(sent('callback_requests').filter((q) => q.body.includes('no-such-list'))).toHaveLength(1);
    await expectBackendError(ws.exportCallbackTickets!({ listUuid: 'no-such-list' }), ['unavailable']);
  });

  it('reads the ticket export in both shapes the simulator can answer', async () => {
    for (const callbackExport of ['csv', 'json'] as const) {
      const { ws, list } = await setup({ callbackExport });
      await ws.importCallbacks!({ listUuid: list, requests: [{ phoneNumber: unsafeDialable('+390612345678'), description: 'about | the order' }] });
      r.sim.processCallbacks(list, { status: 'Callback', comment: 'no answer' });
      const csv = await ws.exportCallbackTickets!({ listUuid: list });
      expect(csv.split('\n')[0]).toBe('phoneNumber|mobilePhoneNumber|firstName|lastName|company|description|dueDate|period|start|lastUpdate|status|comment|agent');
      expect(csv.split('\n')[1]).toMatch(/^\+390612345678\|\|\|\|\|about ¦ the order\|\d{4}-\d{2}-\d{2}\|Morning\|.*\|Callback\|no answer\|2000$/);
      await r.close();
    }
    r = await rig();
  });

  it('a CTI entry has no callback lists, and says which user type has', async () => {
    r = await rig();
    const cti = await r.backend({ cti: true });
    expect(cti.capabilities.has('importCallbacks')).toBe(false);
    expect(cti.whyUnsupported('importCallbacks')).toMatch(/callback lists needs a web-service user: use a PBX entry of this XUC with userType "webservice"/);
  });
});
