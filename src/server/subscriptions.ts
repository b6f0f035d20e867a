/**
 * Resource subscriptions: resources/subscribe of a 2025 session, and the resources of a 2026 subscriptions/listen
 * stream. Both watch through the app's shared watcher (one poll or sim tap per resource), keyed by one spelling of
 * each URI, within a per-session (or per-stream) and a process-wide limit.
 */
import { ProtocolError, ProtocolErrorCode } from '@modelcontextprotocol/server';
import type { App } from '../app.js';
import type { Principal } from '../principal.js';
import { fillTemplate, matchTemplate } from '../resources/define.js';
import { type Instance, kept, principalOf, type ServerOptions } from './instance.js';
import { AUDIT_URI, ownEntry, resolveResource } from './resources.js';

/** Resource subscriptions one session (or one subscriptions/listen stream) may hold, and the process in all. */
export const MAX_SUBSCRIPTIONS_PER_SESSION = 100;
export const MAX_SUBSCRIPTIONS = 1000;

const counts = new WeakMap<App, { held: number }>();

/**
 * The one spelling of a URI that subscriptions and watches are keyed by: the variables decoded and encoded again,
 * so pbx://office/history/ali%63e and pbx://office/history/alice are one subscription and one poll. A URI that
 * matches no template (audit://recent, resources `extend` added) is its own key.
 */
export function canonicalUri(app: App, uri: string): string {
  for (const def of app.resources) {
    const vars = matchTemplate(def.template, uri);
    if (vars) return fillTemplate(def.template, vars);
  }
  return uri;
}

/**
 * Starts watching `uri` for `principal`: `notify` runs after each change. Returns the unsubscribe function.
 * Throws resource-not-found for a URI nobody serves. Shared by resources/subscribe and subscriptions/listen.
 */
function watch(app: App, principal: Principal, uri: string, notify: () => void, subscribeExtended: ServerOptions['subscribe']): () => void {
  if (uri === AUDIT_URI) {
    // Only the caller's own entries are in its audit://recent: another client's calls are no update to it.
    const mine = ownEntry(principal);
    return app.audit.onRecord(() => {
      const last = app.audit.recent().at(-1);
      if (last && mine(last)) notify();
    });
  }
  return subscribeExtended?.(uri, notify) ?? app.watcher.subscribe(canonicalUri(app, uri), resolveResource(app, uri), notify);
}

/** Subscriptions held against the process-wide MAX_SUBSCRIPTIONS: refused beyond it. */
function takeSlot(app: App): boolean {
  const all = kept(counts, app, () => ({ held: 0 }));
  if (all.held >= MAX_SUBSCRIPTIONS) return false;
  all.held++;
  return true;
}

function giveSlot(app: App): void {
  kept(counts, app, () => ({ held: 0 })).held--;
}

export function registerSubscriptions(app: App, inst: Instance, subscribeExtended: ServerOptions['subscribe']): void {
  const { server } = inst;
  /** This session's subscriptions by canonical URI. */
  const subs = new Map<string, () => void>();
  server.setRequestHandler('resources/subscribe', (req, ctx) => {
    const uri = req.params.uri;
    const key = canonicalUri(app, uri);
    if (subs.has(key)) return {};
    // Each subscription may start a poll of a PBX: a client must not be able to start them without bound.
    if (subs.size >= MAX_SUBSCRIPTIONS_PER_SESSION) {
      throw new ProtocolError(
        ProtocolErrorCode.InvalidRequest,
        `Too many subscriptions: a session may hold ${MAX_SUBSCRIPTIONS_PER_SESSION}; unsubscribe from some first`,
      );
    }
    if (!takeSlot(app)) {
      throw new ProtocolError(ProtocolErrorCode.InvalidRequest, `Too many subscriptions on this server (limit ${MAX_SUBSCRIPTIONS}); try again later`);
    }
    try {
      subs.set(key, watch(app, principalOf(ctx, inst.principal), uri, () => void server.sendResourceUpdated({ uri }).catch(() => {}), subscribeExtended));
    } catch (e) {
      giveSlot(app);
      throw e;
    }
    return {};
  });
  const unsubscribe = (key: string) => {
    const off = subs.get(key);
    if (!off) return;
    subs.delete(key);
    giveSlot(app);
    off();
  };
  server.setRequestHandler('resources/unsubscribe', (req) => {
    unsubscribe(canonicalUri(app, req.params.uri));
    return {};
  });
  const prior = server.onclose;
  server.onclose = () => {
    for (const key of [...subs.keys()]) unsubscribe(key);
    prior?.();
  };
}

/**
 * One subscription of `principal` to `uri` outside a 2025 session (a subscriptions/listen stream): takes a slot
 * of the process-wide limit and watches the resource. Returns the unsubscribe function, or undefined when the
 * server will not honour it (a resource nobody serves, or the limit reached).
 */
export function subscribeResource(
  app: App,
  principal: Principal,
  uri: string,
  notify: () => void,
  opts: ServerOptions = {},
): (() => void) | undefined {
  if (!takeSlot(app)) return undefined;
  let off: () => void;
  try {
    off = watch(app, principal, uri, notify, opts.subscribe);
  } catch {
    giveSlot(app);
    return undefined;
  }
  let done = false;
  return () => {
    if (done) return;
    done = true;
    giveSlot(app);
    off();
  };
}

