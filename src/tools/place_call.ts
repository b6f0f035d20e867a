import { z } from 'zod';
import { Call } from '../backends/model.js';
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
    return {
      message: `Calling ${n.display} for ${whoLabel(pbx, user)}${id ? ` (call ${id})` : ''}. Use get_active_call to follow it.`,
      pbx: pbx.name,
      ...(r.call ? { call: r.call } : {}),
      ...(id ? { call_id: id } : {}),
      to: n.number,
    };
  },
  summarize: (r) =>
    r.status === 'done'
      ? `Calling ${r.to ?? ''}${r.call_id ? `: call ${r.call_id}` : ''}${r.call ? ` is ${r.call.state}` : ''}.`
      : r.message,
});
