/**
 * Runs one tool call through the guard, without any SDK type: builds the call's context (PBX routing, dial
 * policy, confirmation, call limits), runs the handler, sanitizes and checks the result, turns every error
 * into an outcome a model can act on, and writes the audit line. server.ts only maps outcomes to MCP results.
 */
import type { Capability } from '../backends/backend.js';
import { AccessError, ArgumentError, isTelephonyError, PolicyError } from '../errors.js';
import type { PbxHandle, PbxRouter } from '../backends/registry.js';
import type { SafetyConfig } from '../safety/policy-config.js';
import type { Logger } from '../log.js';
import type { Audit, AuditEntry } from '../safety/audit.js';
import { ALREADY_USED, type Confirmations, type ConfirmOutcome, ConfirmationStop, type Ticket } from '../safety/confirm.js';
import type { CallLimits, Reservation, Slot } from '../safety/limits.js';
import { checkCallerId, type DialPolicy } from '../safety/policy.js';
import type { RepeatLog } from '../safety/repeat.js';
import { withClientText } from '../safety/redact.js';
import { cleanText, sanitizeDeep } from '../safety/sanitize.js';
import { describeError } from '../wording.js';
import { handleFor, missingScopeMessage, toolRight } from '../auth/access.js';
import { describePrincipal, may } from '../principal.js';
import { checkArgs, ownArgs } from './args.js';
import type { CallEnv, ToolOutcome } from './call.js';
import type { AnyTool, ToolContext } from './define.js';
import { repeatQuestion, settleRepeat, type WindowState } from './repeat-window.js';
import { toSnake } from './snake.js';

export interface RunnerDeps {
  pbxes: PbxRouter;
  policy: DialPolicy;
  limiter: CallLimits;
  confirmations: Confirmations;
  /**
   * Rejects when actions cannot be coordinated with the other servers of the deployment now (their shared store does
   * not answer): every action is then refused before it starts. Absent for a server on its own.
   */
  actionGate?: (() => Promise<void>) | undefined;
  audit: Audit;
  /** The actions done within `safety.repeatWindowSeconds` (shared by the deployment); absent: no repeat window. */
  repeats?: RepeatLog | undefined;
  safety: SafetyConfig;
  readOnly: boolean;
  log: Logger;
}

/** What one call learned on its way, for its outcome and audit line. */
interface RunState extends WindowState {
  confirmCalled: boolean;
  confirmation: ConfirmOutcome;
  pbx?: string;
  pbxType?: string;
  user?: string;
  /** Refused before anything ran (arguments that do not match the schema). */
  refused?: boolean;
  /** Call-limit slots taken by admitCall, released when the tool call ends. */
  reservations: Reservation[];
  /**
   * An action's check of the shared store, started when the action begins and awaited before the first thing its
   * absence would make wrong: asking the person, or acting on the PBX (store commands before that fail by themselves).
   */
  storeCheck?: Promise<void> | undefined;
  /**
   * The single-use claim of the confirmation, made last (a confirmation refused for any other reason stays good for
   * the call it was issued for) and awaited like storeCheck: before the first PBX operation that acts. The tool goes
   * on meanwhile with what only reads (the call-limit reservation, the PBX's call list), so the round trips overlap.
   */
  claim?: Promise<void> | undefined;
}

/** Bound of the sentence a person is asked to confirm (every tool's own sentence stays well below it). */
const MAX_ACTION_CHARS = 1000;

/** A guarded tool tried an action before asking: a bug in the tool, never shipped (tests catch it). */
class UnguardedActionError extends Error {}

/** What an action awaits before it acts: the check of the shared store, and the claim of its confirmation. */
function storeReady(state: RunState): Promise<void> | undefined {
  if (!state.storeCheck && !state.claim && !state.repeatCheck) return undefined;
  return Promise.all([state.storeCheck, state.claim, state.repeatCheck]).then(() => undefined);
}

const CHANGED = 'what the action would act on changed since the user confirmed it (for example another call is current now)';

/** A confirmation that cannot be used for this call: about the confirmation, not about a PBX (its message names none). */
class ConfirmationRefusal extends ArgumentError {}

/** A requestState that fails verification or was used before: refused as invalid params, nothing done. */
class StateRefusal extends Error {
  constructor(tool: string, why: string, state: RunState) {
    super(
      `The requestState of this ${tool} call was refused: ${why}. Nothing was done. Call ${tool} again without ` +
        'requestState (a new request) to ask the user again.',
    );
    state.confirmation = 'state_refused';
  }
}

export class ToolRunner {
  /** `safety.confirmTools`: narrows which guarded tools ask; undefined (the default) means every guarded tool. */
  private readonly confirmTools: ReadonlySet<string> | undefined;

  constructor(private readonly deps: RunnerDeps) {
    this.confirmTools = deps.safety.confirmTools ? new Set(deps.safety.confirmTools) : undefined;
  }

  /** Whether calls of `tool` ask for confirmation under the current config: its own `guarded` decides. */
  confirms(tool: AnyTool): boolean {
    return !!tool.guarded && this.deps.safety.confirm !== 'off' && (this.confirmTools?.has(tool.name) ?? true);
  }

  /** Runs `tool` with the arguments a client sent: they are checked against the tool's input schema here, so an
   * invalid call of an action is refused and audited like any other refusal. */
  async run(tool: AnyTool, rawArgs: unknown, env: CallEnv): Promise<ToolOutcome> {
    // Text a PBX sends back that merely repeats these arguments is not masked as a secret (see maskSecrets).
    return withClientText(rawArgs, () => this.runCall(tool, rawArgs, env));
  }

  private async runCall(tool: AnyTool, rawArgs: unknown, env: CallEnv): Promise<ToolOutcome> {
    const started = Date.now();
    const isAction = !tool.annotations.readOnlyHint;
    const state: RunState = { confirmCalled: false, confirmation: 'not_required', reservations: [] };
    const log = this.deps.log.child({ tool: tool.name, session: env.session.id, principal: env.principal.name });
    // Until the arguments are checked, only the tool's own argument names are kept (for the audit line).
    let args = ownArgs(tool, rawArgs);
    let outcome: ToolOutcome;
    try {
      // The scope first: a caller that may not use the tool learns which scope it needs, before anything else.
      const right = toolRight(tool);
      if (!may(env.principal, right)) {
        state.refused = true;
        throw new AccessError(missingScopeMessage(env.principal, tool.name, right), { code: `scope.${right}` });
      }
      const parsed = checkArgs(tool, rawArgs);
      if (!parsed.ok) {
        state.refused = true;
        throw new ArgumentError('invalid', `Invalid arguments for ${tool.name}: ${parsed.why}`, {
          hint: 'Nothing was done. Correct the arguments (see the tool\'s input schema) and call it again.',
        });
      }
      args = parsed.args;
      const ctx = this.context(tool, args, env, state, log);
      if (this.deps.readOnly && isAction) {
        throw new PolicyError(
          'read_only',
          `${tool.name} changes state, and this server runs read-only`,
          'Only tools that read are available (readOnly in the config, or --read-only).',
          'unsupported',
          false,
        );
      }
      if (isAction && this.deps.actionGate) {
        state.storeCheck = this.deps.actionGate();
        // Awaited where it matters (see RunState); an action refused before that never needed it.
        state.storeCheck.catch(() => {});
      }
      // Only actions dial; reads never wait for the numbering plan.
      if (isAction) await this.deps.policy.ready();
      const raw = await tool.run(ctx, args);
      // A tool that confirmed but never acted on the PBX still has its confirmation used up, or refused, here.
      await storeReady(state);
      const result = sanitizeDeep(isAction ? { status: 'done', ...raw } : raw) as Record<string, unknown>;
      // What the client gets: the result in snake_case (snake.ts), checked against the schema it was told.
      const structured = toSnake(tool.output, result) as Record<string, unknown>;
      const checked = tool.result.safeParse(structured);
      if (!checked.success) {
        log.error('tool result does not match its output schema', { issues: checked.error.issues.slice(0, 5) });
        throw new Error('result does not match the output schema');
      }
      outcome = { ok: true, structured, summary: cleanText(tool.summarize(result, args), 400) };
    } catch (e) {
      outcome = this.failure(e, tool, state, log);
    }
    // The call is placed (the PBX counts it from now on) or failed after it may have been: either way the slot's
    // work is done. A refused admission was given back already. Released and audited together (a shared store
    // receives both in one write); the answer waits for the audit line (see Audit.settled).
    const released = state.reservations.map((r) =>
      r.release().catch((e: unknown) => log.warn('could not release a call-limit reservation; it lapses by itself', { error: (e as Error).message })),
    );
    const noted = settleRepeat(this.deps, state, outcome, log);
    if (isAction) await this.auditCall(tool, args, env, state, outcome);
    await Promise.all([...released, noted]);
    log.debug('tool call', { ms: Date.now() - started, ok: outcome.ok });
    return outcome;
  }

  /** The ticket of a sealed confirm_token good for this call (its claim still to be made), or why it is not. */
  private async redeem(kind: 'token', sealed: string, tool: AnyTool, args: Record<string, unknown>, env: CallEnv, bind: unknown): Promise<{ ticket: Ticket } | { why: string }> {
    const { confirmations } = this.deps;
    const opened = await confirmations.open(kind, sealed, tool.name, args, env.principal);
    if (!opened.ok) return { why: opened.why };
    if (!confirmations.bound(opened.ticket, bind)) return { why: CHANGED };
    return { ticket: opened.ticket };
  }

  private context(
    tool: AnyTool,
    args: Record<string, unknown>,
    env: CallEnv,
    state: RunState,
    log: Logger,
  ): ToolContext {
    const { pbxes, policy, limiter, confirmations, safety } = this.deps;
    const guarded = !!tool.guarded;
    const gate = (cap: Capability | string, isRead: boolean): Promise<void> | undefined => {
      if (guarded && !isRead && !state.confirmCalled) {
        throw new UnguardedActionError(`${tool.name} attempted ${cap} before asking for confirmation`);
      }
      return isRead ? undefined : storeReady(state);
    };
    const claim = (ticket: Ticket, refused: (why: string) => Error) => {
      state.claim = confirmations.claim(ticket).then((claimed) => {
        if (claimed !== true) throw refused(claimed);
      });
      state.claim.catch(() => {});
    };
    // Nobody is asked about an action the deployment could not then coordinate.
    const beforeAsking = async () => {
      if (state.storeCheck) await state.storeCheck;
    };
    return {
      tool: tool.name,
      session: env.session,
      signal: env.signal,
      log,
      pbx: (name?: string): PbxHandle => {
        // Bound to the caller's own PBX user when its token names one (see PbxHandle.user).
        const h = handleFor(env.principal, pbxes.get(name));
        state.pbx = h.name;
        state.pbxType = h.type;
        const requested = typeof args.user === 'string' ? args.user : undefined;
        try {
          state.user = requested ?? h.user();
        } catch {
          state.user = requested; // refused when the tool asks for it; the audit line shows what was asked
        }
        return h.gated(gate);
      },
      checkNumber: (raw, use) => policy.check(raw, use),
      checkCallerId: (raw, pbx) => checkCallerId(raw, pbx.settings.ownedNumbers),
      confirm: async (rawAction, opts = {}) => {
        state.confirmCalled = true;
        // What the person is asked names PBX data (caller numbers and names), each part bounded by the tool that
        // built the sentence; cleaned here so no bidi override or control character can change what they read,
        // with a bound on the whole that no sentence of ours reaches.
        const said = cleanText(rawAction, MAX_ACTION_CHARS);
        // Done within the repeat window: asked again (in the repeat's words), even where it would not ask.
        const checking = repeatQuestion(this.deps, tool, args, env, state, said, opts);
        let repeat: string | undefined;
        if (!opts.skip && this.confirms(tool) && typeof args.confirm_token === 'string') {
          // The token decides this call whether or not it repeats one: the check overlaps with the rest, and is
          // awaited like the claim, before acting (it notes the action in the window).
          state.repeatCheck = checking.then(() => undefined);
          state.repeatCheck.catch(() => {});
        } else {
          repeat = await checking;
        }
        const action = repeat ?? said;
        if (!repeat && (opts.skip || !this.confirms(tool))) {
          state.confirmation = 'not_required';
          return;
        }
        const token = args.confirm_token;
        if (typeof token === 'string') {
          const refused = (why: string) => {
            state.confirmation = 'token_refused';
            return new ConfirmationRefusal('invalid', `The confirm_token was refused: ${why}. Nothing was done`, {
              hint: `Call ${tool.name} again without confirm_token to get a new confirmation request, and ask the user again.`,
            });
          };
          const redeemed = await this.redeem('token', token, tool, args, env, opts.bind);
          if ('why' in redeemed) throw refused(redeemed.why);
          claim(redeemed.ticket, (why) => refused(why === ALREADY_USED ? `${ALREADY_USED} (tokens are single use)` : why));
          state.confirmation = 'token';
          return;
        }
        // An OAuth caller is named: the person confirming sees who (and through which client) asks.
        const asker = env.principal.grant ? `asked by ${describePrincipal(env.principal, env.session.clientName)}` : undefined;
        const where = [state.pbx ? `PBX ${state.pbx}` : undefined, asker].filter(Boolean).join('; ');
        const question = `${action}${where ? ` (${where})` : ''}`;
        if (safety.confirm === 'auto' && env.rounds) {
          const { requestState, answer } = env.rounds;
          if (requestState !== undefined) {
            if (answer === 'missing' || answer === undefined) {
              // A retry without the answer: ask again (MRTR), with the state it came with.
              const opened = await confirmations.open('state', requestState, tool.name, args, env.principal);
              if (!opened.ok) throw new StateRefusal(tool.name, opened.why, state);
              await beforeAsking();
              state.confirmation = 'asked';
              throw new ConfirmationStop('asked', question, undefined, requestState);
            }
            const opened = await confirmations.open('state', requestState, tool.name, args, env.principal);
            if (!opened.ok) throw new StateRefusal(tool.name, opened.why, state);
            if (answer.action !== 'accept' || answer.confirm !== true) {
              const outcome: ConfirmOutcome = answer.action === 'cancel' ? 'cancelled' : 'declined';
              state.confirmation = outcome;
              throw new ConfirmationStop(outcome as ConfirmationStop['outcome'], action);
            }
            if (!confirmations.bound(opened.ticket, opts.bind)) {
              state.confirmation = 'state_refused';
              throw new ConfirmationRefusal('invalid', `The confirmation was refused: ${CHANGED}. Nothing was done`, {
                hint: `Call ${tool.name} again to ask the user about what it would act on now.`,
              });
            }
            claim(opened.ticket, (why) => new StateRefusal(tool.name, why === ALREADY_USED ? `${ALREADY_USED} (a confirmation is single use)` : why, state));
            state.confirmation = 'accepted';
            return;
          }
          await beforeAsking();
          const issued = await confirmations.issue('state', tool.name, args, env.principal, opts.bind);
          state.confirmation = 'asked';
          throw new ConfirmationStop('asked', question, undefined, issued.sealed);
        }
        if (safety.confirm === 'auto' && env.elicit) {
          const timeoutMs = safety.confirmTimeoutSeconds * 1000;
          await beforeAsking();
          const r = await env.elicit(question, timeoutMs);
          if (r.answer === 'accept' && r.confirm === true) {
            state.confirmation = 'accepted';
            return;
          }
          const outcome: ConfirmOutcome =
            r.answer === 'accept' || r.answer === 'decline' ? 'declined' : r.answer === 'cancel' ? 'cancelled' : r.answer;
          state.confirmation = outcome;
          throw new ConfirmationStop(outcome as ConfirmationStop['outcome'], action);
        }
        await beforeAsking();
        const issued = await confirmations.issue('token', tool.name, args, env.principal, opts.bind);
        state.confirmation = 'token_issued';
        // The model relays this to the person: an OAuth caller is named there too.
        throw new ConfirmationStop('token_issued', asker ? `${action} (${asker})` : action, { token: issued.sealed, expiresAt: issued.expiresAt });
      },
      admitCall: async (pbx, user, opts = {}) => {
        const lists = !opts.rateOnly && pbx.can('activeCalls');
        const who = user === undefined ? '' : pbx.canonicalUser(user);
        // Reserved before anything else awaits: calls that arrive together count against each other (limits.ts).
        const slot: Slot = await limiter.reserve(pbx.name, who, { ...opts, listsCalls: lists });
        state.reservations.push(slot);
        if (!lists) return;
        try {
          const calls = await pbx.op('activeCalls')({ user }, { signal: env.signal });
          await slot.checkActive(calls.filter((c) => c.state !== 'parked').length);
        } catch (e) {
          // Refused, or the call list could not be read: nothing was dialled, so the slot and the rate are given back.
          await slot.refund().catch((err: unknown) => log.warn('could not give back a call-limit reservation; it lapses by itself', { error: (err as Error).message }));
          throw e;
        }
      },
      progress: (done, total, message) => env.progress?.(done, total, message),
    };
  }

  private failure(
    e: unknown,
    tool: AnyTool,
    state: RunState,
    log: Logger,
  ): ToolOutcome {
    if (e instanceof StateRefusal) {
      return { ok: false, message: e.message, error: { kind: 'invalid', retryable: false, pbx: state.pbx }, invalidState: true };
    }
    if (e instanceof ConfirmationStop) {
      if (e.requestState !== undefined) {
        return {
          ok: false,
          message: `Confirmation needed: ${e.action} Nothing has been done yet.`,
          error: { kind: 'confirmation', retryable: false, pbx: state.pbx },
          ask: { question: e.action, requestState: e.requestState },
        };
      }
      if (e.token) {
        // Not passed through the bound for PBX strings: e.action was cleaned and bounded when the tool asked, and
        // the rest is ours, the instruction the model needs whole (a cut one loses the token's use and expiry).
        return {
          ok: true,
          structured: {
            status: 'confirmation_required',
            message:
              `Confirmation needed: ${e.action} Nothing has been done yet. Ask the user; only if they agree, call ${tool.name} ` +
              `again with exactly the same arguments plus confirm_token (single use, valid until ${e.token.expiresAt}).`,
            confirm_token: e.token.token,
            expires_at: e.token.expiresAt,
            ...(state.pbx ? { pbx: state.pbx } : {}),
          },
          summary: `Confirmation required before ${tool.name}: nothing has been done yet.`,
        };
      }
      const why =
        e.outcome === 'declined'
          ? 'declined'
          : e.outcome === 'cancelled'
            ? 'cancelled the request'
            : e.outcome === 'timeout'
              ? 'did not answer in time'
              : 'could not be asked (the confirmation request failed)';
      return {
        ok: true,
        structured: {
          status: 'not_confirmed',
          message: `The user ${why}, so nothing was done (${e.action}). Do not retry unless the user asks again.`,
          ...(state.pbx ? { pbx: state.pbx } : {}),
        },
        summary: `Not confirmed by the user: ${tool.name} did nothing.`,
      };
    }
    if (isTelephonyError(e)) {
      if (e.cause !== undefined) log.warn('backend error', { kind: e.kind, code: e.code, cause: e.cause });
      // What a tool throws after it chose its PBX concerns that PBX: attributed here, never by hand.
      if (state.pbx !== undefined && state.pbxType !== undefined && !(e instanceof ConfirmationRefusal)) e.at(state.pbx, state.pbxType);
      const pbx = e.pbx !== undefined && this.deps.pbxes.names().includes(e.pbx) ? this.deps.pbxes.get(e.pbx) : undefined;
      return {
        ok: false,
        message: cleanText(describeError(e, pbx), 2000),
        error: { kind: e.kind, retryable: e.retryable, pbx: e.pbx, ...(e instanceof PolicyError ? { rule: e.rule } : {}) },
      };
    }
    log.error('internal error in tool', { error: e instanceof Error ? e : String(e) });
    const action = !tool.annotations.readOnlyHint;
    return {
      ok: false,
      message:
        e instanceof UnguardedActionError
          ? `telephony-mcp refused to run ${tool.name}: it tried to act without confirmation (a bug; nothing was done). Please report it.`
          : `telephony-mcp hit an internal error while running ${tool.name}.${
              action ? ' The action may or may not have happened: check the current state before trying again.' : ''
            } Details are in the server log.`,
      error: { kind: e instanceof UnguardedActionError ? 'invalid' : 'internal', retryable: false, pbx: state.pbx },
    };
  }

  private auditCall(
    tool: AnyTool,
    args: Record<string, unknown>,
    env: CallEnv,
    state: RunState,
    outcome: ToolOutcome,
  ): Promise<void> {
    let result: AuditEntry['outcome'];
    if (!outcome.ok && outcome.ask) {
      result = 'confirmation_required';
    } else if (outcome.ok) {
      const status = outcome.structured.status;
      result = status === 'confirmation_required' ? 'confirmation_required' : status === 'not_confirmed' ? 'not_confirmed' : 'done';
    } else {
      result =
        state.refused ||
        outcome.error.rule ||
        outcome.error.kind === 'unsupported' ||
        state.confirmation === 'token_refused' ||
        state.confirmation === 'state_refused'
          ? 'refused'
          : 'error';
    }
    const { confirm_token: _t, ...rest } = args;
    const entry = this.deps.audit.record({
      session: env.session.id,
      principal: env.principal.id,
      client: env.session.clientName,
      tool: tool.name,
      pbx: state.pbx ?? (typeof args.pbx === 'string' ? args.pbx : undefined),
      user: state.user ?? (typeof args.user === 'string' ? args.user : undefined),
      args: { ...rest, ...(typeof _t === 'string' ? { confirm_token: '***' } : {}) },
      confirmation: state.confirmation,
      outcome: result,
      ...(outcome.ok
        ? { result: outcome.summary }
        : outcome.ask !== undefined
          ? { result: `Asked the user to confirm ${tool.name}: nothing has been done yet.` }
          : { error: { kind: outcome.error.kind, message: outcome.message } }),
    });
    return this.deps.audit.settled(entry);
  }
}

