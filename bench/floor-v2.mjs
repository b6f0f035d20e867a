#!/usr/bin/env node
// The floor of the 2026-07-28 benchmarks: a bare v2 SDK McpServer with one no-op tool, served the way the SDK
// documents it: serveStdio on stdio, createMcpHandler (a fresh server per request) mounted with toNodeHandler on HTTP.
import { createServer } from 'node:http';
import { createMcpHandler, McpServer } from '@modelcontextprotocol/server';
import { serveStdio } from '@modelcontextprotocol/server/stdio';
import { toNodeHandler } from '@modelcontextprotocol/node';

function make() {
  const server = new McpServer({ name: 'floor-v2', version: '1.0.0' });
  server.registerTool('noop', { description: 'does nothing' }, async () => ({ content: [{ type: 'text', text: 'ok' }] }));
  return server;
}

const transport = process.argv[2] ?? 'stdio';
if (transport === 'stdio') {
  serveStdio(make);
} else {
  const handler = toNodeHandler(createMcpHandler(make));
  const http = createServer((req, res) => void handler(req, res));
  http.listen(Number(process.argv[3] ?? 0), '127.0.0.1', () => process.stderr.write(`endpoint: http://127.0.0.1:${http.address().port}/mcp\n`));
}
