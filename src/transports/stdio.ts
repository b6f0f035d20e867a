/**
 * MCP over stdin/stdout, both eras: the SDK's serveStdio pins the connection to the era the client opens with (a
 * 2025-11-25 initialize, or a 2026-07-28 request), with one server instance for the connection. stdout carries
 * only protocol messages; everything else goes to stderr. The client that started the process is the principal.
 */
import { Transform, type TransformCallback, type Writable } from 'node:stream';
import type { JSONRPCMessage, Server, Transport } from '@modelcontextprotocol/server';
import { serveStdio, StdioServerTransport } from '@modelcontextprotocol/server/stdio';
import type { App } from '../app.js';
import { processPrincipal } from '../principal.js';
import { createMcpServer, type ServerOptions } from '../server.js';
import { BATCH_REFUSAL } from './batch.js';
import { ListenStreams } from './listen.js';

export interface RunningStdio {
  /** Resolves when the client goes away (stdin ends) or close() is called. */
  closed: Promise<void>;
  close(): Promise<void>;
}

/**
 * Lines of stdin passed on unchanged, except a JSON-RPC batch (a line whose first non-blank character is "["),
 * which is answered on stdout with one Invalid Request error and never reaches the transport. Batches are not
 * part of MCP since protocol version 2025-06-18; the SDK drops such a line without a word, which leaves a client
 * waiting forever.
 */
export function refuseBatches(out: Writable): Transform {
  let partial: Buffer[] = [];
  const forward = (stream: Transform, lineBytes: Buffer) => {
    let i = 0;
    while (i < lineBytes.length && (lineBytes[i] === 0x20 || lineBytes[i] === 0x09 || lineBytes[i] === 0x0d)) i++;
    if (lineBytes[i] === 0x5b /* [ */) out.write(`${JSON.stringify(BATCH_REFUSAL)}\n`);
    else stream.push(lineBytes);
  };
  return new Transform({
    transform(chunk: Buffer, _enc, done: TransformCallback) {
      let start = 0;
      for (let nl = chunk.indexOf(0x0a); nl >= 0; nl = chunk.indexOf(0x0a, start)) {
        const piece = chunk.subarray(start, nl + 1);
        forward(this, partial.length ? Buffer.concat([...partial, piece]) : piece);
        partial = [];
        start = nl + 1;
      }
      if (start < chunk.length) partial.push(chunk.subarray(start));
      done();
    },
    flush(done: TransformCallback) {
      if (partial.length) forward(this, Buffer.concat(partial));
      partial = [];
      done();
    },
  });
}

/**
 * The stdio wire, with subscriptions/listen seen on the way: the resources a stream asks for are narrowed to
 * the ones this server will honour (before the SDK acknowledges them) and watched while the stream lives.
 */
class ListeningTransport implements Transport {
  onclose?: () => void;
  onerror?: (error: Error) => void;
  onmessage?: <T extends JSONRPCMessage>(message: T) => void;
  /** Delivery of messages held behind a listen request whose resources are being checked: order is kept. */
  private queue: Promise<void> | undefined;

  constructor(
    private readonly inner: Transport,
    private readonly streams: ListenStreams,
  ) {
    inner.onmessage = (m: JSONRPCMessage) => {
      const out = streams.inbound(m);
      if (!this.queue && !(out instanceof Promise)) {
        this.onmessage?.(out);
        return;
      }
      const queued: Promise<void> = (this.queue ?? Promise.resolve())
        .then(() => out)
        .then(
          (message) => this.onmessage?.(message),
          (e: unknown) => this.onerror?.(e as Error),
        )
        .finally(() => {
          if (this.queue === queued) this.queue = undefined;
        });
      this.queue = queued;
    };
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
  const input = process.stdin.pipe(refuseBatches(process.stdout));
  const transport = new ListeningTransport(new StdioServerTransport(input, process.stdout), streams);
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
