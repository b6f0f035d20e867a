/** What the servers of a deployment share (chosen in index.ts), and what choosing it takes. */
import type { BackendShared } from '../backends/types.js';
import type { Logger } from '../log.js';
import type { RecentAudit } from '../safety/audit.js';
import type { ClaimStore } from '../safety/claims.js';
import type { CallLimits } from '../safety/limits.js';
import type { RepeatLog } from '../safety/repeat.js';
import type { ChangeBus } from './bus.js';
import type { SharedSettings } from './settings.js';

export interface Shared {
  /** memory: this server is on its own; redis: it shares with the others of its deployment. */
  readonly kind: 'memory' | 'redis';
  /** The store as messages name it (never with a password). */
  readonly where?: string | undefined;
  /** This server's name in the deployment (legacy session ids start with it, for sticky routing). */
  readonly replica?: string | undefined;
  readonly claims: ClaimStore;
  readonly limits: CallLimits;
  readonly backends: BackendShared;
  readonly bus: ChangeBus;
  /** The actions done within the repeat window (safety.repeatWindowSeconds). */
  readonly repeats: RepeatLog;
  /** The deployment's recent audit entries; absent, the audit keeps this server's. */
  readonly recent?: RecentAudit | undefined;
  /**
   * Rejects with a SharedStoreError when actions cannot be coordinated now: at once when the store is known to be
   * away, else within its deadline (one round trip, so a store that went away a moment ago is noticed before the
   * action, not after). Absent on a server on its own.
   */
  readonly gate?: (() => Promise<void>) | undefined;
  close(): Promise<void>;
}

export interface SharedOptions {
  settings: SharedSettings;
  limits: { maxPerMinute: number; maxConcurrent: number; maxPerMinutePerPbx: number };
  /** How long a call-limit reservation may stay pending (longer than any tool call's PBX requests). */
  pendingLeaseMs: number;
  /** How many recent audit entries to keep (per principal, in a shared store). */
  keepRecent: number;
  log: Logger;
  /** The clock of confirmations and limits in memory (tests move it). */
  now?: (() => number) | undefined;
}
