/**
 * The official MCP conformance server suite (@modelcontextprotocol/conformance, pinned) against telephony-mcp's
 * real streamable HTTP transport, for the requirements of both revisions it serves (2026-07-28 and 2025-11-25),
 * served in this process by the test-only entry (server.ts); only the runner is spawned, on Node >= 22. A scored
 * scenario that fails and is not in baseline.json fails the test, and so does a baseline entry whose scenario
 * passes. Scenarios a revision does not score (the tasks extension, pending ones) are run and reported only.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { conformanceNode, judge, loadBaseline, problems, REVISIONS, runSuite, scoredTotals } from './runner.js';
import { startConformanceServer, type ConformanceServer } from './server.js';

const TIMEOUT_MS = 180_000;

/** Scenarios that must be among the scored ones: a runner that scores fewer has dropped something we rely on. */
const MUST_SCORE: Record<(typeof REVISIONS)[number], string[]> = {
  '2026-07-28': ['server-stateless', 'caching', 'input-required-result-tampered-state', 'input-required-result-capability-check', 'sep-2164-resource-not-found'],
  '2025-11-25': ['server-initialize', 'tools-call-elicitation', 'resources-subscribe', 'dns-rebinding-protection'],
};

const node = conformanceNode();

describe('MCP conformance (official server suite, per revision)', () => {
  if (!node) {
    if (process.env.CI === 'true') {
      it('has a Node >= 22 to run the conformance CLI on', () => {
        throw new Error('No Node >= 22 for the conformance CLI: run scripts/node24.sh (it installs the pinned Node 24 into .cache/node24)');
      });
    } else {
      // Visible in every run's summary; CI (CI=true) fails here instead.
      it.skip('SKIPPED: no Node >= 22 for the conformance CLI here; run scripts/node24.sh to install the pinned Node 24', () => {});
    }
    return;
  }

  let server: ConformanceServer;
  beforeAll(async () => {
    server = await startConformanceServer();
  });
  afterAll(async () => {
    await server?.close();
  });

  for (const revision of REVISIONS) {
    it(`passes every scenario ${revision} requires that baseline.json does not list, and fails every one it does`, { timeout: TIMEOUT_MS }, async () => {
      const baseline = loadBaseline(revision);
      const run = await runSuite(server.url, { node, revision, timeoutMs: TIMEOUT_MS - 10_000 });
      const at = run.output.lastIndexOf('=== SUMMARY ===');
      const summary = at >= 0 ? run.output.slice(at) : run.output.slice(-4000);
      const context = `runner exit code ${run.exitCode}\n${summary}\n--- server log (warn and above) ---\n${server.log()}`;

      expect(run.results.size, `no scenario results from the runner\n${context}`).toBeGreaterThan(0);
      expect(run.results.size, `the summary does not cover every announced scenario\n${context}`).toBe(run.announced);
      const scored = [...run.results.keys()].filter((s) => !run.unscored.has(s));
      expect(scored, `scenarios ${revision} must score\n${context}`).toEqual(expect.arrayContaining(MUST_SCORE[revision]));

      const { unexpected, stale } = judge(run, baseline);
      const why = unexpected.map((s) => problems(run, s)).join('\n');
      expect(unexpected, `scored scenarios failed that baseline.json does not list\n${context}\n${why}`).toEqual([]);
      expect(stale, `baseline.json lists scenarios that did not fail: remove them\n${context}`).toEqual([]);
      const totals = scoredTotals(run);
      if (baseline.size === 0) expect(totals.failed, context).toBe(0);
      expect(totals.passed).toBeGreaterThan(0);
    });
  }
});
