/**
 * The signed confirmation ticket (the confirm_token and the MRTR requestState) and the single-use claim behind it,
 * without any client: what it binds, what it refuses and why, and that it is stateless apart from the claim.
 */
import { describe, expect, it } from 'vitest';
import { tokenPrincipal } from '../../src/principal.js';
import { MemoryClaimStore } from '../../src/safety/claims.js';
import { Confirmations, stateSecret, TOKEN_TTL_MS } from '../../src/safety/confirm.js';
import { redact } from '../../src/safety/redact.js';
import { stateSealer } from '../../src/server/sealer.js';

const KEY = 'k'.repeat(32);
const alice = tokenPrincipal('alice');
const bob = tokenPrincipal('bob');
const ARGS = { to: '+390612345678', user: 'alice' };

function setup(opts: { key?: string; now?: () => number } = {}) {
  const claims = new MemoryClaimStore(opts.now);
  return { claims, c: new Confirmations(stateSealer(opts.key ?? KEY), claims, opts.now) };
}

describe('a confirmation ticket', () => {
  it('opens for the same tool, arguments (in any key order) and principal, and binds what the tool resolved', async () => {
    const { c } = setup();
    const { sealed, expiresAt } = await c.issue('state', 'hangup', ARGS, alice, 'call-1');
    expect(Date.parse(expiresAt) - Date.now()).toBeLessThanOrEqual(TOKEN_TTL_MS);
    const opened = await c.open('state', sealed, 'hangup', { user: 'alice', to: '+390612345678' }, alice);
    expect(opened.ok).toBe(true);
    if (!opened.ok) return;
    expect(c.bound(opened.ticket, 'call-1')).toBe(true);
    expect(c.bound(opened.ticket, 'call-2')).toBe(false);
    // Signed, not encrypted: it names the tool, and holds digests, never the arguments or the principal's name.
    const payload = Buffer.from(sealed.split('.')[1]!, 'base64url').toString('utf8');
    expect(payload).toContain('hangup');
    expect(payload).not.toContain('390612345678');
    expect(payload).not.toContain('alice');
  });

  it('refuses another principal, tool, arguments, kind, a changed byte, another key, and an expired one', async () => {
    let now = Date.now();
    const { c } = setup({ now: () => now });
    const { sealed } = await c.issue('state', 'hangup', ARGS, alice);
    const why = async (p: Promise<{ ok: boolean; why?: string }>) => ((await p) as { why?: string }).why;
    expect(await why(c.open('state', sealed, 'hangup', ARGS, bob))).toBe('it was issued to another client');
    expect(await why(c.open('state', sealed, 'transfer', ARGS, alice))).toBe('it was issued for hangup, not transfer');
    expect(await why(c.open('state', sealed, 'hangup', { ...ARGS, to: '+390287654321' }, alice))).toBe('the arguments differ from the ones it was issued for');
    expect(await why(c.open('token', sealed, 'hangup', ARGS, alice))).toBe('it is not a confirm_token this server issued');
    const flipped = sealed.slice(0, 20) + (sealed[20] === 'A' ? 'B' : 'A') + sealed.slice(21);
    expect(await why(c.open('state', flipped, 'hangup', ARGS, alice))).toMatch(/^it is not a requestState this server issued \(changed/);
    expect(await why(c.open('state', `${sealed}-TAMPERED`, 'hangup', ARGS, alice))).toMatch(/^it is not a requestState this server issued/);
    const other = setup({ key: 'x'.repeat(32), now: () => now }).c;
    expect(await why(other.open('state', sealed, 'hangup', ARGS, alice))).toMatch(/^it is not a requestState this server issued/);
    now += TOKEN_TTL_MS + 1;
    expect(await why(c.open('state', sealed, 'hangup', ARGS, alice))).toBe('it has expired (a confirmation lasts 2 minutes)');
  });

  it('is used up by its first claim: a replay is refused, however many servers share the claim store', async () => {
    const claims = new MemoryClaimStore();
    const one = new Confirmations(stateSealer(KEY), claims);
    const two = new Confirmations(stateSealer(KEY), claims);
    const { sealed } = await one.issue('token', 'place_call', ARGS, alice);
    const a = await one.open('token', sealed, 'place_call', ARGS, alice);
    const b = await two.open('token', sealed, 'place_call', ARGS, alice);
    if (!a.ok || !b.ok) throw new Error('expected both to open');
    expect(await two.claim(b.ticket)).toBe(true);
    expect(await one.claim(a.ticket)).toBe('it was already used');
  });
});

describe('the claim store', () => {
  it('claims an id once while the claim holds, and forgets it after', async () => {
    let now = 0;
    const store = new MemoryClaimStore(() => now);
    expect(await store.claim('n1', 1000)).toBe(true);
    expect(await store.claim('n1', 1000)).toBe(false);
    expect(await store.claim('n2', 1000)).toBe(true);
    now += 61_000;
    await store.claim('n3', 1000); // sweeps what expired
    expect(store.size).toBe(1);
    expect(await store.claim('n1', 1000)).toBe(true);
  });
});

describe('the signing key', () => {
  it('comes from safety.stateSecret, else TELEPHONY_MCP_STATE_SECRET; a short one is refused naming the variable', () => {
    const configured = 'c'.repeat(40);
    expect(stateSecret(configured, { TELEPHONY_MCP_STATE_SECRET: 'short' })).toBe(configured);
    expect(stateSecret(undefined, {})).toBeUndefined();
    expect(() => stateSecret(undefined, { TELEPHONY_MCP_STATE_SECRET: 'too-short-secret' })).toThrow(
      /TELEPHONY_MCP_STATE_SECRET is too short \(16 bytes; at least 32\).*openssl rand -hex 32/,
    );
    const env = 'e-'.repeat(20);
    expect(stateSecret(undefined, { TELEPHONY_MCP_STATE_SECRET: env })).toBe(env);
    expect(redact(`key ${env}`)).toBe('key ***');
  });
});

describe('named bearer tokens', () => {
  it('are registered as secrets with the config, whatever their names', async () => {
    const { testApp } = await import('../helpers/app.js');
    const t = await testApp({ http: { tokens: { laptop: 'laptop-secret-token-0123' } } });
    try {
      expect(redact('Authorization: laptop-secret-token-0123')).toBe('Authorization: ***');
    } finally {
      await t.close();
    }
  });
});
