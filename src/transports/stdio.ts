/**
 * MCP over stdin/stdout, both eras: the SDK's serveStdio pins the connection to the era the client opens with (a
 * 2025-11-25 initialize, or a 2026-07-28 request), with one server instance for the connection. stdout carries
 * only protocol messages; everything else goes to stderr. The client that started the process is the principal.
 */
import type { JSONRPCMessage, Server, Transport } from '@modelcontextprotocol/server';
import { serveStdio, StdioServerTransport } from '@modelcontextprotocol/server/stdio';
import type { App } from '../app.js';
import { processPrincipal } from '../principal.js';
import { createMcpServer, type ServerOptions } from '../server.js';
import { ListenStreams } from './listen.js';

export interface RunningStdio {
  /** Resolves when the client goes away (stdin ends) or close() is called. */
  closed: Promise<void>;
  close(): Promise<void>;
}

/**
 * The stdio wire, with subscriptions/listen seen on the way: the resources a stream asks for are narrowed to
 * the ones this server will honour (before the SDK acknowledges them) and watched while the stream lives.
 */
class ListeningTransport implements Transport {
  onclose?: () => void;
  onerror?: (error: Error) => void;
  onmessage?: <T extends JSONRPCMessage>(message: T) => void;

  constructor(
    private readonly inner: Transport,
    private readonly streams: ListenStreams,
  ) {
    inner.onmessage = (m: JSONRPCMessage) => this.onmessage?.(streams.inbound(m));
    inner.onerror = (e: Error) => this.onerror?.(e);
    inner.onclose = () => {
      streams.closeAll();
      this.onclose?.();
    };
  }

  start(): Promise<void> {
    return this.inner.start();
  }

  send(message: JSONRPCMessage): Promise<void> {
    this.streams.outbound(message);
    return this.inner.send(message);
  }

  close(): Promise<void> {
    this.streams.closeAll();
    return this.inner.close();
  }
}

export async function startStdio(app: App, opts: ServerOptions = {}): Promise<RunningStdio> {
  const principal = processPrincipal();
  /** The instance of a 2026-07-28 connection: listen streams are fed through its notifications. */
  let modern: Server | undefined;
  const streams = new ListenStreams(app, principal, (uri) => void modern?.sendResourceUpdated({ uri }).catch(() => {}), opts);
  const transport = new ListeningTransport(new StdioServerTransport(), streams);
  let resolveClosed!: () => void;
  const closed = new Promise<void>((r) => (resolveClosed = r));
  const handle = serveStdio(
    ({ era }) => {
      const server = createMcpServer(app, { ...opts, era, principal });
      if (era === 'modern') modern = server;
      return server;
    },
    { legacy: 'serve', transport, onerror: (e) => app.log.debug('stdio', { error: e.message }) },
  );
  let closing = false;
  const close = async () => {
    if (closing) return closed;
    closing = true;
    await handle.close().catch(() => {});
    resolveClosed();
  };
  // The client closing our stdin is how a stdio connection ends.
  process.stdin.once('end', () => void close());
  process.stdin.once('close', () => void close());
  const prior = transport.onclose;
  transport.onclose = () => {
    prior?.();
    void close();
  };
  app.log.info('serving MCP over stdio', { pbxes: app.pbxes.names().join(',') });
  return { closed, close };
}
