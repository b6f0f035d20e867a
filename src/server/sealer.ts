/**
 * The request-state codec of the SDK (HMAC-SHA256, signed, not encrypted) as the guard's Sealer: the one piece of
 * the SDK the app needs. A module of its own so app.ts loads it without loading the glue (which imports app.ts).
 */
import { createRequestStateCodec, type ServerContext } from '@modelcontextprotocol/server';
import type { Sealer, Ticket } from '../safety/confirm.js';

export function stateSealer(key: string | Uint8Array, ttlSeconds = 10 * 60): Sealer {
  // The ticket carries its own expiry on the app's clock; the codec's wall-clock one only bounds it from outside.
  const codec = createRequestStateCodec<Ticket>({ key, ttlSeconds });
  return { seal: (t) => codec.mint(t), open: (s) => codec.verify(s, undefined as unknown as ServerContext) };
}
