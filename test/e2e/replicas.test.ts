/**
 * A deployment with the real parts: Debian's redis-server, three replicas of the BUILT server (dist/cli.js) behind
 * nginx configured as README.md's deployment section says (round robin for 2026-07-28 requests, sticky by the
 * replica name in the session id for 2025-11-25 sessions),
 * the vendor simulators (one PBX each, shared by all replicas), driven by the v2 client pinned to 2026-07-28 (and a
 * v1 client for a legacy session). What one replica cannot guarantee alone must hold for all of them: a
 * confirmation split across replicas acts once and a replay does nothing, the per-PBX limit, the IPPS floor and the
 * single XUC login (counted at the simulators), live updates across replicas; and the faults: Redis stopped and
 * restarted mid-run, one replica killed mid-request.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { Client as ModernClient } from '@modelcontextprotocol/client';
import { PbxEngine } from '../../src/simulators/engine/engine.js';
import { parseScenario } from '../../src/simulators/engine/scenario.js';
import { SIMULATORS, type RunningSimulator } from '../../src/simulators/index.js';
import { sessionTag } from '../../src/server/resources.js';
import type { XucSimulator } from '../../src/simulators/xivo/simulator.js';
import { CLI, connectHttp, connectModernHttp, E2E_SCENARIO, TEST_STATE_HOME, writeConfig } from '../helpers/mcp.js';
import { freePort, needBinaries, type Nginx, readmeNginx, type RedisServer, startNginx, startRedis } from '../helpers/services.js';

const SECRET = 'replicas-share-this-state-secret-0123456789';
const TOKEN = 'alice-token-for-the-deployment';
const NAMES = ['r1', 'r2', 'r3'] as const;
const IPPS_INTERVAL_MS = 3000;
const PER_PBX_LIMIT = 4;

interface Replica {
  name: string;
  port: number;
  url: string;
  audit: string;
  child: ChildProcess;
  stderr(): string;
}

describe('replicas behind nginx, sharing Redis', () => {
  if (!needBinaries(['redis-server', 'nginx'])) return;

  let redis: RedisServer;
  let nginx: Nginx;
  const replicas: Replica[] = [];
  const engines: PbxEngine[] = [];
  const sims: Record<'kalliope' | 'xivo' | 'ipbx', RunningSimulator> = {} as never;
  const clients: (() => Promise<void>)[] = [];

  async function startReplica(name: string, port: number, nginxPort: number, pbxes: Record<string, unknown>): Promise<Replica> {
    const cfg = writeConfig({
      defaultPbx: 'desk',
      pbxes,
      http: { tokens: { alice: TOKEN }, allowedHosts: [`127.0.0.1:${nginxPort}`] },
      // The repeat window would ask about the same call placed ten times (its replicas are in test/shared/app.test.ts).
      safety: { stateSecret: SECRET, repeatWindowSeconds: 0, dialPolicy: { defaultCountry: 'IT', maxCallsPerMinute: 100, maxCallsPerMinutePerPbx: PER_PBX_LIMIT, maxConcurrentCalls: 100 } },
      shared: { redisUrl: redis.url, commandTimeoutMs: 1000, replica: name },
      log: { level: 'info' },
    });
    const child = spawn(process.execPath, [CLI, '--transport', 'http', '--port', String(port), '--config', cfg.path], {
      cwd: cfg.dir,
      env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', XDG_STATE_HOME: TEST_STATE_HOME },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let err = '';
    child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`replica ${name} did not start:\n${err}`)), 20_000);
      child.stderr!.on('data', () => {
        if (/endpoint: http/.test(err)) {
          clearTimeout(timer);
          resolve();
        }
      });
      child.once('exit', (code) => reject(new Error(`replica ${name} exited (${code}):\n${err}`)));
    });
    return { name, port, url: `http://127.0.0.1:${port}/mcp`, audit: join(cfg.dir, 'audit.jsonl'), child, stderr: () => err };
  }

  /** A 2026-07-28 client (v2 SDK, pinned) of `url`; with `elicit`, it declares elicitation and answers with it. */
  async function modern(url: string, elicit?: () => { action: 'accept'; content: { confirm: boolean } }): Promise<ModernClient> {
    const client = await connectModernHttp(url, 'pinned', { token: TOKEN, ...(elicit ? { elicit } : {}) });
    clients.push(() => client.close());
    return client;
  }

  const auditOf = (r: Replica) =>
    (existsSync(r.audit) ? readFileSync(r.audit, 'utf8') : '')
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l) as { tool: string; session: string; confirmation: string; outcome: string; args: Record<string, unknown> });

  beforeAll(async () => {
    redis = await startRedis();
    for (const vendor of ['kalliope', 'xivo', 'ipbx'] as const) {
      const engine = new PbxEngine(parseScenario(E2E_SCENARIO));
      engines.push(engine);
      sims[vendor] = await SIMULATORS[vendor]!.start({ engine, port: 0, ...(vendor === 'kalliope' ? { password: 'kcti-Secret-7' } : {}) });
    }
    const pbxes = {
      desk: { ...sims.kalliope.configExample, timeoutMs: 4000 },
      // The same Kalliope client under another name: the per-PBX limit counts per configured PBX.
      limited: { ...sims.kalliope.configExample, timeoutMs: 4000 },
      xuc: { ...sims.xivo.configExample, defaultUser: 'alice' },
      ipps: { ...sims.ipbx.configExample, pollIntervalMs: IPPS_INTERVAL_MS },
    };
    const ports = [await freePort(), await freePort(), await freePort()];
    const nginxPort = await freePort();
    replicas.push(...(await Promise.all(NAMES.map((n, i) => startReplica(n, ports[i]!, nginxPort, pbxes)))));
    // README.md's example, its addresses put on loopback.
    nginx = await startNginx(readmeNginx(ports, nginxPort), nginxPort);
  }, 60_000);

  afterAll(async () => {
    for (const c of clients) await c().catch(() => {});
    for (const r of replicas) r.child.kill('SIGTERM');
    await nginx?.stop();
    await redis?.stop();
    for (const s of Object.values(sims)) await s.close();
    for (const e of engines) e.close();
  });

  const deskEngine = () => engines[0]!;
  const front = () => `${nginx.url}/mcp`;

  it('a confirmation asked by one replica and answered to another acts exactly once; a replayed retry, to either, does nothing and says so', async () => {
    const accept = () => ({ action: 'accept' as const, content: { confirm: true } });
    const [one, two] = [await modern(replicas[0]!.url, accept), await modern(replicas[1]!.url, accept)];
    const args = { to: '+39 06 1234 5678' };
    const placed = () => deskEngine().listCalls().filter((c) => c.to.number === '+390612345678').length;
    const before = placed();
    const first = (await one.callTool({ name: 'place_call', arguments: args }, { allowInputRequired: true })) as unknown as { resultType: string; requestState: string };
    expect(first.resultType).toBe('input_required');
    expect(placed()).toBe(before);
    const retry = (c: ModernClient) =>
      c.request(
        { method: 'tools/call', params: { name: 'place_call', arguments: args, requestState: first.requestState, inputResponses: { confirm: { action: 'accept', content: { confirm: true } } } } as never },
        { allowInputRequired: true },
      ) as Promise<{ structuredContent?: Record<string, unknown>; isError?: boolean }>;
    const done = await retry(two);
    expect(done.structuredContent).toMatchObject({ status: 'done' });
    expect(placed()).toBe(before + 1);
    for (const c of [two, one]) await expect(retry(c)).rejects.toThrow(/it was already used \(a confirmation is single use\)\. Nothing was done/);
    expect(placed()).toBe(before + 1);
    expect(auditOf(replicas[0]!).filter((e) => e.tool === 'place_call').map((e) => [e.confirmation, e.outcome])).toEqual([
      ['asked', 'confirmation_required'],
      ['state_refused', 'refused'],
    ]);
    expect(auditOf(replicas[1]!).filter((e) => e.tool === 'place_call').map((e) => [e.confirmation, e.outcome])).toEqual([
      ['accepted', 'done'],
      ['state_refused', 'refused'],
    ]);
  });

  it('through nginx, the client\'s own round trip lands on two replicas and acts once', async () => {
    const client = await modern(front(), () => ({ action: 'accept', content: { confirm: true } }));
    // The call the first test placed, answered by now.
    const call = deskEngine().listCalls().find((c) => c.to.number === '+390612345678')!;
    await vi.waitFor(() => expect(deskEngine().call(call.id).state).toBe('connected'), { timeout: 5000 });
    const before = replicas.map((r) => auditOf(r).filter((e) => e.tool === 'hangup').length);
    const r = await client.callTool({ name: 'hangup', arguments: { call_id: call.id } });
    expect(r.structuredContent).toMatchObject({ status: 'done', call_id: call.id });
    expect(deskEngine().listCalls().some((c) => c.id === call.id)).toBe(false);
    const rounds = replicas.flatMap((rep, i) => auditOf(rep).filter((e) => e.tool === 'hangup').slice(before[i]).map((e) => ({ replica: rep.name, confirmation: e.confirmation })));
    expect(rounds.map((x) => x.confirmation).sort()).toEqual(['accepted', 'asked']);
    expect(new Set(rounds.map((x) => x.replica)).size).toBe(2);
  });

  it('the per-PBX limit holds for the deployment: of 10 calls through nginx (all three replicas), exactly the limit is placed', async () => {
    const client = await modern(front());
    const placedBefore = deskEngine().listCalls().length;
    const results = await Promise.all(Array.from({ length: 10 }, () => client.callTool({ name: 'place_call', arguments: { pbx: 'limited', to: '202' } })));
    const ok = results.filter((r) => !r.isError);
    expect(ok).toHaveLength(PER_PBX_LIMIT);
    for (const r of results.filter((x) => x.isError)) {
      expect((r.content as { text: string }[])[0]!.text).toContain(`calls were placed on this PBX in the last minute, for all users together (limit ${PER_PBX_LIMIT})`);
    }
    expect(deskEngine().listCalls().length - placedBefore).toBe(PER_PBX_LIMIT);
    // Every replica answered some of them.
    for (const r of replicas) expect(auditOf(r).some((e) => e.tool === 'place_call')).toBe(true);
  });

  it('the IPPS floor holds for the deployment: one request per query per pollIntervalMs, whatever the replicas and readers', async () => {
    const ipbx = sims.ipbx.server;
    ipbx.resetStats();
    const direct = await Promise.all(replicas.map((r) => modern(r.url)));
    const viaFront = await modern(front());
    const engine = engines[2]!;
    engine.inboundCall('+390612345678', '202');
    const subs = await Promise.all(direct.map((c) => c.listen({ resourceSubscriptions: ['pbx://ipps/calls'] })));
    clients.push(...subs.map((s) => () => s.close()));
    const t0 = Date.now();
    const readers = [...direct, viaFront];
    let answers = 0;
    while (Date.now() - t0 < 9500) {
      const rs = await Promise.all(
        readers.flatMap((c) => [
          c.callTool({ name: 'get_active_call', arguments: { pbx: 'ipps' } }),
          c.callTool({ name: 'list_queue', arguments: { pbx: 'ipps', queue: 'support' } }),
          c.readResource({ uri: 'pbx://ipps/calls' }),
        ]),
      );
      for (const r of rs) if (!(r as { isError?: boolean }).isError) answers++;
      await new Promise((r) => setTimeout(r, 150));
    }
    const elapsed = Date.now() - t0;
    const channel = ipbx.log.filter((q) => q.path.endsWith('/channelinfo.php'));
    const queue = ipbx.log.filter((q) => q.path.endsWith('/queueactive.php'));
    const most = Math.floor(elapsed / IPPS_INTERVAL_MS) + 1;
    expect(answers).toBeGreaterThan(100);
    expect(channel.length).toBeGreaterThanOrEqual(2);
    expect(channel.length).toBeLessThanOrEqual(most);
    expect(queue.length).toBeLessThanOrEqual(most);
    // The lease is taken before the request leaves, so the gaps seen here carry a few ms of jitter either way.
    for (const list of [channel, queue]) for (let i = 1; i < list.length; i++) expect(list[i]!.at! - list[i - 1]!.at!).toBeGreaterThanOrEqual(IPPS_INTERVAL_MS - 50);
    for (const s of subs) await s.close();
  }, 30_000);

  it('one XUC login for the deployment: concurrent calls on every replica share one token', async () => {
    const xuc = sims.xivo as unknown as XucSimulator;
    const before = xuc.server.log.filter((q) => /\/auth\/(webservice|login)$/.test(q.path)).length;
    const direct = await Promise.all(replicas.map((r) => modern(r.url)));
    const rs = await Promise.all(direct.flatMap((c) => Array.from({ length: 4 }, () => c.callTool({ name: 'call_history', arguments: { pbx: 'xuc' } }))));
    for (const r of rs) expect(r.isError).toBeFalsy();
    const logins = xuc.server.log.filter((q) => /\/auth\/(webservice|login)$/.test(q.path)).length - before;
    expect(logins).toBe(1);
  });

  it('a change seen by one replica reaches a listen stream held by another', async () => {
    const [listener, actor] = [await modern(replicas[0]!.url), await modern(replicas[2]!.url)];
    const heard: string[] = [];
    listener.setNotificationHandler('notifications/resources/updated', (n) => void heard.push(n.params.uri));
    const sub = await listener.listen({ resourceSubscriptions: ['audit://recent'] });
    clients.push(() => sub.close());
    await actor.callTool({ name: 'set_dnd', arguments: { enabled: true } });
    await vi.waitFor(() => expect(heard).toContain('audit://recent'), { timeout: 5000 });
    // And what it announces is there to read, from any replica.
    const recent = JSON.parse(((await listener.readResource({ uri: 'audit://recent' })).contents[0] as { text: string }).text) as { entries: { tool: string }[] };
    expect(recent.entries.at(-1)).toMatchObject({ tool: 'set_dnd' });
    await sub.close();
  });

  it('Redis stopped mid-run: actions are refused at once, naming the store, nothing done; reads go on; restarted: actions resume', async () => {
    const client = await modern(front());
    const dnd = () => deskEngine().user('alice').dnd;
    const was = dnd();
    await redis.stop();
    // Every replica notices (its connection drops at once).
    for (let i = 0; i < 3; i++) {
      const t0 = Date.now();
      const r = await client.callTool({ name: 'set_dnd', arguments: { enabled: !was } });
      expect(Date.now() - t0).toBeLessThan(1500);
      expect(r.isError).toBe(true);
      expect((r.content as { text: string }[])[0]!.text).toMatch(
        /^The shared store of this deployment \(Redis at redis:\/\/127\.0\.0\.1:\d+\) (is unreachable|did not answer within 1000 ms), so this action was refused: nothing was done\./,
      );
    }
    expect(dnd()).toBe(was);
    const read = await client.callTool({ name: 'get_active_call', arguments: {} });
    expect(read.isError).toBeFalsy();
    await redis.start();
    await vi.waitFor(
      async () => {
        const results = await Promise.all(replicas.map(async (r) => (await modern(r.url)).callTool({ name: 'set_dnd', arguments: { enabled: !was } })));
        expect(results.map((x) => x.isError ?? false)).toEqual([false, false, false]);
      },
      { timeout: 10_000, interval: 300 },
    );
    expect(dnd()).toBe(!was);
  }, 30_000);

  it('a legacy session sticks to its replica; that replica killed mid-request: the request fails, the session is gone (404), a new one works, nothing acknowledged is lost', async () => {
    const legacy = await connectHttp(front(), { token: TOKEN });
    clients.push(() => legacy.close());
    const sid = (legacy.transport as unknown as { sessionId?: string }).sessionId!;
    const owner = replicas.find((r) => sid.startsWith(`${r.name}.`))!;
    expect(owner).toBeDefined();
    // Every request of the session is answered by the replica that holds it (round robin would spread them).
    const dnds = () => replicas.map((r) => auditOf(r).filter((e) => e.tool === 'set_dnd').length);
    const before = dnds();
    for (let i = 0; i < 4; i++) expect((await legacy.callTool({ name: 'set_dnd', arguments: { enabled: i % 2 === 0 } })).isError).toBeFalsy();
    expect(dnds().map((n, i) => n - before[i]!)).toEqual(replicas.map((r) => (r === owner ? 4 : 0)));

    // The next set_dnd stalls at the PBX; its replica dies while it waits.
    const dndRequests = () => sims.kalliope.server.log.filter((q) => q.body.includes('setDND')).length;
    const sent = dndRequests();
    sims.kalliope.server.inject({ kind: 'stall_before', bodyMatch: 'setDND' });
    // Its client gives up by its own request timeout: the replica that held the request cannot answer any more.
    const pending = legacy.callTool({ name: 'set_dnd', arguments: { enabled: true } }, undefined, { timeout: 3000 });
    await vi.waitFor(() => expect(dndRequests()).toBe(sent + 1), { timeout: 5000 });
    owner.child.kill('SIGKILL');
    await expect(pending).rejects.toThrow();
    sims.kalliope.server.clearFaults();

    // The session lived in the dead replica: nginx sends it to the backup, which does not know it.
    await expect(legacy.callTool({ name: 'set_dnd', arguments: { enabled: false } })).rejects.toThrow(/404|Session not found/);
    const again = await connectHttp(front(), { token: TOKEN });
    clients.push(() => again.close());
    expect((again.transport as unknown as { sessionId: string }).sessionId.startsWith(`${owner.name}.`)).toBe(false);
    expect((await again.callTool({ name: 'set_dnd', arguments: { enabled: false } })).isError).toBeFalsy();

    // What the dead replica acknowledged is in its file and in the deployment's recent list.
    const ofSession = auditOf(owner).filter((e) => e.session === sid);
    expect(ofSession.map((e) => [e.tool, e.outcome])).toEqual(Array.from({ length: 4 }, () => ['set_dnd', 'done']));
    const survivor = await modern(front());
    const recent = JSON.parse(((await survivor.readResource({ uri: 'audit://recent' })).contents[0] as { text: string }).text) as {
      entries: { tool: string; session: string; outcome: string }[];
    };
    expect(recent.entries.filter((e) => e.session === sessionTag(sid)).map((e) => [e.tool, e.outcome])).toEqual(Array.from({ length: 4 }, () => ['set_dnd', 'done']));
    // Modern requests through nginx keep working on the replicas left.
    for (let i = 0; i < 4; i++) expect((await survivor.callTool({ name: 'get_active_call', arguments: {} })).isError).toBeFalsy();
  }, 30_000);
});

