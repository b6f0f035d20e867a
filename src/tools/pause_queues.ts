import { z } from 'zod';
import { whoLabel } from './calls.js';
import { actionOutput, defineTool, pbxArg, userArg } from './define.js';

const queueName = z.string().min(1).max(80).regex(/^[^\u0000-\u001f/\\?#&;]+$/, 'a queue name');

export const pauseQueues = defineTool({
  name: 'pause_queues',
  title: 'Pause or resume an agent in queues',
  description:
    'Pause (paused: true) or resume (paused: false) a PBX user as an agent in call queues. A paused agent is not offered ' +
    'queue calls; direct calls still ring. Without `queues` it applies to every queue the user is a member of; some PBXs ' +
    '(Kalliope, xCALLY) can only pause in all queues at once and refuse a list. `reason` is an optional note (e.g. "lunch") where ' +
    'the PBX keeps one. Safe to repeat. Where the PBX cannot report the pause state (xCALLY), `note` in the result says ' +
    'what it could not confirm: tell the user.',
  input: z.object({
    paused: z.boolean().describe('true: stop receiving queue calls; false: receive them again'),
    queues: z.array(queueName).min(1).max(50).optional().describe('Queue names; default: all of the user\'s queues'),
    reason: z.string().max(100).optional().describe('Why, e.g. "lunch" (kept where the PBX supports it)'),
    user: userArg,
    pbx: pbxArg,
  }),
  output: actionOutput({
    paused: z.boolean().optional(),
    queues: z.array(z.string()).optional().describe('The queues named, when a list was given'),
    user: z.string().optional(),
    note: z.string().optional().describe('What the PBX could not confirm (tell the user)'),
  }),
  annotations: { readOnlyHint: false, destructiveHint: false, idempotentHint: true, openWorldHint: true },
  needs: ['pauseQueues'],
  unguarded: 'it ends no call, costs nothing and leaves direct calls ringing, and calling it again with the other value undoes it',
  async run(ctx, args) {
    const pbx = ctx.pbx(args.pbx);
    const pause = pbx.op('pauseQueues');
    const user = pbx.actingUser(args.user);
    const r = await pause({ user, paused: args.paused, queues: args.queues, reason: args.reason }, { signal: ctx.signal });
    const note = r?.note;
    const where = args.queues ? `queue${args.queues.length > 1 ? 's' : ''} ${args.queues.join(', ')}` : 'all queues';
    const done = `${whoLabel(pbx, user)} is ${args.paused ? 'paused' : 'active again'} in ${where}.`;
    return {
      message: note ? `${done} ${note}` : done,
      ...(note ? { note } : {}),
      pbx: pbx.name,
      paused: args.paused,
      ...(args.queues ? { queues: args.queues } : {}),
      ...(user ? { user } : {}),
    };
  },
  summarize: (r) => `${r.user ?? 'Agent'} ${r.paused ? 'paused' : 'resumed'} in ${r.queues ? r.queues.join(', ') : 'all queues'}.`,
});
