import { z } from 'zod';
import { describeCall, resolveCall } from './calls.js';
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
  needs: ['parkCall'],
  guarded: true,
  async run(ctx, args) {
    const pbx = ctx.pbx(args.pbx);
    const park = pbx.op('parkCall');
    // Any call can be parked by its id; `user` only says who parks it when the PBX needs to know. A caller that may
    // act only for its own user parks only that user's calls.
    const own = pbx.ownUserOnly;
    const user = args.user === undefined && !own ? undefined : pbx.user(args.user);
    const slot = args.slot === undefined ? undefined : String(args.slot);
    const call = await resolveCall(pbx, own ? user : undefined, args.call_id);
    const what = call ? describeCall(call) : `call ${args.call_id}`;
    await ctx.confirm(`Park ${what} ${slot ? `in slot ${slot}` : 'in the first free slot'}?`);
    const r = await park({ user, callId: args.call_id, slot }, { signal: ctx.signal });
    return { message: `Parked ${what} in slot ${r.slot}; dial ${r.slot} to pick it up.`, pbx: pbx.name, slot: r.slot, call_id: args.call_id };
  },
  summarize: (r) => (r.status === 'done' ? `Parked call ${r.call_id} in slot ${r.slot}.` : r.message),
});
