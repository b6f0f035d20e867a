/**
 * Streamable HTTP at /mcp for both eras, GET /healthz, DNS-rebinding protection (Host and Origin must be ours:
 * 403 otherwise), named bearer tokens and OAuth access tokens (401 without a valid one; with OAuth the challenge
 * points at the Protected Resource Metadata served here, and a request the token's scopes do not cover is answered
 * 403 insufficient_scope before anything runs: src/auth/). A request that opens the 2025-11-25 way
 * (initialize, then a session id) goes to a session of its own (one server instance per session, a cap on
 * sessions with a share per client, idle ones reaped); a 2026-07-28 request goes to the SDK's per-request
 * handler. The token that authenticated a request is its principal; a session belongs to the principal that
 * opened it. JSON-RPC batches are refused before the SDK sees a body; refusals before authentication are logged
 * once per interval (RefusalLog), never sent to a client; /healthz counts sessions only for an authenticated caller.
 */
import { randomUUID, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { NodeStreamableHTTPServerTransport } from '@modelcontextprotocol/node';
import {
  type AuthInfo,
  classifyInboundRequest,
  createMcpHandler,
  getOAuthProtectedResourceMetadataUrl,
  isInitializeRequest,
  type McpHttpHandler,
  type Server as McpServer,
} from '@modelcontextprotocol/server';
import type { App } from '../app.js';
import { mayRead, scopeChallenge } from '../auth/access.js';
import { baselineScopes, bearerChallenge, metadataPaths, resourceMetadata } from '../auth/challenge.js';
import type { OAuthConfig } from '../auth/config.js';
import type { OAuthVerifier } from '../auth/verify.js';
import { LOCAL_PRINCIPAL, type Principal, tokenPrincipal } from '../principal.js';
import { authInfoOf, createMcpServer, type ServerOptions } from '../server.js';
import { addSecret } from '../safety/redact.js';
import { isLoopbackHost } from '../util/net.js';
import { BATCH_REFUSAL } from './batch.js';
import { allowedHosts, allowedOrigins, corsHeaders } from './origins.js';
import { ListenFeeds, narrowListen } from './listen.js';
import { RefusalLog } from './refusals.js';
import { digest } from './tokens.js';
import { headerOf, jsonRpcError, readBody, sendResponse, webRequest } from './wire.js';

export { bearerToken, MIN_TOKEN_LENGTH, namedTokens } from './tokens.js';

/** subscriptions/listen streams the server holds open at once, for all clients. */
const MAX_LISTEN_STREAMS = 1000;

export interface HttpOptions {
  host: string;
  port: number;
  /** Bearer tokens by name (the name is the principal); none and no oauth: no token is asked for (loopback only). */
  tokens?: Record<string, string> | undefined;
  /** OAuth access tokens of this identity provider are accepted too (http.oauth). */
  oauth?: OAuthConfig | undefined;
  allowedHosts?: string[];
  allowedOrigins?: string[];
  maxSessions?: number;
  /** Sessions one client may hold (default: the lesser of 100 and half of maxSessions). */
  maxSessionsPerClient?: number;
  sessionIdleMinutes?: number;
  /** This server's name in a deployment: legacy session ids start with it ("r1."), so a balancer can route them back. */
  replica?: string | undefined;
  path?: string;
  server?: ServerOptions;
}

export interface RunningHttp {
  url: string;
  port: number;
  /** Open 2025-11-25 sessions. */
  sessions(): number;
  close(): Promise<void>;
}

interface Session {
  transport: NodeStreamableHTTPServerTransport;
  server: McpServer;
  principal: Principal;
  /** Who opened it, for the per-client shares (see clientOf). */
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

/** The 2026-07-28 handler of one principal, with the resources its listen streams watch. */
interface Modern {
  handler: McpHttpHandler;
  feeds: ListenFeeds;
  /** Requests (and listen streams) being answered; an idle handler is closed after a while (OAuth: one per subject). */
  inFlight: number;
  lastSeen: number;
}

/** How a request authenticated: a principal, or why not (no token, a wrong one, or keys that cannot be had now). */
type Authenticated = { principal: Principal } | { refused: 'missing' | 'invalid'; reason?: string } | { unavailable: true };

export async function startHttp(app: App, opts: HttpOptions): Promise<RunningHttp> {
  const path = opts.path ?? '/mcp';
  const tokens = Object.entries(opts.tokens ?? {});
  const oauth = opts.oauth;
  if (!isLoopbackHost(opts.host) && tokens.length === 0 && !oauth) {
    throw new Error(
      `refusing to serve HTTP on ${opts.host} without a token: set http.token, http.tokens or http.oauth in the config, or TELEPHONY_MCP_TOKEN, or bind 127.0.0.1`,
    );
  }
  for (const [, token] of tokens) addSecret(token);
  const known = tokens.map(([name, token]) => ({ digest: digest(token), principal: tokenPrincipal(name) }));
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
  let port = opts.port;
  const log = app.log.child({ part: 'http' });
  const refusals = new RefusalLog(log);
  // The JWT library loads only when OAuth is on: a server with static tokens does not pay for it.
  const verifier: OAuthVerifier | undefined = oauth ? new (await import('../auth/verify.js')).OAuthVerifier(oauth, log.child({ part: 'oauth' })) : undefined;
  const metadata = oauth
    ? { document: JSON.stringify(resourceMetadata(oauth)), paths: metadataPaths(oauth, path), url: getOAuthProtectedResourceMetadataUrl(new URL(oauth.audience)) }
    : undefined;
  /**
   * Who a request comes from, for the per-client shares: with tokens, the one it presented (its principal); without,
   * the remote address.
   */
  const clientOf = (req: IncomingMessage, principal: Principal): string =>
    principal.kind === 'token' || principal.kind === 'oauth' ? principal.id : `address:${req.socket.remoteAddress ?? '?'}`;

  let hostSet = allowedHosts(opts.host, port, opts.allowedHosts);
  let originSet = allowedOrigins(port, opts.allowedOrigins);

  /**
   * The principal a request authenticates as: one of the static tokens, else an OAuth access token (when http.oauth is
   * set), else none. Without either configured (loopback only), everyone is the local user.
   */
  const authenticate = async (req: IncomingMessage): Promise<Authenticated> => {
    if (known.length === 0 && !verifier) return { principal: LOCAL_PRINCIPAL };
    const m = /^Bearer\s+(.+)$/i.exec(req.headers.authorization ?? '');
    if (!m) return { refused: 'missing' };
    const token = m[1]!.trim();
    const presented = digest(token);
    let found: Principal | undefined;
    // Every token is compared, whichever matches: the time taken says nothing about which one (or how many) exist.
    for (const k of known) if (timingSafeEqual(presented, k.digest)) found = k.principal;
    if (found) return { principal: found };
    if (!verifier) return { refused: 'invalid' };
    const v = await verifier.verify(token);
    if (v.ok) return { principal: v.principal };
    return 'unavailable' in v ? { unavailable: true } : { refused: 'invalid', reason: v.reason };
  };

  /** The answer to a request without a valid token: with OAuth, a challenge that says where to get one. */
  const unauthorized = (res: ServerResponse, cors: Record<string, string>, how: 'missing' | 'invalid') => {
    const challenge = metadata
      ? bearerChallenge({
          realm: 'telephony-mcp',
          ...(how === 'invalid' ? { error: 'invalid_token', error_description: 'The access token is not valid for this server' } : {}),
          resource_metadata: metadata.url,
          scope: baselineScopes(oauth!),
        })
      : 'Bearer realm="telephony-mcp"';
    const message = metadata
      ? `Unauthorized: send Authorization: Bearer <access token> from ${oauth!.issuer} (WWW-Authenticate names its metadata)`
      : 'Unauthorized: send Authorization: Bearer <token>';
    jsonRpcError(res, 401, -32001, message, { 'www-authenticate': challenge, ...cors });
  };

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

  const moderns = new Map<string, Modern>();
  /** The 2026 handler of a principal: its listen streams see only its own updates (audit://recent is per caller). */
  const modernFor = (principal: Principal): Modern => {
    let m = moderns.get(principal.id);
    if (!m) {
      const handler = createMcpHandler(({ era }) => createMcpServer(app, { ...opts.server, era, principal }), {
        legacy: 'reject',
        maxSubscriptions: MAX_LISTEN_STREAMS,
        onerror: (e) => log.debug('2026-07-28 request refused or failed', { error: e.message }),
      });
      const feeds = new ListenFeeds(app, principal, principal.id, (uri) => handler.notify.resourceUpdated(uri), opts.server);
      m = { handler, feeds, inFlight: 0, lastSeen: Date.now() };
      moderns.set(principal.id, m);
    }
    return m;
  };

  const serveModern = async (req: IncomingMessage, res: ServerResponse, request: Request, closed: AbortController, body: unknown, principal: Principal) => {
    const m = modernFor(principal);
    m.inFlight++;
    res.once('close', () => {
      m.inFlight--;
      m.lastSeen = Date.now();
    });
    let parsed = body;
    let release = () => {};
    const msg = body as { method?: unknown; params?: Parameters<typeof narrowListen>[1] } | undefined;
    if (msg && !Array.isArray(msg) && msg.method === 'subscriptions/listen') {
      const narrowed = await narrowListen(m.feeds, msg.params, (uri) => mayRead(app, principal, uri));
      parsed = { ...msg, params: narrowed.params };
      release = narrowed.release;
    }
    try {
      const response = await m.handler.fetch(request, { parsedBody: parsed, authInfo: authInfoOf(principal) });
      await sendResponse(res, response, closed.signal);
    } finally {
      release();
    }
  };

  const serveLegacy = async (req: IncomingMessage, res: ServerResponse, body: unknown, principal: Principal) => {
    (req as IncomingMessage & { auth?: AuthInfo }).auth = authInfoOf(principal);
    const sid = req.headers['mcp-session-id'];
    const sessionId = Array.isArray(sid) ? sid[0] : sid;
    if (sessionId) {
      const s = sessions.get(sessionId);
      // Another principal's session is as unknown to this caller as one that never existed.
      if (!s || s.principal.id !== principal.id) return jsonRpcError(res, 404, -32001, 'Session not found: start a new session (initialize)');
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
    const client = clientOf(req, principal);
    if ((perClient.get(client) ?? 0) >= clientShare) {
      return jsonRpcError(
        res,
        503,
        -32000,
        `Too many sessions for this client (its share is ${clientShare} of ${maxSessions}); close idle sessions (DELETE) or try later`,
        { 'retry-after': '5' },
      );
    }
    // Servers still opening count too: concurrent initializes must not slip past the cap before they register.
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
    const server = createMcpServer(app, { ...opts.server, era: 'legacy', principal, client });
    const transport: NodeStreamableHTTPServerTransport = new NodeStreamableHTTPServerTransport({
      sessionIdGenerator: () => (opts.replica ? `${opts.replica}.${randomUUID()}` : randomUUID()),
      onsessioninitialized: (id) => {
        settle(true);
        sessions.set(id, { transport, server, principal, client, lastSeen: Date.now(), inFlight: 0 });
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
    if (url.pathname === '/healthz') {
      if (req.method !== 'GET' && req.method !== 'HEAD') return jsonRpcError(res, 405, -32000, 'Method not allowed', { allow: 'GET' });
      res.writeHead(200, { 'content-type': 'application/json', 'cache-control': 'no-store', ...cors });
      // How busy the server is, only for whoever holds a token.
      const authed = (known.length > 0 || verifier !== undefined) && 'principal' in (await authenticate(req));
      res.end(JSON.stringify(authed ? { status: 'ok', sessions: sessions.size } : { status: 'ok' }));
      return;
    }
    if (metadata?.paths.has(url.pathname)) {
      // The Protected Resource Metadata (RFC 9728): public, so that a client without a token learns where to get one.
      if (req.method === 'OPTIONS') {
        res.writeHead(204, { ...cors, 'access-control-allow-methods': 'GET, OPTIONS', 'access-control-max-age': '600' });
        res.end();
        return;
      }
      if (req.method !== 'GET' && req.method !== 'HEAD') return jsonRpcError(res, 405, -32000, 'Method not allowed', { allow: 'GET' });
      res.writeHead(200, { 'content-type': 'application/json', 'cache-control': 'max-age=300', ...cors });
      res.end(req.method === 'HEAD' ? undefined : metadata.document);
      return;
    }
    if (url.pathname !== path) return jsonRpcError(res, 404, -32000, `Not found: the MCP endpoint is ${path}`);
    if (req.method === 'OPTIONS') {
      res.writeHead(204, {
        ...cors,
        'access-control-allow-methods': 'GET, POST, DELETE, OPTIONS',
        'access-control-allow-headers': 'content-type, authorization, mcp-session-id, mcp-protocol-version, mcp-method, mcp-name, last-event-id',
        'access-control-max-age': '600',
      });
      res.end();
      return;
    }
    const auth = await authenticate(req);
    if ('unavailable' in auth) {
      return jsonRpcError(res, 503, -32000, `The identity provider's signing keys cannot be fetched now, so no access token can be checked; try again shortly`, {
        'retry-after': '30',
        ...cors,
      });
    }
    if ('refused' in auth) {
      if (auth.refused === 'missing') refusals.refused('no bearer token', 'address', req.socket.remoteAddress);
      // Why an access token was refused is for this log only (a reason code, never the token or its claims).
      else if (auth.reason) refusals.refused('a refused access token', 'reason', auth.reason);
      else refusals.refused('a wrong bearer token', 'address', req.socket.remoteAddress);
      return unauthorized(res, cors, auth.refused);
    }
    const principal = auth.principal;
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
      // A tool call or resource read the token's scopes do not cover: 403 insufficient_scope naming every scope it
      // needs, before anything runs or anyone is asked (clients that follow the challenge step up by themselves).
      const msg = body as { method?: unknown; params?: unknown } | null;
      const challenge = msg && typeof msg === 'object' ? scopeChallenge(app, principal, msg.method, msg.params) : undefined;
      if (challenge) {
        return jsonRpcError(res, 403, -32001, `Forbidden: ${challenge.description}; the access token lacks it (insufficient_scope)`, {
          'www-authenticate': bearerChallenge({
            error: 'insufficient_scope',
            scope: challenge.scopes.join(' '),
            resource_metadata: metadata?.url,
            error_description: challenge.description,
          }),
        });
      }
      // The era is chosen by how the client opens (the spec's versioning page), by the step the SDK's own entry and
      // isLegacyRequest classify with (from the parsed body and the standard headers, without building a Request).
      const route = classifyInboundRequest({
        httpMethod: 'POST',
        protocolVersionHeader: headerOf(req, 'mcp-protocol-version'),
        mcpMethodHeader: headerOf(req, 'mcp-method'),
        mcpNameHeader: headerOf(req, 'mcp-name'),
        body,
      });
      if (route.kind !== 'legacy') {
        // The request is cancelled when the client goes away before the answer is complete (how a 2026 client cancels
        // over HTTP), not after every answer: an abort costs the SDK an error object and a teardown per request.
        const closed = new AbortController();
        res.on('close', () => {
          if (!res.writableFinished) closed.abort();
        });
        return serveModern(req, res, webRequest(req, closed.signal), closed, body, principal);
      }
    }
    return serveLegacy(req, res, body, principal);
  };

  /** Open sockets, and how many requests each has in progress: shutdown closes the quiet ones at once. */
  const sockets = new Map<Socket, number>();
  const http: Server = createServer((req, res) => {
    const socket = req.socket;
    sockets.set(socket, (sockets.get(socket) ?? 0) + 1);
    res.once('close', () => sockets.has(socket) && sockets.set(socket, sockets.get(socket)! - 1));
    handle(req, res).catch((e: unknown) => {
      log.error('HTTP request failed', { error: e as Error });
      jsonRpcError(res, 500, -32603, 'Internal error in telephony-mcp; see the server log');
    });
  });
  http.keepAliveTimeout = 65_000;
  http.on('connection', (socket: Socket) => {
    sockets.set(socket, 0);
    socket.once('close', () => sockets.delete(socket));
  });

  await new Promise<void>((resolve, reject) => {
    http.once('error', reject);
    http.listen(opts.port, opts.host, () => {
      http.off('error', reject);
      resolve();
    });
  });
  port = (http.address() as AddressInfo).port;
  hostSet = allowedHosts(opts.host, port, opts.allowedHosts);
  originSet = allowedOrigins(port, opts.allowedOrigins);
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
    // A 2026 handler per principal: with OAuth that is one per subject, so idle ones go (made again when needed).
    for (const [id, m] of moderns) {
      if (m.inFlight === 0 && now - m.lastSeen > idleMs) {
        moderns.delete(id);
        void m.handler.close().catch(() => {});
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
      // Listen streams end gracefully (the SDK sends their closing result) before the sockets go.
      await Promise.allSettled([...moderns.values()].map((m) => m.handler.close()));
      await Promise.allSettled([...sessions.keys()].map(closeSession));
      await new Promise<void>((resolve) => {
        http.close(() => resolve());
        // Sockets without a request in progress (kept alive, or opened by a client that never sent one) go now;
        // a request still being answered gets two seconds.
        for (const [socket, busy] of sockets) if (busy === 0) socket.destroy();
        setTimeout(() => http.closeAllConnections(), 2000).unref();
      });
    },
  };
}
