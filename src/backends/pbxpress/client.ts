/**
 * XML-RPC to a PBXpress server: one POST per call to the configured endpoint (/RPC2), Content-Type text/xml,
 * HTTP Basic with the self-care credentials, through VendorHttp (deadline, keep-alive, breaker; reads retried,
 * actions never). Faults and HTTP errors come back as typed errors; the password and the Basic token are
 * registered as secrets so no log or error can show them.
 */
import { BackendError, isBackendError } from '../../errors.js';
import { VendorHttp, type VendorResponse } from '../http.js';
import type { Logger } from '../../log.js';
import { addSecret } from '../../safety/redact.js';
import { faultError } from './codec.js';
import { decodeResponse, encodeCall, type XmlRpcValue } from './xmlrpc.js';
import { basicAuth } from '../../util/basic-auth.js';

export const PBX_TYPE = 'pbxpress';

export interface PbxpressClientOptions {
  pbx: string;
  /** The XML-RPC endpoint, e.g. http://pbx.example:3339/RPC2. */
  url: string;
  username: string;
  password: string;
  timeoutMs: number;
  log: Logger;
  readRetries?: number;
  /** PEM certificate(s) to trust for an https url. */
  ca?: string;
}

export interface RpcOptions {
  /** true for reads (retried on transient failures); false for actions (sent once). */
  read: boolean;
  /** What the call does, for messages: "read the active calls". */
  what: string;
  signal?: AbortSignal | undefined;
}

/** Split an endpoint URL into VendorHttp's base (origin + directory) and the path of the endpoint in it. */
export function splitEndpoint(url: string): { baseUrl: string; path: string } {
  const u = new URL(url);
  // A URL without a path means the guide's endpoint.
  const pathname = u.pathname === '/' && !url.endsWith('/') ? '/RPC2' : u.pathname;
  const dir = pathname.replace(/[^/]*$/, '');
  return { baseUrl: `${u.origin}${dir}`, path: `${pathname.slice(dir.length)}${u.search}` };
}

export class PbxpressClient {
  private readonly http: VendorHttp;
  private readonly path: string;

  constructor(private readonly o: PbxpressClientOptions) {
    const auth = basicAuth(o.username, o.password);
    addSecret(o.password);
    addSecret(auth.slice('Basic '.length));
    const { baseUrl, path } = splitEndpoint(o.url);
    this.path = path;
    this.http = new VendorHttp({
      pbx: o.pbx,
      pbxType: PBX_TYPE,
      baseUrl,
      timeoutMs: o.timeoutMs,
      log: o.log,
      headers: { authorization: auth },
      ...(o.ca !== undefined ? { ca: o.ca } : {}),
      ...(o.readRetries !== undefined ? { readRetries: o.readRetries } : {}),
    });
  }

  /** Call `method`; resolves with its result (undefined for an empty answer) or throws a typed error. */
  async call(method: string, params: readonly XmlRpcValue[], opts: RpcOptions): Promise<XmlRpcValue | undefined> {
    const body = encodeCall(method, params);
    const res = await this.http.request({
      method: 'POST',
      path: this.path,
      headers: { 'content-type': 'text/xml', accept: 'text/xml' },
      body,
      read: opts.read,
      what: opts.what,
      signal: opts.signal,
    });
    if (res.status !== 200) throw this.statusError(res, opts);
    let decoded: ReturnType<typeof decodeResponse>;
    try {
      decoded = decodeResponse(res.body);
    } catch (e) {
      // The request reached the PBX and its answer is unreadable: for an action we cannot tell what it did.
      if (!opts.read && isBackendError(e)) {
        throw new BackendError('outcome_unknown', `the PBX answered the request to ${opts.what} with something that is not XML-RPC: it may or may not have happened`, {
          code: e.code,
        });
      }
      throw e;
    }
    if ('fault' in decoded) throw faultError(decoded.fault, opts);
    return decoded.value;
  }

  /** A non-200 answer. Some servers send a fault with an error status: its text says more than the status. */
  private statusError(res: VendorResponse, opts: RpcOptions): BackendError {
    if (res.status !== 401 && res.status !== 403 && /<methodResponse[\s>]/.test(res.body)) {
      try {
        const d = decodeResponse(res.body);
        if ('fault' in d) return faultError(d.fault, opts);
      } catch {
        // not XML-RPC after all: the status decides
      }
    }
    const e = this.http.statusError(res, opts);
    if (e.kind !== 'auth') return e;
    return new BackendError('auth', `the PBX refused the XML-RPC login ${this.o.username} (HTTP ${res.status}) when asked to ${opts.what}`, {
      hint: 'Check username and password of this PBX in the telephony-mcp config: they are the self-care credentials of an extension.',
    });
  }

  close(): Promise<void> {
    return this.http.close();
  }
}
