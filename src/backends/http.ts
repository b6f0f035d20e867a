/**
 * The HTTP client every vendor adapter speaks through: one keep-alive pool per PBX, a deadline on every
 * request, bounded retries with jitter for reads only (never for actions), a cap on response size, a circuit
 * breaker per PBX, and errors classified by what a model may do next. The rule for actions: once the request
 * may have left, a failure is `outcome_unknown` ("do not retry"); before it left, `unavailable`.
 */
import { Agent, request as undiciRequest, type Dispatcher } from 'undici';
import { decodeBody } from './charset.js';
import { answerDeeperThan, boundsOf } from './bounds.js';
import { BackendError } from '../errors.js';
import { pbxText } from '../safety/sanitize.js';
import type { Logger } from '../log.js';
import { Breaker, CircuitOpenError } from './breaker.js';

export interface VendorHttpOptions {
  pbx: string;
  pbxType: string;
  /** Base URL; request paths are appended to it. */
  baseUrl: string;
  timeoutMs: number;
  log: Logger;
  /** TLS: a CA to trust (PEM), or false to skip verification (callers allow this only on loopback). */
  ca?: string | Buffer | undefined;
  rejectUnauthorized?: boolean;
  /** Headers sent with every request (e.g. Authorization: Basic). */
  headers?: Record<string, string>;
  /** Retries of a failed read (default 2). Actions are never retried. */
  readRetries?: number;
  /** Largest response body accepted (default: the vendor's bound in bounds.ts, else 5 MB). */
  maxBodyBytes?: number;
  /** Deepest nesting of a JSON or XML answer accepted (default: the vendor's bound in bounds.ts, else unchecked). */
  maxDepth?: number;
  /** Consecutive unavailable-class failures that open the circuit (default 5), and how long it stays open. */
  breakAfter?: number;
  breakForMs?: number;
  /** Keep-alive pool size (default 8). */
  connections?: number;
}

export interface VendorRequest {
  method: 'GET' | 'POST' | 'PUT' | 'DELETE';
  /** Path (and query) relative to the base URL; the caller has already encoded every value in it. */
  path: string;
  headers?: Record<string, string>;
  body?: string | Buffer | Uint8Array | FormData;
  /** true for reads (safe to retry); false for actions (never retried, failures after sending are outcome_unknown). */
  read: boolean;
  /** What the request does, for messages: "place the call", "read the active calls". */
  what: string;
  signal?: AbortSignal | undefined;
}

export interface VendorResponse {
  status: number;
  headers: Record<string, string>;
  body: string;
}

/** Failures that happen before a request could reach the server: nothing was done. */
const BEFORE_SEND = new Set([
  'ECONNREFUSED',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'UND_ERR_CONNECT_TIMEOUT',
  'ERR_INVALID_URL',
]);
const TLS_CODES = /CERT|SELF_SIGNED|UNABLE_TO_VERIFY|ERR_TLS|ERR_SSL|EPROTO/;

class BodyTooLarge extends Error {}
class AnswerTooDeep extends Error {}

function errorCode(e: unknown): string {
  const err = e as { code?: string; cause?: { code?: string } };
  return err?.cause?.code ?? err?.code ?? '';
}

function jitter(attempt: number): number {
  return Math.round(100 * 2 ** attempt * (0.5 + Math.random()));
}

export class VendorHttp {
  private readonly agent: Agent;
  private readonly breaker: Breaker;
  private readonly base: URL;
  /** Set while undici returns the last response's socket to the pool. */
  private settling: Promise<unknown> | undefined;
  /** The base as a directory (trailing slash), so request paths resolve inside it. */
  private readonly dir: URL;

  constructor(private readonly o: VendorHttpOptions) {
    this.base = new URL(o.baseUrl);
    this.dir = this.base.href.endsWith('/') ? this.base : new URL(`${this.base.href}/`);
    this.agent = new Agent({
      connections: o.connections ?? 8,
      keepAliveTimeout: 30_000,
      keepAliveMaxTimeout: 120_000,
      connect: {
        timeout: Math.min(o.timeoutMs, 10_000),
        ...(o.ca !== undefined ? { ca: o.ca } : {}),
        ...(o.rejectUnauthorized === false ? { rejectUnauthorized: false } : {}),
      },
    });
    this.breaker = new Breaker({
      threshold: o.breakAfter ?? 5,
      openMs: o.breakForMs ?? 10_000,
      counts: (e) => e instanceof BackendError && (e.kind === 'unavailable' || e.kind === 'outcome_unknown'),
      onBreak: () => o.log.warn('circuit open: failing fast for a while after repeated failures', { pbx: o.pbx }),
      onReset: () => o.log.info('circuit closed: the PBX answers again', { pbx: o.pbx }),
    });
  }

  private err(kind: BackendError['kind'], message: string, hint?: string, cause?: unknown): BackendError {
    return new BackendError(kind, message, { ...(hint ? { hint } : {}), cause });
  }

  /** Send a request. Resolves with any HTTP status (the caller maps vendor errors); throws BackendError on transport failure. */
  async request(req: VendorRequest): Promise<VendorResponse> {
    const url = this.resolve(req);
    try {
      // The breaker counts requests, not attempts: one read that fails after its retries is one failure.
      return await this.breaker.execute(() => this.attempts(req, url));
    } catch (e) {
      if (e instanceof CircuitOpenError) {
        throw this.err(
          'unavailable',
          `the PBX failed several times in a row, so telephony-mcp is not contacting it for a few seconds; nothing was done (${req.what})`,
          'Try again in about 10 seconds; check that the PBX is running and reachable.',
        );
      }
      throw e;
    }
  }

  private async attempts(req: VendorRequest, url: URL): Promise<VendorResponse> {
    const deadline = Date.now() + this.o.timeoutMs;
    const attempts = req.read ? 1 + (this.o.readRetries ?? 2) : 1;
    let last: BackendError | undefined;
    for (let attempt = 0; attempt < attempts; attempt++) {
      const remaining = deadline - Date.now();
      if (remaining <= 0) break;
      try {
        const res = await this.once(req, url, remaining);
        // A server error on a read may be passing: try again. The caller sees the final answer.
        if (req.read && res.status >= 500 && attempt + 1 < attempts) {
          last = this.err('unavailable', `the PBX answered HTTP ${res.status} when asked to ${req.what}`);
          await this.pause(jitter(attempt), deadline, req.signal);
          continue;
        }
        return res;
      } catch (e) {
        const be = e as BackendError;
        if (!req.read || be.kind !== 'unavailable' || req.signal?.aborted) throw be;
        last = be;
        if (attempt + 1 < attempts) await this.pause(jitter(attempt), deadline, req.signal);
      }
    }
    throw last ?? this.err('unavailable', `no answer from the PBX within ${this.o.timeoutMs} ms when asked to ${req.what}`);
  }

  /**
   * The URL a request path resolves to, refused when resolution would move it: URL parsing drops "." and ".."
   * segments (also as %2e), reads a backslash as "/", strips tabs and newlines, and a leading "//" or "\\" changes
   * the host. A contact id ".." would turn DELETE contact/personal/.. into DELETE contact/, and "." into
   * contact/personal/, which XUC reads as "delete all personal contacts".
   */
  private resolve(req: VendorRequest): URL {
    const path = req.path.replace(/^\//, '');
    const q = path.search(/[?#]/);
    const pathPart = q < 0 ? path : path.slice(0, q);
    let url: URL | undefined;
    try {
      url = new URL(path, this.dir);
    } catch {
      url = undefined;
    }
    if (!url || url.origin !== this.dir.origin || url.pathname !== `${this.dir.pathname}${pathPart}`) {
      throw this.err(
        'invalid',
        `refused to ${req.what}: a value in the request path ("." or "..", a backslash or a control character) would address a different resource on the PBX; nothing was sent`,
        'Pass the real user, extension or id.',
      );
    }
    return url;
  }

  private pause(ms: number, deadline: number, signal?: AbortSignal): Promise<void> {
    const wait = Math.max(0, Math.min(ms, deadline - Date.now() - 50));
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(t);
        signal?.removeEventListener('abort', done);
        resolve();
      };
      const t = setTimeout(done, wait);
      signal?.addEventListener('abort', done, { once: true });
    });
  }

  private async once(req: VendorRequest, url: URL, timeoutMs: number): Promise<VendorResponse> {
    const settling = this.settling;
    if (settling) {
      await settling;
      // A request that finished meanwhile may have set a newer one: leave that for the next request.
      if (this.settling === settling) this.settling = undefined;
    }
    if (req.signal?.aborted) {
      // Handing undici a signal that is already aborted costs the pooled connection: the next request opens another.
      throw this.err('unavailable', `the request to ${req.what} was cancelled before it was sent; nothing was done`);
    }
    // One controller for the deadline and the caller's cancel. (AbortSignal.timeout plus AbortSignal.any cost about
    // 25 us per request on Node 20, a tenth of what the adapter adds to a round trip.)
    const controller = new AbortController();
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      controller.abort(new DOMException(`no answer within ${timeoutMs} ms`, 'TimeoutError'));
    }, timeoutMs).unref();
    const outer = req.signal;
    const cancel = () => controller.abort(outer?.reason);
    outer?.addEventListener('abort', cancel, { once: true });
    const signal = controller.signal;
    const started = Date.now();
    let sent = false;
    try {
      const res: Dispatcher.ResponseData = await undiciRequest(url, {
        method: req.method,
        headers: { ...this.o.headers, ...req.headers },
        body: req.body as Dispatcher.DispatchOptions['body'],
        dispatcher: this.agent,
        signal,
        headersTimeout: timeoutMs,
        bodyTimeout: timeoutMs,
      });
      sent = true;
      const body = await this.readCapped(res);
      // Before any parser sees it, inside the deadline: an answer nested deeper than the vendor's ever are is
      // refused here (JSON.parse and the XML validators took seconds on one nested two million levels deep).
      const maxDepth = this.o.maxDepth ?? boundsOf(this.o.pbxType)?.maxDepth;
      if (maxDepth !== undefined && answerDeeperThan(body, maxDepth)) throw new AnswerTooDeep(`answer nested deeper than ${maxDepth} levels`);
      // undici puts the socket back in the pool a tick after the body ends; a request sent before that opens a
      // second connection. The next request waits for that tick (see `once`), so this answer is not held back.
      this.settling = new Promise((r) => setImmediate(r));
      const headers: Record<string, string> = {};
      for (const [k, v] of Object.entries(res.headers)) if (typeof v === 'string') headers[k] = v;
      this.o.log.debug('pbx request', { method: req.method, path: url.pathname, status: res.statusCode, ms: Date.now() - started });
      return { status: res.statusCode, headers, body };
    } catch (e) {
      throw this.classify(e, req, sent, timedOut, timeoutMs);
    } finally {
      clearTimeout(timer);
      outer?.removeEventListener('abort', cancel);
    }
  }

  private readCapped(res: Dispatcher.ResponseData): Promise<string> {
    const type = res.headers['content-type'];
    const max = this.o.maxBodyBytes ?? boundsOf(this.o.pbxType)?.maxBytes ?? 5 * 1024 * 1024;
    // Events rather than `for await`: an async iterator per answer costs more than the rest of reading it.
    return new Promise((resolve, reject) => {
      const chunks: Buffer[] = [];
      let size = 0;
      res.body.on('data', (chunk: Buffer) => {
        size += chunk.length;
        if (size > max) {
          res.body.destroy();
          reject(new BodyTooLarge(`response larger than ${max} bytes`));
          return;
        }
        chunks.push(chunk);
      });
      res.body.once('error', reject);
      res.body.once('end', () => resolve(decodeBody(chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks), typeof type === 'string' ? type : undefined)));
    });
  }

  private classify(e: unknown, req: VendorRequest, gotHeaders: boolean, timedOut: boolean, timeoutMs: number): BackendError {
    if (e instanceof BackendError) return e;
    const code = errorCode(e);
    const what = req.what;
    if (e instanceof BodyTooLarge || e instanceof AnswerTooDeep) {
      const said = e instanceof BodyTooLarge ? `an oversized answer (${e.message})` : `an answer nested deeper than any it documents (${e.message})`;
      return req.read
        ? this.err('unavailable', `the PBX sent ${said} when asked to ${what}; it was not read`, undefined, e)
        : this.unknown(`the PBX sent ${said} when asked to ${what}`, e);
    }
    if (TLS_CODES.test(code)) {
      return this.err(
        'unavailable',
        `the PBX's TLS certificate is not trusted (${code}); nothing was sent`,
        'Set caFile to the PBX certificate in the config, or insecureTls: true for a loopback URL.',
        e,
      );
    }
    if (BEFORE_SEND.has(code)) {
      return this.err(
        'unavailable',
        `cannot connect to the PBX at ${this.base.host} (${code}); nothing was done`,
        'Check that the PBX (or its desktop client) is running and that the url in the config is right.',
        e,
      );
    }
    if (req.signal?.aborted && !timedOut) {
      return req.read
        ? this.err('unavailable', `the request to ${what} was cancelled`, undefined, e)
        : this.unknown(`the request to ${what} was cancelled after it was sent`, e);
    }
    // An undici message may quote what it was given (a URL, a header): it enters a message as PBX text does.
    const reason = timedOut ? `no answer within ${timeoutMs} ms` : `the connection failed (${code || pbxText(String((e as Error)?.message), 120)})`;
    if (req.read) return this.err('unavailable', `${reason} when asked to ${what}`, undefined, e);
    return this.unknown(`${reason}${gotHeaders ? ' while reading the answer' : ''} after the request to ${what} was sent`, e);
  }

  private unknown(message: string, cause: unknown): BackendError {
    return this.err('outcome_unknown', `${message}: it may or may not have happened`, undefined, cause);
  }

  /** An HTTP status the adapter did not expect, as a typed error. */
  statusError(res: VendorResponse, req: Pick<VendorRequest, 'read' | 'what'>): BackendError {
    const s = res.status;
    if (s === 401 || s === 403) {
      return this.err('auth', `the PBX refused our credentials (HTTP ${s}) when asked to ${req.what}`, 'Check the credentials of this PBX in the telephony-mcp config.');
    }
    if (s === 404) return this.err('not_found', `the PBX has no such resource (HTTP 404) when asked to ${req.what}`);
    if (s === 429) return this.err('rate_limited', `the PBX is throttling requests (HTTP 429) when asked to ${req.what}`);
    if (s >= 500) {
      return req.read
        ? this.err('unavailable', `the PBX failed (HTTP ${s}) when asked to ${req.what}`)
        : this.unknown(`the PBX answered HTTP ${s} to the request to ${req.what}`, undefined);
    }
    return this.err('invalid', `the PBX rejected the request to ${req.what} (HTTP ${s})`);
  }

  async close(): Promise<void> {
    await this.agent.close().catch(() => {});
  }
}
