import { z } from 'zod';
import { whoLabel } from './calls.js';
import { actionOutput, defineTool, pbxArg, userArg } from './define.js';

const queueName = z.string().min(1).max(80).regex(/^[^\u0000-\u001f/\\?#&;]+$/, 'a queue name');

export const pauseQueues = defineTool({
  name: 'pause_queues',
  title: 'Pause or resume an agent in queues',
  description:
    'Pause (paused: true) or resume a PBX user as an agent in call queues. A paused agent is offered no queue calls; ' +
    'direct calls still ring. By default in every queue of the user; some PBXs (Kalliope, xCALLY) pause only in all ' +
    'queues at once and refuse a list. Safe to repeat. Where the PBX cannot report the pause state (xCALLY), `note` in ' +
    'the result says what it could not confirm: tell the user.',
  input: z.object({
    paused: z.boolean(),
    queues: z.array(queueName).min(1).max(50).optional().describe("Queue names; default: all of the user's queues"),
    reason: z.string().max(100).optional().describe('e.g. "lunch", where the PBX keeps one'),
    user: userArg,
    pbx: pbxArg,
  }),
  output: actionOutput({
    paused: z.boolean().optional(),
    queues: z.array(z.string()).optional(),
    user: z.string().optional(),
    note: z.string().optional().describe('Tell the user'),
  }),
  annotations: { readOnlyHint: false, destructiveHint: false, idempotentHint: true, openWorldHint: true },
  capabilities: ['pauseQueues'],
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
