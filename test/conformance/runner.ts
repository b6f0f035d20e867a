/**
 * Running the official conformance CLI (@modelcontextprotocol/conformance) against a URL, reading its verdicts,
 * and judging them against baseline.json.
 */
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';

const require = createRequire(import.meta.url);
const PKG_JSON = require.resolve('@modelcontextprotocol/conformance/package.json');
const RUNNER = join(dirname(PKG_JSON), (require(PKG_JSON) as { bin: { conformance: string } }).bin.conformance);
const HOOK = join(import.meta.dirname, 'node20', 'register.mjs');
export const BASELINE = join(import.meta.dirname, 'baseline.json');

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
  /** How many scenarios the runner said the suite has. */
  announced: number | undefined;
  results: Map<string, ScenarioResult>;
  /** The checks of each scenario, from the checks.json files the runner saves. */
  checks: Map<string, Check[]>;
}

/** Scenario name -> why it is expected to fail. */
export function loadBaseline(path = BASELINE): Map<string, string> {
  const raw: unknown = JSON.parse(fs.readFileSync(path, 'utf8'));
  if (!raw || typeof raw !== 'object' || Array.isArray(raw)) throw new Error(`${path}: expected an object of scenario -> reason`);
  const out = new Map<string, string>();
  for (const [scenario, reason] of Object.entries(raw)) {
    if (typeof reason !== 'string' || !reason.trim()) throw new Error(`${path}: "${scenario}" needs a reason (a non-empty string)`);
    out.set(scenario, reason);
  }
  return out;
}

/** The runner's announcement and its `=== SUMMARY ===` lines (`✓ name: 3 passed, 0 failed`). */
export function parseSummary(output: string): Pick<SuiteRun, 'announced' | 'results'> {
  const announced = /Running \w+ suite \((\d+) scenarios\)/.exec(output)?.[1];
  const results = new Map<string, ScenarioResult>();
  const at = output.lastIndexOf('=== SUMMARY ===');
  if (at >= 0) {
    for (const m of output.slice(at).matchAll(/^[✓✗] (\S+): (\d+) passed, (\d+) failed$/gmu)) {
      results.set(m[1]!, { passed: Number(m[2]), failed: Number(m[3]) });
    }
  }
  return { announced: announced === undefined ? undefined : Number(announced), results };
}

export interface Verdict {
  /** Failed, and not in the baseline. */
  unexpected: string[];
  /** In the baseline, but did not fail: the entry is stale (or names no scenario of the suite). */
  stale: string[];
}

/** The runner's own --expected-failures contract, with reasons kept in the baseline. */
export function judge(results: ReadonlyMap<string, ScenarioResult>, baseline: ReadonlyMap<string, string>): Verdict {
  const failing = new Set([...results].filter(([, r]) => r.failed > 0).map(([name]) => name));
  return {
    unexpected: [...failing].filter((s) => !baseline.has(s)),
    stale: [...baseline.keys()].filter((s) => !failing.has(s)),
  };
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

/** Run a server suite of the conformance CLI against `url` (the scenarios run one after another). */
export function runSuite(url: string, opts: { suite?: string; timeoutMs: number }): Promise<SuiteRun> {
  // The runner imports fs.globSync, which Node 20 lacks; the hook hands it a stub. Newer Node needs nothing.
  const hook = 'globSync' in fs ? [] : ['--import', pathToFileURL(HOOK).href];
  // In suite mode the runner prints one line per scenario; which check failed, and why, is only in the files.
  const outDir = fs.mkdtempSync(join(tmpdir(), 'tmcp-conformance-'));
  const child = spawn(
    process.execPath,
    [...hook, RUNNER, 'server', '--url', url, '--suite', opts.suite ?? 'active', '--output-dir', outDir],
    { env: { ...process.env, NO_COLOR: '1' }, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let output = '';
  child.stdout.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr.on('data', (d: Buffer) => (output += d.toString()));
  const timer = setTimeout(() => {
    output += `\n[killed: the runner took longer than ${opts.timeoutMs} ms]\n`;
    child.kill('SIGKILL');
  }, opts.timeoutMs);
  return new Promise((resolve, reject) => {
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
    child.once('close', (exitCode) => finish(() => resolve({ exitCode, output, checks: readChecks(outDir), ...parseSummary(output) })));
  });
}

/** The failed and warning checks of a scenario, one line each. */
export function problems(run: SuiteRun, scenario: string): string {
  const checks = run.checks.get(scenario);
  if (!checks) return `${scenario}: (no checks.json)`;
  const bad = checks.filter((c) => c.status === 'FAILURE' || c.status === 'WARNING');
  return [`${scenario}:`, ...bad.map((c) => `  ${c.status} ${c.id}: ${c.errorMessage ?? c.description ?? ''}`)].join('\n');
}
