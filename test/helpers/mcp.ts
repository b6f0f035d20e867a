/**
 * End-to-end helpers: run the built server (dist/cli.js) with a config written to a temp dir, over stdio or
 * streamable HTTP, and connect a real client to it: the v1 SDK's Client (2025-11-25), or the v2 SDK's Client
 * (2026-07-28, pinned or auto).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { ElicitRequestSchema, type ElicitResult } from '@modelcontextprotocol/sdk/types.js';
import { Client as ModernClient, StreamableHTTPClientTransport as ModernHttpClientTransport } from '@modelcontextprotocol/client';
import { StdioClientTransport as ModernStdioClientTransport } from '@modelcontextprotocol/client/stdio';

export const CLI = resolve(import.meta.dirname, '../../dist/cli.js');
export const REPO = resolve(import.meta.dirname, '../..');
/** Servers the tests start keep their default state (the audit trail) here, never in the real home directory. */
export const TEST_STATE_HOME = mkdtempSync(join(tmpdir(), 'tmcp-state-'));

/** A scenario with fast answers, for end-to-end tests that run in real time. */
export const E2E_SCENARIO = {
  name: 'e2e',
  answerAfterMs: 150,
  ringTimeoutMs: 20000,
  parking: { firstSlot: 701, slots: 5 },
  users: [
    { id: 'alice', name: 'Alice', extension: '201' },
    { id: 'bob', name: 'Bob', extension: '202' },
    { id: 'carol', name: 'Carol', extension: '203' },
  ],
  queues: [{ name: 'support', number: '600', members: ['bob', 'carol'] }],
  externals: [
    { number: '+390612345678', name: 'Giuseppe Test', answerAfterMs: 300 },
    { number: '+390287654321', name: 'Acme reception', answerAfterMs: 200 },
  ],
};

export interface TempConfig {
  dir: string;
  path: string;
}

/** Write a config (and optionally a scenario, referenced as ./scenario.json) into a fresh temp dir. */
export function writeConfig(config: object, scenario?: object): TempConfig {
  const dir = mkdtempSync(join(tmpdir(), 'tmcp-'));
  if (scenario) writeFileSync(join(dir, 'scenario.json'), JSON.stringify(scenario));
  const path = join(dir, 'config.json');
  writeFileSync(path, JSON.stringify({ audit: { file: join(dir, 'audit.jsonl') }, ...config }));
  return { dir, path };
}

/** The usual e2e config: one sim PBX `office` on E2E_SCENARIO, acting for alice. */
export function simConfig(extra: object = {}): TempConfig {
  return writeConfig(
    {
      defaultPbx: 'office',
      pbxes: { office: { type: 'sim', scenario: './scenario.json', defaultUser: 'alice', traffic: false } },
      safety: { dialPolicy: { defaultCountry: 'IT' } },
      ...extra,
    },
    E2E_SCENARIO,
  );
}

export type ElicitHandler = (message: string) => ElicitResult | Promise<ElicitResult>;

function makeClient(elicit?: ElicitHandler): Client {
  const client = new Client({ name: 'e2e-client', version: '1.0.0' }, { capabilities: elicit ? { elicitation: { form: {} } } : {} });
  if (elicit) client.setRequestHandler(ElicitRequestSchema, (req) => elicit(req.params.message));
  return client;
}

export const acceptAll: ElicitHandler = () => ({ action: 'accept', content: { confirm: true } });

export interface StdioSession {
  client: Client;
  stderr(): string;
  close(): Promise<void>;
}

export async function connectStdio(
  opts: { config?: TempConfig; args?: string[]; env?: Record<string, string>; elicit?: ElicitHandler; cwd?: string } = {},
): Promise<StdioSession> {
  let err = '';
  const transport = new StdioClientTransport({
    command: process.execPath,
    args: [CLI, ...(opts.config ? ['--config', opts.config.path] : []), ...(opts.args ?? [])],
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', XDG_STATE_HOME: TEST_STATE_HOME, ...opts.env },
    cwd: opts.cwd ?? opts.config?.dir ?? REPO,
    stderr: 'pipe',
  });
  transport.stderr?.on('data', (d: Buffer) => (err += d.toString()));
  const client = makeClient(opts.elicit);
  await client.connect(transport);
  return { client, stderr: () => err, close: () => client.close() };
}

export interface HttpServerProcess {
  url: string;
  port: number;
  child: ChildProcess;
  stderr(): string;
  stop(): Promise<number | null>;
}

/** Start the built server over HTTP on a free port; resolves once it prints its endpoint. */
export function startHttpServer(
  opts: { config?: TempConfig; args?: string[]; env?: Record<string, string>; cwd?: string } = {},
): Promise<HttpServerProcess> {
  const child = spawn(
    process.execPath,
    [CLI, '--transport', 'http', '--port', '0', ...(opts.config ? ['--config', opts.config.path] : []), ...(opts.args ?? [])],
    {
      cwd: opts.cwd ?? opts.config?.dir ?? REPO,
      env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', XDG_STATE_HOME: TEST_STATE_HOME, ...opts.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let err = '';
  let out = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  return new Promise((resolvePromise, reject) => {
    const timer = setTimeout(() => reject(new Error(`server did not start:\n${err}`)), 15000);
    child.stderr!.on('data', (d: Buffer) => {
      err += d.toString();
      const m = /endpoint: (http:\/\/[^\s]+)/.exec(err);
      if (m) {
        clearTimeout(timer);
        const url = m[1]!;
        resolvePromise({
          url,
          port: Number(new URL(url).port),
          child,
          stderr: () => err,
          stop: () =>
            new Promise((r) => {
              if (child.exitCode !== null) return r(child.exitCode);
              child.once('exit', (code) => r(code));
              child.kill('SIGTERM');
            }),
        });
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`server exited with ${code} before starting:\n${err}${out}`));
    });
  });
}

export async function connectHttp(url: string, opts: { token?: string; elicit?: ElicitHandler } = {}): Promise<Client> {
  const transport = new StreamableHTTPClientTransport(new URL(url), {
    requestInit: opts.token ? { headers: { Authorization: `Bearer ${opts.token}` } } : {},
  });
  const client = makeClient(opts.elicit);
  await client.connect(transport);
  return client;
}

/** The structured result of a tool call, failing the test on isError. */
export async function call(client: Client, name: string, args: Record<string, unknown> = {}): Promise<Record<string, unknown>> {
  const r = await client.callTool({ name, arguments: args });
  if (r.isError) throw new Error(`${name} failed: ${JSON.stringify(r.content)}`);
  return r.structuredContent as Record<string, unknown>;
}

/** A port free on 127.0.0.1 now (for a server whose URL must be known before it starts, as an OAuth audience is). */
export { freePort } from '../../bench/deployment.mjs';

/** Poll `fn` until it returns a truthy value (real time), or fail after `ms`. */
export async function eventually<T>(fn: () => Promise<T | undefined | false>, ms = 5000, what = 'condition'): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

// ------------------------------------------------------------------ 2026-07-28 clients (the v2 SDK)

/** How a v2 client opens: pinned to 2026-07-28, or `auto` (probes server/discover, falls back to initialize). */
export type ModernMode = 'pinned' | 'auto';

export type ModernElicitHandler = (message: string, requestedSchema: unknown) => ModernElicitResult | Promise<ModernElicitResult>;
export type ModernElicitResult = { action: 'accept' | 'decline' | 'cancel'; content?: Record<string, string | number | boolean | string[]> };

function makeModernClient(mode: ModernMode, elicit?: ModernElicitHandler): ModernClient {
  const client = new ModernClient(
    { name: 'e2e-modern', version: '1.0.0' },
    { versionNegotiation: { mode: mode === 'pinned' ? { pin: '2026-07-28' } : 'auto' }, capabilities: elicit ? { elicitation: { form: {} } } : {} },
  );
  if (elicit) {
    client.setRequestHandler('elicitation/create', async (req) => {
      const p = req.params as { message: string; requestedSchema?: unknown };
      return (await elicit(p.message, p.requestedSchema)) as never;
    });
  }
  return client;
}

/** The built server over stdio with a v2 client. */
export async function connectModernStdio(
  mode: ModernMode,
  opts: { config?: TempConfig; args?: string[]; env?: Record<string, string>; elicit?: ModernElicitHandler } = {},
): Promise<{ client: ModernClient; close(): Promise<void> }> {
  const transport = new ModernStdioClientTransport({
    command: process.execPath,
    args: [CLI, ...(opts.config ? ['--config', opts.config.path] : []), ...(opts.args ?? [])],
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ...opts.env },
    cwd: opts.config?.dir ?? REPO,
    stderr: 'pipe',
  });
  const client = makeModernClient(mode, opts.elicit);
  await client.connect(transport);
  return { client, close: () => client.close() };
}

/** The built server over streamable HTTP with a v2 client. */
export async function connectModernHttp(url: string, mode: ModernMode, opts: { token?: string; elicit?: ModernElicitHandler } = {}): Promise<ModernClient> {
  const transport = new ModernHttpClientTransport(new URL(url), {
    requestInit: opts.token ? { headers: { Authorization: `Bearer ${opts.token}` } } : {},
  });
  const client = makeModernClient(mode, opts.elicit);
  await client.connect(transport);
  return client;
}
