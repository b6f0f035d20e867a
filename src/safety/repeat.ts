/**
 * No double action: an assistant that retries a request (a lost answer, a confused model, a person who said it
 * twice) must not ring someone twice or transfer the same call again without a person saying so. The runner keys
 * each action that names what it acts on (see ConfirmOptions.repeat) by principal, tool, PBX and target; an action
 * whose key was done within `safety.repeatWindowSeconds` asks first, even where it would not otherwise ask, and
 * says when it was done before. With replicas the log lives in the shared store (shared/redis/repeats.ts), so a
 * retry landing on another replica is caught too.
 */
import { shortDigest } from '../util/digest.js';

/** What `begin` found: the same action begun `ago` ms before (within its window), or none, and this one noted. */
export type RepeatCheck = { ago: number } | { mark: string };

export interface RepeatLog {
  /**
   * Atomically: when the same action began within its window, how long ago; else notes this one as begun now (two
   * identical actions sent together cannot both pass) and returns the mark that `forget` takes.
   */
  begin(key: string, windowMs: number): Promise<RepeatCheck>;
  /** The action noted under `mark` was not done (refused, asked, failed): forgotten, unless noted again since. */
  forget(key: string, mark: string): Promise<void>;
  /** A repeat the person confirmed was done: its window begins again now. */
  again(key: string, windowMs: number): Promise<void>;
}

/** What an action acts on, reduced to a fixed-size key: no PBX text or number is kept as such in a store. */
export function repeatKey(principal: string, tool: string, pbx: string, target: unknown): string {
  return shortDigest(JSON.stringify([principal, tool, pbx, target ?? null]), 32);
}

/** Keys at most this many actions (the oldest forgotten first): a flood of distinct actions cannot grow memory. */
const MAX_KEYS = 20_000;

/** A server on its own: the window in this process's memory. */
export class MemoryRepeatLog implements RepeatLog {
  /** key -> [begun at, forgotten at, mark]; a Map keeps insertion order, so the first entries are the oldest. */
  private readonly keys = new Map<string, [number, number, string]>();
  private marks = 0;

  constructor(private readonly now: () => number = Date.now) {}

  begin(key: string, windowMs: number): Promise<RepeatCheck> {
    const t = this.now();
    const e = this.keys.get(key);
    if (e && e[1] > t) return Promise.resolve({ ago: t - e[0] });
    return Promise.resolve({ mark: this.note(key, windowMs, t) });
  }

  forget(key: string, mark: string): Promise<void> {
    if (this.keys.get(key)?.[2] === mark) this.keys.delete(key);
    return Promise.resolve();
  }

  again(key: string, windowMs: number): Promise<void> {
    this.note(key, windowMs, this.now());
    return Promise.resolve();
  }

  private note(key: string, windowMs: number, t: number): string {
    const mark = String(++this.marks);
    this.keys.delete(key);
    this.keys.set(key, [t, t + windowMs, mark]);
    for (const [k, e] of this.keys) {
      if (this.keys.size <= MAX_KEYS && e[1] > t) break;
      this.keys.delete(k);
    }
    return mark;
  }
}
