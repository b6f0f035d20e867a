/**
 * The one shape every tool has: name, title, a description written for a model, zod input and output schemas,
 * all four annotations, the capabilities it uses, and a handler that works on the telephony model only (no
 * SDK types). server.ts turns these into registrations; runner.ts runs them through the guard.
 */
import { z } from 'zod';
import type { Capability, Dialable } from '../backends/backend.js';
import { Call } from '../backends/model.js';
import type { PbxHandle } from '../backends/registry.js';
import { ArgumentError } from '../errors.js';
import type { CheckedNumber, DialUse } from '../safety/dialing.js';
import type { Logger } from '../log.js';
import { firstCsvRecords } from '../util/csv.js';
import { isIsoDate } from '../util/time.js';
import { snakeSchema } from './snake.js';

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

export interface ConfirmOptions {
  /** The action needs no confirmation this time (an internal extension, nothing to overwrite...). */
  skip?: boolean;
  /**
   * What the arguments resolved to when the person was asked: the call's id when no call_id was given, the ids
   * of the contacts a delete_all removes. A confirm_token is honoured only while this is still the same.
   */
  bind?: unknown;
  /**
   * The repeat window (safety.repeatWindowSeconds): `target` is what makes two actions the same (default: `bind`
   * and the arguments); `done` names the earlier one ("You called 203 from alice") and `again` asks ("Call again?").
   */
  repeat?: { target?: unknown; done?: string; again?: string };
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
  /** The PBX capabilities the tool uses: it is offered when some configured PBX has at least one of them. */
  capabilities: readonly Capability[];
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
export function defineTool<I extends z.ZodObject, O extends z.ZodObject>(def: ToolDef<I, O>): Tool<I, O> {
  if (def.guarded && def.unguarded !== undefined) throw new Error(`tool ${def.name}: guarded and unguarded at once`);
  if (Object.hasOwn(def.input.shape, 'confirm_token')) {
    throw new Error(`tool ${def.name}: confirm_token is added by defineTool to guarded tools; do not declare it`);
  }
  const result = snakeSchema(def.output);
  if (!def.guarded) return { ...def, result };
  // The extended object infers the same argument types plus confirm_token, which handlers never read (the runner does).
  return { ...def, result, input: def.input.extend({ confirm_token: confirmTokenArg }) as unknown as I };
}

/**
 * A defined tool: its definition, and the schema of the result clients get (`result`): `output` with its keys in
 * snake_case like the arguments (snake.ts). Handlers and summaries work on the model's shape (`output`).
 */
export interface Tool<I extends z.ZodObject = z.ZodObject, O extends z.ZodObject = z.ZodObject> extends ToolDef<I, O> {
  readonly result: z.ZodObject;
}

/** A tool of any schema, as lists hold them. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type AnyTool = Tool<any, any>;

// ------------------------------------------------------------------ shared argument and result pieces

export const pbxArg = z
  .string()
  .regex(/^[A-Za-z0-9_-]{1,40}$/)
  .optional()
  .describe('Configured PBX name; default: the default PBX');

export const userArg = z
  .string()
  .min(1)
  .max(64)
  .regex(/^[^\u0000-\u001f/\\?#&;,]+$/, 'a user login or extension number')
  .optional()
  .describe('Login or extension; default: the default user');

export const callIdArg = z
  .string()
  .min(1)
  .max(128)
  .regex(/^[A-Za-z0-9._:@-]+$/, 'a call id as returned by get_active_call');

/** An argument that `action` of a tool with several actions needs: refused, nothing done, when it is missing. */
export function needArg<T>(action: string, value: T | undefined, name: string): T {
  if (value === undefined) throw new ArgumentError('invalid', `action ${action} needs \`${name}\``);
  return value;
}

/** A number as a person or model writes it; the dial policy normalizes and checks it. */
export const numberArg = z.string().min(1).max(40);

/** A calendar day that exists (2026-02-31 is refused here, not by the PBX after the person confirmed). */
export const dateArg = z
  .string()
  .regex(/^\d{4}-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])$/, 'a date YYYY-MM-DD')
  .refine(isIsoDate, 'a date that exists (YYYY-MM-DD)');

/** Described by CONFIRM_FLOW in the tool's description, the one place a model reads how to use it. */
export const confirmTokenArg = z.string().min(8).max(1000).optional();

export const ACTION_STATUSES = ['done', 'confirmation_required', 'not_confirmed'] as const;

/**
 * The confirmation protocol as a tool description says it, in the same words for every tool that asks (the tool
 * says before it which of its actions ask). The server instructions say it too, but not every client shows them.
 */
export const CONFIRM_FLOW = 'On "confirmation_required": ask the user; only if they agree, repeat the call with its confirm_token.';

/** What a model does after an action whose outcome is unknown (it may have happened). */
export const NO_RETRY = 'Never retry an "outcome unknown" error.';

/** Output of a state-changing tool: a status, a message, and the tool's own fields when done. */
export function actionOutput<S extends z.ZodRawShape>(shape: S) {
  return z.object({
    status: z.enum(ACTION_STATUSES),
    message: z.string(),
    confirm_token: z.string().optional(),
    expires_at: z.string().optional(),
    pbx: z.string().optional(),
    ...shape,
  });
}

// ------------------------------------------------------------------ parts a tool list spells out once

/**
 * The JSON Schema keyword that marks a part of a result advertised in words instead of spelled out. A call that an
 * action returns has the shape get_active_call's output schema spells out; repeating it in every action's schema
 * cost every model about 1 KB per tool (issue 17). The zod schema still validates the whole shape; the glue
 * (compactSchema) advertises the part as an object with these words. Not a $ref: some clients fail a whole tool
 * list over $defs in an outputSchema.
 */
export const IN_WORDS = 'x-in-words';

/** `schema`, validated in full, advertised as an object described by `words`. */
export function inWords<T extends z.ZodType>(schema: T, words: string): T {
  return schema.meta({ [IN_WORDS]: words });
}

/** A call in an action's result. */
export const resultCall = inWords(Call, 'A call as get_active_call lists it: id, state, from, to, answered, started_at...');

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
  .describe(`At most this many items (default ${DEFAULT_LIST_LIMIT})`);

/** The fields a list result adds: how many there are in all, and a note when the list was cut. */
export const listFields = {
  total: z.number().int().nonnegative().optional(),
  truncated: z.string().optional(),
};

/**
 * The header and at most `limit` records of a CSV a tool returns, with the total and, when some were left out, the
 * same kind of note as capList. `quotes: false` for a dialect without quoting (rows are lines).
 */
export function capCsv(
  text: string,
  limit: number | undefined,
  what: string,
  opts: { quotes?: boolean; more?: string } = {},
): { csv: string; total: number; truncated?: string } {
  const n = limit ?? DEFAULT_LIST_LIMIT;
  const { csv, records } = firstCsvRecords(text, n, { quotes: opts.quotes ?? true });
  if (records <= n) return { csv, total: records };
  return { csv, total: records, truncated: `the CSV holds the first ${n} of ${records} ${what}; pass a higher limit (up to ${MAX_LIST_LIMIT})${opts.more ?? ''} for more` };
}

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
