import { z } from 'zod';
import { callAction } from './call-action.js';
import { actionOutput, callIdArg, CONFIRM_FLOW, defineTool, NO_RETRY, pbxArg, userArg } from './define.js';

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
  capabilities: ['hangup'],
  guarded: true,
  run: (ctx, args) =>
    callAction(ctx, args, {
      op: (pbx) => pbx.op('hangup'),
      pick: 'current',
      ask: (t) => `Hang up ${t.what}?`,
      async act(hang, t) {
        await hang({ user: t.user, callId: t.callId }, { signal: ctx.signal });
        return { message: `Hung up ${t.what}.`, pbx: t.pbx.name, ...(t.callId ? { call_id: t.callId } : {}) };
      },
    }),
  summarize: (r) => (r.status === 'done' ? `Hung up${r.call_id ? ` call ${r.call_id}` : ' the current call'}.` : r.message),
});
