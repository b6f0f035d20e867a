/**
 * What the tool list costs a model, in every conversation (issue 17): the demo's tools/list result, as a 2025-11-25
 * client (v1 SDK) and a 2026-07-28 client (v2 SDK) receive it over stdio from the built server, must fit the budget.
 * A size assertion, measured by the same script that prints the figures (scripts/tool-list-size.mjs); the
 * all-backends config is measured too, so every tool is listed and priced.
 */
import { execFileSync } from 'node:child_process';
import { resolve } from 'node:path';
import { expect, it } from 'vitest';
import { ALL_TOOLS } from '../../src/tools/index.js';

interface Row {
  config: string;
  client: string;
  tools: number;
  total: number;
  description: number;
  inputSchema: number;
  outputSchema: number;
  annotations: number;
  perTool: { name: string; total: number }[];
}

const SCRIPT = resolve(import.meta.dirname, '../../scripts/tool-list-size.mjs');

it('the demo tool list fits in 32 KB for a 2025 and a 2026 client (and one with MCP Apps); the all-backends list prices every tool', () => {
  const { budget, rows } = JSON.parse(execFileSync(process.execPath, [SCRIPT, '--json'], { encoding: 'utf8', timeout: 110_000 })) as {
    budget: number;
    rows: Row[];
  };
  expect(budget).toBe(32 * 1024);
  const demo = rows.filter((r) => r.config === 'demo');
  expect(demo.map((r) => r.client).sort()).toEqual(['v1 SDK, 2025-11-25', 'v2 SDK, 2026-07-28', 'v2 SDK, 2026-07-28, MCP Apps']);
  for (const r of demo) {
    expect(r.tools, r.client).toBeGreaterThanOrEqual(18);
    // The parts add up to less than the whole (names, titles and JSON punctuation are the rest), none is zero.
    for (const part of [r.description, r.inputSchema, r.outputSchema, r.annotations]) expect(part, r.client).toBeGreaterThan(0);
    expect(r.description + r.inputSchema + r.outputSchema + r.annotations, r.client).toBeLessThan(r.total);
    expect(r.total, `${r.client}: the demo tool list is ${r.total} bytes, over the budget of ${budget}`).toBeLessThanOrEqual(budget);
  }
  for (const r of rows.filter((x) => x.config === 'all backends')) {
    expect(r.perTool.map((t) => t.name).sort(), r.client).toEqual(ALL_TOOLS.map((t) => t.name).sort());
  }
  // Four server starts over stdio: slow on a loaded machine, and what is asserted is a size, not a time.
}, 120_000);
