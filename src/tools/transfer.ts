import { z } from 'zod';
import { VOICEMAIL_BOX } from '../backends/backend.js';
import { ArgumentError } from '../errors.js';
import { callAction } from './call-action.js';
import type { CheckedNumber } from '../safety/dialing.js';
import { actionOutput, callIdArg, CONFIRM_FLOW, defineTool, NO_RETRY, numberArg, pbxArg, resultCall, userArg } from './define.js';

export const transfer = defineTool({
  name: 'transfer',
  title: 'Transfer a call',
  description:
    "Transfer the user's call (default: the current one; call_id picks another) to another number. blind (default): " +
    'the other party goes straight to `to` and the user leaves the call. attended: the call goes on hold and `to` ' +
    'rings so the user can speak to them first; the result says how the transfer then completes (usually: hang up the ' +
    'consultation call). `to` passes the dial policy. `voicemail` instead of `to` sends the caller to a voicemail box ' +
    `(blind only). Asks the user first. ${CONFIRM_FLOW} ${NO_RETRY}`,
  input: z.object({
    to: numberArg.optional().describe('An extension or an outside number (or give voicemail)'),
    voicemail: z
      .string()
      .max(20)
      .regex(VOICEMAIL_BOX, 'a voicemail box: "vm-" and its extension number, e.g. vm-203')
      .optional()
      .describe('Instead of to: a box as the PBX writes it (PBXpress: vm-203)'),
    call_id: callIdArg.optional(),
    mode: z.enum(['blind', 'attended']).default('blind').describe('attended: speak to the target first'),
    user: userArg,
    pbx: pbxArg,
  }),
  output: actionOutput({
    call_id: z.string().optional(),
    mode: z.enum(['blind', 'attended']).optional(),
    to: z.string().optional(),
    voicemail: z.string().optional(),
    consult_call: resultCall.optional().describe('attended: the call to the target'),
    completion: z.string().optional().describe('attended: how the transfer completes on this PBX'),
  }),
  annotations: { readOnlyHint: false, destructiveHint: true, idempotentHint: false, openWorldHint: true },
  capabilities: ['transferBlind', 'transferAttended', 'transferVoicemail'],
  guarded: true,
  run: (ctx, args) => {
    const attended = args.mode === 'attended';
    const bad = (message: string) => new ArgumentError('invalid', `${message}; nothing was done`);
    const where = (n: CheckedNumber | undefined) => (n ? n.display : `voicemail box ${args.voicemail}`);
    return callAction(ctx, args, {
      op(pbx) {
        if ((args.to === undefined) === (args.voicemail === undefined)) throw bad('give either `to` (a number) or `voicemail` (a box)');
        if (args.voicemail !== undefined && attended) throw bad('a transfer to voicemail is blind: leave out mode, or set it to "blind"');
        // Fetched before asking, so an unsupported mode fails before the user is bothered. A voicemail box dials
        // nobody: its own strict pattern replaces the dial policy.
        return {
          toBox: args.voicemail !== undefined ? pbx.op('transferVoicemail', 'transfer calls to voicemail') : undefined,
          consult: attended ? pbx.op('transferAttended', 'do attended transfers') : undefined,
          blind: attended || args.voicemail !== undefined ? undefined : pbx.op('transferBlind', 'do blind transfers'),
          n: args.to !== undefined ? ctx.checkNumber(args.to, 'transfer', pbx) : undefined,
        };
      },
      pick: 'current',
      ask: (t, { n }) => `Transfer ${t.what} to ${where(n)}${attended ? ' (attended: the call goes on hold while the target is rung)' : ''}?`,
      async act({ toBox, consult, blind, n }, t) {
        // Sending a call outside makes the PBX dial out: it counts against the call rates like a placed call.
        if (n?.mayLeave) await ctx.admitCall(t.pbx, t.user, { rateOnly: true });
        const { user, callId } = t;
        const base = { pbx: t.pbx.name, mode: args.mode, ...(n ? { to: n.number } : { voicemail: args.voicemail }), ...(callId ? { call_id: callId } : {}) };
        if (toBox) {
          await toBox({ user, callId, box: args.voicemail! }, { signal: ctx.signal });
          return { ...base, message: `Sent ${t.what} to ${where(n)}.` };
        }
        if (consult) {
          const r = await consult({ user, callId, to: n!.number }, { signal: ctx.signal });
          return {
            ...base,
            message: `Attended transfer of ${t.what} to ${where(n)} started: ${r.completion}.`,
            ...(r.consultCall ? { consult_call: r.consultCall } : {}),
            completion: r.completion,
          };
        }
        await blind!({ user, callId, to: n!.number }, { signal: ctx.signal });
        return { ...base, message: `Transferred ${t.what} to ${where(n)}.` };
      },
    });
  },
  summarize: (r) =>
    r.status === 'done'
      ? r.mode === 'attended'
        ? `Attended transfer to ${r.to} started${r.consult_call ? ` (consultation call ${r.consult_call.id})` : ''}.`
        : `Transferred${r.call_id ? ` call ${r.call_id}` : ''} to ${r.voicemail ? `voicemail box ${r.voicemail}` : r.to}.`
      : r.message,
});
