/** Prompts, completions, progress and logging notifications through the SDK's real Client. */
import { afterEach, describe, expect, it } from 'vitest';
import { LoggingMessageNotificationSchema, type LoggingMessageNotification } from '@modelcontextprotocol/sdk/types.js';
import { LogHub } from '../../src/log.js';
import { inMemoryClient, testApp, type TestApp } from '../helpers/app.js';

let t: TestApp;
const closers: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of closers.splice(0)) await c();
  await t.close();
});

async function client(config: Record<string, unknown> = {}, logs?: LogHub) {
  t = await testApp({ safety: { confirm: 'off', dialPolicy: { defaultCountry: 'IT' } }, ...config }, logs ? { logs } : {});
  const c = await inMemoryClient(t.app);
  closers.push(c.close);
  return c.client;
}

describe('capabilities', () => {
  it('announces no list changes: the tools, resources and prompts on offer are fixed for the process', async () => {
    const caps = (await client()).getServerCapabilities();
    expect(caps?.tools?.listChanged).toBe(false);
    expect(caps?.resources).toMatchObject({ subscribe: true, listChanged: false });
    expect(caps?.prompts?.listChanged).toBe(false);
    expect(caps).toHaveProperty('logging');
    expect(caps).toHaveProperty('completions');
  });
});

describe('prompts', () => {
  it('lists the prompts for the common jobs and renders templates that name the tools', async () => {
    const c = await client();
    const { prompts } = await c.listPrompts();
    expect(prompts.map((p) => p.name).sort()).toEqual(['queue_report', 'return_missed_calls', 'transfer_to_colleague']);
    const report = await c.getPrompt({ name: 'queue_report', arguments: { queue: 'support' } });
    const text = (report.messages[0]!.content as { text: string }).text;
    expect(text).toMatch(/list_queue with queue "support"/);
    expect(text).toMatch(/pause_queues/);
    expect(text).toMatch(/only after I agree/);
    const missed = (await c.getPrompt({ name: 'return_missed_calls', arguments: { user: 'bob' } })).messages[0]!.content as { text: string };
    expect(missed.text).toMatch(/history\/bob/);
    expect(missed.text).toMatch(/place_call .*user "bob"/);
    expect(missed.text).toMatch(/confirm_token/);
    const transfer = (await c.getPrompt({ name: 'transfer_to_colleague', arguments: { colleague: 'Carol', mode: 'attended' } })).messages[0]!
      .content as { text: string };
    expect(transfer.text).toMatch(/get_active_call[\s\S]*manage_contacts[\s\S]*transfer with to = that number.*mode "attended"/);
    await expect(c.getPrompt({ name: 'transfer_to_colleague', arguments: {} })).rejects.toThrow(/colleague/);
    // A PBX that is not configured: invalid params (not an internal error), naming the ones that are.
    await expect(c.getPrompt({ name: 'queue_report', arguments: { pbx: 'nope' } })).rejects.toMatchObject({
      code: -32602,
      message: expect.stringContaining('there is no PBX named "nope"; the configured PBXs are office'),
    });
  });

  it('offers only the prompts whose tools are offered (read-only mode)', async () => {
    const c = await client({ readOnly: true });
    expect((await c.listPrompts()).prompts.map((p) => p.name)).toEqual(['queue_report']);
  });
});

describe('completions', () => {
  it('completes pbx, queue and user arguments of prompts and resource templates', async () => {
    const c = await client();
    const prompt = async (name: string, arg: string, value: string) =>
      (await c.complete({ ref: { type: 'ref/prompt', name }, argument: { name: arg, value } })).completion.values;
    expect(await prompt('queue_report', 'queue', 's')).toEqual(['support', 'sales']);
    expect(await prompt('queue_report', 'pbx', '')).toEqual(['office']);
    expect(await prompt('return_missed_calls', 'user', 'ca')).toEqual(['carol']);
    const template = (await c.complete({ ref: { type: 'ref/resource', uri: 'pbx://{pbx}/queues/{queue}' }, argument: { name: 'queue', value: 'sa' } }))
      .completion.values;
    expect(template).toEqual(['sales']);
  });
});

describe('progress', () => {
  it('reports progress of a CSV import and of waiting for a call to be answered', async () => {
    const c = await client();
    const seen: { progress: number; total?: number; message?: string }[] = [];
    await c.callTool(
      { name: 'manage_contacts', arguments: { action: 'import_csv', csv: 'lastname\nRossi\nBianchi\n' } },
      undefined,
      { onprogress: (p) => void seen.push(p) },
    );
    expect(seen[0]).toMatchObject({ progress: 0, total: 2 });
    expect(seen.at(-1)).toMatchObject({ progress: 2, total: 2 });

    seen.length = 0;
    const answer = setTimeout(() => t.clock.advance(2000), 700);
    const r = await c.callTool({ name: 'place_call', arguments: { to: '202', wait_seconds: 5 } }, undefined, {
      onprogress: (p) => void seen.push(p),
    });
    clearTimeout(answer);
    const out = r.structuredContent as { call: { state: string }; message: string };
    expect(out.call.state).toBe('connected');
    expect(out.message).toMatch(/answered after \d+ s/);
    expect(seen.some((p) => /is ringing/.test(p.message ?? ''))).toBe(true);
    expect(seen.at(-1)!.message).toMatch(/is connected/);
    // MCP: progress strictly increases with each notification (polls twice a second; seconds to the millisecond).
    for (let i = 1; i < seen.length; i++) expect(seen[i]!.progress, JSON.stringify(seen)).toBeGreaterThan(seen[i - 1]!.progress);
  });
});

describe('errors', () => {
  it('carry their code once: a client shows "MCP error -32602: ...", not the code twice', async () => {
    const c = await client();
    const e = await c.readResource({ uri: 'pbx://nowhere/calls' }).then(
      () => undefined,
      (err: Error & { code?: number; data?: unknown }) => err,
    );
    expect(e?.code).toBe(-32602);
    expect(e?.data).toEqual({ uri: 'pbx://nowhere/calls' });
    expect(e?.message).toBe('MCP error -32602: Resource not found: there is no PBX named "nowhere" (pbx://nowhere/calls)');
  });
});

describe('logging notifications', () => {
  it("sends this session its log records from info up, honours logging/setLevel, and never another session's or the process's", async () => {
    const logs = new LogHub({ level: 'error', write: () => {} });
    const c = await client({}, logs);
    const got: LoggingMessageNotification['params'][] = [];
    c.setNotificationHandler(LoggingMessageNotificationSchema, (n) => void got.push(n.params));
    // This session's id, as its tool calls log it: the runner's log lines carry it.
    await c.callTool({ name: 'hangup', arguments: { call_id: 'none' } });
    const mine = (t.app.audit.recent().at(-1) as { session: string }).session;
    const log = t.app.log;
    log.info('global event', { pbx: 'office' });
    log.debug('too chatty', { session: mine });
    log.warn('other session', { session: 'someone-else', tool: 'x' });
    log.error('with secret detail', { session: mine, error: new Error('stack here'), tool: 'hangup' });
    await new Promise((r) => setTimeout(r, 20));
    expect(got.map((g) => [g.level, (g.data as { message: string }).message])).toEqual([['error', 'with secret detail']]);
    expect(got[0]!.data).toEqual({ message: 'with secret detail', tool: 'hangup' });
    got.length = 0;
    await c.setLoggingLevel('debug');
    log.debug('now wanted', { session: mine });
    await c.setLoggingLevel('error');
    log.warn('not wanted', { session: mine });
    await new Promise((r) => setTimeout(r, 20));
    expect(got.map((g) => (g.data as { message: string }).message)).toEqual(['now wanted']);
  });
});
