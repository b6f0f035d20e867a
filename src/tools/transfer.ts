import { z } from 'zod';
import { Call } from '../backends/model.js';
import { describeCall, resolveCall, whoLabel } from './calls.js';
import { actionOutput, callIdArg, defineTool, numberArg, pbxArg, userArg } from './define.js';

export const transfer = defineTool({
  name: 'transfer',
  title: 'Transfer a call',
  description:
    "Transfer the user's call to another number. mode \"blind\" (default) sends the other party straight to `to` and " +
    'the user leaves the call. mode "attended" first puts the call on hold and rings `to` so the user can speak to them; ' +
    'the result says how the transfer then completes on this PBX (usually: hang up the consultation call). Without ' +
    "call_id it acts on the user's current call. `to` is an extension or an outside number and passes the dial policy. " +
    'Needs the user\'s confirmation: on status "confirmation_required" ask the user and call again with the confirm_token. ' +
    'Never retry after an "outcome unknown" error.',
  input: z.object({
    to: numberArg.describe('Where to transfer the call: an extension or an outside number'),
    call_id: callIdArg.optional().describe("The call to transfer; default: the user's current call"),
    mode: z.enum(['blind', 'attended']).default('blind').describe('blind (default) or attended (consult the target first)'),
    user: userArg,
    pbx: pbxArg,
  }),
  output: actionOutput({
    call_id: z.string().optional(),
    mode: z.enum(['blind', 'attended']).optional(),
    to: z.string().optional(),
    consult_call: Call.optional().describe('attended: the consultation call to the target'),
    completion: z.string().optional().describe('attended: how the transfer completes on this PBX'),
  }),
  annotations: { readOnlyHint: false, destructiveHint: true, idempotentHint: false, openWorldHint: true },
  needs: ['transferBlind', 'transferAttended'],
  guarded: true,
  async run(ctx, args) {
    const pbx = ctx.pbx(args.pbx);
    const attended = args.mode === 'attended';
    // Fetched before asking, so an unsupported mode fails before the user is bothered.
    const consult = attended ? pbx.op('transferAttended', 'do attended transfers') : undefined;
    const blind = attended ? undefined : pbx.op('transferBlind', 'do blind transfers');
    const user = pbx.actingUser(args.user);
    const n = ctx.checkNumber(args.to, 'transfer', pbx);
    const call = await resolveCall(pbx, user, args.call_id);
    const what = call ? describeCall(call) : args.call_id ? `call ${args.call_id}` : `the current call of ${whoLabel(pbx, user)}`;
    const how = attended ? ' (attended: the call goes on hold while the target is rung)' : '';
    await ctx.confirm(`Transfer ${what} to ${n.display}${how}?`, { bind: call?.id });
    // Sending a call outside makes the PBX dial out: it counts against the call rates like a placed call.
    if (n.mayLeave) await ctx.admitCall(pbx, user, { rateOnly: true });
    const callId = call?.id ?? args.call_id;
    const base = { pbx: pbx.name, mode: args.mode, to: n.number, ...(callId ? { call_id: callId } : {}) };
    if (consult) {
      const r = await consult({ user, callId, to: n.number }, { signal: ctx.signal });
      return {
        ...base,
        message: `Attended transfer of ${what} to ${n.display} started: ${r.completion}.`,
        ...(r.consultCall ? { consult_call: r.consultCall } : {}),
        completion: r.completion,
      };
    }
    await blind!({ user, callId, to: n.number }, { signal: ctx.signal });
    return { ...base, message: `Transferred ${what} to ${n.display}.` };
  },
  summarize: (r) =>
    r.status === 'done'
      ? r.mode === 'attended'
        ? `Attended transfer to ${r.to} started${r.consult_call ? ` (consultation call ${r.consult_call.id})` : ''}.`
        : `Transferred${r.call_id ? ` call ${r.call_id}` : ''} to ${r.to}.`
      : r.message,
});
