#!/usr/bin/env node
// The floor every benchmark compares against: a bare SDK McpServer with one no-op tool, on the same transport
// (stdio, or streamable HTTP with one server per session, as the SDK documents it).
import { randomUUID } from 'node:crypto';
import { createServer } from 'node:http';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import { isInitializeRequest } from '@modelcontextprotocol/sdk/types.js';

function make() {
  const server = new McpServer({ name: 'floor', version: '1.0.0' });
  server.registerTool('noop', { description: 'does nothing' }, async () => ({ content: [{ type: 'text', text: 'ok' }] }));
  return server;
}

const transport = process.argv[2] ?? 'stdio';
if (transport === 'stdio') {
  await make().connect(new StdioServerTransport());
} else {
  const sessions = new Map();
  const http = createServer(async (req, res) => {
    let body;
    if (req.method === 'POST') {
      const chunks = [];
      for await (const c of req) chunks.push(c);
      body = JSON.parse(Buffer.concat(chunks).toString('utf8'));
    }
    const sid = req.headers['mcp-session-id'];
    if (sid && sessions.has(sid)) return sessions.get(sid).handleRequest(req, res, body);
    if (!sid && isInitializeRequest(body)) {
      const t = new StreamableHTTPServerTransport({ sessionIdGenerator: () => randomUUID(), onsessioninitialized: (id) => sessions.set(id, t) });
      t.onclose = () => t.sessionId && sessions.delete(t.sessionId);
      await make().connect(t);
      return t.handleRequest(req, res, body);
    }
    res.writeHead(400).end();
  });
  http.listen(Number(process.argv[3] ?? 0), '127.0.0.1', () => process.stderr.write(`endpoint: http://127.0.0.1:${http.address().port}/mcp\n`));
}
