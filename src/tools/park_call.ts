import { z } from 'zod';
import { callAction } from './call-action.js';
import { actionOutput, callIdArg, CONFIRM_FLOW, defineTool, NO_RETRY, pbxArg, userArg } from './define.js';

export const parkCall = defineTool({
  name: 'park_call',
  title: 'Park a call',
  description:
    'Park a call (call_id: from get_active_call): the other party waits in a parking slot until someone picks the ' +
    'call up by dialling the slot (place_call with to = the slot). Returns the slot. Asks the user first. ' +
    `${CONFIRM_FLOW} ${NO_RETRY}`,
  input: z.object({
    call_id: callIdArg,
    slot: z
      .union([z.string().regex(/^[0-9]{1,10}$/), z.number().int().nonnegative().max(9_999_999_999)])
      .optional()
      .describe('Default: the first free slot (a taken one fails)'),
    user: userArg,
    pbx: pbxArg,
  }),
  output: actionOutput({
    slot: z.string().optional().describe('Dial it to pick the call up'),
    call_id: z.string().optional(),
  }),
  annotations: { readOnlyHint: false, destructiveHint: true, idempotentHint: false, openWorldHint: true },
  capabilities: ['parkCall'],
  guarded: true,
  run: (ctx, args) => {
    const slot = args.slot === undefined ? undefined : String(args.slot);
    return callAction(ctx, args, {
      op: (pbx) => pbx.op('parkCall'),
      // Any call can be parked by its id; `user` only says who parks it when the PBX needs to know. A caller that may
      // act only for its own user parks only that user's calls.
      pick: 'current',
      user: 'optional',
      ask: (t) => `Park ${t.what} ${slot ? `in slot ${slot}` : 'in the first free slot'}?`,
      async act(park, t) {
        const r = await park({ user: t.user, callId: args.call_id, slot }, { signal: ctx.signal });
        return { message: `Parked ${t.what} in slot ${r.slot}; dial ${r.slot} to pick it up.`, pbx: t.pbx.name, slot: r.slot, call_id: args.call_id };
      },
    });
  },
  summarize: (r) => (r.status === 'done' ? `Parked call ${r.call_id} in slot ${r.slot}.` : r.message),
});
