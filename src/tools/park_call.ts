import { z } from 'zod';
import { describeCall, resolveCall } from './calls.js';
import { actionOutput, callIdArg, defineTool, pbxArg, userArg } from './define.js';

export const parkCall = defineTool({
  name: 'park_call',
  title: 'Park a call',
  description:
    'Park a call in the PBX parking lot: the other party waits in a slot and anyone can pick the call up by dialling the ' +
    'slot number (place_call with to = the slot). Give `slot` to choose one (it fails if taken); otherwise the PBX picks a ' +
    'free slot. Returns the slot. Get call ids from get_active_call. Needs the user\'s confirmation: on status ' +
    '"confirmation_required" ask the user and call again with the confirm_token. Never retry after an "outcome unknown" error.',
  input: z.object({
    call_id: callIdArg.describe('The call to park (from get_active_call)'),
    slot: z
      .union([z.string().regex(/^[0-9]{1,10}$/), z.number().int().nonnegative().max(9_999_999_999)])
      .optional()
      .describe('The parking slot to use; default: the first free one'),
    user: userArg,
    pbx: pbxArg,
  }),
  output: actionOutput({
    slot: z.string().optional().describe('The slot the call waits in; dial it to pick the call up'),
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
