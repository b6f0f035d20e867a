/**
 * Finding 2 of issue 13, through the built server and the real adapters (sim, and the Kalliope, xCALLY and XiVO
 * simulators): a premium- or standard-rate short code behind an outside-line prefix (0 or 9) is asked about
 * exactly as the code itself is, on every dial path, and a national number that reaches a premium one behind
 * the outside line is labelled with both readings. Italy: 1254 is a premium-rate directory service.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { PbxEngine } from '../../../src/simulators/engine/engine.js';
import { SIMULATORS, type RunningSimulator } from '../../../src/simulators/index.js';
import { E2E_SCENARIO, connectStdio, writeConfig, type StdioSession } from '../../helpers/mcp.js';
import { scenario } from '../../helpers/scenario.js';

type Result = { isError?: boolean; content: { text: string }[]; structuredContent?: Record<string, unknown> };

const VENDORS = ['kalliope', 'xcally', 'xivo'] as const;
const sims: Record<string, RunningSimulator> = {};
const engines: Record<string, PbxEngine> = {};
let s: StdioSession;

beforeAll(async () => {
  for (const v of VENDORS) {
    engines[v] = new PbxEngine(scenario());
    sims[v] = await SIMULATORS[v]!.start({ engine: engines[v], port: 0 });
  }
  const config = writeConfig(
    {
      defaultPbx: 'office',
      pbxes: {
        office: { type: 'sim', scenario: './scenario.json', defaultUser: 'alice', traffic: false },
        ...Object.fromEntries(VENDORS.map((v) => [v, { ...sims[v]!.configExample, ...(v === 'xivo' ? { defaultUser: 'alice' } : {}) }])),
      },
      safety: { confirm: 'token', dialPolicy: { defaultCountry: 'IT' } },
    },
    E2E_SCENARIO,
  );
  s = await connectStdio({ config });
});
afterAll(async () => {
  await s.close();
  for (const v of VENDORS) {
    await sims[v]!.close();
    engines[v]!.close();
  }
});

const tool = async (c: Client, name: string, args: Record<string, unknown>) => (await c.callTool({ name, arguments: args })) as Result;

describe('a costly short code behind an outside-line prefix', () => {
  it('place_call asks first on every PBX and every dial path, as for the code itself', async () => {
    const paths: [string, Record<string, unknown>][] = [
      ['office', {}],
      ['kalliope', {}],
      ['xcally', {}],
      ['xivo', {}],
      ['xivo', { from_queue_id: 3 }],
    ];
    const answers: [string, Result][] = [];
    for (const [pbx, extra] of paths) {
      for (const to of ['1254', '01254', '91254']) answers.push([`${pbx} ${JSON.stringify(extra)} ${to}`, await tool(s.client, 'place_call', { pbx, to, ...extra })]);
    }
    // Asked about, all of them: none dialled.
    expect(answers.filter(([, r]) => r.structuredContent?.status !== 'confirmation_required').map(([where, r]) => `${where}: ${r.content[0]!.text}`)).toEqual([]);
    for (const [where, r] of answers) expect(String(r.structuredContent!.message), where).toMatch(/premium-rate short number 1254 in Italy/);
    for (const v of VENDORS) expect(engines[v]!.listCalls(), v).toEqual([]);
  });

  it('a transfer target and a forwarding destination are labelled for what they reach, not as an extension', async () => {
    expect((await tool(s.client, 'place_call', { to: '202' })).structuredContent?.status).toBe('done');
    const transfer = (await tool(s.client, 'transfer', { to: '91254' })).structuredContent!;
    expect(transfer.message).toMatch(/to extension 91254 \(behind an outside-line prefix 9: the premium-rate short number 1254 in Italy\)/);
    const forward = (await tool(s.client, 'set_forward', { kind: 'unconditional', enabled: true, destination: '91254' })).structuredContent!;
    expect(forward.message).toMatch(/Forward all calls of alice to extension 91254 \(behind an outside-line prefix 9: the premium-rate short number 1254 in Italy\)\?/);
  });

  it('0899 123456: a Salerno number, or behind the outside line 0 a premium-rate one: the question says which is dialled', async () => {
    const r = (await tool(s.client, 'place_call', { to: '0899123456' })).structuredContent!;
    expect(r.status).toBe('confirmation_required');
    expect(r.message).toMatch(/\+39 089 912 3456 \(Italy, fixed line; dialled as this number, not as \+39 899 123 456 \(Italy, premium rate\), which 0 as an outside-line prefix would reach\)/);
  });
});
