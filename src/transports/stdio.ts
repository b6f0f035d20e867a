/** One MCP session over stdin/stdout. stdout carries only protocol messages; everything else goes to stderr. */
import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';
import type { App } from '../app.js';
import { createMcpServer } from '../server.js';

export interface RunningStdio {
  /** Resolves when the client goes away (stdin ends) or close() is called. */
  closed: Promise<void>;
  close(): Promise<void>;
}

export async function startStdio(app: App): Promise<RunningStdio> {
  const server = createMcpServer(app);
  const transport = new StdioServerTransport();
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
