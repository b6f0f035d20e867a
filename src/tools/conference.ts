import { z } from 'zod';
import { callAction } from './call-action.js';
import { actionOutput, callIdArg, CONFIRM_FLOW, defineTool, NO_RETRY, pbxArg, userArg } from './define.js';

const RECIPE =
  'answer or connect call A, put A on hold (hold_call), call B (place_call) and wait until get_active_call shows B connected, then conference with call_id = A';

export const conference = defineTool({
  name: 'conference',
  title: 'Join a held call into a conference',
  description:
    "Join a call on hold (call_id) with the user's current connected call into one three-way conference. Steps: (1) " +
    'call A connected (answer_call if it rings); (2) hold_call A; (3) place_call B, and wait until get_active_call ' +
    "shows B connected; (4) conference with call_id = A's id. Afterwards hangup ends the user's part (some PBXs hang " +
    `up each other party in turn). Asks the user first. ${CONFIRM_FLOW} ${NO_RETRY}`,
  input: z.object({
    call_id: callIdArg,
    user: userArg,
    pbx: pbxArg,
  }),
  output: actionOutput({
    call_id: z.string().optional(),
    joined_call_id: z.string().optional(),
  }),
  annotations: { readOnlyHint: false, destructiveHint: false, idempotentHint: false, openWorldHint: true },
  capabilities: ['conference'],
  guarded: true,
  run: (ctx, args) =>
    callAction(ctx, args, {
      op: (pbx) => pbx.op('conference'),
      pick: 'conference',
      hint: `The recipe: ${RECIPE}.`,
      ask: (t) => `Join ${t.what} into a three-way conference?`,
      async act(join, t) {
        await join({ user: t.user, callId: args.call_id }, { signal: ctx.signal });
        return {
          message: `Joined ${t.what} into a conference. get_active_call shows it; hangup ends the user's part.`,
          pbx: t.pbx.name,
          call_id: args.call_id,
          ...(t.partner ? { joined_call_id: t.partner.id } : {}),
        };
      },
    }),
  summarize: (r) => (r.status === 'done' ? `Call ${r.call_id} joined into a conference${r.joined_call_id ? ` with call ${r.joined_call_id}` : ''}.` : r.message),
});
