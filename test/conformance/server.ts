/**
 * The test-only conformance entry: what `telephony-mcp --transport http` builds (loadConfig, createApp,
 * startHttp with its Host/Origin checks, 2025 sessions and 2026 per-request handler, createMcpServer), on a sim
 * PBX, plus the conformance fixtures through the server's `extend` option: the same handlers serve both.
 * Nothing under src/ imports this file.
 */
import { type App, createApp } from '../../src/app.js';
import { loadConfig } from '../../src/config.js';
import { LogHub } from '../../src/log.js';
import { startHttp } from '../../src/transports/http.js';
import { simConfig } from '../helpers/mcp.js';
import { conformanceFixtures, type ConformanceFixtures } from './fixtures.js';

export interface ConformanceServer {
  /** The streamable HTTP endpoint, on 127.0.0.1 (dns-rebinding-protection needs a loopback URL). */
  url: string;
  fixtures: ConformanceFixtures;
  app: App;
  /** Server log lines at warn and above, for failure messages. */
  log(): string;
  close(): Promise<void>;
}

export async function startConformanceServer(): Promise<ConformanceServer> {
  const config = loadConfig(simConfig().path, {});
  const lines: string[] = [];
  const fixtures = conformanceFixtures();
  const app = await createApp(config, { logs: new LogHub({ level: 'warn', write: (l) => lines.push(l) }) });
  try {
    // No token: the runner cannot send one, and a loopback server without one is what the DNS-rebinding check targets.
    const http = await startHttp(app, {
      host: '127.0.0.1',
      port: 0,
      allowedHosts: config.http.allowedHosts,
      allowedOrigins: config.http.allowedOrigins,
      maxSessions: config.http.maxSessions,
      sessionIdleMinutes: config.http.sessionIdleMinutes,
      server: { extend: fixtures.extend, subscribe: fixtures.subscribe },
    });
    return {
      url: http.url,
      fixtures,
      app,
      log: () => lines.join(''),
      close: async () => {
        await http.close();
        await app.close();
      },
    };
  } catch (e) {
    await app.close();
    throw e;
  }
}
