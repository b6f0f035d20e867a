/**
 * Transport to the Kalliope desktop client: one HTTPS POST per command to the configured url, credentials in
 * every request, TLS trust from caFile (or no verification on loopback), and the generic error codes mapped to
 * typed errors. Code 0 and the command-specific code 1 are returned for the backend to interpret.
 */
import { BackendError, type ErrorKind } from '../../errors.js';
import { VendorHttp } from '../http.js';
import type { Logger } from '../../log.js';
import { pbxText } from '../../safety/sanitize.js';
import { CODE, type KctiCommand, type KctiCredentials, type KctiReply, encodeRequest, parseResponse } from './codec.js';

export const PBX_TYPE = 'kalliope';

export interface KctiClientOptions {
  pbx: string;
  url: string;
  timeoutMs: number;
  log: Logger;
  credentials: KctiCredentials;
  /** PEM of the certificate (or CA) to trust. */
  ca?: string | Buffer | undefined;
  /** Skip certificate verification (the config allows it on loopback only). */
  insecure?: boolean;
}

export interface SendOptions {
  /** true for reads (retried on transport failures); false for actions (sent once). */
  read: boolean;
  /** What the command does, for messages: "place the call". */
  what: string;
  signal?: AbortSignal | undefined;
}

/** A vendor message, as data: secrets masked, cleaned, bounded and quoted. */
export function vendorText(message: string): string {
  const m = pbxText(message, 160);
  return m ? `"${m}"` : '(no message)';
}

export class KctiClient {
  private readonly http: VendorHttp;

  constructor(private readonly o: KctiClientOptions) {
    this.http = new VendorHttp({
      pbx: o.pbx,
      pbxType: PBX_TYPE,
      baseUrl: o.url,
      timeoutMs: o.timeoutMs,
      log: o.log,
      ca: o.ca,
      ...(o.insecure ? { rejectUnauthorized: false } : {}),
      // One agent's desktop client: a couple of sockets are plenty.
      connections: 2,
      // On loopback a failed read is the client not running or choking, which an immediate second retry does not
      // fix; one retry keeps the error prompt and leaves the circuit breaker for repeated, not single, failures.
      readRetries: 1,
    });
  }

  private err(kind: ErrorKind, message: string, hint?: string, code?: number): BackendError {
    return new BackendError(kind, message, {
      ...(hint ? { hint } : {}),
      ...(code !== undefined ? { code: String(code) } : {}),
    });
  }

  /** A failure after the request went out: for an action we cannot know whether it happened. */
  private afterSend(opts: SendOptions, message: string, code?: number): BackendError {
    return opts.read
      ? this.err('unavailable', message, 'Nothing was changed; try again in a moment.', code)
      : this.err('outcome_unknown', `${message}: the action may or may not have happened`, undefined, code);
  }

  /**
   * Send `command` and return the reply when its code is 0 or 1 (1 means something per command). Every other
   * outcome is thrown as a typed error. Actions are sent exactly once.
   */
  async send(command: KctiCommand, params: ReadonlyArray<readonly [string, string]>, opts: SendOptions): Promise<KctiReply> {
    const body = encodeRequest(command, this.o.credentials, params);
    const res = await this.http.request({
      method: 'POST',
      path: '/',
      headers: { 'content-type': 'application/xml' },
      body,
      read: opts.read,
      what: opts.what,
      signal: opts.signal,
    });
    const parsed = parseResponse(res.body);
    if (res.status < 200 || res.status > 299) {
      // A client that sends its KCTI error code with an HTTP error status: the code says more than the status
      // (code 12 is "update the client", not "bad request"). Success with an error status is contradictory, and
      // anything that is not a KCTI answer (a proxy's page) is judged by the status.
      if (!parsed.ok || parsed.reply.code === CODE.ok) throw this.http.statusError(res, opts);
    } else if (!parsed.ok) {
      this.o.log.debug('unreadable KCTI answer', { command, reason: parsed.reason, status: res.status });
      throw this.afterSend(opts, `the Kalliope client sent an answer that is not a KCTI4 response (${parsed.reason}) when asked to ${opts.what}`);
    }
    const r = parsed.reply;
    switch (r.code) {
      case CODE.ok:
      case CODE.commandSpecific:
        return r;
      case CODE.auth:
        return this.fail('auth', `the Kalliope client refused our credentials (code 10) when asked to ${opts.what}`, 'Check username and password/passwordMd5 in the config: they must be those of the user logged in to the Kalliope client.', r.code);
      case CODE.invalidRequest:
        return this.fail('invalid', `the Kalliope client rejected the request to ${opts.what} as invalid (code 11: ${vendorText(r.message)})`, 'Check the number or value given; nothing was done.', r.code);
      case CODE.unknownCommand:
        return this.fail(
          'unsupported',
          `this Kalliope client version lacks the command ${command} (code 12), so it cannot ${opts.what}; it needs KCTI4 v4.5 or later`,
          'Update the Kalliope client, or do this from its own interface.',
          r.code,
        );
      default:
        throw this.afterSend(opts, `the Kalliope client answered with the undocumented code ${r.code} (${vendorText(r.message)}) when asked to ${opts.what}`, r.code);
    }
  }

  private fail(kind: ErrorKind, message: string, hint: string, code: number): never {
    throw this.err(kind, message, hint, code);
  }

  close(): Promise<void> {
    return this.http.close();
  }
}
