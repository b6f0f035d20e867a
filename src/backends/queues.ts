/**
 * Reading queues as list_queue and the queue resources show them: the same answer on every path. Members and their
 * pauses are stated where the PBX reports them and said to be unknown where it does not (null with a note, never
 * an empty list that would read as "nobody"); a queue name the PBX does not know is answered with the ones it does.
 */
import { z } from 'zod';
import { BackendError, isBackendError } from '../errors.js';
import { QueueMember, QueueStatus } from './model.js';
import type { PbxHandle } from './registry.js';
import { closest } from '../util/closest.js';

const MEMBERS_UNKNOWN = 'this PBX does not report queue members or their pauses (its API has no such read)';

export const QueueReport = QueueStatus.extend({
  members: z
    .array(QueueMember)
    .nullable()
    .describe('null: not reported by this PBX (membersNote says why)'),
  membersNote: z.string().optional(),
});
export type QueueReport = z.infer<typeof QueueReport>;

/** One entry of the pbx://{pbx}/queues resource. */
export interface QueueSummary {
  name: string;
  waitingCount?: number;
  members: QueueMember[] | null;
}

/** A queue's status with its members stated, or a not-found error naming the queues that exist. */
export async function readQueue(pbx: PbxHandle, queue: string, signal?: AbortSignal): Promise<QueueReport> {
  let status: QueueStatus;
  try {
    status = await pbx.op('listQueue')({ queue }, signal ? { signal } : {});
  } catch (e) {
    throw await withKnownQueues(pbx, queue, e, signal);
  }
  const { members, ...rest } = status;
  return members ? { ...rest, members } : { ...rest, members: null, membersNote: MEMBERS_UNKNOWN };
}

/** The first `limit` queues of the PBX (and how many there are), with members and waiting counts where the PBX reports them without extra reads. */
export async function listQueueSummaries(
  pbx: PbxHandle,
  limit: number,
  signal?: AbortSignal,
): Promise<{ queues: QueueSummary[]; membersNote?: string; total: number }> {
  const all = await pbx.op('listQueues')(signal ? { signal } : {});
  const names = all.slice(0, limit);
  const total = all.length;
  // Only a PBX that says its queue reads carry members is read per queue: elsewhere that would be one request per
  // queue for nothing but the counts list_queue already gives.
  if (!pbx.listsQueueMembers || !pbx.can('listQueue')) {
    return { queues: names.map((name) => ({ name, members: null })), membersNote: MEMBERS_UNKNOWN, total };
  }
  const queues = await Promise.all(
    names.map(async (name): Promise<QueueSummary> => {
      const s = await readQueue(pbx, name, signal);
      return { name, waitingCount: s.waitingCount, members: s.members };
    }),
  );
  return { queues, total };
}

/** A not-found error for `queue`, completed with the PBX's queue names and the likeliest one; others unchanged. */
async function withKnownQueues(pbx: PbxHandle, queue: string, e: unknown, signal?: AbortSignal): Promise<unknown> {
  if (!isBackendError(e) || e.kind !== 'not_found' || !pbx.can('listQueues')) return e;
  let names: string[];
  try {
    names = await pbx.op('listQueues')(signal ? { signal } : {});
  } catch {
    return e;
  }
  if (!names.length) return e;
  const guess = closest(queue, names);
  const shown = names.slice(0, 20).join(', ') + (names.length > 20 ? ` and ${names.length - 20} more` : '');
  return new BackendError(e.kind, e.message, {
    ...(e.pbx ? { pbx: e.pbx } : {}),
    ...(e.pbxType ? { pbxType: e.pbxType } : {}),
    ...(e.code ? { code: e.code } : {}),
    cause: e,
    hint: `${guess ? `Did you mean "${guess}"? ` : ''}The queues of this PBX: ${shown}.`,
  });
}
