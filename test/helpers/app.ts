/** In-process apps and clients: the real server glue over the SDK's in-memory transport, with a manual clock. */
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { InMemoryTransport } from '@modelcontextprotocol/sdk/inMemory.js';
import { ElicitRequestSchema, type ElicitResult } from '@modelcontextprotocol/sdk/types.js';
import { createApp, type App } from '../../src/app.js';
import { ManualClock } from '../../src/backends/sim/clock.js';
import type { SimBackend } from '../../src/backends/sim/backend.js';
import { parseConfig } from '../../src/config.js';
import { LogHub } from '../../src/log.js';
import { createMcpServer, type ServerOptions } from '../../src/server.js';
import type { CallEnv } from '../../src/tools/runner.js';
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
    sim: (name = 'office') => app.pbxes.get(name).backend as SimBackend,
    close: () => app.close(),
  };
}

/** A call environment for driving the runner directly (no SDK). */
export function env(opts: Partial<CallEnv> = {}): CallEnv {
  return { session: { id: 'session-1', clientName: 'unit' }, signal: new AbortController().signal, ...opts };
}

/** The real server glue in-process, with an SDK Client (optionally declaring elicitation). */
export async function inMemoryClient(
  app: App,
  elicit?: (message: string, requestedSchema: unknown) => ElicitResult | Promise<ElicitResult>,
  serverOptions?: ServerOptions,
): Promise<{ client: Client; close(): Promise<void> }> {
  const server = createMcpServer(app, serverOptions);
  const [a, b] = InMemoryTransport.createLinkedPair();
  const client = new Client({ name: 'in-memory', version: '1' }, { capabilities: elicit ? { elicitation: { form: {} } } : {} });
  if (elicit) {
    client.setRequestHandler(ElicitRequestSchema, (req) =>
      elicit(req.params.message, req.params.mode === 'url' ? undefined : req.params.requestedSchema),
    );
  }
  await server.connect(a);
  await client.connect(b);
  return {
    client,
    close: async () => {
      await client.close();
      await server.close();
    },
  };
}
