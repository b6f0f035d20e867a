/**
 * The repeat window of one action (safety.repeatWindowSeconds, safety/repeat.ts), as the runner applies it: whether
 * to ask again because the same action was done a moment ago, and what the window keeps once the action is over.
 */
import type { Logger } from '../log.js';
import { type RepeatLog, repeatKey } from '../safety/repeat.js';
import type { SafetyConfig } from '../safety/policy-config.js';
import type { CallEnv, ToolOutcome } from './call.js';
import { durationWords } from './calls.js';
import type { AnyTool, ConfirmOptions } from './define.js';

export interface WindowDeps {
  repeats?: RepeatLog | undefined;
  safety: SafetyConfig;
}

/** What one call keeps of its repeat window (part of the runner's state of the call). */
export interface WindowState {
  pbx?: string;
  /** The repeat-window check when nothing waits for its answer (a confirm_token decides): awaited before acting. */
  repeatCheck?: Promise<void> | undefined;
  /** The action's key in the repeat window, and the mark it was noted with there (none when it is a repeat). */
  repeat?: { key: string; mark?: string } | undefined;
}

/**
 * The question to ask when the same action (same principal, tool, PBX and target) was done within the repeat
 * window, or undefined. An action without a sentence (nothing it would ever ask about) is not tracked; nor is any
 * under `safety.confirm: off`, where nobody can be asked.
 */
export async function repeatQuestion(
  deps: WindowDeps,
  tool: AnyTool,
  args: Record<string, unknown>,
  env: CallEnv,
  state: WindowState,
  said: string,
  opts: ConfirmOptions,
): Promise<string | undefined> {
  const { repeats, safety } = deps;
  if (!repeats || !safety.repeatWindowSeconds || safety.confirm === 'off' || !said) return undefined;
  const { confirm_token: _t, ...own } = args;
  const target = opts.repeat?.target ?? { bind: opts.bind ?? null, args: own };
  const key = repeatKey(env.principal.id, tool.name, state.pbx ?? '', target);
  // Not after the store check: a store that is away fails this by itself, and the round trips overlap.
  const found = await repeats.begin(key, safety.repeatWindowSeconds * 1000);
  if ('mark' in found) {
    state.repeat = { key, mark: found.mark };
    return undefined;
  }
  state.repeat = { key };
  const when = durationWords(Math.round(found.ago / 1000));
  return opts.repeat?.done
    ? `${opts.repeat.done} ${when} ago. ${opts.repeat.again ?? 'Do it again?'}`
    : `The same was done ${when} ago. ${said}`;
}

/**
 * The repeat window after the action: one not done is forgotten (a refusal or a question is no action to repeat);
 * a confirmed repeat done (or perhaps done) begins its window again. Awaited: a retry right after, on any replica, must see it.
 */
export async function settleRepeat(deps: WindowDeps, state: WindowState, outcome: ToolOutcome, log: Logger): Promise<void> {
  const { repeats, safety } = deps;
  // A check still on its way (an action that failed before acting) notes it first: it is then forgotten below.
  await state.repeatCheck?.catch(() => {});
  const r = state.repeat;
  if (!r || !repeats) return;
  // An action whose outcome is unknown may have been done: it stays in the window, so a retry of it asks first.
  const done = outcome.ok ? outcome.structured.status === 'done' : outcome.error.kind === 'outcome_unknown';
  const settled = done ? (r.mark ? undefined : repeats.again(r.key, safety.repeatWindowSeconds * 1000)) : r.mark ? repeats.forget(r.key, r.mark) : undefined;
  await settled?.catch((e: unknown) => log.warn('could not update the repeat window; it lapses by itself', { error: (e as Error).message }));
}
