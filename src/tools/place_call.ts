import { z } from 'zod';
import type { PlaceCallResult } from '../backends/backend.js';
import { ArgumentError } from '../errors.js';
import { Call } from '../backends/model.js';
import type { PbxHandle } from '../backends/registry.js';
import { whoLabel } from './calls.js';
import { actionOutput, CONFIRM_FLOW, defineTool, NO_RETRY, numberArg, pbxArg, resultCall, type ToolContext, userArg } from './define.js';

/** A queue name as a person writes it (no separators that could reach a URL or a dial string). */
const queueNameArg = z.string().min(1).max(64).regex(/^[^\u0000-\u001f/\\?#&;,]+$/, 'a queue name');

function invalid(message: string, hint?: string): ArgumentError {
  return new ArgumentError('invalid', message, hint ? { hint } : {});
}

export const placeCall = defineTool({
  name: 'place_call',
  title: 'Place a call',
  description:
    "Call a number from a PBX user's phone: their phone rings or dials out, then the destination rings. Use it when " +
    'the user asks to call someone (a colleague by login: dial_user). Outside numbers pass the dial policy ' +
    '(premium-rate, emergency and, by default, international numbers are refused) and ask the user first; extensions ' +
    'do not, by default. Returns the new call (id, state) when the PBX reports it; get_active_call follows it. ' +
    `from_queue_id and to_queue work where the PBX has them (pbx://{pbx}/capabilities). ${CONFIRM_FLOW} ${NO_RETRY}`,
  input: z.object({
    to: numberArg.describe('An extension ("202") or an outside number, best international ("+39 06 1234 5678")'),
    user: userArg,
    from_queue_id: z
      .number()
      .int()
      .min(0)
      .max(1_000_000_000)
      .optional()
      .describe('Call from this queue (numeric id)'),
    to_queue: queueNameArg
      .optional()
      .describe('Call `to` and put the answered call into this queue (name), with no user phone: leave out user; needs caller_id'),
    caller_id: numberArg.optional().describe("With to_queue: the number shown, one of the PBX's own"),
    wait_seconds: z
      .number()
      .int()
      .min(0)
      .max(60)
      .optional()
      .describe('Wait up to this long for an answer, with progress (default: no wait)'),
    pbx: pbxArg,
  }),
  output: actionOutput({
    call: resultCall.optional(),
    call_id: z.string().optional(),
    to: z.string().optional().describe('Normalized'),
  }),
  annotations: { readOnlyHint: false, destructiveHint: false, idempotentHint: false, openWorldHint: true },
  capabilities: ['placeCall', 'dialToQueue'],
  guarded: true,
  async run(ctx, args) {
    const pbx = ctx.pbx(args.pbx);
    if (args.from_queue_id !== undefined && args.to_queue !== undefined) {
      throw invalid('from_queue_id and to_queue cannot be combined', 'Use from_queue_id to call from a queue, or to_queue to call into one.');
    }
    if (args.caller_id !== undefined && args.to_queue === undefined) {
      throw invalid('caller_id is only used with to_queue', 'Leave out caller_id: a normal call shows the caller ID the PBX gives the user.');
    }
    let r: PlaceCallResult;
    let display: string;
    let to: string;
    let caller: string | undefined;
    if (args.to_queue !== undefined) {
      const dial = pbx.op('dialToQueue', 'dial a number into a queue (to_queue)');
      if (args.user !== undefined) {
        throw invalid('to_queue calls the number straight into the queue: no user phone takes part', 'Leave out user.');
      }
      if (args.caller_id === undefined) {
        const owned = pbx.settings.ownedNumbers;
        throw invalid(
          'to_queue needs caller_id, the number the called party sees',
          owned.length ? `Use one of this PBX's own numbers: ${owned.join(', ')}.` : 'This PBX entry lists no ownedNumbers, so it cannot dial into a queue.',
        );
      }
      const n = ctx.checkNumber(args.to, 'call', pbx);
      const callerId = ctx.checkCallerId(args.caller_id, pbx);
      await ctx.confirm(`Call ${n.display} showing caller ID ${callerId}, and put the call into queue ${args.to_queue} once answered?`, {
        skip: n.noConfirm,
        repeat: { target: ['queue', n.number, args.to_queue], done: `You called ${n.display} into queue ${args.to_queue}`, again: 'Call again?' },
      });
      await ctx.admitCall(pbx, undefined);
      r = await dial({ to: n.number, queue: args.to_queue, callerId }, { signal: ctx.signal });
      display = `${n.display} into queue ${args.to_queue}`;
      to = n.number;
    } else {
      const fromQueue = args.from_queue_id;
      const dial = fromQueue !== undefined ? pbx.op('dialFromQueue', 'dial from a queue (from_queue_id)') : undefined;
      const place = fromQueue === undefined ? pbx.op('placeCall') : undefined;
      const user = pbx.actingUser(args.user);
      const n = ctx.checkNumber(args.to, 'call', pbx);
      const via = fromQueue !== undefined ? ` through queue ${fromQueue}` : '';
      await ctx.confirm(`Call ${n.display} from ${whoLabel(pbx, user)}${via}?`, {
        skip: n.noConfirm,
        // The same number from the same user, whichever way it was typed or whichever queue it goes through.
        repeat: { target: ['call', n.number, user ?? null], done: `You called ${n.display} from ${whoLabel(pbx, user)}`, again: 'Call again?' },
      });
      await ctx.admitCall(pbx, user);
      r = dial
        ? await dial({ user, to: n.number, queueId: fromQueue! }, { signal: ctx.signal })
        : await place!({ user, to: n.number }, { signal: ctx.signal });
      display = `${n.display} for ${whoLabel(pbx, user)}${via}`;
      to = n.number;
      caller = user;
    }
    const id = r.call?.id ?? r.callId;
    let call = r.call;
    let follow = pbx.can('activeCalls')
      ? ' Use get_active_call to follow it.'
      : ' This PBX does not report calls back: ask the user, or look at the call history later.';
    if (args.wait_seconds && pbx.can('activeCalls')) {
      const waited = await waitForAnswer(ctx, pbx, caller, id, to, args.wait_seconds);
      call = waited.call ?? call;
      follow = ` ${waited.note}`;
    }
    return {
      message: `Calling ${display}${id ? ` (call ${id})` : ''}.${follow}`,
      pbx: pbx.name,
      ...(call ? { call } : {}),
      ...(id ? { call_id: id } : {}),
      to,
    };
  },
  summarize: (r) =>
    r.status === 'done'
      ? `Calling ${r.to ?? ''}${r.call_id ? `: call ${r.call_id}` : ''}${r.call ? ` is ${r.call.state}` : ''}.`
      : r.message,
});

const POLL_MS = 500;

/** Follow a just-placed call until it is answered, ends or `seconds` pass, reporting progress. */
async function waitForAnswer(
  ctx: ToolContext,
  pbx: PbxHandle,
  user: string | undefined,
  id: string | undefined,
  to: string,
  seconds: number,
): Promise<{ call?: Call; note: string }> {
  const read = pbx.op('activeCalls');
  const started = performance.now();
  const deadline = Date.now() + seconds * 1000;
  let last: Call | undefined;
  while (!ctx.signal.aborted) {
    const calls = await read({ user }, { signal: ctx.signal });
    const c = calls.find((x) => (id ? x.id === id : x.to.number === to));
    // Progress must strictly increase (MCP): seconds to the millisecond, as two polls never share one.
    const waited = Math.round(performance.now() - started) / 1000;
    const elapsed = Math.round(waited);
    if (!c) return last ? { note: `The call ended after ${elapsed} s without being answered.` } : { note: 'The call is no longer active.' };
    last = c;
    ctx.progress(Math.min(waited, seconds), seconds, `call ${c.id} is ${c.state}`);
    if (c.state === 'connected' || c.answered) return { call: c, note: `It was answered after ${elapsed} s.` };
    if (Date.now() + POLL_MS > deadline) break;
    await new Promise((r) => setTimeout(r, POLL_MS));
  }
  return { ...(last ? { call: last } : {}), note: `Not answered within ${seconds} s; it is still ${last?.state ?? 'ringing'}.` };
}
