/**
 * The ChangeBus over Redis pub/sub: one channel per deployment. An event is delivered to this server's listeners
 * at once and published for the others; what comes back from the channel is delivered unless this server sent it.
 * Pub/sub keeps nothing: a server that is disconnected misses what was said meanwhile (its own polls catch up).
 */
import type { Logger } from '../../log.js';
import { type BusEvent, type ChangeBus, LocalBus } from '../bus.js';
import type { RedisStore } from './store.js';

interface Message {
  o: string;
  e: BusEvent;
}

function isEvent(e: unknown): e is BusEvent {
  const x = e as Partial<{ kind: string; uri: unknown; version: unknown; principal: unknown }>;
  if (!x || typeof x !== 'object') return false;
  if (x.kind === 'resource') return typeof x.uri === 'string' && (x.version === undefined || typeof x.version === 'string');
  return x.kind === 'audit' && typeof x.principal === 'string';
}

export class RedisBus implements ChangeBus {
  private readonly local: LocalBus;
  private readonly channel: string;
  private subscribed = false;

  constructor(
    private readonly store: RedisStore,
    private readonly log: Logger,
  ) {
    this.local = new LocalBus((e) => log.warn('a change listener failed', { error: (e as Error).message }));
    this.channel = store.key('changes');
    // Subscribed once connected; the client subscribes again by itself after a reconnection.
    store.subscriber.on('ready', () => void this.listen());
    if (store.subscriber.isReady) void this.listen();
  }

  private async listen(): Promise<void> {
    if (this.subscribed) return;
    this.subscribed = true;
    try {
      await this.store.subscriber.subscribe(this.channel, (raw) => this.received(raw));
    } catch (e) {
      this.subscribed = false;
      this.log.debug('could not subscribe to the change channel yet', { error: (e as Error).message });
    }
  }

  private received(raw: string): void {
    let m: Message;
    try {
      m = JSON.parse(raw) as Message;
    } catch {
      return;
    }
    if (m.o === this.store.origin || !isEvent(m.e)) return;
    this.local.deliver(m.e);
  }

  publish(event: BusEvent, after?: Promise<unknown>): void {
    this.local.deliver(event);
    const send = () =>
      this.store
        .run((c) => c.publish(this.channel, JSON.stringify({ o: this.store.origin, e: event } satisfies Message)))
        .catch((e: unknown) => this.log.debug('a change was not announced to the other servers', { error: (e as Error).message }));
    if (after) void after.then(send, send);
    else void send();
  }

  subscribe(listener: (event: BusEvent) => void): () => void {
    return this.local.subscribe(listener);
  }
}
