/**
 * The call board in a real browser: headless Chromium hosts the view through the extension's own AppBridge, in a
 * test web host whose v2 client is connected to the BUILT server (dist/cli.js) on the demo PBX. The board shows
 * the demo's calls and queues, updates when a call starts, and a hang-up from the view asks for confirmation
 * first, nothing being hung up until the person says yes: through the host (MRTR on 2026-07-28), or, from a
 * host that cannot ask (2025-11-25 without elicitation), in the view's own dialog with the server's single-use
 * token. The page loads under the extension's default CSP (no remote anything): no violation may be reported.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import type { FrameLocator, Page } from 'playwright-core';
import { boardPage } from '../../src/server/apps.js';
import { call, connectHttp, eventually, REPO, startHttpServer, writeConfig, type HttpServerProcess } from '../helpers/mcp.js';
import { browserAvailable, type Harness, startHarness } from './browser.js';

/** What the test host page offers (test/apps/host/host.ts), as page.evaluate sees it. */
interface HostApi {
  tools(): Promise<{ name: string; _meta?: { ui?: { resourceUri?: string } } }[]>;
  resources(): Promise<{ uri: string; mimeType?: string }[]>;
  open(tool: string, args: object): Promise<void>;
  openCanned(html: string, tool: string, args: object, answers: object): Promise<void>;
  seen: { elicitations: string[]; relayed: { name: string; args: Record<string, unknown> }[]; errors: string[] };
}
type Win = { host: HostApi };

const run = browserAvailable();

/**
 * Waits on the page are generous: the machine running the suite may be loaded (a browser, several servers). A wait
 * still fails when what it waits for never comes.
 */
const WAIT = { timeout: 15_000 };

describe.skipIf(!run)('the call board in Chromium, on the demo PBX', { timeout: 90_000 }, () => {
  let h: Harness;
  let server: HttpServerProcess;
  let pbx: Client;

  beforeAll(async () => {
    h = await startHarness();
    // The built-in demo scenario, without its random traffic: the test starts the calls it looks for.
    const config = writeConfig({
      defaultPbx: 'demo',
      pbxes: { demo: { type: 'sim', defaultUser: 'alice', traffic: false, label: 'Demo PBX (simulated)' } },
      http: { allowedOrigins: [h.hostOrigin] },
      safety: { dialPolicy: { defaultCountry: 'IT' } },
    });
    server = await startHttpServer({ config });
    // A second client, outside the browser: it starts calls and checks what really happened on the PBX.
    pbx = await connectHttp(server.url);
  }, 60_000);

  afterAll(async () => {
    await pbx?.close();
    await server?.stop();
    await h?.close();
  });

  const view = (page: Page): FrameLocator => page.frameLocator('#view').frameLocator('iframe');
  const callsOf = async (user = 'alice') => (await call(pbx, 'get_active_call', { user })).calls as { id: string; state: string }[];
  const confirmed = async (tool: string, args: Record<string, unknown>) => {
    let r = await call(pbx, tool, args);
    if (r.status === 'confirmation_required') r = await call(pbx, tool, { ...args, confirm_token: r.confirm_token });
    expect(r.status, JSON.stringify(r)).toBe('done');
    return r;
  };
  const dial = (to: string, user = 'alice') => confirmed('place_call', { to, user });
  async function hangAllUp(): Promise<void> {
    for (const user of ['alice', 'bob', 'carol']) for (const c of await callsOf(user)) await confirmed('hangup', { call_id: c.id, user }).catch(() => {});
  }
  async function openHost(opts: Record<string, string>, tool?: string, args: object = {}): Promise<Page> {
    const page = await h.newPage();
    await page.goto(h.hostUrl(server.url, opts));
    if (tool) await page.evaluate(([t, a]) => (globalThis as unknown as Win).host.open(t as string, a as object), [tool, args] as const);
    return page;
  }
  const relayed = (page: Page) => page.evaluate(() => (globalThis as unknown as Win).host.seen.relayed);

  it('only a host that declares MCP Apps is told of the view: on get_active_call and list_queue', async () => {
    const page = await openHost({ era: 'modern', elicit: '1' });
    const tools = await page.evaluate(() => (globalThis as unknown as Win).host.tools());
    expect(tools.filter((t) => t._meta?.ui?.resourceUri === 'ui://telephony/call-board').map((t) => t.name).sort()).toEqual(['get_active_call', 'list_queue']);
    expect(tools.filter((t) => t._meta).length).toBe(2);
    const resources = await page.evaluate(() => (globalThis as unknown as Win).host.resources());
    expect(resources.find((r) => r.uri === 'ui://telephony/call-board')?.mimeType).toBe('text/html;profile=mcp-app');
    await page.close();

    const plain = await openHost({ era: 'modern', apps: '0' });
    expect((await plain.evaluate(() => (globalThis as unknown as Win).host.tools())).filter((t) => t._meta)).toEqual([]);
    expect((await plain.evaluate(() => (globalThis as unknown as Win).host.resources())).map((r) => r.uri)).not.toContain('ui://telephony/call-board');
    await plain.close();
  });

  it('reads well in light and dark hosts (and makes the README screenshot)', async () => {
    // The demo as it starts: bob talks with Acme, Maria Esposito waits in sales (dave paused, erin rings). Alice calls
    // bob too: call waiting, it rings.
    await dial('202');
    const shots: Record<string, Buffer> = {};
    for (const theme of ['light', 'dark']) {
      const page = await openHost({ era: 'modern', elicit: '1', theme }, 'get_active_call', { user: 'bob' });
      const v = view(page);
      await expect.poll(() => v.locator('.call').evaluateAll((rows) => rows.map((r) => r.getAttribute('data-state'))), WAIT).toEqual(['connected', 'ringing']);
      await expect.poll(() => v.locator('.call .from').allTextContents(), WAIT).toEqual(['Acme Srl reception · +390287654321', 'Alice Martin · 201']);
      const sales = v.locator('.queue', { has: v.locator('h3', { hasText: 'sales' }) });
      await expect.poll(() => sales.locator('.qcall[data-status="waiting"] .who').allTextContents(), WAIT).toEqual(['Maria Esposito · +393471234567']);
      await expect.poll(() => v.locator('.member', { hasText: 'Bob Rossi' }).locator('.sub').textContent(), WAIT).toBe('bob · On a call');
      const [bg, fg] = await v.locator('html').evaluate((r) => {
        const style = (globalThis as unknown as { getComputedStyle(e: unknown): { backgroundColor: string; color: string } }).getComputedStyle(r);
        return [style.backgroundColor, style.color];
      });
      const luminance = (c: string) => {
        const [r, g, b] = (c.match(/\d+(\.\d+)?/g) ?? []).map(Number);
        return (0.2126 * r! + 0.7152 * g! + 0.0722 * b!) / 255;
      };
      // Dark text on a light page, light text on a dark one, far apart either way.
      if (theme === 'light') expect(luminance(bg!)).toBeGreaterThan(0.9);
      else expect(luminance(bg!)).toBeLessThan(0.2);
      expect(Math.abs(luminance(bg!) - luminance(fg!))).toBeGreaterThan(0.6);
      shots[theme] = await page.locator('#view').screenshot();
      await page.close();
    }
    // CALL_BOARD_SCREENSHOT=docs/call-board.png remakes the README's picture (the light one).
    if (process.env.CALL_BOARD_SCREENSHOT) writeFileSync(process.env.CALL_BOARD_SCREENSHOT, shots.light!);
  });

  it('shows the demo calls and queues, updates when a call starts, and hangs up only once the host asked and got a yes', async () => {
    await hangAllUp();
    const page = await openHost({ era: 'modern', elicit: '1' }, 'get_active_call');
    const v = view(page);
    await expect.poll(() => v.locator('#calls-h').textContent(), WAIT).toContain('Calls of alice');
    await expect.poll(() => v.locator('.calls + .note').textContent(), WAIT).toContain('No active calls');
    // The demo's queues, found on the PBX: support (alice, bob, carol) and sales (dave paused, erin).
    await expect.poll(() => v.locator('.queue h3').allTextContents(), WAIT).toEqual(['support', 'sales']);
    const sales = v.locator('.queue', { has: v.locator('h3', { hasText: 'sales' }) });
    await expect.poll(() => sales.locator('.member').count(), WAIT).toBe(2);
    await expect.poll(() => sales.locator('.member[data-paused="true"] .who').textContent(), WAIT).toContain('Dave Conti');
    expect(await sales.locator('.member[data-paused="false"] .who').textContent()).toContain('Erin Greco');

    // A call starts on the PBX: the board shows it at its next read, with both parties, its state and a clock.
    await dial('202');
    const row = v.locator('.call').first();
    await expect.poll(() => row.locator('.parties').textContent(), WAIT).toBe('Alice Martin · 201 →  to Bob Rossi · 202');
    expect(['ringing', 'connected']).toContain(await row.getAttribute('data-state'));
    expect(await row.locator('.dur').textContent()).toMatch(/^\d+:\d\d$/);

    // Hang up from the view: the host asks; the call stays up while nobody answered, and after a no.
    await row.getByRole('button', { name: 'Hang up' }).click();
    await expect.poll(() => page.locator('#host-confirm').isVisible(), WAIT).toBe(true);
    expect(await page.locator('#host-confirm p').textContent()).toMatch(/^Hang up .*Bob Rossi/);
    await new Promise((r) => setTimeout(r, 500));
    expect((await callsOf()).length).toBe(1);
    await page.locator('#host-no').click();
    await expect.poll(() => v.locator('.notice').textContent(), WAIT).toBe('Not confirmed: nothing was done.');
    expect((await callsOf()).length).toBe(1);

    await row.getByRole('button', { name: 'Hang up' }).click();
    await expect.poll(() => page.locator('#host-confirm').isVisible(), WAIT).toBe(true);
    await page.locator('#host-yes').click();
    await eventually(async () => (await callsOf()).length === 0, 15_000, 'the call to end');
    await expect.poll(() => v.locator('.notice').textContent(), WAIT).toMatch(/^Hung up the call/);
    await expect.poll(() => v.locator('.call').count(), WAIT).toBe(0);

    // Everything went through the host's tools/call: the same tool, arguments the server checks, no token.
    const hangups = (await relayed(page)).filter((r) => r.name === 'hangup');
    expect(hangups.length).toBe(2);
    expect(hangups[0]!.args).toEqual({ call_id: expect.any(String), user: 'alice', pbx: 'demo' });
    expect((await page.evaluate(() => (globalThis as unknown as Win).host.seen.elicitations)).length).toBe(2);
    await page.close();
  });

  it('transfers a call from the view, after the host asked', async () => {
    await hangAllUp();
    const page = await openHost({ era: 'modern', elicit: '1' }, 'get_active_call');
    const v = view(page);
    await dial('202');
    const row = v.locator('.call').first();
    await expect.poll(() => row.locator('.parties').textContent(), WAIT).toContain('Bob Rossi');
    await confirmed('answer_call', { user: 'bob' });
    await expect.poll(() => row.getAttribute('data-state'), WAIT).toBe('connected');
    await row.getByRole('button', { name: 'Transfer…' }).click();
    await row.getByLabel('Transfer to').fill('203');
    await row.getByLabel('Transfer to').press('Enter');
    await expect.poll(() => page.locator('#host-confirm').isVisible(), WAIT).toBe(true);
    expect(await page.locator('#host-confirm p').textContent()).toMatch(/^Transfer .*Bob Rossi.* to extension 203\?/);
    await page.locator('#host-yes').click();
    await expect.poll(() => v.locator('.notice').textContent(), WAIT).toMatch(/^Transferred/);
    await eventually(async () => (await callsOf()).length === 0, 15_000, 'alice to leave the call');
    expect((await relayed(page)).find((r) => r.name === 'transfer')!.args).toEqual({ call_id: expect.any(String), to: '203', user: 'alice', pbx: 'demo' });
    await page.close();
  });

  it('from a host that cannot ask, confirms in its own dialog by keyboard; pauses an agent; opened on a queue', async () => {
    await hangAllUp();
    const page = await openHost({ era: 'legacy' }, 'list_queue', { queue: 'support' });
    const v = view(page);
    await expect.poll(() => v.locator('.queue h3').allTextContents(), WAIT).toEqual(['support']);
    await expect.poll(() => v.locator('.queue .member').count(), WAIT).toBe(3);
    await dial('203');
    const row = v.locator('.call').first();
    await expect.poll(() => row.locator('.parties').textContent(), WAIT).toContain('Carol Bianchi');

    // Keyboard only: Enter on "Hang up" opens the view's dialog with Cancel focused; Escape says no.
    const hang = row.getByRole('button', { name: 'Hang up' });
    await hang.focus();
    await page.keyboard.press('Enter');
    const dialog = v.locator('dialog.confirm');
    await expect.poll(() => dialog.isVisible(), WAIT).toBe(true);
    expect(await dialog.locator('#confirm-q').textContent()).toMatch(/^Hang up .*Carol Bianchi/);
    expect(await v.locator('dialog.confirm button:focus').textContent()).toBe('Cancel');
    await page.keyboard.press('Escape');
    await expect.poll(() => v.locator('.notice').textContent(), WAIT).toBe('Cancelled: nothing was done.');
    expect((await callsOf()).length).toBe(1);
    // The token the server handed out was never sent back: nothing was hung up.
    expect((await relayed(page)).filter((r) => r.name === 'hangup').map((r) => 'confirm_token' in r.args)).toEqual([false]);

    await hang.focus();
    await page.keyboard.press('Enter');
    await expect.poll(() => dialog.isVisible(), WAIT).toBe(true);
    await page.keyboard.press('Tab');
    expect(await v.locator('dialog.confirm button:focus').textContent()).toBe('Hang up');
    await page.keyboard.press('Enter');
    await eventually(async () => (await callsOf()).length === 0, 15_000, 'the call to end');
    await expect.poll(() => v.locator('.notice').textContent(), WAIT).toMatch(/^Hung up the call/);
    expect((await relayed(page)).filter((r) => r.name === 'hangup').map((r) => 'confirm_token' in r.args)).toEqual([false, false, true]);

    // Pausing an agent asks nobody (the tool is unguarded: it ends no call and is undone by resuming).
    const bob = v.locator('.member', { hasText: 'Bob Rossi' });
    await bob.getByRole('button', { name: 'Pause' }).click();
    await expect.poll(() => bob.getAttribute('data-paused'), WAIT).toBe('true');
    const members = (await call(pbx, 'list_queue', { queue: 'support' })).members as { user: string; paused: boolean }[];
    expect(members.find((m) => m.user === 'bob')!.paused).toBe(true);
    await bob.getByRole('button', { name: 'Resume' }).click();
    await expect.poll(() => bob.getAttribute('data-paused'), WAIT).toBe('false');
    await page.close();
  });

  it('renders what a PBX sends as text, and says what the PBX cannot tell', async () => {
    const html = boardPage(readFileSync(join(REPO, 'dist', 'call-board.html'), 'utf8'), { pace: { far: 1000 } });
    const hostile = '<img src=x onerror="document.title=\'pwned\'">Mallory';
    const calls = {
      content: [{ type: 'text', text: '1 active call' }],
      structuredContent: {
        pbx: 'far',
        user: 'agent7',
        total: 1,
        calls: [
          { id: 'c1', state: 'connected', from: { number: '+3906123', name: hostile }, to: { number: '207' }, answered: true, started_at: new Date().toISOString(), duration_seconds: 65 },
        ],
      },
    };
    const queue = {
      content: [{ type: 'text', text: 'Queue q' }],
      structuredContent: {
        pbx: 'far',
        queue: 'hotline',
        waiting_count: 3,
        calls: [],
        members: null,
        members_note: 'this PBX does not report queue members or their pauses (its API has no such read)',
      },
    };
    const page = await openHost({ era: 'modern' });
    await page.evaluate(([h, a]) => (globalThis as unknown as Win).host.openCanned(h as string, 'get_active_call', {}, a as object), [
      html,
      { get_active_call: calls, list_queue: queue, 'pbx://far/queues': { contents: [{ uri: 'pbx://far/queues', text: JSON.stringify({ queues: [{ name: 'hotline' }], total: 1 }) }] } },
    ] as const);
    const v = view(page);
    await expect.poll(() => v.locator('.call .from').textContent(), WAIT).toBe(`${hostile} · +3906123`);
    expect(await v.locator('img').count()).toBe(0);
    expect(await v.locator('title').textContent()).toBe('Call board');
    await expect.poll(() => v.locator('.queue .qsum').textContent(), WAIT).toBe('3 waiting');
    expect(await v.locator('.queue .waiting + .note').textContent()).toBe('This PBX reports how many wait, not who.');
    expect(await v.locator('.queue .members + .note').textContent()).toBe('This PBX does not report queue members or their pauses (its API has no such read).');
    expect(await v.locator('.queue .member').count()).toBe(0);
    // The pace the server wrote into the page for this PBX.
    await expect.poll(() => v.locator('.status').textContent(), WAIT).toMatch(/^Live, every 1 s · updated \d\d:\d\d:\d\d$/);
    await page.close();
  });

  it('counts the read that opened it: no read of its own before a pace has passed', async () => {
    const html = boardPage(readFileSync(join(REPO, 'dist', 'call-board.html'), 'utf8'), { pace: { slow: 60_000 } });
    const calls = { content: [{ type: 'text', text: 'No active call' }], structuredContent: { pbx: 'slow', calls: [], total: 0 } };
    const page = await openHost({ era: 'modern' });
    await page.evaluate(([h, a]) => (globalThis as unknown as Win).host.openCanned(h as string, 'get_active_call', { pbx: 'slow' }, a as object), [html, { get_active_call: calls }] as const);
    const v = view(page);
    await expect.poll(() => v.locator('.status').textContent(), WAIT).toMatch(/^Live, every 60 s · updated /);
    await new Promise((r) => setTimeout(r, 1500));
    expect(await relayed(page)).toEqual([]);
    await page.close();
  });

  it('says which queue could not be read, and backs off when nothing could be', async () => {
    const html = boardPage(readFileSync(join(REPO, 'dist', 'call-board.html'), 'utf8'), { pace: { far: 1000 } });
    const down = { isError: true, content: [{ type: 'text', text: 'PBX far (xivo) is unreachable: connection refused. Nothing was done.' }] };
    const queues = { contents: [{ uri: 'pbx://far/queues', text: JSON.stringify({ queues: [{ name: 'hotline' }], total: 1 }) }] };
    const page = await openHost({ era: 'modern' });
    await page.evaluate(([h, a]) => (globalThis as unknown as Win).host.openCanned(h as string, 'get_active_call', { pbx: 'far' }, a as object), [
      html,
      { get_active_call: down, list_queue: down, 'pbx://far/queues': queues },
    ] as const);
    const v = view(page);
    await expect.poll(() => v.locator('.calls + .note').textContent(), WAIT).toBe(`Could not read the calls: ${down.content[0]!.text}`);
    // The queue was found (the resource answered) but reading it failed: said on its own card.
    await expect.poll(() => v.locator('.queue h3').allTextContents(), WAIT).toEqual(['hotline']);
    await expect.poll(() => v.locator('.queue .note[data-kind="error"]').textContent(), WAIT).toBe(`Could not read this queue: ${down.content[0]!.text}`);
    await expect.poll(() => v.locator('.status').textContent(), WAIT).toMatch(/^Not live: the last read failed; retrying in \d+ s/);
    // Rounds that read nothing come slower and slower (1 s pace, then about 2, 4, 8 s): few calls in 8 seconds.
    await new Promise((r) => setTimeout(r, 8000));
    const reads = (await relayed(page)).filter((r) => r.name === 'get_active_call').length;
    expect(reads).toBeGreaterThanOrEqual(2);
    expect(reads).toBeLessThanOrEqual(5);
    await page.close();
  });

  it('loaded nothing the default CSP refuses, and logged no error in any frame', () => {
    expect(h.cspReports).toEqual([]);
    expect(h.consoleErrors).toEqual([]);
  });
});
