import { z } from 'zod';
import { BackendError } from '../backends/errors.js';
import { Call, type Party } from '../backends/model.js';
import type { PbxHandle } from '../backends/registry.js';
import { formatNumber } from '../safety/policy.js';
import { minutes, partyLabel, whoLabel } from './calls.js';
import { actionOutput, callIdArg, CONFIRM_FLOW, defineTool, NO_RETRY, pbxArg, resultCall, userArg } from './define.js';

/** "+39 06 1234 5678 (Giuseppe Test)": international numbers grouped as a person reads them. */
function spoken(p: Party): string {
  return partyLabel({ ...p, number: formatNumber(p.number) });
}

/**
 * The call to answer: `callId`, or the one call ringing at the user. Undefined when the PBX cannot list calls
 * (the PBX then answers whatever rings).
 */
async function ringingCall(pbx: PbxHandle, user: string | undefined, callId: string | undefined): Promise<Call | undefined> {
  if (!pbx.can('activeCalls')) return undefined;
  const calls = await pbx.op('activeCalls')({ user });
  const err = (kind: BackendError['kind'], message: string, hint: string) =>
    new BackendError(kind, message, { pbx: pbx.name, pbxType: pbx.type, hint });
  if (callId !== undefined) {
    const c = calls.find((x) => x.id === callId);
    if (!c) throw err('not_found', `there is no active call with id ${callId}`, 'Use get_active_call to see the current calls and their ids.');
    if (c.answered || c.state === 'connected' || c.state === 'on_hold') {
      throw err('conflict', `call ${callId} is already answered (${c.state}); nothing was done`, 'Nothing to answer; get_active_call shows the calls.');
    }
    return c;
  }
  // A call the user placed rings at the other end: that is not one to answer. Where the PBX reports no call as
  // ringing, one whose state it does not tell (unknown, not answered) may be ringing: that one, if it is alone.
  const incoming = calls.filter((c) => c.direction !== 'outbound');
  const ringingNow = incoming.filter((c) => c.state === 'ringing');
  const ringing = ringingNow.length ? ringingNow : incoming.filter((c) => c.state === 'unknown' && !c.answered);
  if (ringing.length === 0) {
    throw err('not_found', `no call is ringing for ${whoLabel(pbx, user)}; nothing was done`, 'get_active_call shows the current calls.');
  }
  if (ringing.length > 1) {
    throw err(
      'invalid',
      `${ringing.length} calls ${ringingNow.length ? 'are' : 'may be'} ringing (${ringing.map((c) => c.id).join(', ')}); nothing was done`,
      'Pass call_id to say which one to answer (get_active_call shows who is calling).',
    );
  }
  return ringing[0];
}

export const answerCall = defineTool({
  name: 'answer_call',
  title: 'Answer a ringing call',
  description:
    "Pick up a call ringing at the user's phone (desktop-client PBXs: the phone of the agent logged in there): by " +
    'default the one call ringing now; if several ring, pass the call_id of one (from get_active_call). Returns the ' +
    `answered call when the PBX reports it. Asks the user first. ${CONFIRM_FLOW} ${NO_RETRY}`,
  input: z.object({
    call_id: callIdArg.optional(),
    user: userArg,
    pbx: pbxArg,
  }),
  output: actionOutput({
    call: resultCall.optional(),
    call_id: z.string().optional(),
  }),
  annotations: { readOnlyHint: false, destructiveHint: false, idempotentHint: false, openWorldHint: true },
  needs: ['answer'],
  guarded: true,
  async run(ctx, args) {
    const pbx = ctx.pbx(args.pbx);
    const answer = pbx.op('answer');
    const user = pbx.actingUser(args.user);
    const call = await ringingCall(pbx, user, args.call_id);
    const what = call
      ? `the call from ${spoken(call.from)} ringing for ${minutes(call.durationSeconds)}`
      : args.call_id
        ? `call ${args.call_id}`
        : `the call ringing for ${whoLabel(pbx, user)}`;
    await ctx.confirm(`Answer ${what}?`, { bind: call?.id });
    const callId = call?.id ?? args.call_id;
    const answered = await answer({ user, callId }, { signal: ctx.signal });
    const id = answered?.id ?? callId;
    return {
      message: `Answered ${what}.`,
      pbx: pbx.name,
      ...(answered ? { call: answered } : {}),
      ...(id ? { call_id: id } : {}),
    };
  },
  summarize: (r) => (r.status === 'done' ? `Answered${r.call_id ? ` call ${r.call_id}` : ' the ringing call'}.` : r.message),
});
