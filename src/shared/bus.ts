/**
 * Change notifications of a deployment: what one server sees (a polled resource changed, an audit entry was
 * recorded) reaches the subscribers every server holds. Events go by topic (a resource, a principal's audit
 * entries), and a server hears only the topics its own subscribers hold: publishing delivers to this server's
 * listeners at once, whatever the shared store's state, and to the other servers through the store
 * (src/shared/redis/bus.ts: one Redis channel per topic, subscribed while watched); a server alone keeps it in
 * memory (LocalBus). Delivery to other servers is best effort, like the notifications it feeds: a subscriber still
 * re-reads what it was told about.
 *
 * Not the SDK's ServerEventBus (which one bus per deployment would also allow): our listen streams are served per
 * principal (audit://recent shows each caller its own entries, so its events must not reach another principal's
 * streams), and each server watches only what its own streams asked for (a bus of the SDK's would have every server
 * deliver what every other one polled, twice when both saw it). Events here carry their principal or a digest of the
 * content, and each server's watches deliver them once to the streams that hold them (resources/watch.ts).
 */

/**
 * A resource changed; `version` (a digest of what was read) lets a server that saw the same content itself skip it.
 * An audit entry was recorded for `principal` (audit://recent shows each caller its own).
 */
export type BusEvent = { kind: 'resource'; uri: string; version?: string | undefined } | { kind: 'audit'; principal: string };

/** What a listener subscribes to: the changes of one resource, or the audit entries of one principal. */
export function topicOf(event: BusEvent): string {
  return event.kind === 'resource' ? `resource ${event.uri}` : `audit ${event.principal}`;
}

export interface ChangeBus {
  /**
   * To this server's listeners of the event's topic now, and to the other servers' once `after` settles (what they
   * will read on hearing of it must be stored first).
   */
  publish(event: BusEvent, after?: Promise<unknown>): void;
  /** Every event of `topic` (topicOf), this server's and the others'. Returns the unsubscribe function. */
  subscribe(topic: string, listener: (event: BusEvent) => void): () => void;
}

/** The listeners of this process, by topic; a throwing listener does not stop delivery to the others. */
export class LocalBus implements ChangeBus {
  private readonly topics = new Map<string, Set<(event: BusEvent) => void>>();

  constructor(private readonly onError: (e: unknown) => void = () => {}) {}

  publish(event: BusEvent): void {
    this.deliver(event);
  }

  /** Hands `event` to this process's listeners of its topic (what a shared bus does with another server's events). */
  deliver(event: BusEvent): void {
    const listeners = this.topics.get(topicOf(event));
    if (!listeners) return;
    for (const l of [...listeners]) {
      try {
        l(event);
      } catch (e) {
        this.onError(e);
      }
    }
  }

  subscribe(topic: string, listener: (event: BusEvent) => void): () => void {
    const set = this.topics.get(topic) ?? this.topics.set(topic, new Set()).get(topic)!;
    set.add(listener);
    return () => {
      set.delete(listener);
      if (set.size === 0 && this.topics.get(topic) === set) this.topics.delete(topic);
    };
  }

  /** Whether anyone here listens to `topic`. */
  has(topic: string): boolean {
    return this.topics.has(topic);
  }
}
