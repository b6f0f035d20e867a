/**
 * The XUC client with a TokenShare (what the servers of a deployment share, scripted here without Redis): it takes
 * the token another server shared instead of logging in, logs in only under the lease, takes a token published
 * while it was taking the lease, never takes back a token XUC refused, and logs in on its own when the share fails.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { localShared } from '../../../src/backends/shared.js';
import type { SharedRefusal, SharedToken, TokenShare } from '../../../src/backends/tokens.js';
import type { BackendShared } from '../../../src/backends/types.js';
import { rig, type XivoRig } from './harness.js';

let r: XivoRig;
beforeEach(async () => {
  r = await rig();
});
afterEach(async () => {
  await r.close();
});

/** A share another server writes to through `other`; `onLease` runs when this server asks for the lease. */
class ScriptedShare implements TokenShare {
  token: SharedToken | undefined;
  dropped: string[] = [];
  leases: string[] = [];
  written: SharedToken[] = [];
  constructor(private readonly onLease: (kind: string) => boolean = () => true) {}
  read() {
    return Promise.resolve(this.token);
  }
  lease(kind: 'login' | 'renew') {
    this.leases.push(kind);
    return Promise.resolve(this.onLease(kind));
  }
  write(t: SharedToken) {
    this.written.push(t);
    this.token = t;
    return Promise.resolve();
  }
  drop(token: string) {
    this.dropped.push(token);
    if (this.token?.token === token) this.token = undefined;
    return Promise.resolve();
  }
  refuse(_r: SharedRefusal) {
    return Promise.resolve();
  }
  refused() {
    return Promise.resolve(undefined);
  }
}

const sharing = (share: TokenShare): BackendShared => ({ ...localShared, tokens: () => share });
const logins = () => r.sim.stats.logins;

/** A token XUC issued to another server (the simulator's own login, counted, then set back). */
async function tokenOfAnotherServer(): Promise<SharedToken> {
  const other = await r.backend();
  await other.history!({ user: 'alice' });
  const auth = r.sim.server.log.at(-1)!.headers.authorization!.slice('Bearer '.length);
  return { token: auth, renewAt: Date.now() + 60_000, expiresAt: Date.now() + 120_000 };
}

describe('a token shared by the servers of a deployment', () => {
  it('is taken from the share instead of logging in', async () => {
    const share = new ScriptedShare(() => {
      throw new Error('no lease should be asked for');
    });
    share.token = await tokenOfAnotherServer();
    const before = logins();
    const b = await r.backend({ shared: sharing(share) });
    await b.history!({ user: 'alice' });
    expect(logins()).toBe(before);
    expect(r.sim.server.log.at(-1)!.headers.authorization).toBe(`Bearer ${share.token.token}`);
  });

  it('published by another server while this one took the lease: taken, not logged in for again', async () => {
    const theirs = await tokenOfAnotherServer();
    const share = new ScriptedShare(() => {
      share.token = theirs;
      return true;
    });
    const before = logins();
    const b = await r.backend({ shared: sharing(share) });
    await b.history!({ user: 'alice' });
    expect(logins()).toBe(before);
    expect(r.sim.server.log.at(-1)!.headers.authorization).toBe(`Bearer ${theirs.token}`);
  });

  it('without the lease, this server waits for the token the holder shares', async () => {
    const theirs = await tokenOfAnotherServer();
    const share = new ScriptedShare(() => false);
    setTimeout(() => void (share.token = theirs), 150);
    const before = logins();
    const b = await r.backend({ shared: sharing(share) });
    await b.history!({ user: 'alice' });
    expect(logins()).toBe(before);
    expect(share.leases.length).toBeGreaterThanOrEqual(2);
  });

  it('logged in under the lease: shared; refused later by XUC: dropped from the share, never taken back, one new login', async () => {
    const share = new ScriptedShare();
    const b = await r.backend({ shared: sharing(share) });
    await b.history!({ user: 'alice' });
    expect(share.written).toHaveLength(1);
    const first = share.written[0]!.token;
    r.sim.expireTokens();
    // The share still offers the refused token (another server wrote it back, say): it is not taken.
    share.token = share.written[0];
    const before = logins();
    await b.history!({ user: 'alice' });
    expect(share.dropped).toContain(first);
    expect(logins()).toBe(before + 1);
    expect(share.written.at(-1)!.token).not.toBe(first);
  });

  it('a share that fails: this server logs in on its own (reads keep working)', async () => {
    const broken: TokenShare = {
      read: () => Promise.reject(new Error('store down')),
      lease: () => Promise.reject(new Error('store down')),
      write: () => Promise.reject(new Error('store down')),
      drop: () => Promise.reject(new Error('store down')),
      refuse: () => Promise.reject(new Error('store down')),
      refused: () => Promise.reject(new Error('store down')),
    };
    const b = await r.backend({ shared: sharing(broken) });
    await b.history!({ user: 'alice' });
    expect(logins()).toBe(1);
  });
});
