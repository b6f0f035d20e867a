#!/usr/bin/env node
/**
 * telephony-mcp [--config FILE] [--transport stdio|http] [--host H] [--port P] [--read-only]
 * telephony-mcp check [--config FILE]
 * telephony-mcp simulate <vendor> [--port N] [--scenario FILE] [--reading R]
 *
 * Parses arguments, loads .env and the config, builds the app and starts the chosen transport. Serving, it prints
 * only to stderr: in stdio mode stdout belongs to the protocol. `check` prints its table and `simulate` its config on
 * stdout, so they can be saved or piped; their messages go to stderr.
 */
import { parseArgs } from 'node:util';
import dotenv from 'dotenv';
import { createApp } from './app.js';
import { auditFile, loadConfig, PBX_ENV, type Config } from './config.js';
import { ConfigError } from './errors.js';
import { LEVELS, LogHub, type Level } from './log.js';
import { VERSION } from './server.js';
import { stateSecret } from './safety/confirm.js';
import { REDIS_URL_ENV, REPLICA_ENV, sharedSettings } from './shared/settings.js';
import { startStdio } from './transports/stdio.js';
import { BACKEND_TYPES } from './backends/registry.js';

const USAGE = `telephony-mcp ${VERSION}: an MCP server for phone systems (PBXs)

Usage:
  telephony-mcp [options]                 serve MCP (stdio by default)
  telephony-mcp check [--config FILE]     contact every configured PBX (reachable, TLS, credentials,
                                          one harmless read) and print a table; exit 0 when all pass
  telephony-mcp simulate <vendor> [--port N] [--scenario FILE] [--reading R]
                                          run a vendor API simulator over the sim PBX and print a
                                          config for it (--reading: how it reads what its vendor
                                          doc leaves open; vendors: ${BACKEND_TYPES.map((t) => t.type).filter((t) => t !== 'sim').join(', ')})

Options:
  --config FILE          config file (default: $TELEPHONY_MCP_CONFIG, else the PBX described by
                         TELEPHONY_MCP_PBX_*, else the built-in demo PBX)
  --transport T          stdio (default) or http
  --host H               HTTP address to bind (default 127.0.0.1)
  --port P               HTTP port (default 3000)
  --read-only            offer only tools that read
  --log-level L          ${LEVELS.join(', ')}
  --help, --version

Environment (a .env file in the working directory is loaded too):
  TELEPHONY_MCP_CONFIG           the config file, when --config is not given
  TELEPHONY_MCP_TOKEN            HTTP bearer token (required to bind a non-loopback address)
  TELEPHONY_MCP_STATE_SECRET     key (32+ bytes) that signs confirmations; servers behind one balancer share it
  ${REDIS_URL_ENV.padEnd(30)} redis://[:password@]host:6379[/db]: the store the servers behind one
                                 balancer share (confirmations, limits, polls, tokens, changes, audit)
  ${REPLICA_ENV.padEnd(30)} this server's name among them (legacy session ids start with it)
  ${PBX_ENV.type.padEnd(30)} without a config file, one PBX: its type (${BACKEND_TYPES.map((t) => t.type).filter((t) => t !== 'sim').join(', ')}),
  ${PBX_ENV.url.padEnd(30)} its API address,
  ${PBX_ENV.user.padEnd(30)} login and
  ${PBX_ENV.password.padEnd(30)} password (the type is required when any of them is set)
  ${PBX_ENV.country.padEnd(30)} two-letter country for national numbers (e.g. IT)
  XDG_STATE_HOME                 the audit trail defaults to $XDG_STATE_HOME/telephony-mcp/audit.jsonl
                                 (else ~/.local/state/telephony-mcp/audit.jsonl)
Any \${VAR} in the config is replaced from the environment.

MCP revisions served: 2026-07-28 (per request) and 2025-11-25 (and earlier, through initialize), over stdio
and streamable HTTP alike.
`;

function fail(message: string, code = 2): never {
  process.stderr.write(`telephony-mcp: ${message}\n`);
  process.exit(code);
}

/** The config from --config, TELEPHONY_MCP_CONFIG, the TELEPHONY_MCP_PBX_* variables or the demo; exits on an error. */
function readConfig(path: string | undefined): Config {
  dotenv.config({ quiet: true });
  try {
    return loadConfig(path ?? process.env.TELEPHONY_MCP_CONFIG);
  } catch (e) {
    if (e instanceof ConfigError) fail(e.message);
    throw e;
  }
}

/** Inspector 2.x needs Node.js 22.19; on older Node.js, npx would pick 0.15.0, which lacks --header (README). */
function inspectorPackage(): string {
  const [major = 0, minor = 0] = process.versions.node.split('.').map(Number);
  return major > 22 || (major === 22 && minor >= 19) ? '@modelcontextprotocol/inspector' : '@modelcontextprotocol/inspector@1.0.3';
}

/** Where the audit trail goes, as start-up messages say it. */
const auditWhere = (config: Config) => (auditFile(config) === '-' ? 'stderr (audit.file is "-")' : auditFile(config));

function banner(config: Config, url: string, token: boolean, shared: { where?: string | undefined; replica?: string | undefined }): string {
  const pbxes = Object.entries(config.pbxes)
    .map(([n, p]) => `${n} (${p.type}${n === config.defaultPbx ? ', default' : ''})`)
    .join(', ');
  const header = token ? ',\n        "headers": { "Authorization": "Bearer ${TELEPHONY_MCP_TOKEN}" }' : '';
  return [
    '',
    `telephony-mcp ${VERSION} is serving MCP over streamable HTTP`,
    `  endpoint: ${url}${token ? '   (bearer token required)' : ''}`,
    ...(config.http.oauth
      ? [`  OAuth:    access tokens of ${config.http.oauth.issuer} for ${config.http.oauth.audience} (clients sign in by themselves)`]
      : []),
    `  MCP:      2026-07-28 and 2025-11-25 (each client is served the revision it opens with)`,
    `  PBXs:     ${pbxes}${config.source === 'built-in demo config' ? '   (built-in demo: a simulated PBX)' : ''}`,
    `  audit:    ${auditWhere(config)}`,
    ...(shared.where ? [`  shared:   Redis at ${shared.where}${shared.replica ? ` (this server: ${shared.replica})` : ''}`] : []),
    '',
    'Connect a client:',
    `  Claude Code:   claude mcp add --transport http telephony ${url}${token ? ' --header "Authorization: Bearer $TELEPHONY_MCP_TOKEN"' : ''}`,
    `  MCP Inspector: npx -y ${inspectorPackage()}   (transport "Streamable HTTP", URL ${url})`,
    '  JSON config (VS Code, Cursor, others):',
    `    { "mcpServers": { "telephony": { "type": "http", "url": "${url}"${header} } } }`,
    '',
    'Press Ctrl+C to stop.',
    '',
  ].join('\n');
}

async function serve(argv: string[]): Promise<void> {
  let values;
  try {
    ({ values } = parseArgs({
      args: argv,
      options: {
        config: { type: 'string' },
        transport: { type: 'string' },
        host: { type: 'string' },
        port: { type: 'string' },
        'read-only': { type: 'boolean' },
        'log-level': { type: 'string' },
        help: { type: 'boolean', short: 'h' },
        version: { type: 'boolean', short: 'v' },
      },
      strict: true,
    }));
  } catch (e) {
    fail(`${(e as Error).message}\n\n${USAGE}`);
  }
  if (values.help) {
    process.stderr.write(USAGE);
    return;
  }
  if (values.version) {
    process.stderr.write(`${VERSION}\n`);
    return;
  }
  const transport = values.transport ?? 'stdio';
  if (transport !== 'stdio' && transport !== 'http') fail(`--transport must be stdio or http, not "${transport}"`);
  const level = values['log-level'];
  if (level !== undefined && !(LEVELS as readonly string[]).includes(level)) fail(`--log-level must be one of ${LEVELS.join(', ')}`);
  let port: number | undefined;
  if (values.port !== undefined) {
    port = Number(values.port);
    if (!Number.isInteger(port) || port < 0 || port > 65535) fail(`--port must be a port number, not "${values.port}"`);
  }

  const config = readConfig(values.config);
  if (values['read-only']) config.readOnly = true;
  // The HTTP transport pulls in a web framework that a stdio session never needs: loaded only when used.
  const http = transport === 'http' ? await import('./transports/http.js') : undefined;
  let tokens: Record<string, string> = {};
  try {
    // Checked before the app connects to any PBX: a bad token or signing key is a configuration error.
    if (http) tokens = http.namedTokens(config.http.tokens, http.bearerToken(config.http.token, process.env));
    stateSecret(config.safety.stateSecret, process.env);
    sharedSettings(config.shared, process.env);
  } catch (e) {
    fail((e as Error).message);
  }
  const logs = new LogHub({ level: (level as Level | undefined) ?? config.log.level, format: config.log.format });
  let app;
  try {
    app = await createApp(config, { logs, env: process.env });
  } catch (e) {
    fail(`cannot start: ${(e as Error).message}`);
  }

  let stop: () => Promise<void>;
  if (http) {
    let running;
    try {
      running = await http.startHttp(app, {
        host: values.host ?? config.http.host,
        port: port ?? config.http.port,
        tokens,
        oauth: config.http.oauth,
        allowedHosts: config.http.allowedHosts,
        allowedOrigins: config.http.allowedOrigins,
        maxSessions: config.http.maxSessions,
        maxSessionsPerClient: config.http.maxSessionsPerClient,
        sessionIdleMinutes: config.http.sessionIdleMinutes,
        replica: app.shared.replica,
      });
    } catch (e) {
      await app.close();
      const err = e as NodeJS.ErrnoException;
      if (err.code === 'EADDRINUSE') fail(`port ${port ?? config.http.port} is in use: stop the other server or pass --port`, 1);
      if (err.code === 'EACCES') fail(`not allowed to bind ${values.host ?? config.http.host}:${port ?? config.http.port}`, 1);
      fail(err.message, 1);
    }
    process.stderr.write(banner(config, running.url, Object.keys(tokens).length > 0, app.shared));
    stop = () => running.close();
  } else {
    if (process.stdin.isTTY) {
      process.stderr.write('telephony-mcp: speaking MCP over stdio; an MCP client starts it. For a demo run: npm start\n');
    }
    app.log.info(`audit trail of actions: ${auditWhere(config)}`);
    const running = await startStdio(app);
    stop = () => running.close();
    void running.closed.then(() => shutdown('stdin closed'));
  }

  let stopping = false;
  const shutdown = async (why: string) => {
    if (stopping) {
      process.exit(1);
    }
    stopping = true;
    app.log.info('shutting down', { why });
    const force = setTimeout(() => process.exit(1), 5000).unref();
    await stop().catch(() => {});
    await app.close();
    clearTimeout(force);
    process.exit(0);
  };
  process.on('SIGINT', () => void shutdown('SIGINT'));
  process.on('SIGTERM', () => void shutdown('SIGTERM'));
}

/** `telephony-mcp check`: the table of checkAll, exit 0 only when every PBX passed. */
async function check(argv: string[]): Promise<void> {
  let values;
  try {
    ({ values } = parseArgs({ args: argv, options: { config: { type: 'string' }, help: { type: 'boolean', short: 'h' } }, strict: true }));
  } catch (e) {
    fail(`${(e as Error).message}\n\n${USAGE}`);
  }
  if (values.help) {
    process.stderr.write(USAGE);
    return;
  }
  const config = readConfig(values.config);
  const { checkAll, formatChecks } = await import('./check.js');
  const checks = await checkAll(config);
  process.stdout.write(formatChecks(checks, config.source));
  process.exit(checks.every((c) => c.ok) ? 0 : 1);
}

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  if (argv[0] === 'check') return check(argv.slice(1));
  if (argv[0] === 'simulate') {
    try {
      // Simulators are only for this command: serving MCP never loads them.
      const { runSimulator } = await import('./simulators/index.js');
      await runSimulator(argv.slice(1));
    } catch (e) {
      fail((e as Error).message);
    }
    return;
  }
  await serve(argv);
}

main().catch((e: unknown) => {
  process.stderr.write(`telephony-mcp: unexpected error: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
  process.exit(1);
});
