/**
 * Secrets never leak: a full run of the built server over HTTP, with known secrets for every backend (passwords,
 * the Kalliope MD5, HTTP Basic values, XUC tokens, the bearer token) and debug logging, and every tool result,
 * resource, log line and audit line captured: none of the secrets appears in any of them.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { PbxEngine } from '../../src/simulators/engine/engine.js';
import { SIMULATORS, type RunningSimulator } from '../../src/simulators/index.js';
import { connectHttp, startHttpServer, writeConfig, type HttpServerProcess } from '../helpers/mcp.js';
import { scenario } from '../helpers/scenario.js';

const TOKEN = 'bearer-Zq81-secret-token';
const PASSWORDS = { kalliope: 'kc-Pw-4431x', pbxpress: 'rpc-Pw-7702y', ipbx: 'ipps-Pw-1187z' } as const;
const XUC_PASSWORD = 'xuc-ws-pa55'; // the XUC simulator's own web-service password

const sims: Record<string, RunningSimulator> = {};
const engines: PbxEngine[] = [];
let server: HttpServerProcess;
let dir: string;
const seen: string[] = [];

beforeAll(async () => {
  for (const v of ['kalliope', 'xcally', 'xivo', 'ipbx', 'pbxpress']) {
    const engine = new PbxEngine(scenario());
    engines.push(engine);
    sims[v] = await SIMULATORS[v]!.start({ engine, port: 0, ...(v in PASSWORDS ? { password: PASSWORDS[v as keyof typeof PASSWORDS] } : {}) });
  }
  const pbxes: Record<string, unknown> = Object.fromEntries(Object.entries(sims).map(([v, s]) => [v, { ...s.configExample, ...(v === 'xivo' ? { defaultUser: 'alice' } : {}) }]));
  // Entries with wrong credentials, so auth failures (and their messages) are part of the run.
  pbxes.kalliopeBad = { ...(sims.kalliope!.configExample as object), password: 'wrong-Kc-0001' };
  pbxes.xivoBad = { ...(sims.xivo!.configExample as object), password: 'wrong-Xuc-0002', defaultUser: 'alice' };
  pbxes.pbxpressBad = { ...(sims.pbxpress!.configExample as object), password: 'wrong-Rpc-0003' };
  const cfg = writeConfig({
    defaultPbx: 'xcally',
    pbxes,
    http: { token: '${TELEPHONY_MCP_TOKEN}' },
    log: { level: 'debug' },
    safety: { confirm: 'off', dialPolicy: { defaultCountry: 'IT' } },
  });
  dir = cfg.dir;
  server = await startHttpServer({ config: cfg, env: { TELEPHONY_MCP_TOKEN: TOKEN } });
});

afterAll(async () => {
  await server.stop();
  for (const s of Object.values(sims)) await s.close();
  for (const e of engines) e.close();
});

it('no password, hash, Basic value, XUC token or bearer token appears in results, resources, logs or audit lines', async () => {
  const client = await connectHttp(server.url, { token: TOKEN });
  const call = async (name: string, args: Record<string, unknown>) => {
    const r = await client.callTool({ name, arguments: args });
    seen.push(JSON.stringify(r));
  };
  engines[0]!.inboundCall('+390612345678', '201');
  for (const pbx of ['kalliope', 'xcally', 'ipbx', 'pbxpress', 'kalliopeBad', 'pbxpressBad']) await call('get_active_call', { pbx });
  for (const pbx of ['kalliope', 'kalliopeBad']) await call('set_dnd', { pbx, enabled: true });
  for (const pbx of ['xivo', 'xivoBad']) {
    await call('set_dnd', { pbx, user: 'alice', enabled: true });
    await call('call_history', { pbx, user: 'alice' });
    await call('place_call', { pbx, user: 'alice', to: '202' });
  }
  // Notes are PBX data: read back as stored. (Text a client itself sends comes back as sent, secret or not, so
  // that no answer tells a guess from a secret: test/e2e/attack/secret-oracle.test.ts. This run sends none.)
  await call('pbx_notes', { pbx: 'pbxpress', action: 'set', key: 'k', value: 'remember the PBX is up' });
  await call('pbx_notes', { pbx: 'pbxpress', action: 'get', key: 'k' });
  await call('manage_contacts', { pbx: 'xcally', action: 'list' });
  await call('manage_contacts', { pbx: 'xivoBad', action: 'list' });
  const { resources } = await client.listResources();
  for (const r of resources) seen.push(JSON.stringify(await client.readResource({ uri: r.uri }).catch((e: Error) => e.message)));
  await client.close();
  await new Promise((r) => setTimeout(r, 200));

  // Everything telephony-mcp produced: results, resources, stderr, the audit file.
  const everything = [seen.join('\n'), server.stderr(), readFileSync(join(dir, 'audit.jsonl'), 'utf8')].join('\n');
  // Every secret in its forms: plain, hashed, in Basic headers, and the XUC tokens the simulator issued.
  const basic = (u: string, p: string) => Buffer.from(`${u}:${p}`).toString('base64');
  const tokens = new Set<string>();
  for (const q of sims.xivo!.server.log) {
    const m = /^Bearer (.+)$/.exec(String(q.headers.authorization ?? ''));
    if (m) tokens.add(m[1]!);
  }
  expect(tokens.size, 'the run must have used XUC tokens').toBeGreaterThan(0);
  const secrets = [
    TOKEN,
    ...Object.values(PASSWORDS),
    XUC_PASSWORD,
    'wrong-Kc-0001',
    'wrong-Xuc-0002',
    'wrong-Rpc-0003',
    createHash('md5').update(PASSWORDS.kalliope).digest('hex'),
    createHash('md5').update('wrong-Kc-0001').digest('hex'),
    basic('201', PASSWORDS.pbxpress),
    basic('ipps', PASSWORDS.ipbx),
    ...tokens,
  ];
  // The run did produce the kinds of output that could leak: auth failures and debug logs.
  expect(everything).toMatch(/refused our credentials|Authentication failed|auth|credentials/i);
  expect(server.stderr()).toMatch(/DEBUG/);
  for (const s of secrets) expect(everything.includes(s), `secret leaked: ${s.slice(0, 6)}...`).toBe(false);
});
