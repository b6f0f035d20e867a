/**
 * The official MCP conformance server suite (@modelcontextprotocol/conformance, active scenarios) against
 * telephony-mcp's real streamable HTTP transport, served in this process by the test-only entry (server.ts);
 * only the runner is spawned. A scenario that fails and is not in baseline.json fails the test, and so does a
 * baseline entry whose scenario passes.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { judge, loadBaseline, problems, runSuite } from './runner.js';
import { startConformanceServer, type ConformanceServer } from './server.js';

const TIMEOUT_MS = 120_000;

describe('MCP conformance (official server suite, active scenarios)', () => {
  let server: ConformanceServer;

  beforeAll(async () => {
    server = await startConformanceServer();
  });
  afterAll(async () => {
    await server?.close();
  });

  it('passes every scenario that baseline.json does not list, and fails every one it does', { timeout: TIMEOUT_MS }, async () => {
    const baseline = loadBaseline();
    const run = await runSuite(server.url, { timeoutMs: TIMEOUT_MS - 10_000 });
    const at = run.output.lastIndexOf('=== SUMMARY ===');
    const summary = at >= 0 ? run.output.slice(at) : run.output.slice(-4000);
    const context = `runner exit code ${run.exitCode}\n${summary}\n--- server log (warn and above) ---\n${server.log()}`;

    expect(run.results.size, `no scenario results from the runner\n${context}`).toBeGreaterThan(0);
    expect(run.results.size, `the summary does not cover every announced scenario\n${context}`).toBe(run.announced);

    const { unexpected, stale } = judge(run.results, baseline);
    const why = unexpected.map((s) => problems(run, s)).join('\n');
    expect(unexpected, `scenarios failed that baseline.json does not list\n${context}\n${why}`).toEqual([]);
    expect(stale, `baseline.json lists scenarios that did not fail: remove them\n${context}`).toEqual([]);
    // Without baselined failures the runner's own verdict must agree (exit 1 on any failure).
    if (baseline.size === 0) expect(run.exitCode, context).toBe(0);
  });
});
