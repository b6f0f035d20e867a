/**
 * One tool call as the glue and the runner see it: what the transport gives it (CallEnv) and what comes back
 * (ToolOutcome), without any SDK type. server.ts maps an outcome to an MCP result.
 */
import type { RoundAnswer } from '../safety/confirm.js';
import type { Principal } from '../principal.js';
import type { SessionInfo } from './define.js';

export type ElicitAnswer = 'accept' | 'decline' | 'cancel' | 'timeout' | 'failed';

/** What the transport glue provides for one call. */
export interface CallEnv {
  /** The session (2025-11-25 clients) or the request (2026-07-28 clients) the call came in, and the client's name. */
  session: SessionInfo;
  /** Who is calling: what confirmations and audit://recent bind to. */
  principal: Principal;
  signal: AbortSignal;
  /** A 2025-11-25 client that declared elicitation: asks the person over its session, resolves to their answer. */
  elicit?: ((message: string, timeoutMs: number) => Promise<{ answer: ElicitAnswer; confirm?: boolean }>) | undefined;
  /**
   * A 2026-07-28 client that declared elicitation: the confirmation is a multi round-trip request. On the first
   * round both are undefined; a retry carries the requestState it was given and the person's answer.
   */
  rounds?: { requestState?: string | undefined; answer?: RoundAnswer | undefined } | undefined;
  progress?: ((done: number, total?: number, message?: string) => void) | undefined;
}

/** Why a tool call failed, for the result's structured error (plain data, not an Error: the message travels beside it). */
export interface ToolFailure {
  kind: string;
  retryable: boolean;
  pbx?: string | undefined;
  rule?: string | undefined;
}

export type ToolOutcome =
  | { ok: true; structured: Record<string, unknown>; summary: string }
  | {
      ok: false;
      message: string;
      error: ToolFailure;
      /** Nothing was done yet: the glue answers input_required, asking the person `question` (an MRTR round). */
      ask?: { question: string; requestState: string } | undefined;
      /** A requestState that fails verification: the glue answers it as invalid params (-32602), not a result. */
      invalidState?: true | undefined;
    };
