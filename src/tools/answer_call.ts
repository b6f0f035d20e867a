import { z } from 'zod';
import { callAction } from './call-action.js';
import { actionOutput, callIdArg, CONFIRM_FLOW, defineTool, NO_RETRY, pbxArg, resultCall, userArg } from './define.js';

export const answerCall = defineTool({
  name: 'answer_call',
  title: 'Answer a ringing call',
  description:
    "Pick up a call ringing at the user's phone (desktop-client PBXs: the phone of the agent logged in there): by " +
    'default the one call ringing now; if several ring, pass the call_id of one (from get_active_call). Returns the ' +
    `answered call when the PBX reports it. Asks the user first. ${CONFIRM_FLOW} ${NO_RETRY}`,
  input: z.object({
    call_id: callIdArg.optional(),
    user: userArg,
    pbx: pbxArg,
  }),
  output: actionOutput({
    call: resultCall.optional(),
    call_id: z.string().optional(),
  }),
  annotations: { readOnlyHint: false, destructiveHint: false, idempotentHint: false, openWorldHint: true },
  capabilities: ['answer'],
  guarded: true,
  run: (ctx, args) =>
    callAction(ctx, args, {
      op: (pbx) => pbx.op('answer'),
      pick: 'ringing',
      ask: (t) => `Answer ${t.what}?`,
      async act(answer, t) {
        const answered = await answer({ user: t.user, callId: t.callId }, { signal: ctx.signal });
        const id = answered?.id ?? t.callId;
        return {
          message: `Answered ${t.what}.`,
          pbx: t.pbx.name,
          ...(answered ? { call: answered } : {}),
          ...(id ? { call_id: id } : {}),
        };
      },
    }),
  summarize: (r) => (r.status === 'done' ? `Answered${r.call_id ? ` call ${r.call_id}` : ' the ringing call'}.` : r.message),
});
