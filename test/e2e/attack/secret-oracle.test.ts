/**
 * Finding 1 of issue 13, through the built server: text a client sends comes back byte-identical whether or not it
 * equals a configured secret (masking it told the client which guess was right), while the secrets themselves
 * still appear in no output, log line or audit-file line, and vendor text that carries one is masked where it
 * enters. Short secrets are named at start-up.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { PbxEngine } from '../../../src/simulators/engine/engine.js';
import { SIMULATORS, type RunningSimulator } from '../../../src/simulators/index.js';
import { E2E_SCENARIO, connectStdio, writeConfig, type StdioSession, type TempConfig } from '../../helpers/mcp.js';
import { scenario } from '../../helpers/scenario.js';

const SECRET = 'oracle-Secret-8123-zz'; // the HTTP token in the config: registered as a secret, even over stdio
const GUESS = 'oracle-Guess00-8123-z'; // the same length, and no secret
const IPPS_PASSWORD = 'ipps-Secret-9921';
const PIN = '4711'; // a PBXpress self-care password may be a short PIN

type Result = { isError?: boolean; content: { text: string }[]; structuredContent?: Record<string, unknown> };

let s: StdioSession;
let cfg: TempConfig;
const sims: RunningSimulator[] = [];
const engines: PbxEngine[] = [];

beforeAll(async () => {
  for (const [vendor, password] of [['ipbx', IPPS_PASSWORD], ['pbxpress', PIN]] as const) {
    const engine = new PbxEngine(scenario());
    engines.push(engine);
    sims.push(await SIMULATORS[vendor]!.start({ engine, port: 0, password }));
  }
  cfg = writeConfig(
    {
      defaultPbx: 'office',
      pbxes: {
        office: { type: 'sim', scenario: './scenario.json', defaultUser: 'alice', traffic: false },
        ipps: sims[0]!.configExample,
        selfcare: sims[1]!.configExample,
      },
      http: { token: SECRET },
      log: { level: 'debug' },
      safety: { confirm: 'off', dialPolicy: { defaultCountry: 'IT' } },
    },
    E2E_SCENARIO,
  );
  s = await connectStdio({ config: cfg });
});
afterAll(async () => {
  await s.close();
  for (const sim of sims) await sim.close();
  for (const e of engines) e.close();
});

const tool = async (c: Client, name: string, args: Record<string, unknown>) => (await c.callTool({ name, arguments: args })) as Result;
const resourceError = (c: Client, uri: string) => c.readResource({ uri }).then(() => 'no error', (e: Error) => e.message);

describe('client text equal to a secret comes back as sent', () => {
  it('a note, a contact, a call id echoed in an error, a resource URI and audit://recent: the same answer for the secret as for a guess', async () => {
    const answers: Record<string, string[]> = {};
    for (const text of [SECRET, GUESS]) {
      const got: string[] = [];
      await tool(s.client, 'pbx_notes', { action: 'set', key: `k-${text.length}-${text === SECRET}`, value: text });
      got.push(String((await tool(s.client, 'pbx_notes', { action: 'get', key: `k-${text.length}-${text === SECRET}` })).structuredContent!.value));
      const created = (await tool(s.client, 'manage_contacts', { action: 'create', contact: { firstname: text, company: 'Acme' } })).structuredContent!;
      got.push(String((created.contact as { firstname: string }).firstname));
      got.push((await tool(s.client, 'hangup', { call_id: `abc.${text}` })).content[0]!.text);
      got.push((await tool(s.client, 'transfer', { call_id: `abc.${text}`, to: '202' })).content[0]!.text);
      got.push(await resourceError(s.client, `pbx://office/history/${text}`));
      got.push(await resourceError(s.client, `pbx://${text}/calls`));
      answers[text] = got.map((g) => g.replaceAll(text, '<text>'));
      for (const g of got) expect(g).not.toContain('***');
      expect(got[0]).toBe(text);
      expect(got[1]).toBe(text);
      expect(got[2]).toContain(`there is no active call with id abc.${text}`);
    }
    expect(answers[SECRET]).toEqual(answers[GUESS]);
    const audit = JSON.parse(((await s.client.readResource({ uri: 'audit://recent' })).contents[0] as { text: string }).text) as { entries: { tool: string; args: Record<string, unknown> }[] };
    const hangups = audit.entries.filter((e) => e.tool === 'hangup').map((e) => e.args.call_id);
    expect(hangups).toEqual([`abc.${SECRET}`, `abc.${GUESS}`]);
  });

  it('the secret itself still appears in no log line and no audit-file line (the operator sees it masked)', async () => {
    const logs = s.stderr();
    expect(logs).toMatch(/DEBUG/);
    expect(logs).not.toContain(SECRET);
    expect(logs).not.toContain(IPPS_PASSWORD);
    // Appended without blocking the tool call: wait for the last line.
    const file = await vi.waitFor(() => {
      const text = readFileSync(join(cfg.dir, 'audit.jsonl'), 'utf8');
      expect(text).toContain(GUESS);
      return text;
    });
    expect(file).not.toContain(SECRET);
  });
});

describe('secrets entering from a PBX', () => {
  it("an IPPS error that repeats the PBX's password comes back masked", async () => {
    sims[0]!.server.inject({ kind: 'replace', status: 200, body: `ERROR: login ipps / ${IPPS_PASSWORD} refused`, times: Infinity });
    const r = await tool(s.client, 'get_active_call', { pbx: 'ipps' });
    sims[0]!.server.clearFaults();
    expect(r.isError).toBe(true);
    expect(r.content[0]!.text).toContain('ERROR: login ipps / *** refused');
    expect(r.content[0]!.text).not.toContain(IPPS_PASSWORD);
  });

  it('a short secret is named (by its key, never shown) in a warning at start-up', () => {
    const warning = s.stderr().split('\n').find((l) => l.includes('pbxes.selfcare.password'));
    expect(warning).toMatch(/WARN .*secret in the config is shorter than 8 characters.*key=pbxes\.selfcare\.password/);
    expect(s.stderr()).not.toMatch(/key=(http\.token|pbxes\.ipps\.password)/);
  });
});
