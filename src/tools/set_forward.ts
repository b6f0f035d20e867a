import { z } from 'zod';
import { ArgumentError } from '../errors.js';
import { FORWARD_KINDS, type ForwardKind } from '../backends/model.js';
import { whoLabel } from './calls.js';
import { actionOutput, CONFIRM_FLOW, defineTool, numberArg, pbxArg, userArg } from './define.js';

/** "all calls of alice", "the calls alice does not answer", "the calls that reach alice while busy" */
const which = (kind: ForwardKind, who: string): string =>
  kind === 'unconditional' ? `all calls of ${who}` : kind === 'noanswer' ? `the calls ${who} does not answer` : `the calls that reach ${who} while busy`;

const cap = (s: string) => s.charAt(0).toUpperCase() + s.slice(1);

const KIND_WORDS: Record<ForwardKind, string> = { unconditional: 'unconditional', noanswer: 'no-answer', busy: 'busy' };

export const setForward = defineTool({
  name: 'set_forward',
  title: 'Set call forwarding',
  description:
    'Turn a call forward of a PBX user on (to a destination) or off. kind: unconditional (every call), noanswer ' +
    '(calls not answered in time) or busy (calls while the user is on the phone). The destination passes the dial ' +
    `policy. Turning a forward on asks the user first. ${CONFIRM_FLOW} Safe to repeat.`,
  input: z.object({
    kind: z.enum(FORWARD_KINDS),
    enabled: z.boolean().describe('true: forward (needs destination); false: stop forwarding'),
    destination: numberArg.optional().describe('An extension or an outside number'),
    user: userArg,
    pbx: pbxArg,
  }),
  output: actionOutput({
    kind: z.enum(FORWARD_KINDS).optional(),
    enabled: z.boolean().optional(),
    destination: z.string().optional().describe('Normalized'),
    user: z.string().optional(),
  }),
  annotations: { readOnlyHint: false, destructiveHint: true, idempotentHint: true, openWorldHint: true },
  capabilities: ['setForward'],
  guarded: true,
  async run(ctx, args) {
    const pbx = ctx.pbx(args.pbx);
    const set = pbx.op('setForward');
    const user = pbx.actingUser(args.user);
    if (args.enabled && args.destination === undefined) {
      throw new ArgumentError('invalid', `turning the ${args.kind} forward on needs a destination`, {
        hint: 'Pass destination (an extension or a number), or enabled: false to turn it off.',
      });
    }
    const n = args.destination !== undefined ? ctx.checkNumber(args.destination, 'forward', pbx) : undefined;
    const who = whoLabel(pbx, user);
    if (args.enabled) await ctx.confirm(`Forward ${which(args.kind, who)} to ${n!.display}?`);
    else await ctx.confirm('', { skip: true });
    await set({ user, kind: args.kind, destination: n?.number, enabled: args.enabled }, { signal: ctx.signal });
    return {
      message: args.enabled ? `${cap(which(args.kind, who))} now go to ${n!.display}.` : `The ${KIND_WORDS[args.kind]} forward of ${who} is off.`,
      pbx: pbx.name,
      kind: args.kind,
      enabled: args.enabled,
      ...(n ? { destination: n.number } : {}),
      ...(user ? { user } : {}),
    };
  },
  // "Calls that reach alice while busy now go to 202.": numbers and logins only, no PBX text.
  summarize: (r) => {
    if (r.status !== 'done' || !r.kind) return r.message;
    const who = r.user ?? 'the user';
    return r.enabled ? `${cap(which(r.kind, who))} now go to ${r.destination ?? '?'}.` : `The ${KIND_WORDS[r.kind]} forward of ${who} is off.`;
  },
});
