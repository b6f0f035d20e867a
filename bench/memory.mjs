// 5. Memory: idle RSS, and RSS per open streamable-HTTP session (1,000 sessions), ours vs the floor.
import { readFileSync } from 'node:fs';
import { request } from 'undici';
import { benchConfig, ratio, startHttp } from './lib.mjs';

export function rssMb(pid) {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) / 1024 : NaN;
}

const INIT = JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'initialize', params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'mem', version: '1' } } });
const HEADERS = { 'content-type': 'application/json', accept: 'application/json, text/event-stream' };

/** Open one MCP session with raw requests (initialize + initialized); returns its id. */
export async function openSession(url) {
  const r = await request(url, { method: 'POST', headers: HEADERS, body: INIT });
  await r.body.text();
  const id = r.headers['mcp-session-id'];
  const n = await request(url, { method: 'POST', headers: { ...HEADERS, 'mcp-session-id': id, 'mcp-protocol-version': '2025-06-18' }, body: JSON.stringify({ jsonrpc: '2.0', method: 'notifications/initialized' }) });
  await n.body.text();
  return id;
}

async function measure(kind, config, sessions) {
  const server = await startHttp(kind, config);
  await openSession(server.url);
  await new Promise((r) => setTimeout(r, 1500));
  const idle = rssMb(server.child.pid);
  for (let i = 0; i < sessions; i += 50) await Promise.all(Array.from({ length: 50 }, () => openSession(server.url)));
  await new Promise((r) => setTimeout(r, 1500));
  const loaded = rssMb(server.child.pid);
  await server.stop();
  return { idle, perSessionKb: ((loaded - idle) * 1024) / sessions };
}

export async function memory({ sessions = 1000 } = {}) {
  const config = benchConfig();
  const floor = await measure('floor', config, sessions);
  const ours = await measure('ours', config, sessions);
  return {
    title: `5. Memory: resident set after start, and per open HTTP session (${sessions} sessions)`,
    header: ['server', 'idle RSS MB', 'per session KB', 'idle ratio', 'per-session ratio'],
    rows: [
      ['floor', floor.idle.toFixed(1), floor.perSessionKb.toFixed(1), '1.00', '1.00'],
      ['ours', ours.idle.toFixed(1), ours.perSessionKb.toFixed(1), ratio(ours.idle, floor.idle), ratio(ours.perSessionKb, floor.perSessionKb)],
    ],
  };
}

if (import.meta.url === `file://${process.argv[1]}`) console.table((await memory()).rows);
