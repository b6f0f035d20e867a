/**
 * Transport to the xCALLY phone bar: plain HTTP GETs on the agent's machine (no authentication is documented,
 * so there is no secret to register). Every request goes through VendorHttp. State-changing methods are GETs
 * too, so they carry `Cache-Control: no-cache` and are never retried; reads may be.
 */
import { BackendError } from '../../errors.js';
import type { VendorHttp, VendorResponse } from '../http.js';
import { MALFORMED, decodeJson, svcPath, type XcAnswer, type XcMethod } from './codec.js';

export type XcAction = Extract<XcMethod, 'originate' | 'answer' | 'hangup' | 'holding' | 'transfer' | 'atxfer' | 'conference'>;
export type XcRead = Extract<XcMethod, 'channels' | 'channel' | 'recents' | 'queues' | 'peer'>;

/** What a refused action means for a person, per method. */
const REFUSED_HINT: Record<XcAction, string> = {
  originate: "Check the number, and that the agent's phone at the phone bar is registered and free.",
  answer: 'No call may be ringing any more.',
  hangup: 'The call may already have ended.',
  holding: 'The call may have ended or changed state.',
  transfer: 'The phone bar transfers its active (connected) call: check it and the number.',
  atxfer: 'The phone bar transfers its active (connected) call: check it and the number.',
  conference: 'The call must be on hold and another call connected (answer A, hold A, call B, then conference A).',
};

const HEADERS = { accept: 'application/json', 'cache-control': 'no-cache' };

export class XcallyClient {
  constructor(
    private readonly http: VendorHttp,
  ) {}

  private error(kind: BackendError['kind'], message: string, hint: string | undefined, code: string, about?: 'call'): BackendError {
    return new BackendError(kind, message, { ...(hint ? { hint } : {}), code, ...(about ? { about } : {}) });
  }

  /** A read (retried by VendorHttp on transport failures). Non-200 is a typed error; `ok` is left to the caller. */
  async read(method: XcRead, param: string | undefined, what: string, signal?: AbortSignal): Promise<XcAnswer> {
    const req = { method: 'GET' as const, path: svcPath(method, param), headers: HEADERS, read: true, what, signal };
    const res = await this.http.request(req);
    this.checkStatus(res, req);
    return decodeJson(res.body, what);
  }

  /** A read whose `response` must be true. */
  async readRows(method: XcRead, param: string | undefined, what: string, signal?: AbortSignal): Promise<XcAnswer> {
    const a = await this.read(method, param, what, signal);
    if (!a.ok) {
      throw this.error(
        'unavailable',
        `the phone bar answered response "false" when asked to ${what} (${method})`,
        'Check that the agent is logged in to the xCALLY phone bar, then try again.',
        'xcally.refused',
      );
    }
    return a;
  }

  /**
   * An action: sent once, never retried. response "true" is success; anything else is a refusal. An answer that
   * cannot be read means the action may or may not have happened.
   */
  async act(method: XcAction, param: string | undefined, what: string, signal?: AbortSignal, refusedHint?: string): Promise<XcAnswer> {
    const req = { method: 'GET' as const, path: svcPath(method, param), headers: HEADERS, read: false, what, signal };
    const res = await this.http.request(req);
    this.checkStatus(res, req);
    let a: XcAnswer;
    try {
      a = decodeJson(res.body, what);
    } catch (e) {
      if (e instanceof BackendError && e.code === MALFORMED) {
        throw this.error(
          'outcome_unknown',
          `the phone bar's answer to the request to ${what} (${method}) could not be read: it may or may not have happened`,
          undefined,
          MALFORMED,
        );
      }
      throw e;
    }
    if (!a.ok) {
      throw this.error(
        'conflict',
        `the phone bar refused to ${what}: ${method} answered response "false", so it reports it did not do it`,
        refusedHint ?? REFUSED_HINT[method],
        'xcally.refused',
        method === 'originate' ? undefined : 'call',
      );
    }
    return a;
  }

  private checkStatus(res: VendorResponse, req: { read: boolean; what: string }): void {
    if (res.status !== 200) throw this.http.statusError(res, req);
  }


  close(): Promise<void> {
    return this.http.close();
  }
}
