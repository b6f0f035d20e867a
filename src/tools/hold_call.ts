import { z } from 'zod';
import { callAction } from './call-action.js';
import { describeCall } from './calls.js';
import { actionOutput, callIdArg, CONFIRM_FLOW, defineTool, NO_RETRY, pbxArg, userArg } from './define.js';

export const holdCall = defineTool({
  name: 'hold_call',
  title: 'Hold or resume a call',
  description:
    "Put a call on hold, or take it off hold (on: false): by default the user's current call, or to resume, the one " +
    'call on hold. A call already in that state is left alone. Where the PBX only toggles hold (xCALLY), it never ' +
    'holds a call it knows is held and resumes only one it knows is held; `note` in the result says what the PBX could ' +
    `not confirm: tell the user. Holding is step 2 of a conference. Asks the user first. ${CONFIRM_FLOW} ${NO_RETRY}`,
  input: z.object({
    call_id: callIdArg.optional(),
    on: z.boolean().default(true).describe('false: take off hold'),
    user: userArg,
    pbx: pbxArg,
  }),
  output: actionOutput({
    call_id: z.string().optional(),
    on_hold: z.boolean().optional(),
    changed: z.boolean().optional(),
    note: z.string().optional().describe('Tell the user'),
  }),
  annotations: { readOnlyHint: false, destructiveHint: false, idempotentHint: false, openWorldHint: true },
  capabilities: ['hold'],
  guarded: true,
  run: (ctx, args) => {
    const on = args.on;
    const base = (callId: string | undefined, pbx: string) => ({ pbx, on_hold: on, ...(callId ? { call_id: callId } : {}) });
    return callAction(ctx, args, {
      op: (pbx) => pbx.op('hold'),
      // To hold: the current call; to resume without call_id: the one call on hold.
      pick: on ? 'current' : 'held',
      already: (t) =>
        t.call && t.call.state === (on ? 'on_hold' : 'connected')
          ? { ...base(t.callId, t.pbx.name), changed: false, message: `${describeCall(t.call)}: already ${on ? 'on hold' : 'off hold'}, so nothing was done.` }
          : undefined,
      ask: (t) => (on ? `Put ${t.what} on hold?` : `Take ${t.what} off hold?`),
      async act(hold, t) {
        const r = await hold({ user: t.user, callId: t.callId, on }, { signal: ctx.signal });
        const note = r?.note;
        const done = on ? `Put ${t.what} on hold.` : `Took ${t.what} off hold.`;
        return { ...base(t.callId, t.pbx.name), changed: true, message: note ? `${done} ${note}` : done, ...(note ? { note } : {}) };
      },
    });
  },
  summarize: (r) =>
    r.status === 'done'
      ? `${r.call_id ? `Call ${r.call_id}` : 'The call'} is ${r.on_hold ? 'on hold' : 'off hold'}${r.changed === false ? ' (unchanged)' : ''}.`
      : r.message,
});
