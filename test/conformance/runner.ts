/**
 * Running the official conformance CLI (@modelcontextprotocol/conformance) against a URL for one spec revision's
 * requirements, reading its verdicts, and judging them against baseline.json. The CLI needs Node >= 22: it runs
 * on this Node when it is new enough, else on the pinned Node 24 that scripts/node24.sh installs.
 */
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';

const require = createRequire(import.meta.url);
const PKG_JSON = require.resolve('@modelcontextprotocol/conformance/package.json');
const RUNNER = join(dirname(PKG_JSON), (require(PKG_JSON) as { bin: { conformance: string } }).bin.conformance);
export const BASELINE = join(import.meta.dirname, 'baseline.json');
/** Where scripts/node24.sh puts the pinned Node 24 binary. */
export const NODE24 = resolve(import.meta.dirname, '../../.cache/node24/node');

/** The revisions whose requirements the suite checks. */
export const REVISIONS = ['2026-07-28', '2025-11-25'] as const;
export type Revision = (typeof REVISIONS)[number];

/** A Node that can run the CLI (>= 22), or undefined when there is none here (scripts/node24.sh installs one). */
export function conformanceNode(): string | undefined {
  if (Number(process.versions.node.split('.')[0]) >= 22) return process.execPath;
  return fs.existsSync(NODE24) ? NODE24 : undefined;
}

export interface Check {
  id: string;
  /** SUCCESS and FAILURE count; WARNING and INFO do not fail a scenario. */
  status: string;
  description?: string;
  errorMessage?: string;
}

export interface ScenarioResult {
  passed: number;
  failed: number;
}

export interface SuiteRun {
  exitCode: number | null;
  output: string;
  /** How many scenarios the runner said it would run. */
  announced: number | undefined;
  results: Map<string, ScenarioResult>;
  /** Scenarios the runner ran but the revision does not score (extensions, pending, added after release), and why. */
  unscored: Map<string, string>;
  /** The checks of each scenario, from the checks.json files the runner saves. */
  checks: Map<string, Check[]>;
}

/** Scenario name -> why it is expected to fail, per revision. */
export function loadBaseline(revision: Revision, path = BASELINE): Map<string, string> {
  const raw: unknown = JSON.parse(fs.readFileSync(path, 'utf8'));
  if (!raw || typeof raw !== 'object' || Array.isArray(raw)) throw new Error(`${path}: expected an object of revision -> { scenario: reason }`);
  const entries: unknown = (raw as Record<string, unknown>)[revision] ?? {};
  if (!entries || typeof entries !== 'object' || Array.isArray(entries)) throw new Error(`${path}: "${revision}" must be an object of scenario -> reason`);
  const out = new Map<string, string>();
  for (const [scenario, reason] of Object.entries(entries)) {
    if (typeof reason !== 'string' || !reason.trim()) throw new Error(`${path}: ${revision} "${scenario}" needs a reason (a non-empty string)`);
    out.set(scenario, reason);
  }
  return out;
}

/**
 * The runner's announcement, its `=== SUMMARY ===` lines (`✓ name: 3 passed, 0 failed`) and its list of
 * scenarios the revision does not score (`  ✗ tasks-lifecycle (extension)`).
 */
export function parseSummary(output: string): Pick<SuiteRun, 'announced' | 'results' | 'unscored'> {
  const announced = /Running (?:requirements [\d-]+|\w+ suite) \((\d+) scenarios\)/.exec(output)?.[1];
  const results = new Map<string, ScenarioResult>();
  const unscored = new Map<string, string>();
  const at = output.lastIndexOf('=== SUMMARY ===');
  if (at >= 0) {
    const summary = output.slice(at);
    for (const m of summary.matchAll(/^[✓✗] (\S+): (\d+) passed, (\d+) failed$/gmu)) {
      results.set(m[1]!, { passed: Number(m[2]), failed: Number(m[3]) });
    }
    const notScored = summary.indexOf('Not scored for');
    if (notScored >= 0) {
      for (const m of summary.slice(notScored).matchAll(/^ {2}[✓✗] (\S+) \(([^)]+)\)$/gmu)) unscored.set(m[1]!, m[2]!);
    }
  }
  return { announced: announced === undefined ? undefined : Number(announced), results, unscored };
}

export interface Verdict {
  /** A scored scenario that failed, and is not in the baseline. */
  unexpected: string[];
  /** In the baseline, but did not fail: the entry is stale (or names no scenario of the suite). */
  stale: string[];
}

/** The runner's own --expected-failures contract, over the scenarios the revision scores, with reasons kept. */
export function judge(run: Pick<SuiteRun, 'results' | 'unscored'>, baseline: ReadonlyMap<string, string>): Verdict {
  const failing = new Set([...run.results].filter(([name, r]) => r.failed > 0 && !run.unscored.has(name)).map(([name]) => name));
  return {
    unexpected: [...failing].filter((s) => !baseline.has(s)),
    stale: [...baseline.keys()].filter((s) => !failing.has(s)),
  };
}

/** Passed and failed checks over the scenarios the revision scores. */
export function scoredTotals(run: Pick<SuiteRun, 'results' | 'unscored'>): { scenarios: number; passed: number; failed: number } {
  let passed = 0;
  let failed = 0;
  let scenarios = 0;
  for (const [name, r] of run.results) {
    if (run.unscored.has(name)) continue;
    scenarios++;
    passed += r.passed;
    failed += r.failed;
  }
  return { scenarios, passed, failed };
}

/** checks.json per scenario: the runner saves them as <dir>/server-<scenario>-<timestamp>/checks.json. */
function readChecks(dir: string): Map<string, Check[]> {
  const out = new Map<string, Check[]>();
  for (const name of fs.readdirSync(dir)) {
    const m = /^server-(.+)-\d{4}-\d{2}-\d{2}T[\d-]+Z$/.exec(name);
    if (m) out.set(m[1]!, JSON.parse(fs.readFileSync(join(dir, name, 'checks.json'), 'utf8')) as Check[]);
  }
  return out;
}

/** Run the scenarios `revision` requires against `url` (one after another), with `node` (>= 22). */
export function runSuite(url: string, opts: { node: string; revision: Revision; timeoutMs: number }): Promise<SuiteRun> {
  // In suite mode the runner prints one line per scenario; which check failed, and why, is only in the files.
  const outDir = fs.mkdtempSync(join(tmpdir(), 'tmcp-conformance-'));
  const child = spawn(opts.node, [RUNNER, 'server', '--url', url, '--requirements', opts.revision, '--output-dir', outDir], {
    env: { ...process.env, NO_COLOR: '1' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr.on('data', (d: Buffer) => (output += d.toString()));
  const timer = setTimeout(() => {
    output += `\n[killed: the runner took longer than ${opts.timeoutMs} ms]\n`;
    child.kill('SIGKILL');
  }, opts.timeoutMs);
  return new Promise((resolvePromise, reject) => {
    const finish = (settle: () => void) => {
      clearTimeout(timer);
      try {
        settle();
      } catch (e) {
        reject(e as Error);
      } finally {
        fs.rmSync(outDir, { recursive: true, force: true });
      }
    };
    child.once('error', (e) => finish(() => reject(e)));
    child.once('close', (exitCode) => finish(() => resolvePromise({ exitCode, output, checks: readChecks(outDir), ...parseSummary(output) })));
  });
}

/** The failed and warning checks of a scenario, one line each. */
export function problems(run: SuiteRun, scenario: string): string {
  const checks = run.checks.get(scenario);
  if (!checks) return `${scenario}: (no checks.json)`;
  const bad = checks.filter((c) => c.status === 'FAILURE' || c.status === 'WARNING');
  return [`${scenario}:`, ...bad.map((c) => `  ${c.status} ${c.id}: ${c.errorMessage ?? c.description ?? ''}`)].join('\n');
}
