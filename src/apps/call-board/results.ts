/**
 * What the board reads out of tool results. Pure (no DOM). A result reaches the view from the host, so it is
 * checked here piece by piece, like any input: what does not have the model's shape is left out, strings are
 * bounded, and nothing here ever becomes markup (the renderer sets text only). Results name their fields in
 * snake_case (started_at); the board keeps the model's names (startedAt) inside.
 */
import type { Call, CallDirection, CallState, Party, QueueCall, QueueMember } from '../../backends/model.js';
import { STATE_LABEL, MEMBER_STATE_LABEL } from './format.js';

/** The get_active_call result, as the board uses it. */
export interface CallsData {
  pbx?: string | undefined;
  user?: string | undefined;
  calls: Call[];
  total?: number | undefined;
  truncated?: string | undefined;
}

/** The list_queue result, as the board uses it: `members` null when the PBX does not report them. */
export interface QueueData {
  pbx?: string | undefined;
  queue: string;
  waitingCount: number;
  oldestArrival?: string | undefined;
  calls: QueueCall[];
  members: QueueMember[] | null;
  membersNote?: string | undefined;
  truncated?: string | undefined;
}

/** At most this many entries of any list are kept (the tools cap their lists too; a host could send anything). */
const MAX_ITEMS = 500;
const MAX_TEXT = 300;

type Obj = Record<string, unknown>;
const obj = (v: unknown): Obj | undefined => (v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Obj) : undefined);
const str = (v: unknown, max = MAX_TEXT): string | undefined => (typeof v === 'string' ? v.slice(0, max) : undefined);
const count = (v: unknown): number | undefined => (typeof v === 'number' && Number.isFinite(v) && v >= 0 ? Math.floor(v) : undefined);
const list = <T>(v: unknown, item: (x: unknown) => T | undefined): T[] =>
  Array.isArray(v) ? v.slice(0, MAX_ITEMS).map(item).filter((x): x is T => x !== undefined) : [];
const oneOf = <K extends string>(v: unknown, keys: Record<K, unknown>): K | undefined =>
  typeof v === 'string' && Object.hasOwn(keys, v) ? (v as K) : undefined;

const DIRECTIONS: Record<CallDirection, true> = { inbound: true, outbound: true, internal: true };

function party(v: unknown): Party | undefined {
  const o = obj(v);
  const number = str(o?.number, 80);
  if (!o || number === undefined) return undefined;
  const name = str(o.name, 120);
  return name ? { number, name } : { number };
}

function call(v: unknown): Call | undefined {
  const o = obj(v);
  const id = str(o?.id, 128);
  const state = oneOf<CallState>(o?.state, STATE_LABEL);
  const from = party(o?.from);
  const to = party(o?.to);
  if (!o || !id || !state || !from || !to) return undefined;
  const direction = oneOf<CallDirection>(o.direction, DIRECTIONS);
  const queue = str(o.queue, 80);
  const parkedSlot = str(o.parked_slot, 20);
  return {
    id,
    state,
    from,
    to,
    answered: o.answered === true,
    startedAt: str(o.started_at, 40) ?? '',
    durationSeconds: count(o.duration_seconds) ?? 0,
    ...(direction ? { direction } : {}),
    ...(queue ? { queue } : {}),
    ...(parkedSlot ? { parkedSlot } : {}),
  };
}

function queueCall(v: unknown): QueueCall | undefined {
  const o = obj(v);
  const id = str(o?.id, 128);
  const caller = str(o?.caller, 80);
  const status = o?.status === 'waiting' || o?.status === 'connected' ? o.status : undefined;
  if (!o || id === undefined || caller === undefined || !status) return undefined;
  const optional = {
    callerName: str(o.caller_name, 120),
    country: str(o.country, 60),
    enteredAt: str(o.entered_at, 40),
    waitedSeconds: count(o.waited_seconds),
    agent: str(o.agent, 120),
  };
  return { id, caller, status, ...Object.fromEntries(Object.entries(optional).filter(([, x]) => x !== undefined)) };
}

function member(v: unknown): QueueMember | undefined {
  const o = obj(v);
  const user = str(o?.user, 64);
  if (!o || !user || typeof o.paused !== 'boolean') return undefined;
  const state = oneOf<NonNullable<QueueMember['state']>>(o.state, MEMBER_STATE_LABEL);
  const optional = { number: str(o.number, 40), name: str(o.name, 120), reason: str(o.reason, 120), state };
  return { user, paused: o.paused, ...Object.fromEntries(Object.entries(optional).filter(([, x]) => x !== undefined)) };
}

/** The structured content of a get_active_call result, or undefined when it is not one. */
export function readCalls(structured: unknown): CallsData | undefined {
  const o = obj(structured);
  if (!o || !Array.isArray(o.calls) || 'queue' in o) return undefined;
  return { pbx: str(o.pbx, 40), user: str(o.user, 64), calls: list(o.calls, call), total: count(o.total), truncated: str(o.truncated) };
}

/** The structured content of a list_queue result, or undefined when it is not one. */
export function readQueue(structured: unknown): QueueData | undefined {
  const o = obj(structured);
  const queue = str(o?.queue, 80);
  const waitingCount = count(o?.waiting_count);
  if (!o || !queue || waitingCount === undefined || !Array.isArray(o.calls)) return undefined;
  return {
    pbx: str(o.pbx, 40),
    queue,
    waitingCount,
    oldestArrival: str(o.oldest_arrival, 40),
    calls: list(o.calls, queueCall),
    members: Array.isArray(o.members) ? list(o.members, member) : null,
    membersNote: str(o.members_note),
    truncated: str(o.truncated),
  };
}

/** The queue names in a pbx://{pbx}/queues resource (JSON text), and how many there are in all. */
export function readQueueNames(text: unknown): { names: string[]; total: number } | undefined {
  if (typeof text !== 'string') return undefined;
  let o: Obj | undefined;
  try {
    o = obj(JSON.parse(text));
  } catch {
    return undefined;
  }
  if (!o || !Array.isArray(o.queues)) return undefined;
  const names = list(o.queues, (q) => str(obj(q)?.name, 80));
  return { names, total: count(o.total) ?? names.length };
}

// ------------------------------------------------------------------ what an action came to

export type Outcome =
  | { kind: 'done'; message: string }
  /** The server wants a person's yes first and could not ask through the host: ask, then call again with the token. */
  | { kind: 'confirm'; question: string; token: string }
  | { kind: 'declined' }
  | { kind: 'error'; message: string };

/** The text of a result's content blocks. */
export function resultText(result: unknown): string {
  const content = obj(result)?.content;
  const texts = Array.isArray(content) ? content.map((c) => (obj(c)?.type === 'text' ? str(obj(c)?.text, 2000) : undefined)) : [];
  return texts.filter((t): t is string => !!t).join(' ');
}

/**
 * The question inside the server's confirmation_required message ("Confirmation needed: <question> Nothing has
 * been done yet. Ask the user; ..."); the rest of that message instructs a model, not the person at the board.
 */
export function questionOf(message: string): string {
  const m = /^Confirmation needed: ([\s\S]+?) Nothing has been done yet\./.exec(message);
  return (m?.[1] ?? message).trim();
}

/** What a hangup, transfer or pause_queues result says happened. */
export function outcomeOf(result: unknown): Outcome {
  const o = obj(result);
  const s = obj(o?.structuredContent);
  if (!o || o.isError === true || !s) return { kind: 'error', message: resultText(result) || 'The server gave no answer the board understands; check the calls before trying again.' };
  const message = str(s.message, 2000) ?? resultText(result);
  if (s.status === 'confirmation_required') {
    const token = str(s.confirm_token, 1000);
    return token ? { kind: 'confirm', question: questionOf(message), token } : { kind: 'error', message };
  }
  if (s.status === 'not_confirmed') return { kind: 'declined' };
  return { kind: 'done', message };
}
