/**
 * Finding 4 of issue 13, through the built server over HTTP and the xCALLY adapter: an answer nested two million
 * levels deep is refused before any parser sees it, an oversized one is refused as such, and a long one is cut to
 * what one result may hand a model, with the total and a note. (How long the event loop is blocked is measured
 * in bench/hostile-pbx.mjs, not asserted here.)
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { PbxEngine } from '../../../src/simulators/engine/engine.js';
import { SIMULATORS, type RunningSimulator } from '../../../src/simulators/index.js';
import { connectHttp, startHttpServer, writeConfig, type HttpServerProcess } from '../../helpers/mcp.js';
import { scenario } from '../../helpers/scenario.js';

type Result = { isError?: boolean; content: { text: string }[]; structuredContent?: Record<string, unknown> };

let engine: PbxEngine;
let sim: RunningSimulator;
let server: HttpServerProcess;
let client: Client;

beforeAll(async () => {
  engine = new PbxEngine(scenario());
  sim = await SIMULATORS.xcally!.start({ engine, port: 0 });
  server = await startHttpServer({ config: writeConfig({ pbxes: { xcally: sim.configExample }, safety: { dialPolicy: { defaultCountry: 'IT' } } }) });
  client = await connectHttp(server.url);
});
afterAll(async () => {
  await client.close();
  await server.stop();
  await sim.close();
  engine.close();
});

const channels = (body: string) => sim.server.inject({ kind: 'replace', status: 200, body, headers: { 'content-type': 'application/json' }, times: Infinity, match: '/channels' });
const rows = (n: number) => JSON.stringify({ method: 'channels', response: 'true', rows: Array.from({ length: n }, (_, i) => ({ extension: `3906${String(i).padStart(7, '0')}` })) });
const activeCalls = async (args: Record<string, unknown> = {}) => (await client.callTool({ name: 'get_active_call', arguments: args })) as Result;

describe('a hostile xCALLY answer', () => {
  it('4 MB nested two million levels deep: refused unread (larger than a phone bar ever answers)', async () => {
    channels(`{"method":"channels","response":"true","rows":${'['.repeat(2_000_000)}${']'.repeat(2_000_000)}}`);
    const r = await activeCalls();
    sim.server.clearFaults();
    expect(r.isError).toBe(true);
    expect(r.content[0]!.text).toMatch(/^PBX `xcally` \(xcally\): the PBX sent an oversized answer \(response larger than 131072 bytes\) when asked to read the active calls; it was not read\./);
  });

  it('the same nesting within the size bound (50,000 levels, 100 KB): refused unread, before any parser', async () => {
    channels(`{"method":"channels","response":"true","rows":${'['.repeat(50_000)}${']'.repeat(50_000)}}`);
    const r = await activeCalls();
    sim.server.clearFaults();
    expect(r.isError).toBe(true);
    expect(r.content[0]!.text).toMatch(/^PBX `xcally` \(xcally\): the PBX sent an answer nested deeper than any it documents \(answer nested deeper than 8 levels\) when asked to read the active calls; it was not read\./);
    // The server is fine afterwards.
    expect((await activeCalls()).isError).toBeFalsy();
  });

  it('45,000 channel rows (1.3 MB): refused as oversized for a phone bar (128 KB)', async () => {
    channels(rows(45_000));
    const r = await activeCalls();
    sim.server.clearFaults();
    expect(r.content[0]!.text).toMatch(/the PBX sent an oversized answer \(response larger than 131072 bytes\)/);
  });

  it('4,000 channel rows (112 KB): the result holds 50 of them by default (limit raises it to 500), with the total and a note', async () => {
    channels(rows(4_000));
    const r = (await activeCalls()).structuredContent!;
    expect((r.calls as unknown[]).length).toBe(50);
    expect(r.total).toBe(4_000);
    expect(r.truncated).toBe('showing 50 of 4000 calls; 3950 left out: pass a higher limit (up to 500)');
    expect(JSON.stringify(r).length).toBeLessThan(20_000);
    const more = (await activeCalls({ limit: 500 })).structuredContent!;
    expect((more.calls as unknown[]).length).toBe(500);
    expect(more.truncated).toMatch(/left out: narrow the request/);
    const resource = JSON.parse(((await client.readResource({ uri: 'pbx://xcally/calls' })).contents[0] as { text: string }).text) as Record<string, unknown>;
    expect((resource.calls as unknown[]).length).toBe(200);
    expect(resource).toMatchObject({ total: 4_000, truncated: 'showing 200 of 4000 calls; the matching tool takes a limit' });
    sim.server.clearFaults();
  });
});
