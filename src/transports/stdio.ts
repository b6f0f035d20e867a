/** One MCP session over stdin/stdout. stdout carries only protocol messages; everything else goes to stderr. */
import { Transform, type TransformCallback, type Writable } from 'node:stream';
import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';
import type { App } from '../app.js';
import { createMcpServer } from '../server.js';
import { BATCH_REFUSAL } from './batch.js';

export interface RunningStdio {
  /** Resolves when the client goes away (stdin ends) or close() is called. */
  closed: Promise<void>;
  close(): Promise<void>;
}

/**
 * Lines of stdin passed on unchanged, except a JSON-RPC batch (a line whose first non-blank character is "["),
 * which is answered on stdout with one Invalid Request error and never reaches the transport. Batches are not
 * part of MCP since protocol version 2025-06-18; the SDK drops such a line without a word, which leaves a client
 * waiting forever. (Port note: only the line filter; the v2 SDK's stdio transport takes the stream the same way.)
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

export async function startStdio(app: App): Promise<RunningStdio> {
  const server = createMcpServer(app);
  const input = process.stdin.pipe(refuseBatches(process.stdout));
  const transport = new StdioServerTransport(input, process.stdout);
  let resolveClosed!: () => void;
  const closed = new Promise<void>((r) => (resolveClosed = r));
  let closing = false;
  const close = async () => {
    if (closing) return closed;
    closing = true;
    await server.close().catch(() => {});
    resolveClosed();
  };
  // The client closing our stdin is how a stdio session ends.
  process.stdin.once('end', () => void close());
  process.stdin.once('close', () => void close());
  transport.onclose = () => void close();
  await server.connect(transport);
  app.log.info('serving MCP over stdio', { pbxes: app.pbxes.names().join(',') });
  return { closed, close };
}
