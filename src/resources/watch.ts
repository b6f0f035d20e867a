/**
 * Resource subscriptions for all sessions of the process. A subscribed URI is watched once however many
 * sessions subscribe: by the backend's pushed changes where it has them (sim), otherwise by one shared poll
 * per URI at the PBX's interval, and listeners hear of it only when the content actually changed.
 *
 * A change goes through the deployment's ChangeBus: the listeners of every server that watches the URI hear of it,
 * whichever server saw it first. A polled change carries a digest of the content, so a server that then reads the
 * same content itself (or hears of it twice) tells its listeners once.
 */
import { shortDigest } from '../util/digest.js';
import type { Change } from '../backends/backend.js';
import type { PbxHandle } from '../backends/registry.js';
import type { Logger } from '../log.js';
import { type BusEvent, type ChangeBus, LocalBus, topicOf } from '../shared/bus.js';
import type { ResourceDef } from './define.js';

export const DEFAULT_POLL_MS = 2000;
const MAX_BACKOFF_MS = 60_000;

/**
 * A polled call's duration grows with every poll although nothing happened on the PBX; compared as is, every
 * call in progress would notify subscribers at every interval. Content is compared without it.
 */
const withoutVolatile = (key: string, value: unknown): unknown => (key === 'durationSeconds' ? undefined : value);

export interface ResolvedResource {
  def: ResourceDef;
  pbx: PbxHandle;
  vars: Record<string, string>;
}

interface Watch {
  listeners: Set<() => void>;
  resolved: ResolvedResource;
  stop?: () => void;
  scheduled: boolean;
  /** The digest of the content listeners last heard of (or first read), when the watch polls. */
  version?: string | undefined;
  /** Stops hearing of the URI's changes on the bus. */
  offBus?: () => void;
}

const digest = (body: string) => shortDigest(body);

export class ResourceWatcher {
  private readonly watches = new Map<string, Watch>();
  /** One listener per backend with push changes, fanned out to the URIs it touches. */
  private readonly backendTaps = new Map<string, { count: number; off: () => void }>();

  private readonly bus: ChangeBus;

  constructor(
    private readonly log: Logger,
    private readonly pollMs = DEFAULT_POLL_MS,
    bus?: ChangeBus,
  ) {
    this.bus = bus ?? new LocalBus();
  }

  /**
   * How often `pbx` is read for a watch: the configured interval, never faster than the PBX's own pace (IPPS
   * caches every query for its poll interval; XUC asks for 5 s). The call board view polls at this pace too.
   */
  intervalFor(pbx: PbxHandle): number {
    return Math.max(this.pollMs, pbx.minPollIntervalMs);
  }

  /** Watch `uri`; `listener` runs after each change. Returns the unsubscribe function. */
  subscribe(uri: string, resolved: ResolvedResource, listener: () => void): () => void {
    let w = this.watches.get(uri);
    if (!w) {
      w = { listeners: new Set(), resolved, scheduled: false };
      this.watches.set(uri, w);
      // Heard from the bus, whichever server saw it (this one included): this server listens while it watches.
      w.offBus = this.bus.subscribe(topicOf({ kind: 'resource', uri }), (e) => this.heard(e));
      this.start(uri, w);
    }
    w.listeners.add(listener);
    return () => {
      const cur = this.watches.get(uri);
      if (!cur) return;
      cur.listeners.delete(listener);
      if (cur.listeners.size === 0) {
        cur.stop?.();
        cur.offBus?.();
        this.watches.delete(uri);
      }
    };
  }

  /** Whether `uri` is watched already (then it exists: it was checked when first subscribed). */
  watching(uri: string): boolean {
    return this.watches.has(uri);
  }

  /** Subscribed URIs and how many listeners each has (for tests and diagnostics). */
  stats(): Record<string, number> {
    return Object.fromEntries([...this.watches].map(([u, w]) => [u, w.listeners.size]));
  }

  /** A change of `uri` seen here: announced to every server (this one included). */
  private changed(uri: string, version?: string): void {
    this.bus.publish({ kind: 'resource', uri, version });
  }

  /** A change announced by any server: this server's listeners of the URI hear of it, once per content. */
  private heard(e: BusEvent): void {
    if (e.kind !== 'resource') return;
    const w = this.watches.get(e.uri);
    if (!w) return;
    if (e.version !== undefined) {
      if (e.version === w.version) return;
      w.version = e.version;
    }
    this.notify(w);
  }

  private notify(w: Watch): void {
    // Coalesce bursts (one engine operation can touch a resource several times) into one notification.
    if (w.scheduled) return;
    w.scheduled = true;
    setImmediate(() => {
      w.scheduled = false;
      for (const l of w.listeners) l();
    });
  }

  private start(uri: string, w: Watch): void {
    const { def, pbx, vars } = w.resolved;
    const key = pbx.name;
    let tap = this.backendTaps.get(key);
    if (!tap) {
      const off = pbx.watch((change: Change) => {
        for (const [watchedUri, watch] of this.watches) {
          if (watch.resolved.pbx.name === key && watch.resolved.def.affectedBy(change, watch.resolved.vars)) this.changed(watchedUri);
        }
      });
      if (off) {
        tap = { count: 0, off };
        this.backendTaps.set(key, tap);
      }
    }
    if (tap) {
      tap.count++;
      w.stop = () => {
        const t = this.backendTaps.get(key);
        if (t && --t.count === 0) {
          t.off();
          this.backendTaps.delete(key);
        }
      };
      return;
    }
    this.startPoll(uri, w, def, pbx, vars);
  }

  private startPoll(uri: string, w: Watch, def: ResourceDef, pbx: PbxHandle, vars: Record<string, string>): void {
    const interval = this.intervalFor(pbx);
    let stopped = false;
    let timer: NodeJS.Timeout | undefined;
    let failures = 0;
    const tick = async () => {
      if (stopped) return;
      try {
        const v = digest(JSON.stringify(await def.read(pbx, vars), withoutVolatile));
        failures = 0;
        // Against what this server's listeners last heard, whoever announced it: a change another server polled
        // first is not announced again (nor is a copy of the last body kept per watch).
        if (w.version === undefined) w.version = v;
        else if (v !== w.version) this.changed(uri, v);
      } catch (e) {
        failures++;
        this.log.debug('poll of a subscribed resource failed', { uri, error: (e as Error).message });
      }
      if (!stopped) {
        const delay = failures ? Math.min(MAX_BACKOFF_MS, interval * 2 ** Math.min(failures, 5)) : interval;
        timer = setTimeout(() => void tick(), delay);
        timer.unref();
      }
    };
    void tick();
    w.stop = () => {
      stopped = true;
      if (timer) clearTimeout(timer);
    };
  }

  close(): void {
    for (const w of this.watches.values()) {
      w.stop?.();
      w.offBus?.();
    }
    this.watches.clear();
  }
}
