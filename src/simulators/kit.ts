/**
 * The HTTP(S) server every vendor simulator runs on: it reads requests, hands them to the vendor's handler
 * (which drives the sim engine), counts requests and TCP connections (to measure how economical an adapter
 * is), and can inject faults (to test what an adapter does when the network or the PBX misbehaves).
 */
import { createServer as createHttpServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo, Socket } from 'node:net';

export interface SimRequest {
  method: string;
  path: string;
  query: URLSearchParams;
  headers: IncomingMessage['headers'];
  body: string;
  /** When it arrived (ms since the epoch), for tests of how often a PBX is asked. */
  at?: number;
}

export interface SimResponse {
  status: number;
  headers?: Record<string, string>;
  body: string;
}

export type SimHandler = (req: SimRequest) => SimResponse | Promise<SimResponse>;

export type FaultKind =
  | 'reset_before' // the connection drops before the handler runs: nothing happened
  | 'reset_after' // the handler ran (the action happened), then the connection drops without a response
  | 'stall' // the handler ran, and no response ever comes
  | 'stall_before' // no response ever comes, and the handler never ran
  | 'status' // an HTTP error status instead of the handler's answer (the handler does not run)
  | 'truncate' // the handler ran; half the body, then the connection drops
  | 'huge' // the handler ran; a 10 MB body comes back
  | 'garbage' // the handler ran; the body is not in the vendor's format
  | 'replace'; // the handler ran; `body` (and `headers`) come back instead, e.g. a variant a real server may send

export interface Fault {
  kind: FaultKind;
  /** For 'status': which (default 503); for 'replace', the status to send instead of the handler's. */
  status?: number;
  /** How many requests it hits (default 1; Infinity for all). */
  times?: number;
  /** Only requests whose path (and query) contains this. */
  match?: string;
  /** Only requests whose body contains this (e.g. an XML-RPC method name, where every call has one path). */
  bodyMatch?: string;
  /** For 'replace': the answer's bytes, and headers that override the handler's. */
  body?: string | Buffer;
  headers?: Record<string, string>;
}

export interface SimStats {
  requests: number;
  connections: number;
  /** Requests per path (query string left out). */
  byPath: Record<string, number>;
  /** Requests whose handler ran (a reset-before or status fault does not count). */
  handled: number;
}

export interface SimServer {
  url: string;
  port: number;
  stats: SimStats;
  /** Every request seen, oldest first (bounded), for assertions on the wire format. */
  log: SimRequest[];
  inject(fault: Fault): void;
  clearFaults(): void;
  resetStats(): void;
  close(): Promise<void>;
}

export interface SimServerOptions {
  host?: string;
  port?: number;
  tls?: { key: string | Buffer; cert: string | Buffer };
  handle: SimHandler;
}

const LOG_CAP = 1000;

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

export async function startSimServer(opts: SimServerOptions): Promise<SimServer> {
  const faults: (Fault & { left: number })[] = [];
  const stats: SimStats = { requests: 0, connections: 0, byPath: {}, handled: 0 };
  const log: SimRequest[] = [];
  const sockets = new Set<Socket>();

  const takeFault = (pathAndQuery: string, body: string): Fault | undefined => {
    const i = faults.findIndex((f) => f.left > 0 && (!f.match || pathAndQuery.includes(f.match)) && (!f.bodyMatch || body.includes(f.bodyMatch)));
    if (i < 0) return undefined;
    const f = faults[i]!;
    f.left--;
    if (f.left <= 0) faults.splice(i, 1);
    return f;
  };

  const onRequest = async (req: IncomingMessage, res: ServerResponse) => {
    const url = new URL(req.url ?? '/', 'http://sim');
    stats.requests++;
    stats.byPath[url.pathname] = (stats.byPath[url.pathname] ?? 0) + 1;
    const body = await readBody(req);
    const simReq: SimRequest = { method: req.method ?? 'GET', path: url.pathname, query: url.searchParams, headers: req.headers, body, at: Date.now() };
    log.push(simReq);
    if (log.length > LOG_CAP) log.shift();
    const fault = takeFault(`${url.pathname}${url.search}`, body);
    if (fault?.kind === 'reset_before') return void req.socket.destroy();
    if (fault?.kind === 'stall_before') return;
    if (fault?.kind === 'status') {
      res.writeHead(fault.status ?? 503, { 'content-type': 'text/plain' });
      res.end('Service Unavailable');
      return;
    }
    let answer: SimResponse;
    try {
      answer = await opts.handle(simReq);
      stats.handled++;
    } catch (e) {
      answer = { status: 500, body: `simulator error: ${(e as Error).message}` };
    }
    switch (fault?.kind) {
      case 'reset_after':
        return void req.socket.destroy();
      case 'stall':
        return;
      case 'truncate': {
        const full = Buffer.from(answer.body.length > 1 ? answer.body : `${answer.body}  `);
        res.writeHead(answer.status, { ...answer.headers, 'content-length': String(full.length) });
        res.write(full.subarray(0, Math.floor(full.length / 2)));
        setTimeout(() => req.socket.destroy(), 10);
        return;
      }
      case 'huge':
        res.writeHead(200, answer.headers ?? {});
        res.end(Buffer.alloc(10 * 1024 * 1024, 0x41));
        return;
      case 'garbage':
        res.writeHead(200, answer.headers ?? {});
        res.end('\u0000<<garbage{"not":[valid, <xml');
        return;
      case 'replace':
        res.writeHead(fault.status ?? answer.status, { ...answer.headers, ...fault.headers });
        res.end(fault.body ?? '');
        return;
      default:
        res.writeHead(answer.status, answer.headers ?? {});
        res.end(answer.body);
    }
  };

  const listener = (req: IncomingMessage, res: ServerResponse) => {
    onRequest(req, res).catch(() => req.socket.destroy());
  };
  const server: Server = opts.tls ? createHttpsServer({ key: opts.tls.key, cert: opts.tls.cert }, listener) : createHttpServer(listener);
  server.on(opts.tls ? 'secureConnection' : 'connection', (s: Socket) => {
    stats.connections++;
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, opts.host ?? '127.0.0.1', () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  const host = opts.host ?? '127.0.0.1';
  return {
    url: `${opts.tls ? 'https' : 'http'}://${host.includes(':') ? `[${host}]` : host}:${port}`,
    port,
    stats,
    log,
    inject: (f) => faults.push({ ...f, left: f.times ?? 1 }),
    clearFaults: () => void faults.splice(0),
    resetStats: () => {
      stats.requests = 0;
      stats.connections = 0;
      stats.handled = 0;
      stats.byPath = {};
      log.splice(0);
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}
