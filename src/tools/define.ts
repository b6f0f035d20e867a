/**
 * The one shape every tool has: name, title, a description written for a model, zod input and output schemas,
 * all four annotations, the capabilities it needs, and a handler that works on the telephony model only (no
 * SDK types). server.ts turns these into registrations; runner.ts runs them through the guard.
 */
import { z } from 'zod';
import type { Capability, Dialable } from '../backends/backend.js';
import type { PbxHandle } from '../backends/registry.js';
import type { Logger } from '../log.js';

export interface Annotations {
  readOnlyHint: boolean;
  destructiveHint: boolean;
  idempotentHint: boolean;
  openWorldHint: boolean;
}

export interface SessionInfo {
  id: string;
  clientName?: string | undefined;
  clientVersion?: string | undefined;
}

/** What a number is being checked for; the dial policy applies to all of them (callback: scheduled for later). */
export type DialUse = 'call' | 'transfer' | 'forward' | 'callback';

export interface CheckedNumber {
  /** What to dial: an extension as typed, an outside number in E.164 form (what the confirmation shows). */
  number: Dialable;
  /** Matches the internal pattern (an extension). */
  internal: boolean;
  /** How a person would read it: "+39 06 1234 5678 (Italy, fixed line)". */
  display: string;
  /** The policy exempts this number from confirmation (place_call). */
  noConfirm: boolean;
  /**
   * The PBX may dial out for it: an outside number, or an extension that is also a costly short number (itself or
   * behind an outside-line prefix). A transfer to it counts against the call rates.
   */
  mayLeave: boolean;
}

export interface ConfirmOptions {
  /** The action needs no confirmation this time (an internal extension, nothing to overwrite...). */
  skip?: boolean;
  /**
   * What the arguments resolved to when the person was asked: the call's id when no call_id was given, the ids
   * of the contacts a delete_all removes. A confirm_token is honoured only while this is still the same.
   */
  bind?: unknown;
}

export interface ToolContext {
  readonly tool: string;
  readonly session: SessionInfo;
  readonly signal: AbortSignal;
  readonly log: Logger;
  /** The PBX named by the tool's `pbx` argument, or the default one. */
  pbx(name?: string): PbxHandle;
  /** Normalize a number and apply the dial policy. Throws a policy error (nothing reaches a backend). */
  checkNumber(raw: string, use: DialUse, pbx: PbxHandle): CheckedNumber;
  /**
   * A caller ID a tool lets the caller choose: it must be one of the PBX's `ownedNumbers` (after normalizing).
   * Returns it normalized, or throws a policy error naming the rule.
   */
  checkCallerId(raw: string, pbx: PbxHandle): Dialable;
  /**
   * Ask the person to confirm `action` (a sentence naming the real parties). Returns only if confirmed or if
   * confirmation does not apply; otherwise ends the tool call with a not-confirmed or token-request result.
   * A guarded tool must call this before any action on a PBX.
   */
  confirm(action: string, opts?: ConfirmOptions): Promise<void>;
  /**
   * Count a call placed by (pbx, user) against the rate and concurrency limits; throws when over a limit.
   * `rateOnly`: the PBX dials out but the user gets no new call (a transfer to an outside number).
   */
  admitCall(pbx: PbxHandle, user: string | undefined, opts?: { rateOnly?: boolean }): Promise<void>;
  /** Report progress of long work to the client, when it asked for it. */
  progress(done: number, total?: number, message?: string): void;
}

/** What a handler returns: for action tools, the runner adds `status: "done"`. */
export type RunResult<T> = T extends { status: unknown } ? Omit<T, 'status'> : T;

export interface ToolDef<I extends z.ZodObject = z.ZodObject, O extends z.ZodObject = z.ZodObject> {
  name: string;
  title: string;
  description: string;
  input: I;
  output: O;
  annotations: Annotations;
  /** The tool is offered when some configured PBX has at least one of these. */
  needs: readonly Capability[];
  /**
   * Asks a person before it acts (subject to `safety.confirm`). The one source of what asks first: defineTool adds
   * the `confirm_token` argument, the runner confirms it, and GUARDED_TOOLS (what `safety.confirmTools` may
   * name) is derived from it.
   */
  guarded?: boolean;
  /**
   * Why a tool that changes state asks nobody (it costs nothing and is undone by calling it again, say). Every
   * tool that is not read-only is either `guarded` or says this; a test holds every tool to it.
   */
  unguarded?: string;
  run(ctx: ToolContext, args: z.infer<I>): Promise<RunResult<z.infer<O>>>;
  /** One line for the text content; PBX-supplied names stay out of it (they are in the structured result). */
  summarize(result: z.infer<O>, args: z.infer<I>): string;
}

/**
 * Gives every tool one checked shape. A guarded tool gets the `confirm_token` argument here, so no tool declares
 * it by hand and none can ask without offering it (or offer it without asking).
 */
export function defineTool<I extends z.ZodObject, O extends z.ZodObject>(def: ToolDef<I, O>): ToolDef<I, O> {
  if (def.guarded && def.unguarded !== undefined) throw new Error(`tool ${def.name}: guarded and unguarded at once`);
  if (Object.hasOwn(def.input.shape, 'confirm_token')) {
    throw new Error(`tool ${def.name}: confirm_token is added by defineTool to guarded tools; do not declare it`);
  }
  if (!def.guarded) return def;
  // The extended object infers the same argument types plus confirm_token, which handlers never read (the runner does).
  return { ...def, input: def.input.extend({ confirm_token: confirmTokenArg }) as unknown as I };
}

/** A tool of any schema, as lists hold them. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type AnyTool = ToolDef<any, any>;

// ------------------------------------------------------------------ shared argument and result pieces

export const pbxArg = z
  .string()
  .regex(/^[A-Za-z0-9_-]{1,40}$/)
  .optional()
  .describe('Which configured PBX to use (see the pbx://{pbx}/capabilities resources); default: the default PBX');

export const userArg = z
  .string()
  .min(1)
  .max(64)
  .regex(/^[^\u0000-\u001f/\\?#&;,]+$/, 'a user login or extension number')
  .optional()
  .describe("Act for this PBX user (login or extension); default: the PBX's default user");

export const callIdArg = z
  .string()
  .min(1)
  .max(128)
  .regex(/^[A-Za-z0-9._:@-]+$/, 'a call id as returned by get_active_call');

/** A number as a person or model writes it; the dial policy normalizes and checks it. */
export const numberArg = z.string().min(1).max(40);

export const confirmTokenArg = z
  .string()
  .min(8)
  .max(1000)
  .optional()
  .describe(
    'Only when a previous call of this tool returned status "confirmation_required": the confirm_token it gave, sent after the user agreed, with the same other arguments',
  );

export const ACTION_STATUSES = ['done', 'confirmation_required', 'not_confirmed'] as const;

/** Output of a state-changing tool: a status, a message, and the tool's own fields when done. */
export function actionOutput<S extends z.ZodRawShape>(shape: S) {
  return z.object({
    status: z
      .enum(ACTION_STATUSES)
      .describe(
        'done: carried out. confirmation_required: nothing happened yet; ask the user, then call again with confirm_token. not_confirmed: the user declined; nothing happened',
      ),
    message: z.string().describe('What happened, in words'),
    confirm_token: z.string().optional().describe('With confirmation_required: pass it back to carry out the action'),
    expires_at: z.string().optional().describe('With confirmation_required: when the token expires (ISO 8601)'),
    pbx: z.string().optional(),
    ...shape,
  });
}

// ------------------------------------------------------------------ lists handed to a model

/** How many items a list result holds unless the call asks for fewer or more (issue 13: one PBX answer of 45,000
 * rows put 1.6 MB into a model's context). */
export const DEFAULT_LIST_LIMIT = 50;
export const MAX_LIST_LIMIT = 500;

export const limitArg = z
  .number()
  .int()
  .min(1)
  .max(MAX_LIST_LIMIT)
  .optional()
  .describe(`At most this many items in the result (default ${DEFAULT_LIST_LIMIT}, at most ${MAX_LIST_LIMIT}); \`total\` says how many there are`);

/** The fields a list result adds: how many there are in all, and a note when the list was cut. */
export const listFields = {
  total: z.number().int().nonnegative().optional().describe('How many there are in all (the list may hold fewer: see truncated)'),
  truncated: z.string().optional().describe('Present when the list was cut to the limit: how many were left out and how to see more'),
};

/**
 * At most `limit` of `items`, with the total and, when some were left out, a note saying how many and what to do.
 * `what` names the items ("calls"); `more` says how to see the rest ("call again with a higher limit").
 */
export function capList<T>(
  items: readonly T[],
  limit: number | undefined,
  what: string,
  more = `pass a higher limit (up to ${MAX_LIST_LIMIT})`,
): { items: T[]; total: number; truncated?: string } {
  const n = limit ?? DEFAULT_LIST_LIMIT;
  if (items.length <= n) return { items: [...items], total: items.length };
  return {
    items: items.slice(0, n),
    total: items.length,
    truncated: `showing ${n} of ${items.length} ${what}; ${items.length - n} left out: ${n < MAX_LIST_LIMIT ? more : 'narrow the request'}`,
  };
}
