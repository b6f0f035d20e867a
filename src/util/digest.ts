import { createHash } from 'node:crypto';

/**
 * A short SHA-256 digest (base64url; 22 characters = 132 bits): names a store key or a content version without
 * showing what it names, at a fixed size.
 */
export function shortDigest(s: string, chars = 22): string {
  return createHash('sha256').update(s).digest('base64url').slice(0, chars);
}
