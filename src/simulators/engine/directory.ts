/** The sim PBX's numbering: what a dialled number reaches, the extension list, and how each party answers. */
import type { Extension } from '../../backends/model.js';
import { EngineError } from './errors.js';
import { type AnswerMode, type EngineState, type Endpoint, normalizeDialString } from './state.js';
import { userView } from './view.js';

export function extensions(s: EngineState): Extension[] {
  const users: Extension[] = [...s.users.values()].map((u) => ({
    id: u.id,
    number: u.extension,
    ...(u.name ? { name: u.name } : {}),
    kind: 'user',
    online: u.online,
    dnd: u.dnd,
    forward: { ...u.forward },
    queues: userView(s, u).queues.map((q) => ({ queue: q.queue, paused: q.paused, ...(q.reason ? { reason: q.reason } : {}) })),
  }));
  const queues: Extension[] = [...s.queues.values()].map((q) => ({
    id: `queue:${q.name}`,
    number: q.number,
    name: q.name,
    kind: 'queue',
    online: q.members.some((m) => s.isAvailable(m, q)),
  }));
  return [...users, ...queues];
}

/** Endpoint for a dialled number: a user, a queue, a parking slot or a known outside number. */
export function resolve(s: EngineState, to: string): Endpoint {
  const n = normalizeDialString(to);
  if (!/^\+?[0-9*#]{1,20}$/.test(n)) {
    throw new EngineError('invalid', `"${to}" is not a dialable number`);
  }
  for (const u of s.users.values()) {
    if (u.extension === n) return { kind: 'user', number: u.extension, name: u.name, user: u.id };
  }
  for (const q of s.queues.values()) if (q.number === n) return { kind: 'queue', number: q.number, name: q.name };
  if (isSlot(s, n)) return { kind: 'park', number: n };
  const ext = s.externals.get(n);
  if (ext) return { kind: 'external', number: ext.number, name: ext.name };
  throw new EngineError(
    'not_found',
    `number ${to} does not exist on this PBX: it is not an extension, a queue, a parking slot or a known outside number`,
  );
}

export function isSlot(s: EngineState, n: string): boolean {
  if (!/^[0-9]+$/.test(n)) return false;
  const v = Number(n);
  return v >= s.parking.firstSlot && v < s.parking.firstSlot + s.parking.slots;
}

export function answerModeOf(s: EngineState, e: Endpoint): { mode: AnswerMode; afterMs: number } {
  if (e.kind === 'user' && e.user) {
    const u = s.users.get(e.user)!;
    return { mode: u.answer, afterMs: u.answerAfterMs };
  }
  if (e.kind === 'external') {
    const x = s.externals.get(normalizeDialString(e.number));
    return { mode: x?.answer ?? 'auto', afterMs: x?.answerAfterMs ?? s.answerAfterMs };
  }
  return { mode: 'auto', afterMs: 0 };
}
