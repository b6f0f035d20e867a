import { z } from 'zod';
import { Call } from '../backends/model.js';
import type { PbxHandle } from '../backends/registry.js';
import type { ToolContext } from './define.js';
import { whoLabel } from './calls.js';
import { actionOutput, confirmTokenArg, defineTool, numberArg, pbxArg, userArg } from './define.js';

export const placeCall = defineTool({
  name: 'place_call',
  title: 'Place a call',
  description:
    "Start a phone call from a PBX user's phone to a number. The user's phone rings or dials out; the call then " +
    'rings at the destination. Use it when the user asks to call someone. `to` is an internal extension (e.g. "202") or an ' +
    'outside number, best in international form ("+39 06 1234 5678"); only digits, spaces, dots, dashes, parentheses and a ' +
    'leading + are accepted. Outside numbers are checked against the dial policy (premium-rate, emergency and, by default, ' +
    'international numbers are refused) and usually need the user\'s confirmation: if the result has status ' +
    '"confirmation_required", ask the user and call again with the same arguments and the confirm_token. Returns the new ' +
    'call (id and state, usually "ringing"); follow it with get_active_call. Never retry after an error that says the ' +
    'outcome is unknown: the phone may already be ringing.',
  input: z.object({
    to: numberArg.describe('The number to call: an extension or an outside number (international form preferred)'),
    user: userArg,
    wait_seconds: z
      .number()
      .int()
      .min(0)
      .max(60)
      .optional()
      .describe('Wait up to this many seconds for the call to be answered, with progress updates (default: return at once)'),
    pbx: pbxArg,
    confirm_token: confirmTokenArg,
  }),
  output: actionOutput({
    call: Call.optional().describe('The new call, when the PBX reports it at once'),
    call_id: z.string().optional(),
    to: z.string().optional().describe('The number dialled, normalized'),
  }),
  annotations: { readOnlyHint: false, destructiveHint: false, idempotentHint: false, openWorldHint: true },
  needs: ['placeCall'],
  guarded: true,
  async run(ctx, args) {
    const pbx = ctx.pbx(args.pbx);
    const place = pbx.op('placeCall');
    const user = pbx.actingUser(args.user);
    const n = ctx.checkNumber(args.to, 'call', pbx);
    await ctx.confirm(`Call ${n.display} from ${whoLabel(pbx, user)}?`, { skip: n.noConfirm });
    await ctx.admitCall(pbx, user);
    const r = await place({ user, to: n.number }, { signal: ctx.signal });
    const id = r.call?.id ?? r.callId;
    let call = r.call;
    let note = ' Use get_active_call to follow it.';
    if (args.wait_seconds && pbx.can('activeCalls')) {
      const waited = await waitForAnswer(ctx, pbx, user, id, n.number, args.wait_seconds);
      call = waited.call ?? call;
      note = ` ${waited.note}`;
    }
    return {
      message: `Calling ${n.display} for ${whoLabel(pbx, user)}${id ? ` (call ${id})` : ''}.${note}`,
      pbx: pbx.name,
      ...(call ? { call } : {}),
      ...(id ? { call_id: id } : {}),
      to: n.number,
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
  const started = Date.now();
  const deadline = started + seconds * 1000;
  let last: Call | undefined;
  while (!ctx.signal.aborted) {
    const calls = await read({ user }, { signal: ctx.signal });
    const c = calls.find((x) => (id ? x.id === id : x.to.number === to));
    const elapsed = Math.round((Date.now() - started) / 1000);
    if (!c) return last ? { note: `The call ended after ${elapsed} s without being answered.` } : { note: 'The call is no longer active.' };
    last = c;
    ctx.progress(elapsed, seconds, `call ${c.id} is ${c.state}`);
    if (c.state === 'connected' || c.answered) return { call: c, note: `It was answered after ${elapsed} s.` };
    if (Date.now() + POLL_MS > deadline) break;
    await new Promise((r) => setTimeout(r, POLL_MS));
  }
  return { ...(last ? { call: last } : {}), note: `Not answered within ${seconds} s; it is still ${last?.state ?? 'ringing'}.` };
}
