/**
 * A vendor session token (XUC's JWT) shared by the servers of a deployment, so that the vendor sees one login per
 * token lifetime whatever the number of servers: one server logs in (or renews) under a lease while the others
 * wait for the token it shares. A server on its own shares nothing (LocalTokenShare: its client's own state is
 * the token); src/shared/redis/tokens.ts keeps it in the deployment's store. A client treats a share that fails
 * as a server on its own would: it logs in itself.
 */

/** A token as shared: times are ms since the epoch (servers keep their clocks in sync). */
export interface SharedToken {
  token: string;
  /** Renew from here on. Infinity when the vendor did not say how long the token lives. */
  renewAt: number;
  /** Log in again from here on. Infinity when unknown. */
  expiresAt: number;
  acls?: readonly string[] | undefined;
}

/** A refused login, shared so that no server asks again before `until` (a wrong password must not lock the account). */
export interface SharedRefusal {
  message: string;
  hint?: string | undefined;
  code?: string | undefined;
  until: number;
}

export interface TokenShare {
  /** The token some server shared, if it is still there. */
  read(): Promise<SharedToken | undefined>;
  /** Whether this server is to log in (or renew) now: at most one does per `ms`, the others wait for what it shares. */
  lease(kind: 'login' | 'renew', ms: number): Promise<boolean>;
  /** Shares `token` and ends this server's lease. */
  write(token: SharedToken): Promise<void>;
  /** Forgets `token` if it is still the one shared (the vendor refused it). */
  drop(token: string): Promise<void>;
  refuse(refusal: SharedRefusal): Promise<void>;
  refused(): Promise<SharedRefusal | undefined>;
}

/** A server on its own: nothing to share, every lease is this server's. */
export class LocalTokenShare implements TokenShare {
  read(): Promise<SharedToken | undefined> {
    return Promise.resolve(undefined);
  }
  lease(): Promise<boolean> {
    return Promise.resolve(true);
  }
  write(): Promise<void> {
    return Promise.resolve();
  }
  drop(): Promise<void> {
    return Promise.resolve();
  }
  refuse(): Promise<void> {
    return Promise.resolve();
  }
  refused(): Promise<SharedRefusal | undefined> {
    return Promise.resolve(undefined);
  }
}
