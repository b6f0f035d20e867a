/**
 * In-process apps and clients, with a manual clock: the real server glue with a 2025-11-25 client (the v1 SDK's
 * Client over its in-memory transport), or a 2026-07-28 client (the v2 SDK's Client) over the real HTTP transport.
 */
import type { Transport } from '@modelcontextprotocol/server';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { InMemoryTransport } from '@modelcontextprotocol/sdk/inMemory.js';
import { ElicitRequestSchema, type ElicitResult } from '@modelcontextprotocol/sdk/types.js';
import { Client as ModernClient, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import { createApp, type App } from '../../src/app.js';
import { ManualClock } from '../../src/util/clock.js';
import type { SimBackend } from '../../src/backends/sim/backend.js';
import { parseConfig } from '../../src/config.js';
import { LogHub } from '../../src/log.js';
import { type Principal, tokenPrincipal } from '../../src/principal.js';
import { createMcpServer, type ServerOptions } from '../../src/server.js';
import type { CallEnv } from '../../src/tools/call.js';
import { startHttp } from '../../src/transports/http.js';
import { TEST_SCENARIO } from './scenario.js';
import { writeConfig } from './mcp.js';

export interface TestApp {
  app: App;
  clock: ManualClock;
  sim(name?: string): SimBackend;
  close(): Promise<void>;
}

/** An app with one sim PBX `office` on the test scenario (or `config` as given), audit to a temp file. */
export async function testApp(config: Record<string, unknown> = {}, opts: { logs?: LogHub; now?: () => number } = {}): Promise<TestApp> {
  const tmp = writeConfig({}, TEST_SCENARIO);
  const raw = {
    defaultPbx: 'office',
    pbxes: { office: { type: 'sim', scenario: './scenario.json', defaultUser: 'alice', traffic: false } },
    safety: { dialPolicy: { defaultCountry: 'IT' } },
    audit: { file: `${tmp.dir}/audit.jsonl` },
    ...config,
  };
  const clock = new ManualClock();
  const app = await createApp(parseConfig(raw, { baseDir: tmp.dir, env: {} }), {
    clock,
    logs: opts.logs ?? new LogHub({ level: 'error', write: () => {} }),
    ...(opts.now ? { now: opts.now } : {}),
  });
  return {
    app,
    clock,
    // The handle keeps its backend private; a test reaches the sim engine through it on purpose.
    sim: (name = 'office') => app.pbxes.get(name)['backend'] as SimBackend,
    close: () => app.close(),
  };
}

/** The principal of the in-process clients unless a test names another. */
export const TEST_PRINCIPAL: Principal = tokenPrincipal('unit');

/** A call environment for driving the runner directly (no SDK). */
export function env(opts: Partial<CallEnv> = {}): CallEnv {
  return { session: { id: 'session-1', clientName: 'unit' }, principal: TEST_PRINCIPAL, signal: new AbortController().signal, ...opts };
}

/** The real server glue in-process, with an SDK Client (optionally declaring elicitation). */
export async function inMemoryClient(
  app: App,
  elicit?: (message: string, requestedSchema: unknown) => ElicitResult | Promise<ElicitResult>,
  serverOptions?: ServerOptions,
  principal: Principal = TEST_PRINCIPAL,
): Promise<{ client: Client; close(): Promise<void> }> {
  const server = createMcpServer(app, { ...serverOptions, era: 'legacy', principal });
  const [a, b] = InMemoryTransport.createLinkedPair();
  const client = new Client({ name: 'in-memory', version: '1' }, { capabilities: elicit ? { elicitation: { form: {} } } : {} });
  if (elicit) {
    client.setRequestHandler(ElicitRequestSchema, (req) =>
      elicit(req.params.message, req.params.mode === 'url' ? undefined : req.params.requestedSchema),
    );
  }
  // The v1 half of the pair speaks the same Transport contract the v2 server takes.
  await server.connect(a as unknown as Transport);
  await client.connect(b);
  return {
    client,
    close: async () => {
      await client.close();
      await server.close();
    },
  };
}

/**
 * A 2026-07-28 client (the v2 SDK's Client, pinned to the revision) of the app over its real HTTP transport on
 * 127.0.0.1, with named tokens when given; `token` picks the one it sends.
 */
export async function modernClient(
  app: App,
  opts: {
    elicit?: (message: string, requestedSchema: unknown) => ElicitResult | Promise<ElicitResult>;
    tokens?: Record<string, string>;
    token?: string;
    serverOptions?: ServerOptions;
    /** Capabilities declared beside elicitation (an extension, say). */
    capabilities?: Record<string, unknown>;
  } = {},
): Promise<{ client: ModernClient; url: string; close(): Promise<void> }> {
  const http = await startHttp(app, { host: '127.0.0.1', port: 0, tokens: opts.tokens, server: opts.serverOptions });
  const client = new ModernClient(
    { name: 'in-process-modern', version: '1' },
    { versionNegotiation: { mode: { pin: '2026-07-28' } }, capabilities: { ...opts.capabilities, ...(opts.elicit ? { elicitation: { form: {} } } : {}) } },
  );
  if (opts.elicit) {
    const elicit = opts.elicit;
    client.setRequestHandler('elicitation/create', async (req) => {
      const p = req.params as { message: string; requestedSchema?: unknown };
      return (await elicit(p.message, p.requestedSchema)) as never;
    });
  }
  const transport = new StreamableHTTPClientTransport(new URL(http.url), {
    requestInit: opts.token ? { headers: { Authorization: `Bearer ${opts.token}` } } : {},
  });
  await client.connect(transport);
  return {
    client,
    url: http.url,
    close: async () => {
      await client.close();
      await http.close();
    },
  };
}
