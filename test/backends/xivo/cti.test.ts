/** A CTI user's personal contacts and call qualification over real HTTP: wire format, import, export round trip. */
import { describeError } from '../../../src/wording.js';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { XivoBackend } from '../../../src/backends/xivo/backend.js';
import { nextDay } from '../../../src/backends/xivo/range.js';
import { parseCsv } from '../../../src/util/csv.js';
import { rig, type XivoRig } from './harness.js';

let r: XivoRig;
let b: XivoBackend;
beforeEach(async () => {
  r = await rig();
  b = await r.backend({ cti: true });
  await b.connect();
  r.sim.server.resetStats();
});
afterEach(() => r.close());

const store = () => b.contacts!;
const requests = (path: string) => r.sim.server.log.filter((q) => q.path === `/xuc/api/2.0/${path}`);

describe('contacts', () => {
  it('lists without ids (the API has none) and says so; get returns the id', async () => {
    const ada = await store().create({ contact: { firstname: 'Ada', lastname: 'Lovelace', number: '201', email: 'ada@example.com' } });
    await store().create({ contact: { lastname: 'Hopper', mobile: '+393471234567' } });
    expect(store().listHasIds).toBe(false);
    const list = await store().list({});
    expect(list).toEqual(
      expect.arrayContaining([
        { id: '', firstname: 'Ada', lastname: 'Lovelace', number: '201' },
        { id: '', lastname: 'Hopper', mobile: '+393471234567' },
      ]),
    );
    expect(await store().get({ id: ada.id })).toEqual({ id: ada.id, firstname: 'Ada', lastname: 'Lovelace', number: '201', email: 'ada@example.com' });
  });

  it('create sends each documented key once, as JSON, with the token', async () => {
    await store().create({ contact: { firstname: 'Ada', lastname: 'Lovelace', company: 'Engines' } });
    const [q] = requests('contact/personal');
    expect(q).toMatchObject({ method: 'POST' });
    expect(q!.headers['content-type']).toBe('application/json');
    expect(q!.headers.authorization).toMatch(/^Bearer /);
    expect(JSON.parse(q!.body)).toEqual({ firstname: 'Ada', lastname: 'Lovelace', company: 'Engines' });
  });

  it('reads send Content-Type: application/json too, as the doc\'s header tables list it', async () => {
    const ada = await store().create({ contact: { lastname: 'Lovelace' } });
    r.sim.server.resetStats();
    await store().list({});
    await store().get({ id: ada.id });
    const reads = r.sim.server.log.filter((q) => q.method === 'GET' && q.path.startsWith('/xuc/api/2.0/contact/personal'));
    expect(reads.map((q) => q.path)).toEqual(['/xuc/api/2.0/contact/personal', `/xuc/api/2.0/contact/personal/${ada.id}`]);
    for (const q of reads) {
      expect(q.headers['content-type']).toBe('application/json');
      expect(q.body).toBe('');
    }
  });

  describe('update: the whole contact merged, a cleared field left out (every field is optional), "" only if XUC kept it', () => {
    const ADA = { firstname: 'Ada', lastname: 'Lovelace', number: '201', email: 'ada@example.com' };
    const puts = () => r.sim.server.log.filter((q) => q.method === 'PUT').map((q) => JSON.parse(q.body) as Record<string, string>);

    it('a XUC that replaces: one PUT, the cleared field left out', async () => {
      r.sim.settings.contactUpdate = 'replace';
      const c = await store().create({ contact: ADA });
      r.sim.server.resetStats();
      const u = await store().update({ id: c.id, contact: { company: 'Engines', email: '' } });
      expect(u).toEqual({ id: c.id, firstname: 'Ada', lastname: 'Lovelace', number: '201', company: 'Engines' });
      expect(puts()).toEqual([{ firstname: 'Ada', lastname: 'Lovelace', number: '201', company: 'Engines' }]);
      expect(r.sim.server.log.find((q) => q.method === 'PUT')!.path).toBe(`/xuc/api/2.0/contact/personal/${c.id}`);
      expect(r.engine.book('alice').get(c.id).email).toBeUndefined();
    });

    it('a XUC that merges: the kept field is sent again as ""', async () => {
      r.sim.settings.contactUpdate = 'merge';
      const c = await store().create({ contact: ADA });
      r.sim.server.resetStats();
      expect(await store().update({ id: c.id, contact: { company: 'Engines', email: '' } })).toEqual({
        id: c.id,
        firstname: 'Ada',
        lastname: 'Lovelace',
        number: '201',
        company: 'Engines',
      });
      expect(puts()).toEqual([
        { firstname: 'Ada', lastname: 'Lovelace', number: '201', company: 'Engines' },
        { firstname: 'Ada', lastname: 'Lovelace', number: '201', company: 'Engines', email: '' },
      ]);
      expect(r.engine.book('alice').get(c.id).email).toBeUndefined();
      // Nothing cleared: one PUT.
      r.sim.server.resetStats();
      await store().update({ id: c.id, contact: { company: 'Engines Ltd' } });
      expect(puts()).toHaveLength(1);
    });

    it('a XUC that merges and refuses "": the other changes are saved, and the error says the field could not be cleared', async () => {
      r.sim.settings.contactUpdate = 'merge-strict';
      const c = await store().create({ contact: ADA });
      const e = await store()
        .update({ id: c.id, contact: { company: 'Engines', email: '' } })
        .catch((x: unknown) => x);
      expect(e).toMatchObject({ kind: 'conflict', message: expect.stringMatching(/kept email.*the other changes are saved/), hint: expect.stringMatching(/delete the contact and create it again/) });
      expect(r.engine.book('alice').get(c.id)).toMatchObject({ company: 'Engines', email: 'ada@example.com' });
    });
  });

  it('delete and delete_all answer 204', async () => {
    const c = await store().create({ contact: { lastname: 'A' } });
    await store().create({ contact: { lastname: 'B' } });
    await store().delete({ id: c.id });
    expect(r.engine.book('alice').list().map((x) => x.lastname)).toEqual(['B']);
    await store().deleteAll({});
    expect(r.engine.book('alice').list()).toEqual([]);
    expect(r.sim.server.log.filter((q) => q.method === 'DELETE').map((q) => q.path)).toEqual([
      `/xuc/api/2.0/contact/personal/${c.id}`,
      '/xuc/api/2.0/contact/personal',
    ]);
  });

  it('imports a CSV with good and bad lines as multipart `file`: created ids and failed line numbers', async () => {
    await store().create({ contact: { firstname: 'Grace', lastname: 'Hopper', number: '202' } });
    const csv = [
      'company,email,fax,firstname,lastname,mobile,number',
      'corp,jdoe@company.corp,3333,John,Doe,2222,1111',
      ',not-an-email,,,,,',
      'x,y,z,a,b,c,d,too,many',
      ',,,Grace,Hopper,,202',
      '"Quote, ""Inc""",,,Ann,"O\'Neill",,+39 06 1234 5678',
      '',
    ].join('\r\n');
    const result = await store().importCsv({ csv });
    expect(result.created).toEqual([
      { id: expect.any(String), lastname: 'Doe' },
      { id: expect.any(String), lastname: "O'Neill" },
    ]);
    expect(result.failed.map((f) => f.line)).toEqual([3, 4, 5]);
    expect(result.failed[1]!.errors).toEqual(['too many fields']);
    expect(result.failed[2]!.errors[0]).toMatch(/same name and number/);
    expect(await store().get({ id: result.created[1]!.id })).toMatchObject({ company: 'Quote, "Inc"', lastname: "O'Neill" });
    const [q] = requests('contact/import/personal');
    expect(q!.headers['content-type']).toMatch(/^multipart\/form-data; boundary=/);
    expect(q!.body).toMatch(/Content-Disposition: form-data; name="file"; filename="contacts.csv"\r\nContent-Type: text\/csv/);
    expect(r.engine.book('alice').list()).toHaveLength(3);
  });

  it('falls back to the CSV as the raw body when XUC refuses multipart (400)', async () => {
    r.sim.importAccepts = 'raw';
    const result = await store().importCsv({ csv: 'firstname,lastname\nAda,Lovelace\n' });
    expect(result).toEqual({ created: [{ id: expect.any(String), lastname: 'Lovelace' }], failed: [] });
    const [multi, raw] = requests('contact/import/personal');
    expect(multi!.headers['content-type']).toMatch(/^multipart/);
    expect(raw!.headers['content-type']).toBe('text/csv; charset=utf-8');
    expect(raw!.body).toBe('firstname,lastname\nAda,Lovelace\n');
  });

  it('falls back to the raw body when XUC read the multipart envelope as the CSV (201, nothing created, every line failed)', async () => {
    r.sim.importAccepts = 'body-as-csv';
    const result = await store().importCsv({ csv: 'firstname,lastname\nAda,Lovelace\n' });
    expect(result).toEqual({ created: [{ id: expect.any(String), lastname: 'Lovelace' }], failed: [] });
    const [multi, raw] = requests('contact/import/personal');
    expect(multi!.headers['content-type']).toMatch(/^multipart/);
    expect(raw!.headers['content-type']).toBe('text/csv; charset=utf-8');
    expect(r.engine.book('alice').list()).toHaveLength(1);
  });

  it('a CSV whose every line fails is reported with its own lines: the raw body is tried once, refused, and the first answer stands', async () => {
    r.sim.importAccepts = 'multipart';
    const result = await store().importCsv({ csv: 'firstname,lastname,email\nAda,Lovelace,not-an-email\n' });
    expect(result.created).toEqual([]);
    expect(result.failed).toEqual([{ line: 2, errors: [expect.stringMatching(/not an e-mail address/)] }]);
    expect(requests('contact/import/personal')).toHaveLength(2);
  });

  it('an import XUC refuses both ways is reported once, typed; nothing is retried further', async () => {
    const bad = await store()
      .importCsv({ csv: 'name,phone\nAda,1\n' })
      .catch((e: unknown) => e);
    expect(bad).toMatchObject({ kind: 'invalid' });
    expect(requests('contact/import/personal')).toHaveLength(2);
    expect(r.engine.book('alice').list()).toEqual([]);
  });

  it('export has the documented columns, and export -> delete_all -> import -> export is a round trip', async () => {
    await store().create({ contact: { firstname: 'Ada', lastname: 'Lovelace', company: 'Engines, Ltd', email: 'ada@example.com', number: '201' } });
    await store().create({ contact: { firstname: 'Ann', lastname: "O'Neill", company: 'Say "hi"', mobile: '+393471234567', fax: '0612' } });
    const exported = await store().exportCsv({});
    const rows = parseCsv(exported);
    expect(rows[0]).toEqual(['company', 'email', 'fax', 'firstname', 'lastname', 'mobile', 'number']);
    expect(rows).toHaveLength(3);
    expect(requests('contact/export/personal')[0]!.method).toBe('GET');
    await store().deleteAll({});
    const imported = await store().importCsv({ csv: exported });
    expect(imported.created).toHaveLength(2);
    expect(imported.failed).toEqual([]);
    expect(await store().exportCsv({})).toBe(exported);
  });
});

describe('faults on the CTI entry (the contract has no CTI action or read to run them with)', () => {
  it('an action whose connection drops after XUC acted is outcome_unknown, sent once', async () => {
    r.sim.server.inject({ kind: 'reset_after', match: 'contact/personal' });
    const e = await store()
      .create({ contact: { lastname: 'Hopper' } })
      .catch((x: unknown) => x);
    expect(e).toMatchObject({ kind: 'outcome_unknown' });
    expect(describeError(e as never)).toMatch(/Do not retry/);
    expect(requests('contact/personal')).toHaveLength(1);
    expect(r.engine.book('alice').list()).toHaveLength(1);
  });

  it('reads that meet server errors are retried (bounded), then unavailable; garbage is a typed error', async () => {
    r.sim.server.inject({ kind: 'status', status: 502, times: Infinity });
    await expect(store().list({})).rejects.toMatchObject({ kind: 'unavailable' });
    expect(requests('contact/personal')).toHaveLength(3);
    r.sim.server.clearFaults();
    r.sim.server.inject({ kind: 'garbage' });
    await expect(store().list({})).rejects.toMatchObject({ kind: 'unavailable', code: 'unreadable' });
    r.sim.server.inject({ kind: 'garbage' });
    await expect(b.listQualifications!({ queueId: 1 })).rejects.toMatchObject({ kind: 'unavailable' });
    expect(await store().list({})).toEqual([]);
  });

  it('an answer XUC sends without the contact still reports the created contact', async () => {
    r.sim.server.inject({ kind: 'garbage', match: 'contact/personal' });
    expect(await store().create({ contact: { firstname: 'Ada', lastname: 'Lovelace' } })).toEqual({ id: '', firstname: 'Ada', lastname: 'Lovelace' });
    expect(r.engine.book('alice').list()).toHaveLength(1);
  });
});

describe('call qualification', () => {
  it('lists the options of a queue (doc shape), and none for an unknown queue', async () => {
    expect(await b.listQualifications!({ queueId: r.sim.queueId('support')! })).toEqual([
      { id: 6, name: 'General Questions', subQualifications: [{ id: 14, name: 'Common' }, { id: 15, name: 'Technical' }] },
      { id: 5, name: 'Support', subQualifications: [{ id: 12, name: 'Technical' }, { id: 13, name: 'General' }] },
    ]);
    expect(await b.listQualifications!({ queueId: 999 })).toEqual([]);
    expect(requests('call_qualification/queue/1')[0]!.method).toBe('GET');
  });

  it('records an answer with the documented body (time defaults to now) and exports it for its dates', async () => {
    await b.recordQualification!({ answer: { subQualificationId: 14, callId: '1447670380.34', agent: 3, queue: 1, comment: 'called back, "ok"' } });
    const [q] = requests('call_qualification');
    expect(q!.method).toBe('POST');
    const sent = JSON.parse(q!.body) as Record<string, unknown>;
    expect(Object.keys(sent)).toEqual(['sub_qualification_id', 'time', 'callid', 'agent', 'queue', 'first_name', 'last_name', 'comment', 'custom_data']);
    expect(sent).toMatchObject({ sub_qualification_id: 14, callid: '1447670380.34', agent: 3, queue: 1, comment: 'called back, "ok"' });
    expect(sent.time).toMatch(/^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$/);
    const today = (sent.time as string).slice(0, 10);
    const csv = await b.exportQualifications!({ queueId: 1, from: today, to: today });
    // Up to the next day, so that a XUC comparing times with a bare date still includes the whole last day.
    expect(requests(`call_qualification/csv/1/${today}/${nextDay(today)}`)).toHaveLength(1);
    const rows = parseCsv(csv);
    expect(rows[0]).toEqual(['sub_qualification_id', 'time', 'callid', 'agent', 'queue', 'first_name', 'last_name', 'comment', 'custom_data']);
    expect(rows[1]).toEqual(['14', sent.time, '1447670380.34', '3', '1', '', '', 'called back, "ok"', '']);
    expect(parseCsv(await b.exportQualifications!({ queueId: 2, from: today, to: today }))).toHaveLength(1);
  });

  it('exports whole days whatever XUC makes of the bounds: dates, text compared, or times only', async () => {
    for (const time of ['2026-03-01 23:59:59', '2026-03-02 00:00:00', '2026-03-02 23:59:59', '2026-03-03 00:00:00']) {
      await b.recordQualification!({ answer: { subQualificationId: 14, callId: `at ${time}`, agent: 1, queue: 1, time } });
    }
    for (const range of ['dates', 'strings', 'datetimes'] as const) {
      r.sim.settings.qualificationRange = range;
      r.sim.server.resetStats();
      const rows = parseCsv(await b.exportQualifications!({ queueId: 1, from: '2026-03-02', to: '2026-03-02' }));
      expect(rows.slice(1).map((x) => x[1]), range).toEqual(['2026-03-02 00:00:00', '2026-03-02 23:59:59']);
      const paths = r.sim.server.log.map((q) => decodeURIComponent(q.path.replace('/xuc/api/2.0/call_qualification/csv/1/', '')));
      expect(paths, range).toEqual(range === 'datetimes' ? ['2026-03-02/2026-03-03', '2026-03-02 00:00:00/2026-03-02 23:59:59'] : ['2026-03-02/2026-03-03']);
    }
    // The form this XUC took is asked first from then on: no refused request per export.
    r.sim.server.resetStats();
    expect(parseCsv(await b.exportQualifications!({ queueId: 1, from: '2026-03-02', to: '2026-03-02' })).slice(1)).toHaveLength(2);
    expect(r.sim.server.log.map((q) => decodeURIComponent(q.path.replace('/xuc/api/2.0/call_qualification/csv/1/', '')))).toEqual(['2026-03-02 00:00:00/2026-03-02 23:59:59']);
  });

  it('without a timeZone, the default time is UTC and the result says so', async () => {
    const r0 = await b.recordQualification!({ answer: { subQualificationId: 14, callId: 'c', agent: 1, queue: 1 } });
    expect(r0).toEqual({ time: expect.stringMatching(/^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$/), note: expect.stringMatching(/now in UTC.*no timeZone/) });
    const withTz = await r.backend({ cti: true, extra: { timeZone: 'Europe/Paris' } });
    expect(await withTz.recordQualification!({ answer: { subQualificationId: 14, callId: 'c', agent: 1, queue: 1 } })).toEqual({ time: expect.any(String) });
    expect(await withTz.recordQualification!({ answer: { subQualificationId: 14, callId: 'c', agent: 1, queue: 1, time: '2026-01-01 10:00:00' } })).toEqual({
      time: '2026-01-01 10:00:00',
    });
  });

  it('formats the default time in the configured time zone', async () => {
    const paris = await r.backend({ cti: true, extra: { timeZone: 'Pacific/Kiritimati' } });
    await paris.recordQualification!({ answer: { subQualificationId: 14, callId: 'c', agent: 1, queue: 1 } });
    const sent = JSON.parse(requests('call_qualification').at(-1)!.body) as { time: string };
    const utc = new Date().toISOString().slice(0, 19).replace('T', ' ');
    // Kiritimati is UTC+14: the recorded wall-clock time is 14 hours ahead of UTC.
    const diffHours = (Date.parse(sent.time.replace(' ', 'T') + 'Z') - Date.parse(utc.replace(' ', 'T') + 'Z')) / 3_600_000;
    expect(Math.round(diffHours)).toBe(14);
  });
});
