/**
 * End to end: the SDK's real Client -> the built telephony-mcp (spawned, stdio) -> the sim PBX, with calling hours
 * and a do-not-call list in the config. The windows are written relative to the current time in each zone when the
 * test starts, so the test does not depend on the wall clock: Italy's includes now, the United Kingdom's and the
 * default exclude it. The list is edited while the server runs.
 */
import { appendFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { acceptAll, call, connectStdio, eventually, simConfig, type StdioSession, type TempConfig } from '../helpers/mcp.js';

/** "HH:MM" in `zone`, `minutes` from now. */
function clockIn(zone: string, minutes: number): string {
  return new Intl.DateTimeFormat('en-GB', { timeZone: zone, hour: '2-digit', minute: '2-digit', hourCycle: 'h23' }).format(Date.now() + minutes * 60_000);
}

const ROME_OPEN = `${clockIn('Europe/Rome', -90)}-${clockIn('Europe/Rome', 90)}`;
const LONDON_START = clockIn('Europe/London', 120);
const LONDON_CLOSED = `${LONDON_START}-${clockIn('Europe/London', 180)}`;
const DEFAULT_CLOSED = `${clockIn('Europe/Paris', 120)}-${clockIn('Europe/Paris', 180)}`;

let cfg: TempConfig;
let session: StdioSession;
let client: Client;
/** What the server asked the person (elicitation), in order; every question is accepted. */
const asked: string[] = [];

beforeAll(async () => {
  cfg = simConfig({
    safety: {
      dialPolicy: {
        defaultCountry: 'IT',
        maxCallsPerMinute: 100,
        allowedCountryCodes: ['GB', 'FR'],
        callingHours: { IT: ROME_OPEN, GB: LONDON_CLOSED, default: DEFAULT_CLOSED },
        doNotCall: ['dnc.txt', 'optout.csv'],
      },
    },
  });
  writeFileSync(join(cfg.dir, 'dnc.txt'), '# national register\n+39 02 8765 4321\n06 99*\n');
  writeFileSync(join(cfg.dir, 'optout.csv'), 'name,number\n"Verdi, G.",+39 06 4444 0000\n');
  session = await connectStdio({
    config: cfg,
    elicit: (message) => {
      asked.push(message);
      return acceptAll(message);
    },
  });
  client = session.client;
});

afterAll(async () => {
  await session?.close();
});

/** The error text of a refused call, and the dial-policy rule it names (a client sees only the text). */
async function refusal(name: string, args: Record<string, unknown>): Promise<{ text: string; rule: string | undefined }> {
  const r = await client.callTool({ name, arguments: args });
  expect(r.isError, JSON.stringify(r.structuredContent ?? r.content)).toBe(true);
  const text = (r.content as { text: string }[])[0]!.text;
  return { text, rule: /Refused by the dial policy \(rule: ([a-z_]+)\)/.exec(text)?.[1] };
}

describe('calling hours through the real server', () => {
  it('refuses a call outside the window, naming the local time and when the window opens', async () => {
    const r = await refusal('place_call', { to: '+44 20 7946 0018' });
    expect(r.text).toMatch(
      new RegExp(`^PBX \`office\` \\(sim\\): Refused by the dial policy \\(rule: calling_hours\\): It is \\d\\d:\\d\\d in London; calls to the United Kingdom are allowed from ${LONDON_START}( tomorrow)?\\. Nothing was dialled\\.`),
    );
  });

  it('lets a call inside the window through', async () => {
    expect(await call(client, 'place_call', { to: '+39 06 1234 5678' })).toMatchObject({ status: 'done', to: '+390612345678' });
  });

  it('leaves internal calls alone, though the default window is closed', async () => {
    expect(await call(client, 'place_call', { to: '202' })).toMatchObject({ status: 'done', to: '202' });
    expect((await refusal('place_call', { to: '+33 1 23 45 67 89' })).text).toMatch(/rule: calling_hours\): It is \d\d:\d\d in Paris; calls to France are allowed from/);
  });
});

describe('do-not-call lists through the real server', () => {
  it('refuses listed numbers and prefixes on place_call, transfer and set_forward, before the PBX is asked', async () => {
    const cases: [string, Record<string, unknown>, RegExp][] = [
      ['place_call', { to: '+39 02 8765 4321' }, /\+39 02 8765 4321 is on the do-not-call list dnc\.txt; telephony-mcp does not call it/],
      ['place_call', { to: '06 9912 3456' }, /\+39 06 9912 3456 is on the do-not-call list dnc\.txt/],
      ['transfer', { to: '0287654321' }, /\+39 02 8765 4321 is on the do-not-call list dnc\.txt; telephony-mcp does not transfer calls to it/],
      ['transfer', { to: '+39 06 4444 0000' }, /\+39 06 4444 0000 is on the do-not-call list optout\.csv/],
      ['set_forward', { kind: 'unconditional', enabled: true, destination: '+39 06 99 00 11 22' }, /is on the do-not-call list dnc\.txt; telephony-mcp does not forward calls to it/],
    ];
    for (const [name, args, re] of cases) {
      const r = await refusal(name, args);
      expect(r.text, name).toMatch(re);
      expect(r.text, name).toMatch(/Nothing was dialled\. Do not call this number\./);
      expect(r.rule, name).toBe('do_not_call');
    }
  });

  it('takes an edited list without a restart', async () => {
    const target = '+39 06 5555 1234';
    // Not listed: the transfer gets past the policy and fails for want of a call to transfer.
    const before = await refusal('transfer', { to: target });
    expect(before.rule).toBeUndefined();
    appendFileSync(join(cfg.dir, 'dnc.txt'), '+39 06 5555 1234\n');
    await eventually(async () => (await refusal('transfer', { to: target })).rule === 'do_not_call', 10_000, 'the edited list to be read');
    expect(session.stderr()).toMatch(/do-not-call list reloaded.*file=dnc\.txt.*entries=3/);
  });
});

describe('no double action through the real server', () => {
  it('a second identical call within the window asks, saying when the first was made; a different number does not', async () => {
    asked.length = 0;
    expect(await call(client, 'place_call', { to: '203' })).toMatchObject({ status: 'done', to: '203' });
    expect(asked).toEqual([]);
    expect(await call(client, 'place_call', { to: '203' })).toMatchObject({ status: 'done', to: '203' });
    expect(asked).toHaveLength(1);
    expect(asked[0]).toMatch(/You called extension 203 from alice \d+ s ago\. Call again\?/);
    expect(await call(client, 'place_call', { to: '201', user: 'bob' })).toMatchObject({ status: 'done' });
    expect(asked).toHaveLength(1);
  });
});
