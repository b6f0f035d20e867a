/**
 * Fault injection through the tools, for every backend: whatever the network or the PBX does, a tool returns a
 * typed error within the deadline; an action whose request may have left says its outcome is unknown and not to
 * retry; the PBX saw the action at most once; and the server serves the next call.
 */
import { createServer } from 'node:net';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { FaultKind } from '../src/simulators/kit.js';
import { ALL_TOOLS } from '../src/tools/index.js';
import type { ToolOutcome } from '../src/tools/call.js';
import { env, inMemoryClient, modernClient } from './helpers/app.js';
import { vendorRig, type Vendor, type VendorRig } from './helpers/vendors.js';

const DEADLINE_MS = 800;
const tool = (name: string) => ALL_TOOLS.find((t) => t.name === name)!;

/** Per vendor: a read, and an action with how to recognise its request and whether it happened. */
const CASES: Record<Exclude<Vendor, 'ipbx'>, {
  read: [string, Record<string, unknown>];
  action: [string, Record<string, unknown>];
  match: { match?: string; bodyMatch?: string };
  setup?: (r: VendorRig) => void;
  happened: (r: VendorRig) => boolean;
}> = {
  kalliope: {
    read: ['get_active_call', { pbx: 'kalliope' }],
    action: ['set_dnd', { pbx: 'kalliope', enabled: true }],
    match: { bodyMatch: '<setDND>' },
    happened: (r) => r.engine.kalliope.user('alice').dnd,
  },
  xcally: {
    read: ['get_active_call', { pbx: 'xcally' }],
    action: ['place_call', { pbx: 'xcally', to: '202' }],
    match: { match: '/originate/' },
    happened: (r) => r.engine.xcally.listCalls('alice').length > 0,
  },
  xivo: {
    read: ['call_history', { pbx: 'xivo', user: 'alice' }],
    action: ['set_dnd', { pbx: 'xivo', user: 'alice', enabled: true }],
    match: { match: '/dnd/' },
    happened: (r) => r.engine.xivo.user('alice').dnd,
  },
  pbxpress: {
    read: ['get_active_call', { pbx: 'pbxpress' }],
    action: ['hangup', { pbx: 'pbxpress' }],
    match: { bodyMatch: '<methodName>drop</methodName>' },
    setup: (r) => {
      r.engine.pbxpress.inboundCall('+390612345678', '201');
      r.engine.pbxpress.answer('alice');
    },
    happened: (r) => r.engine.pbxpress.listCalls('alice').length === 0,
  },
};

function expectTypedFailure(o: ToolOutcome): Extract<ToolOutcome, { ok: false }> {
  expect(o.ok, JSON.stringify(o)).toBe(false);
  const f = o as Extract<ToolOutcome, { ok: false }>;
  expect(f.message).not.toMatch(/\n\s+at |Error:/);
  expect(f.message).toMatch(/^PBX `\w+` \(\w+\): /);
  return f;
}

const READ_FAULTS: FaultKind[] = ['reset_before', 'stall_before', 'status', 'truncate', 'huge', 'garbage'];
const ACTION_FAULTS: { kind: FaultKind; sent: boolean }[] = [
  { kind: 'reset_before', sent: false },
  { kind: 'reset_after', sent: true },
  { kind: 'stall', sent: true },
  { kind: 'status', sent: false },
  { kind: 'truncate', sent: true },
  { kind: 'huge', sent: true },
  { kind: 'garbage', sent: true },
];

for (const [vendor, c] of Object.entries(CASES) as [Exclude<Vendor, 'ipbx'>, (typeof CASES)['kalliope']][]) {
  describe(`faults: ${vendor}`, () => {
    let r: VendorRig;
    beforeAll(async () => {
      r = await vendorRig({ timeoutMs: DEADLINE_MS, logLevel: 'info' });
    });
    afterAll(() => r.close());
    const run = (t: [string, Record<string, unknown>]) => r.app.runner.run(tool(t[0]), t[1], env());

    it.each(READ_FAULTS)('a read meeting %s is a typed error within the deadline, and the next read works', async (kind) => {
      const sim = r.sim[vendor];
      sim.inject({ kind, times: Infinity, ...(kind === 'status' ? { status: 503 } : {}) });
      const t = Date.now();
      const f = expectTypedFailure(await run(c.read));
      expect(['unavailable', 'invalid']).toContain(f.error.kind);
      expect(Date.now() - t).toBeLessThan(DEADLINE_MS + 1500);
      sim.clearFaults();
      expect((await run(c.read)).ok).toBe(true);
    });

    it.each(ACTION_FAULTS)('an action meeting $kind: typed, at most once, outcome unknown once sent, and the next call works', async ({ kind, sent }) => {
      const sim = r.sim[vendor];
      c.setup?.(r);
      sim.resetStats();
      sim.inject({ kind, ...c.match, ...(kind === 'status' ? { status: 503 } : {}) });
      const t = Date.now();
      const f = expectTypedFailure(await run(c.action));
      expect(Date.now() - t).toBeLessThan(DEADLINE_MS + 1500);
      const actions = sim.log.filter((q) => (c.match.match ? `${q.path}`.includes(c.match.match) : q.body.includes(c.match.bodyMatch!)));
      expect(actions.length, 'the action was sent at most once').toBeLessThanOrEqual(1);
      if (f.error.kind === 'outcome_unknown') expect(f.message).toMatch(/Do not retry/);
      else expect(f.error.kind).toBe('unavailable');
      if (sent) {
        // The PBX acted (the fault hit after it): the tool must not claim nothing happened.
        expect(c.happened(r)).toBe(true);
        expect(f.error.kind).toBe('outcome_unknown');
      }
      sim.clearFaults();
      expect((await run(c.read)).ok).toBe(true);
      // Undo for the next case.
      r.engine[vendor].setDnd('alice', false);
      for (const call of r.engine[vendor].listCalls()) r.engine[vendor].hangup(undefined, call.id);
    });
  });
}

describe('faults: connection refused, every backend', () => {
  it('a read and an action on a PBX nobody answers: unavailable, nothing was done', async () => {
    const port = await new Promise<number>((resolve) => {
      const s = createServer().listen(0, '127.0.0.1', () => {
        const p = (s.address() as { port: number }).port;
        s.close(() => resolve(p));
      });
    });
    const r = await vendorRig({ timeoutMs: DEADLINE_MS });
    const dead = (v: Vendor) => {
      const cfg = { ...r.app.config.pbxes[v] } as Record<string, unknown>;
      const url = new URL(String(cfg.url));
      url.port = String(port);
      return { ...cfg, url: url.href.replace(/\/$/, url.pathname === '/' ? '' : '/') };
    };
    await r.close();
    const { createApp } = await import('../src/app.js');
    const { parseConfig } = await import('../src/config.js');
    const { LogHub } = await import('../src/log.js');
    const vendors: Vendor[] = ['kalliope', 'xcally', 'xivo', 'ipbx', 'pbxpress'];
    const app = await createApp(
      parseConfig(
        {
          defaultPbx: 'xcally',
          pbxes: Object.fromEntries(vendors.map((v) => [v, dead(v)])),
          safety: { confirm: 'off', dialPolicy: { defaultCountry: 'IT' } },
          audit: { file: '-' },
        },
        { env: {} },
      ),
      { logs: new LogHub({ level: 'error', write: () => {} }) },
    );
    try {
      for (const v of vendors) {
        const read = v === 'xivo' ? ['call_history', { pbx: v, user: 'alice' }] : ['get_active_call', { pbx: v }];
        const f = expectTypedFailure(await app.runner.run(tool(read[0] as string), read[1] as Record<string, unknown>, env()));
        expect(f.error.kind, v).toBe('unavailable');
        expect(f.message, v).toMatch(/cannot connect|nothing was done/);
      }
      const act = expectTypedFailure(await app.runner.run(tool('set_dnd'), { pbx: 'kalliope', enabled: true }, env()));
      expect(act.error.kind).toBe('unavailable');
      expect(act.message).toMatch(/nothing was done/);
    } finally {
      await app.close();
    }
  });
});

describe('cancellation through MCP', () => {
  type Rig = Awaited<ReturnType<typeof vendorRig>>;
  type Call = (name: string, args: Record<string, unknown>, signal?: AbortSignal) => Promise<unknown>;

  /** A client cancels place_call while the PBX stalls: it ends at once, audited as outcome unknown, and serving goes on. */
  async function cancelsStalledAction(connect: (r: Rig) => Promise<{ call: Call; close(): Promise<void> }>, rejection?: RegExp) {
    const r = await vendorRig({ timeoutMs: 30_000 });
    const c = await connect(r);
    try {
      const sim = r.sim.xcally;
      sim.inject({ kind: 'stall', match: '/originate/' });
      const cancel = new AbortController();
      const pending = c.call('place_call', { pbx: 'xcally', to: '202' }, cancel.signal);
      pending.catch(() => {}); // awaited below; no unhandled rejection while the wait for the request runs
      // The request reached the PBX and stalls there (waited for, not slept for: a loaded machine is slow to get there).
      await vi.waitFor(() => expect(sim.log.filter((q) => q.path.includes('/originate/'))).toHaveLength(1), { timeout: 10_000, interval: 20 });
      const cancelled = Date.now();
      cancel.abort('the user changed their mind');
      await expect(pending).rejects.toThrow(rejection);
      // The runner saw the cancel (the MCP request's signal reached the adapter): audited long before the 30 s deadline.
      await vi.waitFor(() => expect(r.app.audit.recent().length).toBeGreaterThan(0), { timeout: 10_000, interval: 20 });
      expect(Date.now() - cancelled).toBeLessThan(10_000);
      expect(r.app.audit.recent().at(-1)).toMatchObject({ tool: 'place_call', outcome: 'error', error: { kind: 'outcome_unknown' } });
      sim.clearFaults();
      expect(((await c.call('get_active_call', { pbx: 'xcally' })) as { isError?: boolean }).isError).toBeFalsy();
    } finally {
      await c.close();
      await r.close();
    }
  }

  it('a 2026-07-28 client closing its request over HTTP ends a stalled action at once, and the server keeps serving', async () => {
    // Over streamable HTTP a 2026 client cancels by closing the request's response stream.
    await cancelsStalledAction(async (r) => {
      const c = await modernClient(r.app);
      return { call: (name, args, signal) => c.client.callTool({ name, arguments: args }, { signal }), close: c.close };
    });
  });

  it('a client cancelling a stalled action ends it at once, audited as outcome unknown, and the server keeps serving', async () => {
    await cancelsStalledAction(async (r) => {
      const c = await inMemoryClient(r.app);
      return { call: (name, args, signal) => c.client.callTool({ name, arguments: args }, undefined, { signal }), close: c.close };
    }, /changed their mind|abort/i);
  });
});
