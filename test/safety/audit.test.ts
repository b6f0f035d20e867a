/** The audit trail keeps entries small whatever the arguments: long strings become a hash summary, deep or wide
 * values are cut (L2). */
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { silentLogger } from '../../src/log.js';
import { Audit, summarize, type AuditEntry } from '../../src/safety/audit.js';
import { addSecret } from '../../src/safety/redact.js';
import { ALL_TOOLS } from '../../src/tools/index.js';
import { env, testApp } from '../helpers/app.js';

const sha256 = (s: string) => createHash('sha256').update(s, 'utf8').digest('hex');

function bigCsv(bytes: number): string {
  const rows = ['firstname,lastname,number'];
  for (let i = 0, n = 0; n < bytes; i++) {
    const row = `Name${i},Sürname${i},+39061234${String(i).padStart(4, '0')}`;
    rows.push(row);
    n += row.length + 2;
  }
  return `${rows.join('\r\n')}\r\n`.slice(0, bytes);
}

function newAudit(keep = 200): { audit: Audit; file: string } {
  const file = join(mkdtempSync(join(tmpdir(), 'audit-')), 'audit.jsonl');
  return { audit: new Audit(file, keep, silentLogger), file };
}

const base: Omit<AuditEntry, 'time' | 'args'> = {
  session: 'session-1',
  principal: 'token:unit',
  client: 'unit',
  tool: 'manage_contacts',
  pbx: 'office',
  user: 'alice',
  confirmation: 'not_required',
  outcome: 'confirmation_required',
};

describe('audit entry bounds (L2)', () => {
  it('stores a 2 MB csv argument as a small summary with its hash, in memory and in the file', async () => {
    const csv = bigCsv(2_000_000);
    expect(csv.length).toBe(2_000_000);
    const { audit, file } = newAudit();
    const e = audit.record({ ...base, args: { pbx: 'office', action: 'import_csv', csv } });
    await audit.close();
    const stored = JSON.stringify(audit.recent()[0]);
    const line = readFileSync(file, 'utf8');
    for (const text of [JSON.stringify(e), stored, line]) {
      expect(text.length).toBeLessThan(2048);
      expect(text).toContain(sha256(csv));
    }
    expect(e.args).toEqual({
      pbx: 'office',
      action: 'import_csv',
      csv: { sha256: sha256(csv), chars: 2_000_000, lines: csv.replace(/\r\n$/, '').split('\r\n').length, start: 'firstname,lastname,number Name0,Sürname…' },
    });
    expect(JSON.parse(line)).toMatchObject({ tool: 'manage_contacts', args: { csv: { sha256: sha256(csv) } } });
  });

  it('keeps the whole audit trail small over many large attempts (200 kept entries, 20 file lines)', async () => {
    const { audit, file } = newAudit(200);
    for (let i = 0; i < 20; i++) audit.record({ ...base, args: { action: 'import_csv', csv: bigCsv(2_000_000 - i) } });
    await audit.close();
    expect(JSON.stringify(audit.recent()).length).toBeLessThan(20 * 2048);
    expect(readFileSync(file, 'utf8').length).toBeLessThan(20 * 2048);
  });

  it('keeps the client\'s values as sent in memory, and masks secrets before summarizing in the file line', async () => {
    addSecret('audit-Secret-77');
    const { audit, file } = newAudit();
    const long = `note: audit-Secret-77 ${'x'.repeat(300)}`;
    const e = audit.record({ ...base, args: { to: '202', n: 3, ok: true, token: 'abc', list: ['a', 'b'], note: long, id: 'audit-Secret-77' } });
    // audit://recent shows a session its own arguments: text equal to a secret is not masked there (no oracle).
    expect(e.args).toMatchObject({ to: '202', n: 3, ok: true, token: '***', list: ['a', 'b'], id: 'audit-Secret-77' });
    const note = (e.args as { note: { sha256: string; start: string } }).note;
    expect(note.sha256).toBe(sha256(long));
    await audit.close();
    // The file is the operator's: every registered secret masked, before the long value is cut and hashed.
    const line = JSON.parse(readFileSync(file, 'utf8').trim()) as { args: { id: string; note: { sha256: string; start: string } } };
    expect(line.args.id).toBe('***');
    expect(line.args.note.start).toBe(`note: *** ${'x'.repeat(29)}…`);
    expect(line.args.note.sha256).toBe(sha256(`note: *** ${'x'.repeat(300)}`));
    expect(readFileSync(file, 'utf8')).not.toContain('audit-Secret-77');
  });

  it('bounds wide arrays and objects, deep nesting, and long top-level fields', () => {
    const { audit } = newAudit();
    let deep: unknown = 'bottom';
    for (let i = 0; i < 50; i++) deep = { d: deep };
    const wide = Object.fromEntries(Array.from({ length: 5000 }, (_, i) => [`k${i}`, 'v'.repeat(150)]));
    const e = audit.record({
      ...base,
      client: 'c'.repeat(100_000),
      result: 'r'.repeat(100_000),
      args: { items: Array.from({ length: 100_000 }, (_, i) => `item ${i}`), wide, deep, ['k'.repeat(10_000)]: 1 },
    });
    const text = JSON.stringify(e);
    expect(text.length).toBeLessThan(16_384);
    const args = e.args as { items: unknown[]; wide: Record<string, unknown> };
    expect(args.items.length).toBeLessThanOrEqual(21);
    expect(args.items.at(-1)).toMatch(/more/);
    expect(Object.keys(args.wide).length).toBeLessThanOrEqual(31);
    expect(e.client!.length).toBeLessThanOrEqual(200);
    expect(e.result!.length).toBeLessThanOrEqual(2000);
    void audit.close();
  });
});

describe('audit summaries', () => {
  it('count lines ended by \\r\\n, \\r or \\n, a last line without a break included', () => {
    expect(['a', 'a\n', 'a\nb', 'a\r\nb\r\n', 'a\rb\r', '\n\n', 'a\r\n\r\nb'].map((x) => summarize(x).lines)).toEqual([1, 1, 2, 2, 2, 2, 3]);
    expect(summarize('short')).toEqual({ sha256: sha256('short'), chars: 5, lines: 1, start: 'short' });
  });
});

describe('audit of an unconfirmed import_csv through the runner', () => {
  it('keeps the entry and the file line small', async () => {
    const t = await testApp();
    try {
      const csv = bigCsv(1_999_000);
      const tool = ALL_TOOLS.find((x) => x.name === 'manage_contacts')!;
      for (let i = 0; i < 3; i++) await t.app.runner.run(tool, { action: 'import_csv', csv }, env());
      const recent = t.app.audit.recent();
      expect(recent).toHaveLength(3);
      expect(recent[0]).toMatchObject({ tool: 'manage_contacts', args: { action: 'import_csv', csv: { sha256: sha256(csv), chars: csv.length } } });
      expect(JSON.stringify(recent).length).toBeLessThan(3 * 2048);
      await t.app.audit.close();
      const file = readFileSync(`${t.app.config.baseDir}/audit.jsonl`, 'utf8');
      expect(file.trim().split('\n')).toHaveLength(3);
      expect(file.length).toBeLessThan(3 * 2048);
    } finally {
      await t.close();
    }
  });
});

describe('the default audit location', () => {
  it('creates the state directory private (0700) and the file 0600, on the first entry', async () => {
    const state = mkdtempSync(join(tmpdir(), 'xdg-'));
    const file = join(state, 'telephony-mcp', 'audit.jsonl');
    const audit = new Audit(file, 10, silentLogger, { makeDir: true });
    audit.record({ session: 's', principal: 'process:test', tool: 'set_dnd', args: {}, confirmation: 'not_required', outcome: 'done' });
    await audit.close();
    expect(statSync(join(state, 'telephony-mcp')).mode & 0o777).toBe(0o700);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(JSON.parse(readFileSync(file, 'utf8'))).toMatchObject({ tool: 'set_dnd' });
  });
});
