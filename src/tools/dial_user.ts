import { z } from 'zod';
import { whoLabel } from './calls.js';
import { actionOutput, CONFIRM_FLOW, defineTool, NO_RETRY, pbxArg, resultCall, userArg } from './define.js';

export const dialUser = defineTool({
  name: 'dial_user',
  title: 'Call a user by login',
  description:
    "Call another PBX user by login from a PBX user's phone, without knowing their number: the PBX finds their line. " +
    `For numbers and extensions use place_call. Asks the user first. ${CONFIRM_FLOW} ${NO_RETRY}`,
  input: z.object({
    username: z
      .string()
      .min(1)
      .max(64)
      .regex(/^[^\u0000-\u001f/\\?#&;,\s]+$/, 'a user login')
      .describe('Login of the user to call (e.g. "jbond"), not a number'),
    user: userArg,
    pbx: pbxArg,
  }),
  output: actionOutput({
    call: resultCall.optional(),
    call_id: z.string().optional(),
    username: z.string().optional(),
  }),
  annotations: { readOnlyHint: false, destructiveHint: false, idempotentHint: false, openWorldHint: true },
  capabilities: ['dialUser'],
  guarded: true,
  async run(ctx, args) {
    const pbx = ctx.pbx(args.pbx);
    const dial = pbx.op('dialUser');
    const user = pbx.actingUser(args.user);
    await ctx.confirm(`Call user ${args.username} from ${whoLabel(pbx, user)}?`, {
      repeat: { target: [args.username, user ?? null], done: `You called user ${args.username} from ${whoLabel(pbx, user)}`, again: 'Call again?' },
    });
    await ctx.admitCall(pbx, user);
    const r = await dial({ user, username: args.username }, { signal: ctx.signal });
    const id = r.call?.id ?? r.callId;
    return {
      message: `Calling user ${args.username} for ${whoLabel(pbx, user)}${id ? ` (call ${id})` : ''}.`,
      pbx: pbx.name,
      ...(r.call ? { call: r.call } : {}),
      ...(id ? { call_id: id } : {}),
      username: args.username,
    };
  },
  summarize: (r) => (r.status === 'done' ? `Calling user ${r.username ?? ''}${r.call_id ? `: call ${r.call_id}` : ''}.` : r.message),
});
