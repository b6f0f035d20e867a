/**
 * A real OpenID provider (the certified `oidc-provider` package) on loopback, set up as an organisation would for
 * telephony-mcp: the server registered as a resource (RFC 8707) with the three scopes, JWT access tokens for it
 * carrying a `pbx_user` claim, a pre-registered public client that must use PKCE. People are accounts with the
 * scopes their role allows; asking for more is answered with fewer (the rest is rejected at consent), as a real
 * provider does. The login and consent pages are answered by a script standing in for the person at the browser:
 * `browse()` follows the authorization URL through the provider's interaction endpoints, with cookies, up to the
 * redirect that carries the code.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { OAuthClientMetadata, OAuthClientProvider, OAuthTokens } from '@modelcontextprotocol/client';
import Provider from 'oidc-provider';

export interface Person {
  /** The PBX user the token names (the pbx_user claim), if any. */
  pbxUser?: string;
  /** The scopes the organisation allows this person. */
  allowed: string[];
}

export interface Idp {
  issuer: string;
  clientId: string;
  redirectUri: string;
  /** Who is at the browser for the next authorization. */
  signInAs(subject: string): void;
  /** Follows an authorization URL as the browser would; resolves to the parameters of the redirect back (code, iss). */
  browse(authorizationUrl: URL): Promise<URLSearchParams>;
  /** Authorizations the person went through (login and consent pages answered). */
  authorizations(): number;
  close(): Promise<void>;
}

export const SCOPES = ['telephony:read', 'telephony:act', 'telephony:supervise'];

/** The words of an error page (the provider explains itself in HTML). */
const textOf = (html: string) =>
  html
    .replace(/<style>[^]*?<\/style>/g, '')
    .replace(/<[^>]+>/g, ' ')
    .replace(/\s+/g, ' ')
    .slice(0, 400);

export async function startIdp(opts: { audience: string; people: Record<string, Person> }): Promise<Idp> {
  let current: string | undefined;
  let done = 0;
  const server: Server = createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const clientId = 'telephony-test-client';
  const redirectUri = 'http://127.0.0.1:9/callback';
  const { privateKey } = await import('node:crypto').then((c) => c.generateKeyPairSync('ec', { namedCurve: 'P-256' }));
  const provider = new Provider(issuer, {
    clients: [
      {
        client_id: clientId,
        client_name: 'Test assistant',
        token_endpoint_auth_method: 'none',
        id_token_signed_response_alg: 'ES256',
        redirect_uris: [redirectUri],
        grant_types: ['authorization_code', 'refresh_token'],
        response_types: ['code'],
      },
    ],
    jwks: { keys: [{ ...privateKey.export({ format: 'jwk' }), kid: 'idp-key-1', alg: 'ES256', use: 'sig' }] },
    cookies: { keys: ['telephony-test-cookie-key'] },
    features: {
      devInteractions: { enabled: false },
      resourceIndicators: {
        enabled: true,
        defaultResource: () => opts.audience,
        useGrantedResource: () => true,
        getResourceServerInfo: (_ctx: unknown, resource: string) => {
          if (resource !== opts.audience) throw new Error(`unknown resource ${resource}`);
          return { scope: SCOPES.join(' '), audience: opts.audience, accessTokenFormat: 'jwt', accessTokenTTL: 600, jwt: { sign: { alg: 'ES256' } } };
        },
      },
    },
    interactions: { url: (_ctx: unknown, interaction: { uid: string }) => `/interaction/${interaction.uid}` },
    findAccount: (_ctx: unknown, sub: string) => (opts.people[sub] ? { accountId: sub, claims: () => ({ sub }) } : undefined),
    extraTokenClaims: (_ctx: unknown, token: { accountId?: string }) => {
      const who = token.accountId ? opts.people[token.accountId] : undefined;
      return who?.pbxUser ? { pbx_user: who.pbxUser } : undefined;
    },
  } as ConstructorParameters<typeof Provider>[1]);
  const callback = provider.callback();

  /** The person's answers: log in as `current`; consent to what the role allows and reject the rest. */
  const interact = async (req: IncomingMessage, res: ServerResponse) => {
    const details = await provider.interactionDetails(req, res);
    const { prompt, params, session, grantId } = details as unknown as {
      prompt: { name: string; details: { missingOIDCScope?: string[]; missingResourceScopes?: Record<string, string[]> } };
      params: { client_id: string };
      session?: { accountId: string };
      grantId?: string;
    };
    if (prompt.name === 'login') {
      if (!current) throw new Error('nobody is signed in at the test browser');
      await provider.interactionFinished(req, res, { login: { accountId: current } }, { mergeWithLastSubmission: false });
      return;
    }
    const account = session!.accountId;
    const grant = grantId ? await provider.Grant.find(grantId) : new provider.Grant({ accountId: account, clientId: params.client_id });
    if (!grant) throw new Error('grant not found');
    if (prompt.details.missingOIDCScope) grant.addOIDCScope(prompt.details.missingOIDCScope.join(' '));
    for (const [resource, scopes] of Object.entries(prompt.details.missingResourceScopes ?? {})) {
      const allowed = new Set(opts.people[account]!.allowed);
      const yes = scopes.filter((s) => allowed.has(s));
      const no = scopes.filter((s) => !allowed.has(s));
      if (yes.length) grant.addResourceScope(resource, yes.join(' '));
      if (no.length) grant.rejectResourceScope(resource, no.join(' '));
    }
    done++;
    await provider.interactionFinished(req, res, { consent: { grantId: await grant.save() } }, { mergeWithLastSubmission: true });
  };

  server.on('request', (req, res) => {
    if (req.url?.startsWith('/interaction/')) {
      interact(req, res).catch((e: unknown) => {
        res.writeHead(500, { 'content-type': 'text/plain' });
        res.end(String(e));
      });
      return;
    }
    void callback(req, res);
  });

  return {
    issuer,
    clientId,
    redirectUri,
    signInAs: (subject) => void (current = subject),
    authorizations: () => done,
    async browse(authorizationUrl) {
      const cookies = new Map<string, string>();
      let url = authorizationUrl.href;
      for (let hop = 0; hop < 20; hop++) {
        if (url.startsWith(redirectUri)) {
          const back = new URL(url);
          if (!back.searchParams.get('code')) throw new Error(`the provider answered ${back.searchParams.get('error')}: ${back.searchParams.get('error_description')}`);
          return back.searchParams;
        }
        const res = await fetch(url, { redirect: 'manual', headers: { cookie: [...cookies].map(([k, v]) => `${k}=${v}`).join('; ') } });
        for (const c of res.headers.getSetCookie()) {
          const [pair] = c.split(';');
          const eq = pair!.indexOf('=');
          cookies.set(pair!.slice(0, eq), pair!.slice(eq + 1));
        }
        const location = res.headers.get('location');
        if (!location) throw new Error(`the provider stopped at ${url} with HTTP ${res.status}: ${textOf(await res.text())}`);
        await res.body?.cancel();
        url = new URL(location, url).href;
      }
      throw new Error('too many redirects');
    },
    close: () =>
      new Promise<void>((r) => {
        server.close(() => r());
        server.closeAllConnections();
      }),
  };
}

/**
 * An MCP client's OAuth side as a host such as Claude runs it, with the browser step scripted: a pre-registered
 * public client (PKCE), tokens kept in memory, and `as` at the browser when it is sent to the provider.
 */
export class ScriptedOAuthClient implements OAuthClientProvider {
  private saved?: OAuthTokens;
  private verifier?: string;
  /** The redirect back of the last authorization, for finishAuth. */
  callback?: URLSearchParams;
  /** Scopes of each authorization request the client made. */
  readonly requested: string[] = [];

  constructor(
    private readonly idp: Idp,
    private readonly as: string,
  ) {}

  get redirectUrl(): string {
    return this.idp.redirectUri;
  }
  get clientMetadata(): OAuthClientMetadata {
    return {
      client_name: 'Test assistant',
      redirect_uris: [this.idp.redirectUri],
      grant_types: ['authorization_code', 'refresh_token'],
      response_types: ['code'],
      token_endpoint_auth_method: 'none',
    };
  }
  clientInformation() {
    return { client_id: this.idp.clientId };
  }
  tokens(): OAuthTokens | undefined {
    return this.saved;
  }
  saveTokens(tokens: OAuthTokens): void {
    this.saved = tokens;
  }
  async redirectToAuthorization(url: URL): Promise<void> {
    this.requested.push(url.searchParams.get('scope') ?? '');
    if (url.searchParams.get('code_challenge_method') !== 'S256') throw new Error('the client did not use PKCE (S256)');
    this.idp.signInAs(this.as);
    this.callback = await this.idp.browse(url);
  }
  saveCodeVerifier(v: string): void {
    this.verifier = v;
  }
  codeVerifier(): string {
    if (!this.verifier) throw new Error('no code verifier saved');
    return this.verifier;
  }
  /** The access token the client holds now. */
  accessToken(): string {
    if (!this.saved) throw new Error('no token yet');
    return this.saved.access_token;
  }
}
