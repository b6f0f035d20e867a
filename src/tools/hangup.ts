import { z } from 'zod';
import { actionOutput, callIdArg, CONFIRM_FLOW, defineTool, NO_RETRY, pbxArg, userArg } from './define.js';
import { describeCall, resolveCall, whoLabel } from './calls.js';

export const hangup = defineTool({
  name: 'hangup',
  title: 'Hang up a call',
  description:
    "End a call: by default the user's current one (connected first, else ringing, else held); call_id picks another " +
    '(get_active_call lists them). In a conference only this user leaves. Hanging up the consultation call of an ' +
    'attended transfer completes it where the PBX works that way (the transfer result says so). Asks the user first. ' +
    `${CONFIRM_FLOW} ${NO_RETRY}`,
  input: z.object({
    call_id: callIdArg.optional(),
    user: userArg,
    pbx: pbxArg,
  }),
  output: actionOutput({ call_id: z.string().optional() }),
  annotations: { readOnlyHint: false, destructiveHint: true, idempotentHint: false, openWorldHint: true },
  needs: ['hangup'],
  guarded: true,
  async run(ctx, args) {
    const pbx = ctx.pbx(args.pbx);
    const hang = pbx.op('hangup');
    const user = pbx.actingUser(args.user);
    const call = await resolveCall(pbx, user, args.call_id);
    const what = call ? describeCall(call) : args.call_id ? `call ${args.call_id}` : `the current call of ${whoLabel(pbx, user)}`;
    await ctx.confirm(`Hang up ${what}?`, { bind: call?.id });
    const callId = call?.id ?? args.call_id;
    await hang({ user, callId }, { signal: ctx.signal });
    return { message: `Hung up ${what}.`, pbx: pbx.name, ...(callId ? { call_id: callId } : {}) };
  },
  summarize: (r) => (r.status === 'done' ? `Hung up${r.call_id ? ` call ${r.call_id}` : ' the current call'}.` : r.message),
});
