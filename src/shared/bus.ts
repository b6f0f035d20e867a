/**
 * Change notifications of a deployment: what one server sees (a polled resource changed, an audit entry was
 * recorded) reaches the subscribers every server holds. Publishing delivers to this server's listeners at once,
 * whatever the shared store's state, and to the other servers through the store (src/shared/redis/bus.ts: Redis
 * pub/sub); a server alone keeps it in memory (LocalBus). Delivery to other servers is best effort, like the
 * notifications it feeds: a subscriber still re-reads what it was told about.
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

export interface ChangeBus {
  /**
   * To this server's listeners now, and to the other servers' listeners once `after` settles (what they will read
   * on hearing of it must be stored first).
   */
  publish(event: BusEvent, after?: Promise<unknown>): void;
  /** Every event, this server's and the others'. Returns the unsubscribe function. */
  subscribe(listener: (event: BusEvent) => void): () => void;
}

/** The listeners of this process; a throwing listener does not stop delivery to the others. */
export class LocalBus implements ChangeBus {
  private readonly listeners = new Set<(event: BusEvent) => void>();

  constructor(private readonly onError: (e: unknown) => void = () => {}) {}

  publish(event: BusEvent): void {
    this.deliver(event);
  }

  /** Hands `event` to this process's listeners (what a shared bus does with what another server published). */
  deliver(event: BusEvent): void {
    for (const l of [...this.listeners]) {
      try {
        l(event);
      } catch (e) {
        this.onError(e);
      }
    }
  }

  subscribe(listener: (event: BusEvent) => void): () => void {
    this.listeners.add(listener);
    return () => void this.listeners.delete(listener);
  }
}
