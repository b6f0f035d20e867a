/**
 * "Asks first" has one source of truth, the tool definition (issue 13): `guarded` alone makes a tool ask, adds
 * its confirm_token argument and puts it in GUARDED_TOOLS; every tool that changes state either asks or says why
 * it need not.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { parseConfig } from '../../src/config.js';
import { ALL_TOOLS, GUARDED_TOOLS } from '../../src/tools/index.js';
import { defineTool } from '../../src/tools/define.js';
import { setDnd } from '../../src/tools/set_dnd.js';
import { inMemoryClient, testApp, type TestApp } from '../helpers/app.js';

let t: TestApp | undefined;
const closers: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of closers.splice(0)) await c();
  await t?.close();
  t = undefined;
});

describe('every tool that changes state asks first, or says why it need not', () => {
  for (const tool of ALL_TOOLS.filter((x) => !x.annotations.readOnlyHint)) {
    it(tool.name, () => {
      if (tool.guarded) {
        expect(tool.unguarded, 'guarded and exempt at once').toBeUndefined();
      } else {
        expect(typeof tool.unguarded, `${tool.name} is neither guarded nor exempt with a reason`).toBe('string');
        expect(tool.unguarded!.length, `${tool.name}: a reason, in words`).toBeGreaterThan(30);
      }
    });
  }

  it('a read-only tool is neither (nothing to ask about)', () => {
    for (const tool of ALL_TOOLS.filter((x) => x.annotations.readOnlyHint)) {
      expect([tool.name, tool.guarded, tool.unguarded]).toEqual([tool.name, undefined, undefined]);
    }
  });
});

describe('the definition is the only source', () => {
  it('confirm_token is an argument of exactly the guarded tools, and GUARDED_TOOLS lists exactly them', () => {
    for (const tool of ALL_TOOLS) {
      expect(Object.hasOwn(tool.input.shape, 'confirm_token'), tool.name).toBe(!!tool.guarded);
    }
    expect([...GUARDED_TOOLS].sort()).toEqual(ALL_TOOLS.filter((x) => x.guarded).map((x) => x.name).sort());
  });

  it('safety.confirmTools may name any guarded tool and nothing else', () => {
    const base = { pbxes: { office: { type: 'sim' } } };
    expect(() => parseConfig({ ...base, safety: { confirmTools: [...GUARDED_TOOLS] } }, { env: {} })).not.toThrow();
    expect(() => parseConfig({ ...base, safety: { confirmTools: ['set_dnd'] } }, { env: {} })).toThrow(/set_dnd cannot be confirmed/);
  });

  it('a tool declaring confirm_token by hand, or guarded and exempt at once, is refused when defined', () => {
    const shape = { name: 'x', title: 'x', description: 'x', output: z.object({}), annotations: setDnd.annotations, capabilities: [], run: () => Promise.resolve({}), summarize: () => '' };
    expect(() => defineTool({ ...shape, input: z.object({ confirm_token: z.string().optional() }) })).toThrow(/added by defineTool/);
    expect(() => defineTool({ ...shape, input: z.object({}), guarded: true, unguarded: 'because' })).toThrow(/guarded and unguarded/);
  });

  it('a copy of set_dnd marked guarded under a new name asks before it acts, through the server glue', async () => {
    const { unguarded: _reason, ...rest } = setDnd;
    const strictDnd = defineTool({ ...rest, input: z.object(setDnd.input.shape), name: 'set_dnd_strict', guarded: true, async run(ctx, args) {
      await ctx.confirm(`Turn do-not-disturb ${args.enabled ? 'on' : 'off'}?`);
      return setDnd.run(ctx, args);
    } });
    t = await testApp({ safety: { confirm: 'token', dialPolicy: { defaultCountry: 'IT' } } });
    const { createApp } = await import('../../src/app.js');
    const app = await createApp(t.app.config, { tools: [...ALL_TOOLS, strictDnd], logs: t.app.logs });
    closers.push(() => app.close());
    const c = await inMemoryClient(app);
    closers.push(c.close);
    const listed = (await c.client.listTools()).tools.find((x) => x.name === 'set_dnd_strict')!;
    expect(Object.keys(listed.inputSchema.properties ?? {})).toContain('confirm_token');
    const r = (await c.client.callTool({ name: 'set_dnd_strict', arguments: { enabled: true } })).structuredContent as Record<string, unknown>;
    expect(r.status).toBe('confirmation_required');
    const done = (await c.client.callTool({ name: 'set_dnd_strict', arguments: { enabled: true, confirm_token: r.confirm_token } })).structuredContent as Record<string, unknown>;
    expect(done.status).toBe('done');
  });
});
