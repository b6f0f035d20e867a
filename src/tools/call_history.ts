import { z } from 'zod';
import { HistoryEntry } from '../backends/model.js';
import { capList, defineTool, listFields, pbxArg, userArg } from './define.js';

export const callHistory = defineTool({
  name: 'call_history',
  title: 'Call history of a user',
  description:
    "A PBX user's recent calls, newest first: when each started, how long it lasted, who called whom (numbers, or on " +
    'some PBXs logins) and how it ended. Use it to find who called, or whether an earlier call happened.',
  input: z.object({
    user: userArg,
    size: z.number().int().min(1).max(500).optional().describe('At most this many calls (default 50)'),
    days: z.number().int().min(1).max(365).optional().describe('Only the last N days'),
    pbx: pbxArg,
  }),
  output: z.object({
    pbx: z.string(),
    user: z.string().optional(),
    entries: z.array(HistoryEntry),
    ...listFields,
  }),
  annotations: { readOnlyHint: true, destructiveHint: false, idempotentHint: true, openWorldHint: true },
  capabilities: ['history'],
  async run(ctx, args) {
    const pbx = ctx.pbx(args.pbx);
    const read = pbx.op('history');
    const user = pbx.actingUser(args.user);
    // The PBX may send more than asked for: `size` bounds what the model is handed too.
    const all = await read({ user, size: args.size, days: args.days }, { signal: ctx.signal });
    const { items, total, truncated } = capList(all, args.size, 'calls', 'pass a higher size (up to 500), or fewer days');
    return { pbx: pbx.name, ...(user ? { user } : {}), entries: items, total, ...(truncated ? { truncated } : {}) };
  },
  summarize: (r) => `${r.entries.length} call${r.entries.length === 1 ? '' : 's'} in the history${r.user ? ` of ${r.user}` : ''}.`,
});
