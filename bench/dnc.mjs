// 7. Do-not-call lists: loading 1,000,000 entries and checking numbers against them, our sorted Float64Arrays
// (src/safety/dnc-list.ts) side by side with the obvious floor, a Set of normalized strings (one Set per prefix
// length). Runs in a child process with --expose-gc so the memory figures hold only the list.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ms, ratio, stats } from './lib.mjs';

const SELF = fileURLToPath(import.meta.url);
const ENTRIES = 1_000_000;
const ROUNDS = 5;

export async function dnc() {
  const out = execFileSync(process.execPath, ['--expose-gc', SELF, '--child'], { maxBuffer: 1 << 24, encoding: 'utf8' });
  return JSON.parse(out);
}

/** A deterministic pseudo-random digit source (the same list every run). */
function digits(seed) {
  let x = seed >>> 0 || 1;
  return (n) => {
    let s = '';
    for (let i = 0; i < n; i++) {
      x ^= x << 13;
      x ^= x >>> 17;
      x ^= x << 5;
      s += String((x >>> 0) % 10);
    }
    return s;
  };
}

/**
 * The list: 90% Italian mobiles in E.164 with spaces, 9% national landlines (06 ...), 1% prefixes of 6 to 10 digits,
 * one header comment; and the same entries as a CSV with a name column.
 */
function makeLists(dir) {
  const d = digits(42);
  const lines = [];
  const listed = [];
  for (let i = 0; i < ENTRIES; i++) {
    // One header comment, as registers are published: a comment every few lines hid a quadratic scan once.
    if (i === 0) lines.push('# do-not-call register (bench)');
    const k = i % 100;
    if (k < 90) {
      const n = `3${d(9)}`;
      lines.push(`+39 ${n.slice(0, 3)} ${n.slice(3, 6)} ${n.slice(6)}`);
      listed.push(`39${n}`);
    } else if (k < 99) {
      lines.push(`06 ${d(4)} ${d(4)}`);
    } else {
      lines.push(`+44 20 ${d(2 + (i % 5))}*`);
    }
  }
  const plain = join(dir, 'dnc.txt');
  writeFileSync(plain, `${lines.join('\n')}\n`);
  const csv = join(dir, 'dnc.csv');
  writeFileSync(csv, `name,number\n${lines.filter((l) => !l.startsWith('#')).map((l, i) => `"Person ${i}, Rome",${l}`).join('\n')}\n`);
  return { plain, csv, listed, probe: d };
}

/** The floor: normalized strings in a Set, prefixes in a Set per length. */
function floorLoad(text) {
  const exact = new Set();
  const prefixes = new Map();
  for (const raw of text.split('\n')) {
    const line = raw.split('#')[0].trim();
    if (!line) continue;
    let n = line.replace(/[\s.()-]/g, '');
    const prefix = n.endsWith('*');
    if (prefix) n = n.slice(0, -1);
    if (!/^\+?[0-9]{1,17}$/.test(n)) throw new Error(`bad line ${raw}`);
    n = n.startsWith('+') ? n.slice(1) : /^00[1-9]/.test(n) ? n.slice(2) : `n${n}`;
    if (prefix) {
      if (!prefixes.has(n.length)) prefixes.set(n.length, new Set());
      prefixes.get(n.length).add(n);
    } else exact.add(n);
  }
  return {
    matches(intl, national) {
      for (const [len, set] of prefixes) if (intl.length >= len && set.has(intl.slice(0, len))) return true;
      if (exact.has(intl)) return true;
      for (const f of national) {
        const k = `n${f}`;
        for (const [len, set] of prefixes) if (k.length >= len && set.has(k.slice(0, len))) return true;
        if (exact.has(k)) return true;
      }
      return false;
    },
  };
}

const heap = () => {
  global.gc();
  global.gc();
  const m = process.memoryUsage();
  return m.heapUsed + m.arrayBuffers;
};

async function child() {
  const { parseDncList, parseDncListAsync } = await import('../dist/safety/dnc-list.js');
  const { DialPolicy } = await import('../dist/safety/policy.js');
  const { loadNumberingPlan } = await import('../dist/safety/numbering.js');
  const { DialPolicyConfig } = await import('../dist/safety/policy-config.js');
  const { DoNotCall } = await import('../dist/safety/dnc.js');
  const { LogHub } = await import('../dist/log.js');
  const dir = mkdtempSync(join(tmpdir(), 'tmcp-bench-dnc-'));
  try {
    const { plain, csv, listed, probe } = makeLists(dir);
    const sizeMb = (readFileSync(plain).length / 1e6).toFixed(1);

    // Load: read + parse + sort, rounds alternating between ours and the floor.
    const ours = [];
    const floor = [];
    const csvLoads = [];
    for (let r = 0; r < ROUNDS; r++) {
      let t = performance.now();
      parseDncList(readFileSync(plain, 'utf8'), { csv: false });
      ours.push(performance.now() - t);
      t = performance.now();
      floorLoad(readFileSync(plain, 'utf8'));
      floor.push(performance.now() - t);
      t = performance.now();
      parseDncList(readFileSync(csv, 'utf8'), { csv: true });
      csvLoads.push(performance.now() - t);
    }

    // Memory held by each structure.
    const text = readFileSync(plain, 'utf8');
    let base = heap();
    let held = parseDncList(text, { csv: false });
    const oursBytes = heap() - base;
    const list = held;
    held = undefined;
    base = heap();
    held = floorLoad(text);
    const floorBytes = heap() - base;
    const floorList = held;
    held = undefined;

    // Checks: half listed numbers, half random mobiles (almost all misses); national forms as the policy passes them.
    const N = 1_000_000;
    const probes = [];
    for (let i = 0; i < N; i++) probes.push(i % 2 ? listed[(i * 7919) % listed.length] : `393${probe(9)}`);
    const national = [];
    const time = (m) => {
      let hits = 0;
      const t = performance.now();
      for (let i = 0; i < N; i++) if (m.matches(probes[i], national)) hits++;
      return { ns: ((performance.now() - t) * 1e6) / N, hits };
    };
    time(list);
    time(floorList);
    const checkOurs = [];
    const checkFloor = [];
    let hits = 0;
    for (let r = 0; r < ROUNDS; r++) {
      const a = time(list);
      checkOurs.push(a.ns);
      hits = a.hits;
      checkFloor.push(time(floorList).ns);
    }

    // The whole dial-policy check of an outside number, with the million-entry list and without any.
    await loadNumberingPlan();
    const log = new LogHub({ level: 'error', write: () => {} }).logger();
    const cfg = DialPolicyConfig.parse({ defaultCountry: 'IT', doNotCall: 'dnc.txt' });
    const rule = await DoNotCall.open(cfg.doNotCall, { baseDir: dir, defaultCountry: 'IT', log });
    const withList = new DialPolicy(cfg, [rule]);
    const without = new DialPolicy(DialPolicyConfig.parse({ defaultCountry: 'IT' }));
    const numbers = Array.from({ length: 20_000 }, (_, i) => `+39 02 ${String(10_000_000 + i * 37).slice(0, 8)}`); // no 02 entries: every check passes
    const policyTime = (p) => {
      const t = performance.now();
      for (const n of numbers) p.check(n, 'call');
      return ((performance.now() - t) * 1000) / numbers.length;
    };
    policyTime(withList);
    policyTime(without);
    const pWith = [];
    const pWithout = [];
    for (let r = 0; r < ROUNDS; r++) {
      pWith.push(policyTime(withList));
      pWithout.push(policyTime(without));
    }
    rule.close();

    // A reload parses in slices: the longest the event loop waits while a million entries are re-read.
    const reload = async (file, isCsv) => {
      let last = performance.now();
      let worst = 0;
      const tick = setInterval(() => {
        const now = performance.now();
        worst = Math.max(worst, now - last);
        last = now;
      }, 1);
      await new Promise((r) => setTimeout(r, 20));
      const t = performance.now();
      worst = 0;
      last = t;
      // As the reload reads it: the file asynchronously (its UTF-8 decoding still runs on the event loop).
      await parseDncListAsync(await readFile(file, 'utf8'), { csv: isCsv });
      const total = performance.now() - t;
      await new Promise((r) => setTimeout(r, 5));
      clearInterval(tick);
      return `${ms(total)} ms, stall ${ms(worst)} ms`;
    };
    const reloadPlain = await reload(plain, false);
    const reloadCsv = await reload(csv, true);

    const med = (a) => stats(a).p50;
    const mb = (b) => (b / 1e6).toFixed(1);
    const table = {
      title: `Do-not-call lists: ${ENTRIES.toLocaleString('en')} entries (${sizeMb} MB file: 90% E.164 mobiles, 9% national numbers, 1% prefixes), ours vs a Set of strings`,
      header: ['measure', 'ours (sorted Float64Array)', 'floor (Set of strings)', 'ratio ours/floor'],
      rows: [
        ['load: read + parse + sort, plain list (median of 5)', `${ms(med(ours))} ms`, `${ms(med(floor))} ms`, ratio(med(ours), med(floor))],
        ['load: the same entries as a CSV with a quoted name column (median of 5)', `${ms(med(csvLoads))} ms`, '–', '–'],
        ['memory held by the loaded list', `${mb(oursBytes)} MB`, `${mb(floorBytes)} MB`, ratio(oursBytes, floorBytes)],
        [`check one number (${N.toLocaleString('en')} checks, ${Math.round((hits / N) * 100)}% listed; median of 5 rounds)`, `${med(checkOurs).toFixed(0)} ns`, `${med(checkFloor).toFixed(0)} ns`, ratio(med(checkOurs), med(checkFloor))],
        ['DialPolicy.check of an outside number, with the list vs without any (20,000 checks, median of 5)', `${med(pWith).toFixed(1)} us`, `${med(pWithout).toFixed(1)} us (no list)`, ratio(med(pWith), med(pWithout))],
        ['reload of the plain list (read, parse and sort in slices): total, and longest event-loop stall', reloadPlain, '–', '–'],
        ['reload of the CSV list: total, and longest event-loop stall', reloadCsv, '–', '–'],
      ],
      note: `Command: \`node bench/run.mjs dnc\` (after \`npm run build\`), or \`node bench/dnc.mjs --child\` for the raw JSON. In-process, one run; Node ${process.version}. The stall is the longest gap between 1 ms timer ticks while a reload runs: the file is scanned in 1 MB slices and sorted in runs of 65,536 merged pairwise, with a pause after each.`,
    };
    process.stdout.write(JSON.stringify(table));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

if (process.argv.includes('--child')) await child();
