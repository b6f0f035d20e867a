/** A user's own settings in the sim PBX: do-not-disturb, whether their phone is online and answers, forwards. */
import type { ForwardKind } from '../../backends/model.js';
import { resolve } from './directory.js';
import { EngineError } from './errors.js';
import { dispatchAll } from './routing.js';
import { type AnswerMode, type EngineState, normalizeDialString } from './state.js';

export function setDnd(s: EngineState, user: string, enabled: boolean): void {
  s.op(() => {
    const u = s.requireUser(user);
    if (u.dnd === enabled) return;
    u.dnd = enabled;
    s.touch({ topic: 'extensions' });
    if (!enabled) dispatchAll(s);
  });
}

/** How a user's phone answers from now on (tests and simulators set up ringing calls with it). */
export function setAnswerMode(s: EngineState, user: string, mode: AnswerMode, afterMs?: number): void {
  const u = s.requireUser(user);
  u.answer = mode;
  if (afterMs !== undefined) u.answerAfterMs = afterMs;
}

export function setOnline(s: EngineState, user: string, online: boolean): void {
  s.op(() => {
    const u = s.requireUser(user);
    u.online = online;
    s.touch({ topic: 'extensions' });
    if (online) dispatchAll(s);
  });
}

/** Turn a forward on (with its destination) or off. The destination must be dialable from this PBX. */
export function setForward(s: EngineState, user: string, kind: ForwardKind, destination: string | undefined, enabled: boolean): void {
  s.op(() => {
    const u = s.requireUser(user);
    if (!enabled) {
      delete u.forward[kind];
    } else {
      if (!destination) throw new EngineError('invalid', `a ${kind} forward needs a destination`);
      const dest = resolve(s, destination);
      if (dest.kind === 'user' && dest.user === u.id) throw new EngineError('invalid', 'a user cannot forward to itself');
      if (dest.kind === 'park') throw new EngineError('invalid', 'cannot forward to a parking slot');
      u.forward[kind] = normalizeDialString(destination);
    }
    s.touch({ topic: 'extensions' });
  });
}
