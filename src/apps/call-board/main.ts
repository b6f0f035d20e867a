/**
 * The call board, an MCP Apps view of get_active_call and list_queue. The host hands it the tool's input and
 * result; from then on it reads the same tools again through the host at the PBX's pace, and acts (hang up,
 * transfer, pause an agent) through the same tools too, so the server's dial policy, confirmation and audit apply
 * to every click. It holds no secret and talks to nothing but its host.
 *
 * Confirmation: when the host can ask the person itself (elicitation or MRTR), the server asks through it and the
 * tool call simply waits for the answer. When it cannot, the result is "confirmation_required" with a single-use
 * token: the board asks in its own dialog and only a click on the confirm button sends the token back.
 */
import type { McpUiHostContext } from '@modelcontextprotocol/ext-apps';
import type { Call, QueueMember } from '../../backends/model.js';
import { HostBridge, type ToolResult } from './bridge.js';
import { callKey, memberKey, Board, type Part, type QueuePart } from './render.js';
import { paceOf, Poller } from './pace.js';
import { timeOfDay } from './format.js';
import { type CallsData, outcomeOf, type QueueData, readCalls, readQueue, readQueueNames, resultText } from './results.js';

const READ_TIMEOUT_MS = 30_000;
/** An action may wait for a person to confirm (the server waits up to an hour, as configured). */
const ACTION_TIMEOUT_MS = 61 * 60_000;
/** Queues the board watches at most when it found them itself (each is one read per round). */
const MAX_QUEUES = 4;
/** Rounds in which listing the PBX's queues may fail before the board stops trying. */
const DISCOVERY_TRIES = 3;
/** How long the board waits for the tool's result before reading by itself. */
const RESULT_WAIT_MS = 5_000;

type BoardTool = 'get_active_call' | 'list_queue';

const settings: unknown = (() => {
  try {
    return JSON.parse(document.getElementById('board-config')?.textContent ?? '{}');
  } catch {
    return {};
  }
})();

const state = {
  tool: undefined as BoardTool | undefined,
  args: {} as Record<string, unknown>,
  pbx: undefined as string | undefined,
  user: undefined as string | undefined,
  calls: undefined as Part<CallsData> | undefined,
  /** The queues on the board, in order; fixed when opened from list_queue, else found on the PBX. */
  queueNames: [] as string[],
  queuesFixed: false,
  queuesNote: undefined as string | undefined,
  discoveryTries: 0,
  queues: new Map<string, Part<QueueData>>(),
  busy: new Map<string, string>(),
  updatedAt: undefined as number | undefined,
  ended: false,
};

const str = (v: unknown) => (typeof v === 'string' && v ? v : undefined);

const board = new Board(document.getElementById('app')!, {
  hangup: (call) => void hangup(call),
  transfer: (call, to) => void transfer(call, to),
  pause: (queue, member) => void pause(queue, member),
});

const bridge = new HostBridge(window.parent, {
  toolInput: (args) => {
    state.args = args;
    state.tool ??= typeof args.queue === 'string' ? 'list_queue' : 'get_active_call';
    state.pbx ??= str(args.pbx);
    if (state.tool === 'list_queue' && str(args.queue)) {
      state.queueNames = [args.queue as string];
      state.queuesFixed = true;
    }
    draw();
    // The result follows once the tool has run: reading now would only read the PBX twice. A host that never sends
    // one (the call failed on its side) still gets a live board.
    setTimeout(() => poller.start(), RESULT_WAIT_MS);
  },
  toolResult: (result) => {
    const now = Date.now();
    const tool = state.tool ?? (readQueue(result.structuredContent) ? 'list_queue' : 'get_active_call');
    if (absorb(tool, result, now, str(state.args.queue))) state.updatedAt = now;
    draw();
    // That result was a read of the PBX: the next one is due a pace later.
    poller.start(now);
  },
  toolCancelled: (reason) => board.say(`The tool call was cancelled${reason ? `: ${reason}` : ''}.`, 'error'),
  hostContext: (ctx) => applyContext(ctx),
  teardown: () => {
    state.ended = true;
    poller.stop();
  },
});

const poller = new Poller(round, () => paceOf(settings, state.pbx), {
  now: () => Date.now(),
  setTimer: (fn, ms) => setTimeout(fn, ms),
  clearTimer: (t) => clearTimeout(t as ReturnType<typeof setTimeout>),
});

/** Take in a result of one of the board's tools (`queue`: the queue a list_queue call asked for). */
function absorb(tool: BoardTool, result: ToolResult, at: number, queue?: string): boolean {
  const failed = result.isError === true ? resultText(result) || 'the server reported an error' : undefined;
  if (tool === 'get_active_call') {
    const data = failed ? undefined : readCalls(result.structuredContent);
    state.calls = data ? { data, at } : { data: state.calls?.data, error: failed ?? 'the answer had no calls in it', at };
    if (data) {
      state.pbx = data.pbx ?? state.pbx;
      state.user = data.user ?? state.user;
    }
    return !!data;
  }
  const data = failed ? undefined : readQueue(result.structuredContent);
  const name = queue ?? data?.queue;
  if (!name) return false;
  if (!state.queueNames.includes(name)) state.queueNames.unshift(name);
  const before = state.queues.get(name);
  state.queues.set(name, data ? { data, at } : { data: before?.data, error: failed ?? 'the answer had no queue in it', at });
  if (data?.pbx) state.pbx = data.pbx;
  return !!data;
}

const pbxArg = () => (state.pbx ? { pbx: state.pbx } : {});

function callsArgs(): Record<string, unknown> {
  if (state.tool !== 'get_active_call') return pbxArg();
  const { user, limit } = state.args;
  return { ...(typeof user === 'string' ? { user } : {}), ...(typeof limit === 'number' ? { limit } : {}), ...pbxArg() };
}

async function read(tool: BoardTool, args: Record<string, unknown>): Promise<boolean> {
  let result: ToolResult;
  try {
    result = await bridge.callTool(tool, args, READ_TIMEOUT_MS);
  } catch (e) {
    result = { isError: true, content: [{ type: 'text', text: (e as Error).message }] };
  }
  if (state.ended) return false;
  return absorb(tool, result, Date.now(), str(args.queue));
}

/** Find the PBX's queues (the pbx://{pbx}/queues resource, through the host), the first few of them. */
async function discoverQueues(): Promise<boolean> {
  if (state.queuesFixed || !state.pbx || state.discoveryTries >= DISCOVERY_TRIES) return false;
  state.discoveryTries++;
  let found: ReturnType<typeof readQueueNames>;
  try {
    const r = (await bridge.readResource(`pbx://${encodeURIComponent(state.pbx)}/queues`, READ_TIMEOUT_MS)) as { contents?: { text?: unknown }[] } | undefined;
    if (r === undefined) {
      state.queuesFixed = true;
      state.queuesNote = 'This host does not pass resource reads to the board, so it cannot list the queues: ask for one by name (list_queue) to watch it here.';
      return false;
    }
    found = readQueueNames(r.contents?.[0]?.text);
  } catch (e) {
    state.queuesNote = `Could not list the queues of ${state.pbx}: ${(e as Error).message}`;
    return false;
  }
  if (!found) return false;
  state.queuesFixed = true;
  state.queueNames = found.names.slice(0, MAX_QUEUES);
  state.queuesNote =
    found.total === 0
      ? `${state.pbx} has no call queues.`
      : found.total > MAX_QUEUES
        ? `Showing ${MAX_QUEUES} of ${found.total} queues; ask for another by name (list_queue) to watch it.`
        : undefined;
  const reads = await Promise.all(state.queueNames.map((q) => read('list_queue', { queue: q, ...pbxArg() })));
  return reads.some(Boolean);
}

/** One round of reads: the calls and every queue on the board at once. True when any read worked. */
async function round(): Promise<boolean> {
  if (document.hidden) return true; // nobody is looking: skip the reads, keep the pace
  const reads = [read('get_active_call', callsArgs())];
  if (state.queuesFixed) reads.push(...state.queueNames.map((q) => read('list_queue', { queue: q, ...pbxArg() })));
  else reads.push(discoverQueues());
  const ok = (await Promise.all(reads)).some(Boolean);
  if (ok) state.updatedAt = Date.now();
  draw();
  return ok;
}

function draw(): void {
  board.setTitle(state.pbx);
  board.setBusy(state.busy);
  board.renderCalls(state.calls, { user: state.user ?? str(state.args.user), pbx: state.pbx });
  const parts: QueuePart[] = state.queueNames.map((name) => ({ name, at: Date.now(), ...state.queues.get(name) }));
  board.renderQueues(parts, state.queuesNote);
  drawStatus();
}

function drawStatus(): void {
  if (state.ended) return board.setStatus('Closed', 'off');
  const every = Math.round(paceOf(settings, state.pbx) / 1000);
  const updated = state.updatedAt ? `updated ${timeOfDay(state.updatedAt)}` : 'waiting for the first read';
  if (poller.failures > 0 && poller.dueAt !== undefined) {
    const wait = Math.max(1, Math.round((poller.dueAt - Date.now()) / 1000));
    return board.setStatus(`Not live: the last read failed; retrying in ${wait} s (${updated})`, 'stale');
  }
  board.setStatus(`Live, every ${every} s · ${updated}`, 'live');
}

// ------------------------------------------------------------------ actions, through the same tools

/**
 * Call an action tool; when the server asks for a confirmation the host could not collect, ask here and send the
 * token back only on yes. Says the outcome and reads again as soon as the pace allows.
 */
async function act(key: string, doing: string, tool: string, args: Record<string, unknown>, yesLabel: string): Promise<void> {
  if (state.busy.has(key)) return;
  state.busy.set(key, doing);
  draw();
  board.say(`${doing} (the server may ask you to confirm)`, 'wait');
  try {
    let outcome = outcomeOf(await bridge.callTool(tool, { ...args, ...pbxArg() }, ACTION_TIMEOUT_MS));
    if (outcome.kind === 'confirm') {
      board.say('', 'ok');
      if (!(await board.confirm(outcome.question, yesLabel))) return board.say('Cancelled: nothing was done.', 'ok');
      board.say(doing, 'wait');
      outcome = outcomeOf(await bridge.callTool(tool, { ...args, ...pbxArg(), confirm_token: outcome.token }, ACTION_TIMEOUT_MS));
    }
    if (outcome.kind === 'done') board.say(outcome.message, 'ok');
    else if (outcome.kind === 'declined') board.say('Not confirmed: nothing was done.', 'ok');
    else if (outcome.kind === 'error') board.say(outcome.message, 'error');
    else board.say('The server asked for a confirmation again; nothing was done. Try once more.', 'error');
  } catch (e) {
    // No answer: whether the action happened is unknown; the next read shows the state.
    board.say(`${(e as Error).message} The action may or may not have happened: the board shows the current state.`, 'error');
  } finally {
    state.busy.delete(key);
    draw();
    poller.soon();
  }
}

const actingUser = () => (state.user ? { user: state.user } : {});

function hangup(call: Call): Promise<void> {
  return act(callKey(call), 'Hanging up…', 'hangup', { call_id: call.id, ...actingUser() }, 'Hang up');
}

function transfer(call: Call, to: string): Promise<void> {
  return act(callKey(call), `Transferring to ${to}…`, 'transfer', { call_id: call.id, to, ...actingUser() }, 'Transfer');
}

function pause(queue: string, m: QueueMember): Promise<void> {
  const paused = !m.paused;
  return act(memberKey(queue, m), paused ? 'Pausing…' : 'Resuming…', 'pause_queues', { user: m.user, paused, queues: [queue] }, paused ? 'Pause' : 'Resume');
}

// ------------------------------------------------------------------ the host's look

const VARIABLE = /^--[a-z0-9-]+$/;

function applyContext(ctx: McpUiHostContext): void {
  const root = document.documentElement;
  if (ctx.theme === 'light' || ctx.theme === 'dark') {
    root.dataset.theme = ctx.theme;
    root.style.colorScheme = ctx.theme;
  }
  for (const [name, value] of Object.entries(ctx.styles?.variables ?? {})) {
    if (VARIABLE.test(name) && typeof value === 'string') root.style.setProperty(name, value);
  }
  const dims = ctx.containerDimensions;
  if (dims) root.classList.toggle('fixed-height', 'height' in dims);
  const inset = ctx.safeAreaInsets;
  if (inset) document.body.style.padding = `${inset.top}px ${inset.right}px ${inset.bottom}px ${inset.left}px`;
}

// ------------------------------------------------------------------ start

setInterval(() => {
  board.tick();
  drawStatus();
}, 1000);
document.addEventListener('visibilitychange', () => !document.hidden && poller.soon());
draw();
bridge
  .connect({ name: 'telephony-call-board', version: '1' })
  .then(() => {
    applyContext(bridge.context);
    const name = bridge.context.toolInfo?.tool.name;
    if (name === 'get_active_call' || name === 'list_queue') state.tool = name;
    // The host sends the tool's input right after the handshake; one that never does gets the default PBX's board.
    setTimeout(() => poller.start(), RESULT_WAIT_MS);
  })
  .catch((e: Error) => board.setStatus(`Not connected to the host: ${e.message}`, 'off'));
