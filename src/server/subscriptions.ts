/**
 * Resource subscriptions: resources/subscribe of a 2025 session, and the resources of a 2026 subscriptions/listen
 * stream. Both watch through the app's shared watcher (one poll or sim tap per resource), keyed by one spelling of
 * each URI; both refuse a resource that does not exist; both are bounded per session (or stream), per client and
 * for the whole process (resources/budget.ts).
 */
import { ProtocolError, ProtocolErrorCode, ResourceNotFoundError } from '@modelcontextprotocol/server';
import type { App } from '../app.js';
import { isTelephonyError } from '../errors.js';
import { describeError } from '../wording.js';
import type { Principal } from '../principal.js';
import { SubscriptionBudget } from '../resources/budget.js';
import { fillTemplate, matchResource } from '../resources/define.js';
import type { ResolvedResource } from '../resources/watch.js';
import { withClientText } from '../safety/redact.js';
import { type Instance, kept, principalOf, type ServerOptions } from './instance.js';
import { AUDIT_URI, checkResourceAccess, resolveResource } from './resources.js';

export { MAX_SUBSCRIPTIONS, MAX_SUBSCRIPTIONS_PER_CLIENT, MAX_SUBSCRIPTIONS_PER_SESSION } from '../resources/budget.js';

const budgets = new WeakMap<App, SubscriptionBudget>();
const budgetOf = (app: App) => kept(budgets, app, () => new SubscriptionBudget());

/**
 * The one spelling of a URI that subscriptions and watches are keyed by: the variables decoded and encoded again,
 * so pbx://office/history/ali%63e and pbx://office/history/alice are one subscription and one poll. A URI that
 * matches no template (audit://recent, resources `extend` added) is its own key.
 */
export function canonicalUri(app: App, uri: string): string {
  const r = matchResource(app.resources, uri);
  return r ? fillTemplate(r.def.template, r.vars) : uri;
}

/**
 * Whether a subscribed resource exists. The PBX and the capability are checked by resolveResource; a resource named
 * by more than its PBX (a user's history, a queue) is read once, unless it is watched already: refused when the
 * read says not found or not possible (an unknown user or queue), accepted when the PBX is only unreachable now
 * (the watch retries). Otherwise any client could fill the subscription caps with polls of things that never were.
 */
async function refuseMissing(app: App, resolved: ResolvedResource, uri: string, key: string): Promise<void> {
  if (Object.keys(resolved.vars).every((v) => v === 'pbx') || app.watcher.watching(key)) return;
  try {
    await withClientText(uri, () => resolved.def.read(resolved.pbx, resolved.vars));
  } catch (e) {
    if (isTelephonyError(e) && (e.kind === 'not_found' || e.kind === 'invalid' || e.kind === 'unsupported')) {
      throw new ResourceNotFoundError(uri, `Resource not found, so it cannot be subscribed to: ${describeError(e, resolved.pbx)} (${uri})`);
    }
    if (!isTelephonyError(e)) app.log.warn('reading a resource to subscribe to it failed', { uri, error: e as Error });
  }
}

/** A checked subscription: `start` begins the watch and returns its stop function; `drop` gives it up unstarted. */
interface Prepared {
  start(): () => void;
  drop(): void;
}

/**
 * What watching `uri` for `principal` needs, checked: a watch ready to start, or a resource-not-found error for a
 * URI nobody serves or that names nothing that exists.
 */
async function prepare(app: App, principal: Principal, uri: string, notify: () => void, subscribeExtended: ServerOptions['subscribe']): Promise<Prepared> {
  // What the caller may not read, it may not watch either.
  checkResourceAccess(app, principal, uri);
  if (uri === AUDIT_URI) {
    // Only the caller's own entries are in its audit://recent: another client's calls are no update to it.
    const start = () => app.audit.onRecord(principal.id, notify);
    return { start, drop: () => {} };
  }
  const extended = subscribeExtended?.(uri, notify);
  if (extended) return { start: () => extended, drop: extended };
  // A URI no template knows is refused by resolveResource; one it knows must also name something that exists.
  const resolved = resolveResource(app, uri);
  const key = fillTemplate(resolved.def.template, resolved.vars);
  await refuseMissing(app, resolved, uri, key);
  return { start: () => app.watcher.subscribe(key, resolved, notify), drop: () => {} };
}

/**
 * resources/subscribe and resources/unsubscribe of a 2025 session. `client` is who the session's client is, as
 * the transport tells (HTTP: its token's name or its address), so that subscriptions are bounded per client too;
 * undefined (stdio, one session per process) leaves the session and process bounds.
 */
export function registerSubscriptions(app: App, inst: Instance, subscribeExtended: ServerOptions['subscribe'], client: string | undefined): void {
  const { server } = inst;
  const budget = budgetOf(app);
  /** This session's subscriptions by canonical URI. */
  const subs = new Map<string, () => void>();
  server.setRequestHandler('resources/subscribe', async (req, ctx) => {
    const uri = req.params.uri;
    const key = canonicalUri(app, uri);
    if (subs.has(key)) return {};
    const prepared = await prepare(app, principalOf(ctx, inst.principal), uri, () => void server.sendResourceUpdated({ uri }).catch(() => {}), subscribeExtended);
    // Each subscription may start a poll of a PBX: bounded per session, per client and in all (resources/budget.ts).
    const refusal = subs.has(key) ? undefined : budget.take(client, subs.size);
    if (subs.has(key) || refusal) {
      prepared.drop();
      if (refusal) throw new ProtocolError(ProtocolErrorCode.InvalidRequest, refusal.message);
      return {};
    }
    subs.set(key, prepared.start());
    return {};
  });
  const unsubscribe = (key: string) => {
    const off = subs.get(key);
    if (!off) return;
    subs.delete(key);
    budget.give(client);
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
 * One subscription of `principal` (as `client`, for the per-client bound) to `uri` outside a 2025 session: a
 * subscriptions/listen stream that holds `streamHeld` already. Returns the unsubscribe function, or undefined when
 * the server will not honour it (a resource nobody serves or that does not exist, or a bound reached).
 */
export async function subscribeResource(
  app: App,
  principal: Principal,
  client: string | undefined,
  uri: string,
  notify: () => void,
  streamHeld: number,
  opts: ServerOptions = {},
): Promise<(() => void) | undefined> {
  let prepared: Prepared;
  try {
    prepared = await prepare(app, principal, uri, notify, opts.subscribe);
  } catch {
    return undefined;
  }
  const budget = budgetOf(app);
  if (budget.take(client, streamHeld)) {
    prepared.drop();
    return undefined;
  }
  const off = prepared.start();
  let done = false;
  return () => {
    if (done) return;
    done = true;
    budget.give(client);
    off();
  };
}
