/**
 * The static bearer tokens of the HTTP transport: where they come from (the config, or TELEPHONY_MCP_TOKEN), the
 * floor on their length, and the digest they are compared by (in constant time, in http.ts).
 */
import { createHash } from 'node:crypto';
import { addSecret } from '../safety/redact.js';

/** The floor http.token has in the config; a token from the environment guards the same endpoint. */
export const MIN_TOKEN_LENGTH = 16;

/**
 * The bearer token: http.token from the config (validated and registered as a secret with the config), else
 * TELEPHONY_MCP_TOKEN. A token from the environment gets the same minimum length and is registered as a
 * secret, so it is masked in logs and errors like every other credential. Throws naming the fix when too short.
 */
export function bearerToken(configToken: string | undefined, env: NodeJS.ProcessEnv): string | undefined {
  if (configToken) return configToken;
  const token = env.TELEPHONY_MCP_TOKEN || undefined;
  if (token === undefined) return undefined;
  if (token.length < MIN_TOKEN_LENGTH) {
    throw new Error(
      `TELEPHONY_MCP_TOKEN is too short (${token.length} characters; at least ${MIN_TOKEN_LENGTH}): ` +
        'set it to a long random value, e.g. TELEPHONY_MCP_TOKEN=$(openssl rand -hex 32), or unset it',
    );
  }
  addSecret(token);
  return token;
}

/** Every token clients may send, by name: http.tokens, and http.token (or TELEPHONY_MCP_TOKEN) as "default". */
export function namedTokens(tokens: Record<string, string>, single: string | undefined): Record<string, string> {
  return { ...tokens, ...(single ? { default: single } : {}) };
}

export function digest(s: string): Buffer {
  return createHash('sha256').update(s).digest();
}
