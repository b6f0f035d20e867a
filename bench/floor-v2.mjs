#!/usr/bin/env node
// The v2 SDK floor: a bare McpServer (@modelcontextprotocol/server) with one no-op tool, served the way the SDK
// documents it for both eras. stdio: serveStdio (the opening message picks the era). HTTP: isLegacyRequest routes
// 2025 clients to a sessionful NodeStreamableHTTPServerTransport (one server per session) and 2026 clients to
// createMcpHandler (a fresh server per request), mounted with toNodeHandler.
import { randomUUID } from 'node:crypto';
import { createServer } from 'node:http';
import { createMcpHandler, isInitializeRequest, isLegacyRequest, McpServer } from '@modelcontextprotocol/server';
import { serveStdio } from '@modelcontextprotocol/server/stdio';
import { NodeStreamableHTTPServerTransport, toNodeHandler, toWebRequest } from '@modelcontextprotocol/node';

function make() {
  const server = new McpServer({ name: 'floor-v2', version: '1.0.0' });
  server.registerTool('noop', { description: 'does nothing' }, async () => ({ content: [{ type: 'text', text: 'ok' }] }));
  return server;
}

const transport = process.argv[2] ?? 'stdio';
if (transport === 'stdio') {
  serveStdio(make);
} else {
  const modern = toNodeHandler(createMcpHandler(make, { legacy: 'reject' }));
  const sessions = new Map();
  const legacy = async (req, res, body) => {
    const sid = req.headers['mcp-session-id'];
    if (sid && sessions.has(sid)) return sessions.get(sid).handleRequest(req, res, body);
    if (!sid && isInitializeRequest(body)) {
      const t = new NodeStreamableHTTPServerTransport({ sessionIdGenerator: () => randomUUID(), onsessioninitialized: (id) => sessions.set(id, t) });
      t.onclose = () => t.sessionId && sessions.delete(t.sessionId);
      await make().connect(t);
      return t.handleRequest(req, res, body);
    }
    res.writeHead(400).end();
  };
  const http = createServer(async (req, res) => {
    let body;
    if (req.method === 'POST') {
      const chunks = [];
      for await (const c of req) chunks.push(c);
      body = JSON.parse(Buffer.concat(chunks).toString('utf8'));
    }
    if (req.method !== 'POST' || (await isLegacyRequest(await toWebRequest(req, body), body))) return legacy(req, res, body);
    return modern(req, res, body);
  });
  http.listen(Number(process.argv[3] ?? 0), '127.0.0.1', () => process.stderr.write(`endpoint: http://127.0.0.1:${http.address().port}/mcp\n`));
}
