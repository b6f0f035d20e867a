/**
 * Do-not-call lists: the file formats (plain list with comments, prefixes, national and international forms, CSV
 * with a number column), matching through the dial policy for every use, start-up errors that name the key, and
 * re-reading a changed file without a restart (a file that fails keeps the last good list, and the log says why).
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { DialPolicyConfig } from '../../src/safety/policy-config.js';
import { LogHub } from '../../src/log.js';
import { DncParseError, parseDncList, parseDncListAsync } from '../../src/safety/dnc-list.js';
import { DoNotCall } from '../../src/safety/dnc.js';
import { ConfigError, PolicyError } from '../../src/errors.js';
import { loadNumberingPlan } from '../../src/safety/numbering.js';
import { DialPolicy } from '../../src/safety/policy.js';
import type { DialUse } from '../../src/safety/dialing.js';

beforeAll(() => loadNumberingPlan());

const opened: DoNotCall[] = [];
afterEach(() => {
  for (const d of opened.splice(0)) d.close();
});

function tempDir(): string {
  return mkdtempSync(join(tmpdir(), 'tmcp-dnc-'));
}

/** A policy whose do-not-call lists are `files` (name -> content) in a fresh directory. */
async function withLists(files: Record<string, string>, cfg: Record<string, unknown> = {}, log = new LogHub({ level: 'error', write: () => {} })) {
  const dir = tempDir();
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
  const parsed = DialPolicyConfig.parse({ defaultCountry: 'IT', allowInternational: true, doNotCall: Object.keys(files), ...cfg });
  const dnc = await DoNotCall.open(parsed.doNotCall!, { baseDir: dir, defaultCountry: parsed.defaultCountry, log: log.logger(), pollMs: 50 });
  opened.push(dnc);
  return { dir, dnc, policy: new DialPolicy(parsed, [dnc]) };
}

function verdict(p: DialPolicy, n: string, use: DialUse = 'call'): string {
  try {
    p.check(n, use);
    return 'ok';
  } catch (e) {
    if (!(e instanceof PolicyError)) throw e;
    return e.rule === 'do_not_call' ? e.message.replace('Refused by the dial policy (rule: do_not_call): ', '') : `rule ${e.rule}`;
  }
}

async function eventually(fn: () => boolean, what: string, ms = 10_000): Promise<void> {
  const end = Date.now() + ms;
  while (!fn()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

describe('do-not-call list format', () => {
  it('reads numbers and prefixes in international, 00 and national form, with comments and separators', () => {
    const list = parseDncList(
      ['# the register, 2026-03', '+39 06 1234 5678', '0039 02 8765 4321   # a shop', '', '   ', '+44 20*', '06 9999*', '(06) 555-0000', '+1 (212) 555-0123'].join('\n'),
      { csv: false },
    );
    expect(list.size).toBe(6);
    expect(list.nationalEntries).toBe(2);
    expect(list.matches('390612345678', [])).toBe(true);
    expect(list.matches('390287654321', [])).toBe(true);
    expect(list.matches('442079460018', [])).toBe(true);
    expect(list.matches('4420', [])).toBe(true);
    expect(list.matches('442', [])).toBe(false);
    expect(list.matches('390612345679', [])).toBe(false);
    // An exact entry is not a prefix.
    expect(list.matches('3906123456789', [])).toBe(false);
    expect(list.matches('12125550123', [])).toBe(true);
    // National entries match national forms only (leading zeros and lengths kept apart).
    expect(list.matches('3906999912', ['06999912'])).toBe(true);
    expect(list.matches('39', ['6999912'])).toBe(false);
    expect(list.matches('3906', ['065550000'])).toBe(true);
    expect(list.matches('3906', ['65550000'])).toBe(false);
  });

  it('refuses a line that is not a number or prefix, naming its line and never its text', () => {
    const err = (text: string) => {
      try {
        parseDncList(text, { csv: false });
      } catch (e) {
        expect(e).toBeInstanceOf(DncParseError);
        return (e as Error).message;
      }
      return 'parsed';
    };
    expect(err('+390612345678\nMario Rossi 0612345678\n')).toBe(
      'line 2: not a number or prefix (digits with an optional leading +, spaces, dots, dashes, parentheses, and * at the end of a prefix)',
    );
    expect(err('+0612345678')).toBe('line 1: a + must be followed by a country code, which never starts with 0');
    expect(err('1234567890123456')).toBe('line 1: more than 15 digits: not a phone number');
    expect(err('+39 06*1')).toBe('line 1: digits after the prefix mark *');
    expect(err('+39 *')).toBe('parsed');
    expect(err('*')).toBe('line 1: no digits');
    // 00 + 15 digits is a valid international entry.
    expect(err('00 123 456 789 012 345')).toBe('parsed');
  });

  it('reads a CSV by its number column (or the configured one), quoted fields included', () => {
    const csv = 'name,Number,note\r\n"Rossi, Mario",+39 06 1234 5678,"asked on\nthe phone"\r\nBianchi,,no number\r\nVerdi,02 8765 4321,\r\n';
    const list = parseDncList(csv, { csv: true });
    expect(list.size).toBe(2);
    expect(list.matches('390612345678', [])).toBe(true);
    expect(list.matches('39', ['0287654321'])).toBe(true);
    expect(parseDncList('id;x\n+390612345678\n', { csv: true, column: 'ID;X' }).size).toBe(1);
    expect(() => parseDncList('name,fax\nRossi,+390612345678\n', { csv: true })).toThrow(/line 1: no number column in the header row/);
    expect(() => parseDncList('name,tel\nRossi,+390612345678\n', { csv: true, column: 'mobile' })).toThrow('line 1: no column "mobile" in the header row');
    expect(() => parseDncList('number\n+39061234567x\n', { csv: true })).toThrow(/^line 2: not a number/);
    expect(() => parseDncList('name,number\n"Rossi,+390612345678\n', { csv: true })).toThrow('line 2: unterminated quoted field');
    expect(() => parseDncList('name,number\nRo"ssi,+390612345678\n', { csv: true })).toThrow('line 2: a quote inside an unquoted field');
    expect(() => parseDncList('name,number\n"Rossi"x,+390612345678\n', { csv: true })).toThrow('line 2: text after the closing quote of a field');
    // Blank lines are skipped, CRLF and a BOM are fine, and rows are counted, not text lines.
    const crlf = parseDncList('\ufeffnote,number\r\n\r\n"a\r\nb",+390612345678\r\n"x ""y""",+390287654321', { csv: true });
    expect(crlf.size).toBe(2);
    expect(() => parseDncList('note,number\n"a\nb",+390612345678\nc,bad\n', { csv: true })).toThrow(/^line 3: not a number/);
  });

  it('loads in slices the same list as at once (sorted runs merged)', async () => {
    const entries = Array.from({ length: 200_000 }, (_, i) => `+39 3${String((i * 7_919_993) % 1_000_000_000).padStart(9, '0')}`);
    const text = `${entries.join('\n')}\n+44 20*\n`;
    const [once, sliced] = [parseDncList(text, { csv: false }), await parseDncListAsync(text, { csv: false }, 50_000)];
    const csv = await parseDncListAsync(`number\n${entries.join('\n')}\n`, { csv: true });
    for (const e of entries.filter((_, i) => i % 97 === 0)) {
      const intl = e.replace(/[^0-9]/g, '');
      expect(sliced.matches(intl, [])).toBe(true);
      expect(csv.matches(intl, [])).toBe(true);
      expect(once.matches(intl, [])).toBe(true);
    }
    for (const miss of ['393999999998', '39300000000', '3930000000001']) expect(sliced.matches(miss, [])).toBe(once.matches(miss, []));
    expect(sliced.matches('4420123', [])).toBe(true);
    expect(sliced.size).toBe(200_001);
  });
});

describe('do-not-call lists in the dial policy', () => {
  it('refuses a listed number or prefix on every use, in any spelling, naming only that number', async () => {
    const { policy } = await withLists({ 'register.txt': '+39 06 1234 5678\n02 8765*\n', 'ours.csv': 'number\n+44 20 7946 0018\n' });
    for (const use of ['call', 'transfer', 'forward', 'callback'] as const) {
      expect(verdict(policy, '+39 06 1234 5678', use)).toMatch(/^\+39 06 1234 5678 is on the do-not-call list register\.txt; telephony-mcp does not /);
    }
    expect(verdict(policy, '06 1234 5678')).toBe('+39 06 1234 5678 is on the do-not-call list register.txt; telephony-mcp does not call it');
    expect(verdict(policy, '0039 06 12345678')).toMatch(/is on the do-not-call list register\.txt/);
    expect(verdict(policy, '+39 02 8765 4321')).toBe('+39 02 8765 4321 is on the do-not-call list register.txt; telephony-mcp does not call it');
    expect(verdict(policy, '02 8765 0000')).toMatch(/is on the do-not-call list register\.txt/);
    expect(verdict(policy, '+44 20 7946 0018', 'forward')).toBe('+44 20 7946 0018 is on the do-not-call list ours.csv; telephony-mcp does not forward calls to it');
    expect(verdict(policy, '+39 06 1234 5679')).toBe('ok');
    expect(verdict(policy, '+39 02 8766 0000')).toBe('ok');
    // Extensions are not in public registers: a deny pattern refuses those.
    expect(verdict(policy, '202')).toBe('ok');
  });

  it('reads national entries with defaultCountry, trunk prefix or not', async () => {
    const us = await withLists({ 'us.txt': '212 555 0123\n1 646*\n' }, { defaultCountry: 'US' });
    expect(verdict(us.policy, '+1 212 555 0123')).toMatch(/^\+1 212 555 0123 is on the do-not-call list us\.txt/);
    expect(verdict(us.policy, '+1 646 555 0100')).toMatch(/is on the do-not-call list us\.txt/);
    expect(verdict(us.policy, '+1 213 555 0123')).toBe('ok');
    const de = await withLists({ 'de.txt': '030 1234567\n30 7654321\n' }, { defaultCountry: 'DE' });
    expect(verdict(de.policy, '+49 30 1234567')).toMatch(/is on the do-not-call list de\.txt/);
    expect(verdict(de.policy, '030 7654321')).toMatch(/is on the do-not-call list de\.txt/);
    expect(verdict(de.policy, '+49 30 7654322')).toBe('ok');
  });

  it('stops the start when a list cannot be read or parsed, naming the key', async () => {
    const dir = tempDir();
    const open = (cfg: unknown, country: string | undefined) =>
      DoNotCall.open(DialPolicyConfig.parse({ doNotCall: cfg }).doNotCall!, { baseDir: dir, defaultCountry: country, log: new LogHub({ level: 'error', write: () => {} }).logger() });
    await expect(open('missing.txt', 'IT')).rejects.toThrow(new ConfigError(`safety.dialPolicy.doNotCall: cannot read the do-not-call list ${join(dir, 'missing.txt')} (ENOENT)`));
    writeFileSync(join(dir, 'bad.txt'), '+390612345678\nabc\n');
    writeFileSync(join(dir, 'good.txt'), '+390612345678\n');
    await expect(open(['good.txt', { file: 'bad.txt' }], 'IT')).rejects.toThrow(`safety.dialPolicy.doNotCall.1: the do-not-call list ${join(dir, 'bad.txt')}, line 2: not a number or prefix`);
    writeFileSync(join(dir, 'national.txt'), '06 1234 5678\n');
    await expect(open('national.txt', undefined)).rejects.toThrow(/has numbers in national form and safety\.dialPolicy\.defaultCountry is not set/);
  });

  it('re-reads a changed list without a restart; a list that then fails keeps the last good one and logs why', async () => {
    const lines: string[] = [];
    const log = new LogHub({ level: 'info', write: (l) => void lines.push(l) });
    const { dir, policy } = await withLists({ 'list.txt': '+390612345678\n' }, {}, log);
    const file = join(dir, 'list.txt');
    expect(verdict(policy, '+390287654321')).toBe('ok');
    writeFileSync(file, '+390612345678\n+390287654321\n');
    await eventually(() => verdict(policy, '+390287654321') !== 'ok', 'the added number to be refused');
    expect(lines.join('')).toMatch(/do-not-call list reloaded.*file=list\.txt.*entries=2/);

    writeFileSync(file, '+390612345678\nnot a number\n+393331234567\n');
    await eventually(() => lines.join('').includes('does not parse'), 'the parse failure to be logged');
    expect(lines.join('')).toMatch(/do-not-call list does not parse; the last good list stays in force.*file=list\.txt.*line 2: not a number/);
    expect(lines.join('')).not.toContain('not a number\\n');
    expect(verdict(policy, '+390287654321')).not.toBe('ok');
    expect(verdict(policy, '+393331234567')).toBe('ok');

    rmSync(file);
    await eventually(() => lines.join('').includes('cannot be read'), 'the missing file to be logged');
    expect(verdict(policy, '+390612345678')).not.toBe('ok');

    writeFileSync(file, '+393331234567\n');
    await eventually(() => verdict(policy, '+393331234567') !== 'ok', 'the re-created list to be read');
    expect(verdict(policy, '+390612345678')).toBe('ok');
  });
});
