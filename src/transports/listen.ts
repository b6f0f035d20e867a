/**
 * subscriptions/listen (2026-07-28) on our resources. The SDK serves the stream (acknowledgement, subscription
 * ids, delivery, teardown); this is what it cannot know: which of the requested resources this server will honour
 * (the filter is narrowed to them before the SDK acknowledges it: ones it serves, that exist, within the bounds),
 * and where their updates come from (the same shared watches and sim events as resources/subscribe). Each URI is
 * watched once per principal however many streams ask for it, and published once per change.
 */
import type { JSONRPCMessage } from '@modelcontextprotocol/server';
import type { App } from '../app.js';
import type { Principal } from '../principal.js';
import { MAX_SUBSCRIPTIONS_PER_SESSION, type ServerOptions, subscribeResource } from '../server.js';

interface Feed {
  /** Streams holding it, or waiting for it to start. */
  streams: number;
  /** Whether it started (undefined while it is being checked). */
  ready: Promise<boolean>;
  off?: () => void;
}

/** The watched resources of one principal, shared by its streams; `publish` delivers an update to them. */
export class ListenFeeds {
  private readonly feeds = new Map<string, Feed>();

  /** `client`: who the principal is for the per-client bound on subscriptions (resources/budget.ts). */
  constructor(
    private readonly app: App,
    private readonly principal: Principal,
    private readonly client: string | undefined,
    private readonly publish: (uri: string) => void,
    private readonly opts: ServerOptions = {},
  ) {}

  /** The URIs of `requested` that will be honoured for one stream, and the release of them when it ends. */
  async acquire(requested: unknown): Promise<{ honoured: string[]; release(): void }> {
    // At most a session's share per stream; the rest is left out of the acknowledgement.
    const wanted = [...new Set((Array.isArray(requested) ? requested : []).filter((u): u is string => typeof u === 'string'))].slice(
      0,
      MAX_SUBSCRIPTIONS_PER_SESSION,
    );
    const held = await Promise.all(wanted.map((uri) => this.hold(uri)));
    const honoured = wanted.filter((_, i) => held[i]);
    let released = false;
    return {
      honoured,
      release: () => {
        if (released) return;
        released = true;
        for (const uri of honoured) this.unhold(uri);
      },
    };
  }

  /** One more stream on the feed of `uri`, started if it is the first: false when it is not honoured. */
  private async hold(uri: string): Promise<boolean> {
    let feed = this.feeds.get(uri);
    if (!feed) {
      const created: Feed = { streams: 0, ready: Promise.resolve(false) };
      created.ready = subscribeResource(this.app, this.principal, this.client, uri, () => this.publish(uri), 0, this.opts).then((off) => {
        if (!off) {
          // Not served here, nothing by that name, or a bound reached.
          if (this.feeds.get(uri) === created) this.feeds.delete(uri);
          return false;
        }
        created.off = off;
        return true;
      });
      this.feeds.set(uri, (feed = created));
    }
    feed.streams++;
    if (await feed.ready) return true;
    feed.streams--;
    return false;
  }

  private unhold(uri: string): void {
    const feed = this.feeds.get(uri);
    if (!feed || --feed.streams > 0) return;
    this.feeds.delete(uri);
    feed.off?.();
  }

  /** Watched URIs and how many streams hold each (tests, diagnostics). */
  stats(): Record<string, number> {
    return Object.fromEntries([...this.feeds].map(([uri, f]) => [uri, f.streams]));
  }
}

interface ListenParams {
  notifications?: { resourceSubscriptions?: unknown; [k: string]: unknown };
  [k: string]: unknown;
}

/**
 * A subscriptions/listen request with its resource filter narrowed to what `feeds` honours, and to what the caller
 * of this request may read (`readable`: its scopes now, which a feed shared by its earlier requests cannot know).
 */
export async function narrowListen(
  feeds: ListenFeeds,
  params: ListenParams | undefined,
  readable: (uri: string) => boolean = () => true,
): Promise<{ params: ListenParams | undefined; release(): void }> {
  const requested = params?.notifications?.resourceSubscriptions;
  if (!params?.notifications || requested === undefined) return { params, release: () => {} };
  const { honoured, release } = await feeds.acquire(Array.isArray(requested) ? requested.filter((u) => typeof u !== 'string' || readable(u)) : requested);
  return { params: { ...params, notifications: { ...params.notifications, resourceSubscriptions: honoured } }, release };
}

const keyOf = (id: unknown) => `${typeof id}:${String(id)}`;

/**
 * The listen streams of one stdio connection, seen on the wire: a listen request is narrowed on its way in; a
 * cancellation of it, or the response that ends it (a graceful close, or an error instead of an acknowledgement),
 * releases its resources.
 */
export class ListenStreams {
  private readonly open = new Map<string, () => void>();
  private readonly feeds: ListenFeeds;

  constructor(app: App, principal: Principal, publish: (uri: string) => void, opts: ServerOptions = {}) {
    this.feeds = new ListenFeeds(app, principal, undefined, publish, opts);
  }

  /** The message as the SDK should see it: a listen request narrowed (asynchronously), anything else as it came. */
  inbound(m: JSONRPCMessage): JSONRPCMessage | Promise<JSONRPCMessage> {
    const msg = m as { id?: unknown; method?: string; params?: ListenParams & { requestId?: unknown } };
    if (msg.method === 'subscriptions/listen' && msg.id !== undefined && !this.open.has(keyOf(msg.id))) {
      const key = keyOf(msg.id);
      // Held from now: a cancellation that arrives while the resources are checked still ends the stream.
      let release: (() => void) | undefined;
      let cancelled = false;
      this.open.set(key, () => {
        cancelled = true;
        release?.();
      });
      return narrowListen(this.feeds, msg.params).then((narrowed) => {
        release = narrowed.release;
        if (cancelled) narrowed.release();
        return { ...m, params: narrowed.params } as JSONRPCMessage;
      });
    }
    if (msg.method === 'notifications/cancelled' && msg.params?.requestId !== undefined) this.end(msg.params.requestId);
    return m;
  }

  outbound(m: JSONRPCMessage): void {
    const msg = m as { id?: unknown; method?: string };
    if (msg.method === undefined && msg.id !== undefined) this.end(msg.id);
  }

  private end(id: unknown): void {
    const release = this.open.get(keyOf(id));
    if (!release) return;
    this.open.delete(keyOf(id));
    release();
  }

  closeAll(): void {
    for (const release of this.open.values()) release();
    this.open.clear();
  }
}
