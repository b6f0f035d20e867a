/**
 * Node's HTTP messages and the web-standard ones the SDK's 2026 handler speaks: a JSON-RPC error answer, a bounded
 * body read, a header read the Fetch way, a Request built from a Node request, a Response written to a Node response.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';

const MAX_BODY = 4 * 1024 * 1024;

export function jsonRpcError(res: ServerResponse, status: number, code: number, message: string, headers: Record<string, string> = {}): void {
  if (res.headersSent) return;
  // Drain an unread body so the client can finish writing and read this answer (instead of a reset).
  res.req.resume();
  res.writeHead(status, { 'content-type': 'application/json', ...headers });
  res.end(JSON.stringify({ jsonrpc: '2.0', error: { code, message }, id: null }));
}

export function readBody(req: IncomingMessage): Promise<string> {
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

/** A header as the Fetch API reads it: repeated values joined by ", ". */
export function headerOf(req: IncomingMessage, name: string): string | undefined {
  const v = req.headers[name];
  return Array.isArray(v) ? v.join(', ') : v;
}

/** The web-standard Request the SDK's 2026 handler takes (the body travels parsed beside it). */
export function webRequest(req: IncomingMessage, signal: AbortSignal): Request {
  const headers = new Headers();
  for (const [name, value] of Object.entries(req.headers)) {
    if (value === undefined || name.startsWith(':')) continue;
    if (Array.isArray(value)) for (const v of value) headers.append(name, v);
    else headers.set(name, value);
  }
  headers.delete('content-length');
  return new Request(`http://${req.headers.host ?? 'localhost'}${req.url ?? '/'}`, { method: req.method ?? 'POST', headers, signal });
}

/** Writes a web Response (JSON, or an SSE stream) to a Node response, until it ends or the client goes away. */
export async function sendResponse(res: ServerResponse, response: Response, closed: AbortSignal): Promise<void> {
  const headers: Record<string, string> = {};
  for (const [name, value] of response.headers) headers[name] = value;
  res.writeHead(response.status, headers);
  if (!response.body) {
    res.end();
    return;
  }
  const reader = response.body.getReader();
  const stop = () => void reader.cancel().catch(() => {});
  closed.addEventListener('abort', stop, { once: true });
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done || closed.aborted) break;
      if (!res.write(value)) await new Promise<void>((r) => (res.once('drain', r), closed.addEventListener('abort', () => r(), { once: true })));
    }
  } catch {
    // The stream failed or was cancelled: end the response as it is.
  } finally {
    closed.removeEventListener('abort', stop);
    res.end();
  }
}
