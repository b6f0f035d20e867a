import { z } from 'zod';
import { whoLabel } from './calls.js';
import { actionOutput, defineTool, pbxArg, userArg } from './define.js';

export const setDnd = defineTool({
  name: 'set_dnd',
  title: 'Set do-not-disturb',
  description:
    "Turn do-not-disturb on or off for a PBX user. While it is on, the user's phone does not ring: direct calls are " +
    'rejected as busy and queues offer them no calls. Safe to repeat.',
  input: z.object({
    enabled: z.boolean(),
    user: userArg,
    pbx: pbxArg,
  }),
  output: actionOutput({ enabled: z.boolean().optional(), user: z.string().optional() }),
  annotations: { readOnlyHint: false, destructiveHint: false, idempotentHint: true, openWorldHint: true },
  capabilities: ['setDnd'],
  unguarded: 'it ends no call and costs nothing, and calling it again with the other value undoes it',
  async run(ctx, args) {
    const pbx = ctx.pbx(args.pbx);
    const set = pbx.op('setDnd');
    const user = pbx.actingUser(args.user);
    await set({ user, enabled: args.enabled }, { signal: ctx.signal });
    return {
      message: `Do-not-disturb is ${args.enabled ? 'on' : 'off'} for ${whoLabel(pbx, user)}.`,
      pbx: pbx.name,
      enabled: args.enabled,
      ...(user ? { user } : {}),
    };
  },
  summarize: (r) => `Do-not-disturb ${r.enabled ? 'on' : 'off'}${r.user ? ` for ${r.user}` : ''}.`,
});
