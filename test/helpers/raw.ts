/**
 * Raw JSON-RPC to the built server, below any SDK client: what an attacker writes. Over stdio, lines are written
 * exactly as given (several messages in one chunk, a batch array); over HTTP, bodies are posted as given.
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { request } from 'node:http';
import { CLI, REPO, type TempConfig } from './mcp.js';

export type RpcMessage = { jsonrpc: '2.0'; id?: number | string | null; method?: string; result?: unknown; error?: { code: number; message: string }; params?: unknown };

export const INIT_PARAMS = { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'raw-attacker', version: '1' } };

export interface RawStdio {
  /** Write `text` to the server's stdin in one write. */
  write(text: string): void;
  /** Every message the server wrote to stdout so far. */
  messages(): RpcMessage[];
  /** Resolves with the response to `id`, or rejects after `ms`. */
  response(id: number | string, ms?: number): Promise<RpcMessage>;
  /** Resolves once `n` messages matching `pred` arrived, or rejects after `ms`. */
  waitFor(pred: (m: RpcMessage) => boolean, n: number, ms?: number): Promise<RpcMessage[]>;
  stderr(): string;
  close(): Promise<void>;
}

export const line = (m: object): string => `${JSON.stringify(m)}\n`;

export const toolCall = (id: number, name: string, args: Record<string, unknown>) => ({ jsonrpc: '2.0', id, method: 'tools/call', params: { name, arguments: args } });

/** Spawn dist/cli.js over stdio with `config`, initialize, and hand back the raw pipe. */
export async function rawStdio(config: TempConfig, env: Record<string, string> = {}): Promise<RawStdio> {
  const child: ChildProcessWithoutNullStreams = spawn(process.execPath, [CLI, '--config', config.path], {
    cwd: config.dir ?? REPO,
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ...env },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let err = '';
  let buf = '';
  const got: RpcMessage[] = [];
  const waiters = new Set<() => void>();
  child.stderr.on('data', (d: Buffer) => (err += d.toString()));
  child.stdout.on('data', (d: Buffer) => {
    buf += d.toString();
    let i: number;
    while ((i = buf.indexOf('\n')) >= 0) {
      const l = buf.slice(0, i);
      buf = buf.slice(i + 1);
      if (l.trim()) got.push(JSON.parse(l) as RpcMessage);
    }
    for (const w of [...waiters]) w();
  });
  const waitFor = (pred: (m: RpcMessage) => boolean, n: number, ms = 15_000): Promise<RpcMessage[]> =>
    new Promise((resolve, reject) => {
      const check = () => {
        const hits = got.filter(pred);
        if (hits.length >= n) {
          waiters.delete(check);
          clearTimeout(timer);
          resolve(hits);
        }
      };
      const timer = setTimeout(() => {
        waiters.delete(check);
        reject(new Error(`timed out waiting for ${n} messages; got ${JSON.stringify(got).slice(0, 2000)}\nstderr: ${err.slice(-2000)}`));
      }, ms);
      waiters.add(check);
      check();
    });
  const raw: RawStdio = {
    write: (text) => void child.stdin.write(text),
    messages: () => [...got],
    response: async (id, ms) => (await waitFor((m) => m.id === id && (m.result !== undefined || m.error !== undefined), 1, ms))[0]!,
    waitFor,
    stderr: () => err,
    close: () =>
      new Promise((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.stdin.end();
        setTimeout(() => child.kill('SIGKILL'), 5000).unref();
      }),
  };
  raw.write(line({ jsonrpc: '2.0', id: 0, method: 'initialize', params: INIT_PARAMS }));
  await raw.response(0);
  raw.write(line({ jsonrpc: '2.0', method: 'notifications/initialized' }));
  return raw;
}

export interface RawHttpAnswer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

/** One raw HTTP request to the server (no keep-alive), with the body and headers exactly as given. */
export function rawHttp(
  port: number,
  opts: { method?: string; path?: string; headers?: Record<string, string>; body?: string; timeoutMs?: number; localAddress?: string } = {},
): Promise<RawHttpAnswer> {
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: '127.0.0.1',
        port,
        path: opts.path ?? '/mcp',
        method: opts.method ?? 'POST',
        agent: false,
        ...(opts.localAddress ? { localAddress: opts.localAddress } : {}),
        headers: {
          ...(opts.method === undefined || opts.method === 'POST' ? { 'content-type': 'application/json', accept: 'application/json, text/event-stream' } : {}),
          ...opts.headers,
        },
      },
      (res) => {
        let data = '';
        res.on('data', (d: Buffer) => (data += d.toString()));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: data }));
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    if (opts.timeoutMs) req.setTimeout(opts.timeoutMs, () => req.destroy(new Error('timeout')));
    req.end(opts.body);
  });
}

/** The JSON-RPC messages of an HTTP answer, whether plain JSON or an SSE stream. */
export function rpcMessages(a: RawHttpAnswer): RpcMessage[] {
  const type = String(a.headers['content-type'] ?? '');
  if (type.includes('text/event-stream')) {
    return a.body
      .split('\n')
      .filter((l) => l.startsWith('data: '))
      .map((l) => JSON.parse(l.slice(6)) as RpcMessage);
  }
  const v = JSON.parse(a.body) as RpcMessage | RpcMessage[];
  return Array.isArray(v) ? v : [v];
}
