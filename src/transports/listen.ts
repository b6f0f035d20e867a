/**
 * subscriptions/listen (2026-07-28) on our resources. The SDK serves the stream (acknowledgement, subscription
 * ids, delivery, teardown); this is what it cannot know: which of the requested resources this server will honour
 * (the filter is narrowed to them before the SDK acknowledges it), and where their updates come from (the same
 * shared watches and sim events as resources/subscribe). Each URI is watched once per principal however many
 * streams ask for it, and published once per change.
 */
import type { JSONRPCMessage } from '@modelcontextprotocol/server';
import type { App } from '../app.js';
import type { Principal } from '../principal.js';
import { MAX_SUBSCRIPTIONS_PER_SESSION, type ServerOptions, subscribeResource } from '../server.js';

/** The watched resources of one principal, shared by its streams; `publish` delivers an update to them. */
export class ListenFeeds {
  private readonly feeds = new Map<string, { streams: number; off: () => void }>();

  constructor(
    private readonly app: App,
    private readonly principal: Principal,
    private readonly publish: (uri: string) => void,
    private readonly opts: ServerOptions = {},
  ) {}

  /** The URIs of `requested` that will be honoured for one stream, and the release of them when it ends. */
  acquire(requested: unknown): { honoured: string[]; release(): void } {
    const honoured: string[] = [];
    for (const uri of Array.isArray(requested) ? requested : []) {
      if (typeof uri !== 'string' || honoured.includes(uri) || honoured.length >= MAX_SUBSCRIPTIONS_PER_SESSION) continue;
      const feed = this.feeds.get(uri);
      if (feed) {
        feed.streams++;
        honoured.push(uri);
        continue;
      }
      const off = subscribeResource(this.app, this.principal, uri, () => this.publish(uri), this.opts);
      if (!off) continue; // not served here, or over the limit: left out of the acknowledgement
      this.feeds.set(uri, { streams: 1, off });
      honoured.push(uri);
    }
    let released = false;
    return {
      honoured,
      release: () => {
        if (released) return;
        released = true;
        for (const uri of honoured) {
          const feed = this.feeds.get(uri);
          if (feed && --feed.streams === 0) {
            this.feeds.delete(uri);
            feed.off();
          }
        }
      },
    };
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

/** A subscriptions/listen request with its resource filter narrowed to what `feeds` honours. */
export function narrowListen(feeds: ListenFeeds, params: ListenParams | undefined): { params: ListenParams | undefined; release(): void } {
  const requested = params?.notifications?.resourceSubscriptions;
  if (!params?.notifications || requested === undefined) return { params, release: () => {} };
  const { honoured, release } = feeds.acquire(requested);
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
    this.feeds = new ListenFeeds(app, principal, publish, opts);
  }

  inbound(m: JSONRPCMessage): JSONRPCMessage {
    const msg = m as { id?: unknown; method?: string; params?: ListenParams & { requestId?: unknown } };
    if (msg.method === 'subscriptions/listen' && msg.id !== undefined && !this.open.has(keyOf(msg.id))) {
      const narrowed = narrowListen(this.feeds, msg.params);
      this.open.set(keyOf(msg.id), narrowed.release);
      return { ...m, params: narrowed.params } as JSONRPCMessage;
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
