/**
 * Streamable HTTP at /mcp with sessions (one McpServer per session), GET /healthz, DNS-rebinding protection
 * (Host and Origin must be ours: 403 otherwise), an optional bearer token (401 without it), a cap on sessions
 * with a share per client, and reaping of idle ones.
 *
 * Port notes (issue 13, findings 3, 5 and 6), for the move to the v2 SDK: batches are refused before the SDK
 * sees a body; refusals before authentication go through RefusalLog (never to a client); every session
 * belongs to a client (`clientOf`) whose share of sessions is bounded here and of subscriptions in
 * resources/budget.ts; a session is idle when no POST is in flight and none came for the idle time, whatever
 * GET streams it holds open; /healthz counts sessions only for an authenticated caller.
 */
import { randomUUID, timingSafeEqual, createHash } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import { isInitializeRequest } from '@modelcontextprotocol/sdk/types.js';
import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import type { App } from '../app.js';
import { createMcpServer, type ServerOptions } from '../server.js';
import { addSecret } from '../safety/redact.js';
import { BATCH_REFUSAL } from './batch.js';
import { RefusalLog } from './refusals.js';
import { isLoopbackHost } from '../util/net.js';

export const LOOPBACK_HOSTS = ['127.0.0.1', 'localhost', '::1', '[::1]'];
const MAX_BODY = 4 * 1024 * 1024;

export interface HttpOptions {
  host: string;
  port: number;
  token?: string | undefined;
  allowedHosts?: string[];
  allowedOrigins?: string[];
  maxSessions?: number;
  /** Sessions one client may hold (default: the lesser of 100 and half of maxSessions). */
  maxSessionsPerClient?: number;
  sessionIdleMinutes?: number;
  path?: string;
  server?: ServerOptions;
}

export interface RunningHttp {
  url: string;
  port: number;
  sessions(): number;
  close(): Promise<void>;
}

interface Session {
  transport: StreamableHTTPServerTransport;
  server: McpServer;
  /** Who opened it (see clientOf). */
  client: string;
  /** When the client last sent a message (a POST); an open GET stream is not activity. */
  lastSeen: number;
  /** POSTs being answered (a tool call waiting for a person, say): the session is not idle meanwhile. */
  inFlight: number;
}

/** The default share of one client: no client may hold every session. */
export function defaultClientShare(maxSessions: number): number {
  return Math.max(1, Math.min(100, Math.ceil(maxSessions / 2)));
}


/** The floor http.token has in the config; a token from the environment guards the same endpoint. */
export const MIN_TOKEN_LENGTH = 16;

/**
 * The bearer token: http.token from the config (validated and registered as a secret with the config), else
 * TELEPHONY_MCP_TOKEN. A token from the environment gets the same minimum length and is registered as a
 * secret, so it is masked in logs and errors like every other credential. Throws naming the fix when too short.
 */
export function bearerToken(configToken: string | undefined, env: NodeJS.ProcessEnv): string | undefined {
  if (configToken) return configToken;
  const token = env.TELEPHONY_MCP_TOKEN || undefined;
  if (token === undefined) return undefined;
  if (token.length < MIN_TOKEN_LENGTH) {
    throw new Error(
      `TELEPHONY_MCP_TOKEN is too short (${token.length} characters; at least ${MIN_TOKEN_LENGTH}): ` +
        'set it to a long random value, e.g. TELEPHONY_MCP_TOKEN=$(openssl rand -hex 32), or unset it',
    );
  }
  addSecret(token);
  return token;
}

function digest(s: string): Buffer {
  return createHash('sha256').update(s).digest();
}

function jsonRpcError(res: ServerResponse, status: number, code: number, message: string, headers: Record<string, string> = {}): void {
  if (res.headersSent) return;
  // Drain an unread body so the client can finish writing and read this answer (instead of a reset).
  res.req.resume();
  res.writeHead(status, { 'content-type': 'application/json', ...headers });
  res.end(JSON.stringify({ jsonrpc: '2.0', error: { code, message }, id: null }));
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    let size = 0;
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > MAX_BODY) {
        reject(Object.assign(new Error('body too large'), { status: 413 }));
        req.destroy();
        return;
      }
      chunks.push(c);
    });
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

export async function startHttp(app: App, opts: HttpOptions): Promise<RunningHttp> {
  const path = opts.path ?? '/mcp';
  if (!isLoopbackHost(opts.host) && !opts.token) {
    throw new Error(
      `refusing to serve HTTP on ${opts.host} without a token: set http.token in the config or TELEPHONY_MCP_TOKEN, or bind 127.0.0.1`,
    );
  }
  const sessions = new Map<string, Session>();
  const maxSessions = opts.maxSessions ?? 2000;
  const clientShare = Math.min(maxSessions, opts.maxSessionsPerClient ?? defaultClientShare(maxSessions));
  /** Servers created for an initialize that the transport has not yet accepted or refused. */
  let opening = 0;
  /** Sessions held or opening per client. */
  const perClient = new Map<string, number>();
  const countClient = (client: string, by: number) => {
    const n = (perClient.get(client) ?? 0) + by;
    if (n > 0) perClient.set(client, n);
    else perClient.delete(client);
  };
  const idleMs = (opts.sessionIdleMinutes ?? 30) * 60_000;
  const tokenDigest = opts.token ? digest(opts.token) : undefined;
  let port = opts.port;
  const log = app.log.child({ part: 'http' });
  const refusals = new RefusalLog(log);
  /**
   * Who a request comes from, for the per-client shares: with a token, the token it presented (every request that
   * gets this far presented the right one); without, the remote address.
   */
  const clientOf = (req: IncomingMessage): string =>
    tokenDigest ? `token:${tokenDigest.subarray(0, 8).toString('hex')}` : `address:${req.socket.remoteAddress ?? '?'}`;

  const allowedHosts = () => {
    const names = new Set(LOOPBACK_HOSTS);
    if (!['0.0.0.0', '::'].includes(opts.host)) names.add(opts.host.toLowerCase());
    const set = new Set<string>();
    for (const n of names) set.add(`${n.includes(':') && !n.startsWith('[') ? `[${n}]` : n}:${port}`);
    for (const h of opts.allowedHosts ?? []) set.add(h.toLowerCase());
    return set;
  };
  const allowedOrigins = () => {
    const set = new Set<string>();
    for (const n of ['127.0.0.1', 'localhost', '[::1]']) {
      set.add(`http://${n}:${port}`);
      set.add(`https://${n}:${port}`);
    }
    for (const o of opts.allowedOrigins ?? []) set.add(new URL(o).origin);
    return set;
  };
  let hostSet = allowedHosts();
  let originSet = allowedOrigins();

  const corsHeaders = (origin: string | undefined): Record<string, string> =>
    origin
      ? {
          'access-control-allow-origin': origin,
          'access-control-expose-headers': 'mcp-session-id, mcp-protocol-version, www-authenticate',
          vary: 'Origin',
        }
      : {};

  /** Forget a session (once, whoever notices first: a DELETE, the transport closing, the reaper). */
  const forget = (id: string): Session | undefined => {
    const s = sessions.get(id);
    if (!s) return undefined;
    sessions.delete(id);
    countClient(s.client, -1);
    return s;
  };
  const closeSession = async (id: string) => {
    const s = forget(id);
    if (s) await s.server.close().catch(() => {});
  };

  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    // Only a POST to the endpoint has a body we read; drain any other so a kept-alive socket stays in sync.
    if (req.method !== 'POST') req.resume();
    const host = (req.headers.host ?? '').toLowerCase();
    if (!hostSet.has(host)) {
      refusals.refused('a foreign Host header', 'host', host);
      return jsonRpcError(res, 403, -32000, 'Forbidden: Host header not allowed');
    }
    const origin = req.headers.origin;
    if (origin !== undefined && !originSet.has(origin)) {
      refusals.refused('a foreign Origin header', 'origin', origin);
      return jsonRpcError(res, 403, -32000, 'Forbidden: Origin not allowed');
    }
    const cors = corsHeaders(origin);
    const authorized = () => {
      const m = /^Bearer\s+(.+)$/i.exec(req.headers.authorization ?? '');
      return !!tokenDigest && !!m && timingSafeEqual(digest(m[1]!.trim()), tokenDigest);
    };
    if (url.pathname === '/healthz') {
      if (req.method !== 'GET' && req.method !== 'HEAD') return jsonRpcError(res, 405, -32000, 'Method not allowed', { allow: 'GET' });
      res.writeHead(200, { 'content-type': 'application/json', 'cache-control': 'no-store', ...cors });
      // How busy the server is, only for whoever holds the token.
      res.end(JSON.stringify(authorized() ? { status: 'ok', sessions: sessions.size } : { status: 'ok' }));
      return;
    }
    if (url.pathname !== path) return jsonRpcError(res, 404, -32000, `Not found: the MCP endpoint is ${path}`);
    if (req.method === 'OPTIONS') {
      res.writeHead(204, {
        ...cors,
        'access-control-allow-methods': 'GET, POST, DELETE, OPTIONS',
        'access-control-allow-headers': 'content-type, authorization, mcp-session-id, mcp-protocol-version, last-event-id',
        'access-control-max-age': '600',
      });
      res.end();
      return;
    }
    if (tokenDigest) {
      if (!authorized()) {
        refusals.refused(req.headers.authorization ? 'a wrong bearer token' : 'no bearer token', 'address', req.socket.remoteAddress);
        return jsonRpcError(res, 401, -32001, 'Unauthorized: send Authorization: Bearer <token>', {
          'www-authenticate': 'Bearer realm="telephony-mcp"',
          ...cors,
        });
      }
    }
    for (const [k, v] of Object.entries(cors)) res.setHeader(k, v);

    let body: unknown;
    if (req.method === 'POST') {
      let text: string;
      try {
        text = await readBody(req);
      } catch (e) {
        const status = (e as { status?: number }).status ?? 400;
        return jsonRpcError(res, status, -32700, status === 413 ? 'Request body too large' : 'Could not read the request body');
      }
      try {
        body = JSON.parse(text);
      } catch {
        return jsonRpcError(res, 400, -32700, 'Parse error: the body is not JSON');
      }
      // A JSON-RPC batch: refused whole, before the SDK (which would run every message in it) sees it.
      if (Array.isArray(body)) return jsonRpcError(res, 400, BATCH_REFUSAL.error.code, BATCH_REFUSAL.error.message);
    }

    const sid = req.headers['mcp-session-id'];
    const sessionId = Array.isArray(sid) ? sid[0] : sid;
    if (sessionId) {
      const s = sessions.get(sessionId);
      if (!s) return jsonRpcError(res, 404, -32001, 'Session not found: start a new session (initialize)');
      // Only what the client sends keeps a session alive: a GET stream it holds open is not activity, or one
      // client could keep every session it opened forever.
      if (req.method === 'POST') {
        s.lastSeen = Date.now();
        s.inFlight++;
        res.on('close', () => {
          s.inFlight--;
          s.lastSeen = Date.now();
        });
      }
      await s.transport.handleRequest(req, res, body);
      return;
    }
    if (req.method !== 'POST' || !isInitializeRequest(body)) {
      return jsonRpcError(res, 400, -32000, 'Bad request: no mcp-session-id header, and this is not an initialize request');
    }
    // Servers still opening count too: concurrent initializes must not slip past the cap before they register.
    const client = clientOf(req);
    if ((perClient.get(client) ?? 0) >= clientShare) {
      return jsonRpcError(
        res,
        503,
        -32000,
        `Too many sessions for this client (its share is ${clientShare} of ${maxSessions}); close idle sessions (DELETE) or try later`,
        { 'retry-after': '5' },
      );
    }
    if (sessions.size + opening >= maxSessions) {
      return jsonRpcError(res, 503, -32000, `Too many sessions (limit ${maxSessions}); close idle sessions or try later`, { 'retry-after': '5' });
    }
    opening++;
    countClient(client, 1);
    let pending = true;
    // Leaves the opening count once: when the session registers (it stays counted for its client until it is
    // forgotten), or when the request ends without one (then the client's count is given back too).
    const settle = (registered: boolean) => {
      if (!pending) return;
      pending = false;
      opening--;
      if (!registered) countClient(client, -1);
    };
    const server = createMcpServer(app, opts.server, client);
    const transport: StreamableHTTPServerTransport = new StreamableHTTPServerTransport({
      sessionIdGenerator: () => randomUUID(),
      onsessioninitialized: (id) => {
        settle(true);
        sessions.set(id, { transport, server, client, lastSeen: Date.now(), inFlight: 0 });
      },
      onsessionclosed: (id) => void closeSession(id),
    });
    transport.onclose = () => {
      if (transport.sessionId) forget(transport.sessionId);
    };
    try {
      await server.connect(transport);
      await transport.handleRequest(req, res, body);
    } finally {
      settle(false);
      // The SDK refused the initialize (Accept, Content-Type, a malformed message...): no session holds this
      // server, so nothing else would ever close it and drop its log sink and subscriptions.
      if (!transport.sessionId) await server.close().catch(() => {});
    }
  };

  const http: Server = createServer((req, res) => {
    handle(req, res).catch((e: unknown) => {
      log.error('HTTP request failed', { error: e as Error });
      jsonRpcError(res, 500, -32603, 'Internal error in telephony-mcp; see the server log');
    });
  });
  http.keepAliveTimeout = 65_000;

  await new Promise<void>((resolve, reject) => {
    http.once('error', reject);
    http.listen(opts.port, opts.host, () => {
      http.off('error', reject);
      resolve();
    });
  });
  port = (http.address() as AddressInfo).port;
  hostSet = allowedHosts();
  originSet = allowedOrigins();
  if (['0.0.0.0', '::'].includes(opts.host) && !(opts.allowedHosts ?? []).length) {
    log.warn('bound to all interfaces: only loopback Host names are accepted until http.allowedHosts lists the names clients use');
  }

  const reaper = setInterval(() => {
    const now = Date.now();
    for (const [id, s] of sessions) {
      if (s.inFlight === 0 && now - s.lastSeen > idleMs) {
        log.info('closing an idle session', { session: id });
        void closeSession(id);
      }
    }
  }, Math.min(60_000, idleMs)).unref();

  const displayHost = opts.host.includes(':') && !opts.host.startsWith('[') ? `[${opts.host}]` : opts.host;
  const urlText = `http://${['0.0.0.0', '::'].includes(opts.host) ? '127.0.0.1' : displayHost}:${port}${path}`;
  return {
    url: urlText,
    port,
    sessions: () => sessions.size,
    async close() {
      clearInterval(reaper);
      refusals.stop();
      await Promise.allSettled([...sessions.keys()].map(closeSession));
      await new Promise<void>((resolve) => {
        http.close(() => resolve());
        http.closeIdleConnections();
        setTimeout(() => http.closeAllConnections(), 2000).unref();
      });
    },
  };
}
