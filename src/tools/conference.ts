import { z } from 'zod';
import { BackendError } from '../backends/errors.js';
import type { Call } from '../backends/model.js';
import { currentCall } from '../backends/backend.js';
import { describeCall } from './calls.js';
import { actionOutput, callIdArg, CONFIRM_FLOW, defineTool, NO_RETRY, pbxArg, userArg } from './define.js';

const RECIPE =
  'answer or connect call A, put A on hold (hold_call), call B (place_call) and wait until get_active_call shows B connected, then conference with call_id = A';

export const conference = defineTool({
  name: 'conference',
  title: 'Join a held call into a conference',
  description:
    "Join a call on hold (call_id) with the user's current connected call into one three-way conference. Steps: (1) " +
    'call A connected (answer_call if it rings); (2) hold_call A; (3) place_call B, and wait until get_active_call ' +
    "shows B connected; (4) conference with call_id = A's id. Afterwards hangup ends the user's part (some PBXs hang " +
    `up each other party in turn). Asks the user first. ${CONFIRM_FLOW} ${NO_RETRY}`,
  input: z.object({
    call_id: callIdArg,
    user: userArg,
    pbx: pbxArg,
  }),
  output: actionOutput({
    call_id: z.string().optional(),
    joined_call_id: z.string().optional(),
  }),
  annotations: { readOnlyHint: false, destructiveHint: false, idempotentHint: false, openWorldHint: true },
  needs: ['conference'],
  guarded: true,
  async run(ctx, args) {
    const pbx = ctx.pbx(args.pbx);
    const join = pbx.op('conference');
    const user = pbx.actingUser(args.user);
    const err = (kind: BackendError['kind'], message: string) =>
      new BackendError(kind, `${message}; nothing was done`, { pbx: pbx.name, pbxType: pbx.type, hint: `The recipe: ${RECIPE}.` });
    let held: Call | undefined;
    let current: Call | undefined;
    if (pbx.can('activeCalls')) {
      const calls = await pbx.op('activeCalls')({ user });
      held = calls.find((c) => c.id === args.call_id);
      if (!held) throw err('not_found', `there is no active call with id ${args.call_id}`);
      // A state the PBX does not tell (unknown) is left to the PBX to judge: the conference is no toggle.
      if (held.state !== 'on_hold' && held.state !== 'unknown') throw err('conflict', `call ${args.call_id} is ${held.state}, not on hold`);
      current = currentCall(calls.filter((c) => c.id !== held!.id && (c.state === 'connected' || c.state === 'unknown')));
      if (!current) throw err('conflict', `there is no other connected call to join call ${args.call_id} with`);
    }
    const what = held && current ? `${describeCall(held)} with ${describeCall(current)}` : `held call ${args.call_id} with the current call`;
    await ctx.confirm(`Join ${what} into a three-way conference?`, { bind: current?.id });
    await join({ user, callId: args.call_id }, { signal: ctx.signal });
    return {
      message: `Joined ${what} into a conference. get_active_call shows it; hangup ends the user's part.`,
      pbx: pbx.name,
      call_id: args.call_id,
      ...(current ? { joined_call_id: current.id } : {}),
    };
  },
  summarize: (r) => (r.status === 'done' ? `Call ${r.call_id} joined into a conference${r.joined_call_id ? ` with call ${r.joined_call_id}` : ''}.` : r.message),
});
