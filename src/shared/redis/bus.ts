/**
 * The ChangeBus over Redis pub/sub: one channel per topic (a hash of it, under the key prefix), subscribed while a
 * listener of this server holds it, so an event reaches only the servers that watch its resource or principal.
 * An event is delivered to this server's listeners at once and published for the others; what comes back from a
 * channel is delivered unless this server sent it. Pub/sub keeps nothing: a server that is disconnected misses what
 * was said meanwhile (its own polls catch up); the client subscribes again by itself after a reconnection.
 */
import { shortDigest } from '../../util/digest.js';
import type { Logger } from '../../log.js';
import { type BusEvent, type ChangeBus, LocalBus, topicOf } from '../bus.js';
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
  /** Channels some listener here holds. */
  private readonly wanted = new Set<string>();
  /** Channels subscribed (on), or being subscribed (pending): one subscription each, whatever comes and goes. */
  private readonly listening = new Map<string, 'pending' | 'on'>();

  constructor(
    private readonly store: RedisStore,
    private readonly log: Logger,
  ) {
    this.local = new LocalBus((e) => log.warn('a change listener failed', { error: (e as Error).message }));
    // Channels that could not be subscribed while Redis was away are subscribed once it is back (the client renews
    // the others by itself).
    store.subscriber.on('ready', () => {
      for (const c of this.wanted) void this.listen(c);
    });
  }

  private channel(topic: string): string {
    return this.store.key(`changes:${shortDigest(topic)}`);
  }

  private async listen(channel: string): Promise<void> {
    if (this.listening.has(channel) || !this.store.subscriber.isReady) return;
    this.listening.set(channel, 'pending');
    try {
      await this.store.subscriber.subscribe(channel, (raw) => this.received(raw));
    } catch (e) {
      this.listening.delete(channel);
      this.log.debug('could not subscribe to a change channel yet', { error: (e as Error).message });
      return;
    }
    this.listening.set(channel, 'on');
    // Given up while it was being subscribed.
    if (!this.wanted.has(channel)) this.stop(channel);
  }

  private stop(channel: string): void {
    if (this.listening.get(channel) !== 'on') return;
    this.listening.delete(channel);
    if (this.store.subscriber.isReady) void this.store.subscriber.unsubscribe(channel).catch(() => {});
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
    const channel = this.channel(topicOf(event));
    const send = () =>
      this.store
        .run((c) => c.publish(channel, JSON.stringify({ o: this.store.origin, e: event } satisfies Message)))
        .catch((e: unknown) => this.log.debug('a change was not announced to the other servers', { error: (e as Error).message }));
    if (after) void after.then(send, send);
    else void send();
  }

  subscribe(topic: string, listener: (event: BusEvent) => void): () => void {
    const off = this.local.subscribe(topic, listener);
    const channel = this.channel(topic);
    this.wanted.add(channel);
    void this.listen(channel);
    return () => {
      off();
      if (this.local.has(topic)) return;
      this.wanted.delete(channel);
      this.stop(channel);
    };
  }
}
