#!/usr/bin/env node
// What the tool list costs a client, in bytes of JSON: the tools/list result as it arrives on the wire (captured
// from the transport, before the client parses it), for a 2025-11-25 client (the v1 SDK's Client) and a
// 2026-07-28 client (the v2 SDK's Client), each over stdio against the built server (dist/cli.js). Two configs:
// the built-in demo (what a new user's model sees) and one PBX of every backend type (every tool listed).
// Per part: descriptions, inputSchema, outputSchema, annotations, the rest (name, title, JSON punctuation).
// Usage: npm run build && node scripts/tool-list-size.mjs [--json] [--tools]   (--tools: one line per tool)
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');

/** The budget for the demo's tool list (issue 17): a model pays it in every conversation. */
export const TOOL_LIST_BUDGET = 32 * 1024;

/** One PBX of every backend type (addresses nobody answers: listing tools contacts no PBX). */
export const ALL_BACKENDS_CONFIG = {
  defaultPbx: 'sim',
  pbxes: {
    sim: { type: 'sim', defaultUser: 'alice', traffic: false },
    kalliope: { type: 'kalliope', url: 'https://127.0.0.1:9', username: 'u', password: 'unused' },
    xcally: { type: 'xcally', url: 'http://127.0.0.1:9', agent: '201' },
    xivo: { type: 'xivo', url: 'http://127.0.0.1:9', login: 'ws', password: 'unused' },
    agent: { type: 'xivo', url: 'http://127.0.0.1:9', login: 'alice', password: 'unused', userType: 'cti' },
    ipbx: { type: 'ipbx', url: 'http://127.0.0.1:9', username: 'u', password: 'unused', channels: ['SIP/4003'], queues: ['Support'] },
    pbxpress: { type: 'pbxpress', url: 'http://127.0.0.1:9/RPC2', username: '203', password: 'unused' },
  },
  safety: { dialPolicy: { defaultCountry: 'IT' } },
};

const bytes = (v) => (v === undefined ? 0 : Buffer.byteLength(JSON.stringify(v)));

/** Sizes of a tools/list result: the whole JSON, and what each part of every tool adds to it. */
export function toolListSizes(result) {
  const parts = { description: 0, inputSchema: 0, outputSchema: 0, annotations: 0 };
  const perTool = [];
  for (const tool of result.tools) {
    const row = { name: tool.name, total: bytes(tool) };
    for (const k of Object.keys(parts)) {
      row[k] = bytes(tool[k]);
      parts[k] += row[k];
    }
    perTool.push(row);
  }
  const total = bytes(result);
  return { tools: result.tools.length, total, ...parts, rest: total - Object.values(parts).reduce((a, b) => a + b, 0), perTool };
}

/** What a host that renders MCP Apps declares: to it, two tools also carry the call board's `_meta.ui`. */
const MCP_APPS = { extensions: { 'io.modelcontextprotocol/ui': { mimeTypes: ['text/html;profile=mcp-app'] } } };

/**
 * Starts the built server over stdio with `config` (undefined: the demo), lists tools with a client of `era`
 * (declaring MCP Apps when `apps`).
 */
async function wireToolList(era, config, apps = false) {
  const dir = mkdtempSync(join(tmpdir(), 'tmcp-size-'));
  const args = [join(ROOT, 'dist', 'cli.js')];
  if (config) {
    writeFileSync(join(dir, 'config.json'), JSON.stringify(config));
    args.push('--config', join(dir, 'config.json'));
  }
  // No TELEPHONY_MCP_* from the caller's environment: the demo is what runs without a config.
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('TELEPHONY_MCP_')));
  const params = { command: process.execPath, args, cwd: dir, stderr: process.env.SIZE_DEBUG ? 'inherit' : 'ignore', env: { ...env, XDG_STATE_HOME: dir } };
  let client, transport;
  if (era === 'modern') {
    const { Client } = await import('@modelcontextprotocol/client');
    const { StdioClientTransport } = await import('@modelcontextprotocol/client/stdio');
    client = new Client({ name: 'size', version: '1' }, { versionNegotiation: { mode: { pin: '2026-07-28' } }, capabilities: apps ? MCP_APPS : {} });
    transport = new StdioClientTransport(params);
  } else {
    const { Client } = await import('@modelcontextprotocol/sdk/client/index.js');
    const { StdioClientTransport } = await import('@modelcontextprotocol/sdk/client/stdio.js');
    client = new Client({ name: 'size', version: '1' }, { capabilities: apps ? MCP_APPS : {} });
    transport = new StdioClientTransport(params);
  }
  await client.connect(transport);
  // The raw message, as the server sent it: the client's own parsing could add or drop fields.
  let wire;
  const receive = transport.onmessage;
  transport.onmessage = (message, extra) => {
    if (message?.result && Array.isArray(message.result.tools)) wire = message.result;
    receive?.(message, extra);
  };
  const parsed = await client.listTools();
  await client.close();
  if (!wire) throw new Error(`${era}: no tools/list result seen on the wire`);
  if (parsed.tools.length !== wire.tools.length) throw new Error(`${era}: the client kept ${parsed.tools.length} of ${wire.tools.length} tools`);
  return wire;
}

const kb = (n) => `${(n / 1024).toFixed(1)} KB`;

async function main() {
  const json = process.argv.includes('--json');
  const rows = [];
  for (const [configName, config] of [['demo', undefined], ['all backends', ALL_BACKENDS_CONFIG]]) {
    for (const era of ['legacy', 'modern']) {
      const s = toolListSizes(await wireToolList(era, config));
      rows.push({ config: configName, client: era === 'modern' ? 'v2 SDK, 2026-07-28' : 'v1 SDK, 2025-11-25', ...s });
    }
  }
  // A host with MCP Apps gets the call board's link on two tools: the demo must fit for it too.
  rows.push({ config: 'demo', client: 'v2 SDK, 2026-07-28, MCP Apps', ...toolListSizes(await wireToolList('modern', undefined, true)) });
  if (json) {
    console.log(JSON.stringify({ budget: TOOL_LIST_BUDGET, rows }, null, 2));
    return;
  }
  console.log('| config | client | tools | total | descriptions | inputSchema | outputSchema | annotations | rest |');
  console.log('|---|---|---:|---:|---:|---:|---:|---:|---:|');
  for (const r of rows) {
    console.log(
      `| ${r.config} | ${r.client} | ${r.tools} | ${r.total} B (${kb(r.total)}) | ${kb(r.description)} | ${kb(r.inputSchema)} | ${kb(r.outputSchema)} | ${kb(r.annotations)} | ${kb(r.rest)} |`,
    );
  }
  const demo = rows.find((r) => r.config === 'demo');
  console.log(`\nbudget for the demo: ${TOOL_LIST_BUDGET} B (${kb(TOOL_LIST_BUDGET)}); ${demo.total <= TOOL_LIST_BUDGET ? 'within' : 'OVER'}`);
  if (process.argv.includes('--tools')) {
    const all = rows.find((r) => r.config === 'all backends');
    console.log('\n| tool (all backends, v1 client) | total | description | inputSchema | outputSchema |\n|---|---:|---:|---:|---:|');
    for (const t of [...all.perTool].sort((a, b) => b.total - a.total)) {
      console.log(`| ${t.name} | ${t.total} | ${t.description} | ${t.inputSchema} | ${t.outputSchema} |`);
    }
  }
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) await main();
