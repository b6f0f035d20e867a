/**
 * The XUC REST 2.0 transport: one JWT per backend instance, shared by every session and concurrent call, and by
 * every server of a deployment through a TokenShare (one server logs in or renews, the others use what it shares).
 *
 * - Login (POST /auth/webservice or /auth/login) is single-flight: N concurrent first calls cause one login.
 * - The token is renewed with GET /auth/check once 80% of its TTL has passed (single renewal in flight), and
 *   the token that answer carries replaces the old one.
 * - A 403 TokenExpired / InvalidToken means XUC did not act: log in again (once, shared) and replay the
 *   request once. Any other failure of an action is never replayed.
 * - A refused login (wrong credentials) is an `auth` error, remembered for a while so that a busy client does
 *   not hammer XUC (or lock the account) with the same wrong password.
 * Every token and the password are registered as secrets, so no log line, error or result shows them.
 */
import { BackendError } from '../../errors.js';
import { VendorHttp, type VendorResponse } from '../http.js';
import type { Logger } from '../../log.js';
import { addSecret } from '../../safety/redact.js';
import { LocalTokenShare, type SharedToken, type TokenShare } from '../tokens.js';
import { apiBaseUrl, errorFor, isTokenRejection, loginBody, parseAuth, parseError, tokenLifetimeMs, type XucAuth } from './codec.js';

export type XucUserType = 'webservice' | 'cti';

export interface XucClientOptions {
  pbx: string;
  url: string;
  login: string;
  password: string;
  userType: XucUserType;
  timeoutMs: number;
  log: Logger;
  ca?: string | Buffer | undefined;
  rejectUnauthorized?: boolean | undefined;
  /** Fraction of the TTL after which the token is renewed (default 0.8). */
  renewFraction?: number;
  /** How long a refused login is remembered before XUC is asked again (default 30 s). */
  loginRetryMs?: number;
  /** The token of the deployment (default: this client's own, shared with nobody). */
  share?: TokenShare | undefined;
}

export interface XucRequest {
  method: 'GET' | 'POST' | 'PUT' | 'DELETE';
  /** Relative to the API base, every path value already percent-encoded. */
  path: string;
  /** A JSON string (sent as application/json), raw text with `contentType`, or a FormData factory (multipart). */
  body?: string | (() => FormData);
  contentType?: string;
  accept?: string;
  read: boolean;
  /** What the request does, for messages: "set do-not-disturb for alice". */
  what: string;
  /** The XUC user in the path, another user the body names, and the contact id, for error messages. */
  user?: string | undefined;
  otherUser?: string | undefined;
  id?: string | undefined;
  /** The ACL XUC requires for this request, named when it refuses for lack of permission. */
  acl?: string | undefined;
  signal?: AbortSignal | undefined;
}

interface TokenState {
  token: string;
  /** Local clock, ms: renew from here; log in again from expiresAt. Infinity when the lifetime is unknown. */
  renewAt: number;
  expiresAt: number;
  /** The ACLs the token's claims grant, when it carries them. */
  acls: readonly string[] | undefined;
}

const PBX_TYPE = 'xivo';
/** After a renewal that failed for another reason than a refused token, try again this much later. */
const RENEW_BACKOFF_MS = 5000;
/** While another server renews the shared token, look for its new token again this much later. */
const RENEW_WAIT_MS = 1000;

export class XucClient {
  readonly http: VendorHttp;
  /** Logins and renewals sent, for diagnostics and tests. */
  readonly stats = { logins: 0, renewals: 0, replays: 0 };
  private state: TokenState | undefined;
  private loginFlight: Promise<TokenState> | undefined;
  private renewFlight: Promise<TokenState> | undefined;
  private refused: { error: BackendError; until: number } | undefined;
  private readonly share: TokenShare;
  /** The last token XUC refused: never taken back from the share. */
  private rejected: string | undefined;

  constructor(private readonly o: XucClientOptions) {
    this.share = o.share ?? new LocalTokenShare();
    addSecret(o.password);
    this.http = new VendorHttp({
      pbx: o.pbx,
      pbxType: PBX_TYPE,
      baseUrl: apiBaseUrl(o.url),
      timeoutMs: o.timeoutMs,
      log: o.log,
      ca: o.ca,
      ...(o.rejectUnauthorized === false ? { rejectUnauthorized: false } : {}),
    });
  }

  get login(): string {
    return this.o.login;
  }

  get userType(): XucUserType {
    return this.o.userType;
  }

  /** Make sure a token is held (logging in if needed); for start-up checks and tests. */
  async connect(): Promise<void> {
    await this.token();
  }

  /**
   * Send a request with the shared token; resolve with a 2xx answer, or throw a typed, attributed error.
   * A refused token costs one fresh login and one replay, never more.
   */
  async send(req: XucRequest): Promise<VendorResponse> {
    let token = await this.token();
    let res = await this.once(req, token);
    if (ok(res)) return res;
    let err = parseError(res.status, res.body);
    if (isTokenRejection(err)) {
      this.o.log.info('XUC refused the session token; logging in again and replaying the request once', { code: err.code });
      this.invalidate(token);
      token = await this.token();
      this.stats.replays++;
      res = await this.once(req, token);
      if (ok(res)) return res;
      err = parseError(res.status, res.body);
    }
    throw errorFor(err, { what: req.what, read: req.read, user: req.user, otherUser: req.otherUser, id: req.id, login: this.o.login, acl: req.acl });
  }

  /** The ACLs the current token grants (logging in if needed); undefined when XUC's token does not list them. */
  async grantedAcls(): Promise<readonly string[] | undefined> {
    await this.token();
    return this.state?.acls;
  }

  /**
   * Decode a 2xx answer. An unreadable answer to a read is `unavailable`; to an action it means XUC did it
   * (it said 2xx) but we cannot tell the details: outcome_unknown, never retried.
   */
  decode<T>(res: VendorResponse, req: Pick<XucRequest, 'read' | 'what'>, fn: (body: string) => T): T {
    try {
      return fn(res.body);
    } catch (e) {
      if (!(e instanceof BackendError)) throw e;
      if (req.read || e.code !== 'unreadable') throw e;
      throw new BackendError(
          'outcome_unknown',
          `XUC answered HTTP ${res.status} when asked to ${req.what}, so it was probably done, but its answer could not be read`,
          { code: 'unreadable', hint: 'Check the result first (list or get it), then decide.', cause: e },
        );
    }
  }

  private once(req: XucRequest, token: string): Promise<VendorResponse> {
    const headers: Record<string, string> = { authorization: `Bearer ${token}`, accept: req.accept ?? 'application/json' };
    let body: string | FormData | undefined;
    if (typeof req.body === 'function') body = req.body();
    else {
      // The doc's header tables list Content-Type: application/json even on bodiless GETs (the contact reads);
      // it costs nothing and a strict server may want it.
      body = req.body;
      headers['content-type'] = req.contentType ?? 'application/json';
    }
    return this.http.request({
      method: req.method,
      path: req.path,
      headers,
      ...(body !== undefined ? { body } : {}),
      read: req.read,
      what: req.what,
      signal: req.signal,
    });
  }

  // ---------------------------------------------------------------- the token

  /** The current token: renewed past 80% of its life, a fresh login when there is none or it expired. */
  private async token(): Promise<string> {
    const s = this.state;
    const now = Date.now();
    if (s && now < s.renewAt) return s.token;
    if (s && now < s.expiresAt) return (await this.renew(s)).token;
    return (await this.loginOnce()).token;
  }

  private invalidate(token: string): void {
    if (this.state?.token === token) this.state = undefined;
    this.rejected = token;
    void this.shared(() => this.share.drop(token), undefined);
  }

  /** What the share answers, or `fallback` when it fails (then this server acts as if it were alone). */
  private async shared<T>(op: () => Promise<T>, fallback: T): Promise<T> {
    try {
      return await op();
    } catch (e) {
      this.o.log.warn('the shared XUC token could not be read or written; this server logs in on its own meanwhile', { error: (e as Error).message });
      return fallback;
    }
  }

  /** A token another server shared, if usable: adopted as this client's own. */
  private async fromShare(now: number, newerThan?: string): Promise<TokenState | undefined> {
    const t = await this.shared(() => this.share.read(), undefined);
    if (!t || t.token === this.rejected || t.token === newerThan || now >= t.expiresAt) return undefined;
    addSecret(t.token);
    this.state = { token: t.token, renewAt: t.renewAt, expiresAt: t.expiresAt, acls: t.acls };
    return this.state;
  }

  private publish(s: TokenState): Promise<void> {
    const t: SharedToken = { token: s.token, renewAt: s.renewAt, expiresAt: s.expiresAt, acls: s.acls };
    return this.shared(() => this.share.write(t), undefined);
  }

  private adopt(auth: XucAuth): TokenState {
    addSecret(auth.token);
    const life = tokenLifetimeMs(auth);
    const now = Date.now();
    const fraction = this.o.renewFraction ?? 0.8;
    const state: TokenState = {
      token: auth.token,
      renewAt: life === undefined ? Infinity : now + life * fraction,
      expiresAt: life === undefined ? Infinity : now + life,
      acls: auth.claims?.acls,
    };
    if (auth.claims?.userType && auth.claims.userType !== this.o.userType) {
      this.o.log.warn('XUC issued a token for another user type than configured', { configured: this.o.userType, token: auth.claims.userType });
    }
    this.state = state;
    return state;
  }

  private loginOnce(): Promise<TokenState> {
    if (this.loginFlight) return this.loginFlight;
    if (this.refused && Date.now() < this.refused.until) return Promise.reject(this.refused.error);
    const flight = this.obtain().finally(() => {
      this.loginFlight = undefined;
    });
    this.loginFlight = flight;
    return flight;
  }

  /**
   * A token for this client: the one another server shared, else a login, by one server of the deployment at a time
   * (the others wait for the token it shares; a server that dies logging in leaves a lease that lapses).
   */
  private async obtain(): Promise<TokenState> {
    const giveUpAt = Date.now() + 2 * this.o.timeoutMs + 1000;
    for (let delay = 20; ; delay = Math.min(delay * 2, 250)) {
      const adopted = await this.fromShare(Date.now());
      if (adopted) return adopted;
      const refusal = await this.shared(() => this.share.refused(), undefined);
      if (refusal && Date.now() < refusal.until) {
        this.refused = { error: new BackendError('auth', refusal.message, { hint: refusal.hint, code: refusal.code }), until: refusal.until };
        throw this.refused.error;
      }
      if (await this.shared(() => this.share.lease('login', this.o.timeoutMs + 1000), true)) {
        // A server that logged in just before this lease was free shared its token already: take it (and share it
        // again, which ends this lease) rather than log in a second time.
        const late = await this.fromShare(Date.now());
        if (late) {
          await this.publish(late);
          return late;
        }
        return this.doLogin();
      }
      if (Date.now() >= giveUpAt) {
        throw new BackendError('unavailable', 'another server of this deployment is logging in to XUC and has not shared the token in time', {
          hint: 'Nothing was done. Try again in a moment; if it persists, check that XUC answers its login.',
        });
      }
      await new Promise((r) => setTimeout(r, delay));
    }
  }

  private async doLogin(): Promise<TokenState> {
    const endpoint = this.o.userType === 'cti' ? 'auth/login' : 'auth/webservice';
    const what = `log in to XUC as ${this.o.userType} user "${this.o.login}"`;
    this.stats.logins++;
    // A login has no effect but a token, so it may be retried like a read.
    const res = await this.http.request({
      method: 'POST',
      path: endpoint,
      headers: { 'content-type': 'application/json', accept: 'application/json' },
      body: loginBody(this.o.login, this.o.password),
      read: true,
      what,
    });
    if (ok(res)) {
      const auth = this.decode(res, { read: true, what }, parseAuth);
      this.refused = undefined;
      this.o.log.debug('logged in to XUC', { login: this.o.login, userType: this.o.userType, ttlSeconds: auth.ttlSeconds });
      const state = this.adopt(auth);
      await this.publish(state);
      return state;
    }
    const err = parseError(res.status, res.body);
    if (res.status === 401 || res.status === 403 || err.code === 'InvalidCredentials' || err.code === 'UserNotFound') {
      const retryMs = this.o.loginRetryMs ?? 30_000;
      const error = new BackendError(
          'auth',
          `XUC refused the login of ${this.o.userType} user "${this.o.login}" (${err.code ? `${err.code}, ` : ''}HTTP ${res.status}): wrong login or password, or the wrong userType`,
          {
            code: err.code ?? `http_${res.status}`,
            hint:
              `Fix \`login\` and \`password\` of PBX ${this.o.pbx} in the telephony-mcp config (userType "${this.o.userType}" logs in at /${endpoint}). ` +
              `telephony-mcp will not try this login again for ${Math.round(retryMs / 1000)} s. Nothing was done.`,
          },
        );
      this.refused = { error, until: Date.now() + retryMs };
      await this.shared(() => this.share.refuse({ message: error.message, hint: error.hint, code: error.code, until: this.refused!.until }), undefined);
      this.o.log.warn('XUC refused the login', { login: this.o.login, status: res.status, code: err.code });
      throw error;
    }
    throw errorFor(err, { what, read: true, login: this.o.login });
  }

  private renew(s: TokenState): Promise<TokenState> {
    if (this.loginFlight) return this.loginFlight;
    if (this.renewFlight) return this.renewFlight;
    const flight = this.doRenew(s).finally(() => {
      this.renewFlight = undefined;
    });
    this.renewFlight = flight;
    return flight;
  }

  private async doRenew(s: TokenState): Promise<TokenState> {
    // Another server may have renewed the shared token already, or be renewing it now.
    const renewed = await this.fromShare(Date.now(), s.token);
    if (renewed) return renewed;
    if (!(await this.shared(() => this.share.lease('renew', this.o.timeoutMs + 1000), true))) {
      s.renewAt = Math.min(Date.now() + RENEW_WAIT_MS, s.expiresAt);
      return s;
    }
    const late = await this.fromShare(Date.now(), s.token);
    if (late) {
      await this.publish(late);
      return late;
    }
    this.stats.renewals++;
    const backoff = () => {
      s.renewAt = Math.min(Date.now() + RENEW_BACKOFF_MS, s.expiresAt);
      return s;
    };
    let res: VendorResponse;
    try {
      res = await this.http.request({
        method: 'GET',
        path: 'auth/check',
        headers: { authorization: `Bearer ${s.token}`, accept: 'application/json' },
        read: true,
        what: 'renew the XUC session token',
      });
    } catch (e) {
      // The token is still valid: keep using it, and try to renew again a little later.
      this.o.log.warn('renewing the XUC token failed; keeping the current one for now', { error: (e as Error).message });
      return backoff();
    }
    if (ok(res)) {
      let state: TokenState;
      try {
        state = this.adopt(parseAuth(res.body));
      } catch {
        this.o.log.warn('XUC answered the token renewal unreadably; keeping the current token for now');
        return backoff();
      }
      await this.publish(state);
      return state;
    }
    const err = parseError(res.status, res.body);
    if (isTokenRejection(err)) {
      this.invalidate(s.token);
      return this.loginOnce();
    }
    this.o.log.warn('XUC refused to renew the token; keeping the current one until it expires', { status: res.status, code: err.code });
    return backoff();
  }

  async close(): Promise<void> {
    this.state = undefined;
    await this.http.close();
  }
}

function ok(res: VendorResponse): boolean {
  return res.status >= 200 && res.status < 300;
}
