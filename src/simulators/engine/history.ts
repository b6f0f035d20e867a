/** Each user's call history in the sim PBX: written as calls end or leave the user, read newest first. */
import type { HistoryEntry } from '../../backends/model.js';
import { type CallRec, type EngineState, HISTORY_CAP, iso } from './state.js';

export function writeHistoryFor(s: EngineState, uid: string, rec: CallRec, status: string): void {
  const now = s.clock.now();
  const entry: HistoryEntry = {
    start: iso(rec.startedAt),
    durationSeconds: rec.answeredAt !== undefined ? Math.max(0, Math.floor((now - rec.answeredAt) / 1000)) : 0,
    from: rec.from.number,
    to: rec.to.number,
    status,
  };
  const list = s.histories.get(uid) ?? [];
  list.unshift(entry);
  if (list.length > HISTORY_CAP) list.length = HISTORY_CAP;
  s.histories.set(uid, list);
  s.touch({ topic: 'history', user: uid });
}

/** A user's call history, newest first: the last `size` calls, or those of the last `days` days. */
export function history(s: EngineState, user: string, opts: { size?: number | undefined; days?: number | undefined } = {}): HistoryEntry[] {
  const u = s.requireUser(user);
  let list = s.histories.get(u.id) ?? [];
  if (opts.days !== undefined) {
    const since = s.clock.now() - opts.days * 86400_000;
    list = list.filter((e) => Date.parse(e.start) >= since);
  }
  return list.slice(0, opts.size ?? 50).map((e) => ({ ...e }));
}
