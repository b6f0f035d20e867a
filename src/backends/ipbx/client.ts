/**
 * The IPPS transport: two read-only GETs over VendorHttp, HTTP Basic in the Authorization header (never in the
 * URL: the doc's examples put it there, and many clients drop it), every query value percent-encoded, and the
 * answer checked for ERROR lines and web pages before anyone parses rows.
 */
import { VendorHttp } from '../http.js';
import type { Logger } from '../../log.js';
import { addSecret } from '../../safety/redact.js';
import { classifyAnswer } from './codec.js';
import { basicAuth } from '../../util/basic-auth.js';

export interface IppsClientOptions {
  pbx: string;
  baseUrl: string;
  timeoutMs: number;
  log: Logger;
  username?: string | undefined;
  password?: string | undefined;
  ca?: string | Buffer | undefined;
  rejectUnauthorized?: boolean | undefined;
}

export const CHANNEL_PATH = '/ipps/channelinfo.php';
export const QUEUE_PATH = '/ipps/queueactive.php';

/** A channel name for the query: encodeURIComponent, but "/" kept (RFC 3986 allows it in a query). */
export function encodeChannel(channel: string): string {
  return encodeURIComponent(channel).replace(/%2F/gi, '/');
}

export class IppsClient {
  private readonly http: VendorHttp;

  constructor(o: IppsClientOptions) {
    const headers: Record<string, string> = {
      accept: 'text/plain, text/csv;q=0.9, */*;q=0.1',
      // A proxy must not answer a poll from its cache: the data is live.
      'cache-control': 'no-cache',
    };
    if (o.username !== undefined) {
      const auth = basicAuth(o.username, o.password ?? '');
      addSecret(o.password);
      addSecret(auth);
      addSecret(auth.slice('Basic '.length));
      headers.authorization = auth;
    }
    this.http = new VendorHttp({
      pbx: o.pbx,
      pbxType: 'ipbx',
      baseUrl: o.baseUrl,
      timeoutMs: o.timeoutMs,
      log: o.log,
      headers,
      // No retries: the doc asks for one poll every 3 seconds at most, and a quick retry would break that. A failed
      // poll is reported, and the next one comes after the poll interval.
      readRetries: 0,
      connections: 4,
      ...(o.ca !== undefined ? { ca: o.ca } : {}),
      ...(o.rejectUnauthorized === false ? { rejectUnauthorized: false } : {}),
    });
  }

  /**
   * channelinfo.php for `channels` (merged), always with useid=1 so every row starts with its channel. The "/" of
   * "SIP/4003" stays as the doc writes it (it is legal in a query); everything else is percent-encoded.
   */
  channelInfo(channels: readonly string[], signal?: AbortSignal): Promise<string> {
    const path = `${CHANNEL_PATH}?channel=${channels.map(encodeChannel).join(',')}&useid=1`;
    return this.get(path, 'read the channel states', signal);
  }

  /** queueactive.php for ONE queue (merged output would not say which queue a row is in), with res_cc=1. */
  queueActive(queue: string, signal?: AbortSignal): Promise<string> {
    const path = `${QUEUE_PATH}?queue_name=${encodeURIComponent(queue)}&res_cc=1`;
    return this.get(path, `read queue ${queue}`, signal);
  }

  private async get(path: string, what: string, signal?: AbortSignal): Promise<string> {
    const req = { method: 'GET' as const, path, read: true, what, signal };
    const res = await this.http.request(req);
    const answer = classifyAnswer(res.status, res.body);
    if (answer.kind === 'data') return answer.body;
    if (answer.kind === 'error') throw answer.error;
    throw this.http.statusError(res, req);
  }

  close(): Promise<void> {
    return this.http.close();
  }
}
