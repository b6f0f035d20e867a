import { z } from 'zod';
import { BackendError } from '../backends/errors.js';
import type { Call } from '../backends/model.js';
import type { PbxHandle } from '../backends/registry.js';
import { describeCall, resolveCall, whoLabel } from './calls.js';
import { actionOutput, callIdArg, CONFIRM_FLOW, defineTool, NO_RETRY, pbxArg, userArg } from './define.js';

/** The call to hold (default: the current call) or to resume (default: the one call on hold). */
async function holdTarget(pbx: PbxHandle, user: string | undefined, callId: string | undefined, on: boolean): Promise<Call | undefined> {
  if (callId !== undefined || on) return resolveCall(pbx, user, callId);
  if (!pbx.can('activeCalls')) return undefined;
  const held = (await pbx.op('activeCalls')({ user })).filter((c) => c.state === 'on_hold');
  if (held.length === 1) return held[0];
  throw new BackendError(
    held.length ? 'invalid' : 'not_found',
    held.length ? `${held.length} calls are on hold (${held.map((c) => c.id).join(', ')}); nothing was done` : `${whoLabel(pbx, user)} has no call on hold; nothing was done`,
    { pbx: pbx.name, pbxType: pbx.type, hint: held.length ? 'Pass call_id to say which one to resume.' : 'get_active_call shows the current calls.' },
  );
}

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
  needs: ['hold'],
  guarded: true,
  async run(ctx, args) {
    const pbx = ctx.pbx(args.pbx);
    const hold = pbx.op('hold');
    const user = pbx.actingUser(args.user);
    const on = args.on;
    const call = await holdTarget(pbx, user, args.call_id, on);
    const callId = call?.id ?? args.call_id;
    const base = { pbx: pbx.name, on_hold: on, ...(callId ? { call_id: callId } : {}) };
    if (call && call.state === (on ? 'on_hold' : 'connected')) {
      return { ...base, changed: false, message: `${describeCall(call)}: already ${on ? 'on hold' : 'off hold'}, so nothing was done.` };
    }
    const what = call ? describeCall(call) : args.call_id ? `call ${args.call_id}` : `the current call of ${whoLabel(pbx, user)}`;
    await ctx.confirm(on ? `Put ${what} on hold?` : `Take ${what} off hold?`, { bind: call?.id });
    const r = await hold({ user, callId, on }, { signal: ctx.signal });
    const note = r?.note;
    const done = on ? `Put ${what} on hold.` : `Took ${what} off hold.`;
    return { ...base, changed: true, message: note ? `${done} ${note}` : done, ...(note ? { note } : {}) };
  },
  summarize: (r) =>
    r.status === 'done'
      ? `${r.call_id ? `Call ${r.call_id}` : 'The call'} is ${r.on_hold ? 'on hold' : 'off hold'}${r.changed === false ? ' (unchanged)' : ''}.`
      : r.message,
});
