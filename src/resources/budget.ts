/**
 * What resource subscriptions may hold: each may start a poll of a PBX, so they are bounded per session, per
 * client and for the whole process. A client is what the transport says it is (over HTTP: the bearer token when
 * one is configured, else the remote address); without one (stdio, one session per process) only the session and
 * process bounds apply. No client can take the whole process's share.
 */
export const MAX_SUBSCRIPTIONS_PER_SESSION = 100;
export const MAX_SUBSCRIPTIONS_PER_CLIENT = 250;
export const MAX_SUBSCRIPTIONS = 1000;

export type BudgetRefusal = { scope: 'session' | 'client' | 'process'; message: string };

export class SubscriptionBudget {
  private held = 0;
  private readonly perClient = new Map<string, number>();

  /** Take one subscription for `client` whose session holds `sessionHeld`; a refusal says which bound was hit. */
  take(client: string | undefined, sessionHeld: number): BudgetRefusal | undefined {
    if (sessionHeld >= MAX_SUBSCRIPTIONS_PER_SESSION) {
      return { scope: 'session', message: `Too many subscriptions: a session may hold ${MAX_SUBSCRIPTIONS_PER_SESSION}; unsubscribe from some first` };
    }
    const mine = client === undefined ? 0 : (this.perClient.get(client) ?? 0);
    if (client !== undefined && mine >= MAX_SUBSCRIPTIONS_PER_CLIENT) {
      return {
        scope: 'client',
        message: `Too many subscriptions for this client (its share is ${MAX_SUBSCRIPTIONS_PER_CLIENT} of ${MAX_SUBSCRIPTIONS}, in all its sessions); unsubscribe or close sessions first`,
      };
    }
    if (this.held >= MAX_SUBSCRIPTIONS) {
      return { scope: 'process', message: `Too many subscriptions on this server (limit ${MAX_SUBSCRIPTIONS}); try again later` };
    }
    this.held++;
    if (client !== undefined) this.perClient.set(client, mine + 1);
    return undefined;
  }

  give(client: string | undefined): void {
    this.held--;
    if (client === undefined) return;
    const n = (this.perClient.get(client) ?? 1) - 1;
    if (n > 0) this.perClient.set(client, n);
    else this.perClient.delete(client);
  }
}
