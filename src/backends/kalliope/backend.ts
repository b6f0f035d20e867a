/**
 * The `kalliope` backend: the Kalliope KCTI4 desktop client API, which acts for the one agent logged in to that
 * client. Calls are the agent's current call only (the API has no call ids for actions), queues can be paused
 * only all at once, and a queue reports its count and oldest arrival, not its calls.
 */
import type { Backend, Capability, Operations } from '../backend.js';
import { BackendError } from '../../errors.js';
import { addSecret } from '../../safety/redact.js';
import type { BackendType } from '../types.js';
import { KctiClient, PBX_TYPE, vendorText } from './client.js';
import { CODE, type KctiCommand, type KctiReply, decodeActiveCall, decodeQueue } from './codec.js';
import { KalliopeConfig, passwordHash, resolveTls } from './config.js';

export const KALLIOPE_CAPABILITIES: readonly Capability[] = [
  'placeCall',
  'hangup',
  'transferBlind',
  'transferAttended',
  'pauseQueues',
  'setDnd',
  'activeCalls',
  'listQueue',
];

export const ATTENDED_COMPLETION =
  'the Kalliope API only starts an attended transfer (the call is held while the target is rung); complete or cancel it ' +
  'from the Kalliope client or the phone, as this API has no command to do so';

type Params = ReadonlyArray<readonly [string, string]>;

export class KalliopeBackend implements Backend {
  readonly type = PBX_TYPE;
  readonly userModel = 'self' as const;
  readonly capabilities: ReadonlySet<Capability> = new Set(KALLIOPE_CAPABILITIES);

  constructor(
    readonly name: string,
    private readonly client: KctiClient,
    /** The Kalliope username: the one agent this client acts for. */
    readonly defaultUser: string,
    private readonly now: () => number = Date.now,
  ) {}

  private err(kind: BackendError['kind'], message: string, hint?: string, code?: number, about?: 'call'): BackendError {
    return new BackendError(kind, message, {
      ...(hint ? { hint } : {}),
      ...(code !== undefined ? { code: String(code) } : {}),
      ...(about ? { about } : {}),
    });
  }

  /**
   * Send an action once. Code 1 is the client refusing it in its current state: `ifOne` says which kind (and the
   * vendor's message goes along, as data).
   */
  private async act(command: KctiCommand, params: Params, what: string, signal: AbortSignal | undefined, ifOne: 'conflict' | 'not_found'): Promise<KctiReply> {
    const r = await this.client.send(command, params, { read: false, what, signal });
    if (r.code === CODE.commandSpecific) {
      throw this.err(ifOne, `the Kalliope client could not ${what} (code 1: ${vendorText(r.message)})`, 'Nothing was done.', r.code, 'call');
    }
    return r;
  }

  /** The agent's current call, or undefined when there is none. */
  private async current(signal: AbortSignal | undefined) {
    const r = await this.client.send('activeCallInfo', [], { read: true, what: 'read the active call', signal });
    if (r.code === CODE.commandSpecific) return undefined; // "No active calls"
    return decodeActiveCall(r.data, { agent: this.defaultUser, now: this.now() });
  }

  /**
   * The API acts on the agent's current call and takes no call id. When a tool names a call, make sure it is
   * the current one, so an action never lands on another call than the one confirmed.
   */
  private async ensureCurrent(callId: string | undefined, what: string, signal: AbortSignal | undefined): Promise<void> {
    if (callId === undefined) return;
    const cur = await this.current(signal);
    if (!cur) {
      throw this.err('not_found', `cannot ${what}: call ${callId} is no longer active (the Kalliope client has no active call)`, 'Nothing was done.', undefined, 'call');
    }
    if (cur.id !== callId) {
      throw this.err(
        'conflict',
        `cannot ${what}: the Kalliope API acts only on the agent's current call, which is ${cur.id}, not ${callId}`,
        'Nothing was done. Act on the current call.',
        undefined,
        'call',
      );
    }
  }

  placeCall: Operations['placeCall'] = async (a, o) => {
    await this.act('click2call', [['number_to_call', a.to]], `place the call to ${a.to}`, o?.signal, 'conflict');
    // click2call returns no call data; get_active_call shows the new call.
    return {};
  };

  hangup: Operations['hangup'] = async (a, o) => {
    const what = a.callId ? `hang up call ${a.callId}` : 'hang up the current call';
    await this.ensureCurrent(a.callId, what, o?.signal);
    await this.act('hangupcall', [], what, o?.signal, 'not_found');
  };

  transferBlind: Operations['transferBlind'] = async (a, o) => {
    const what = `transfer ${a.callId ? `call ${a.callId}` : 'the current call'} to ${a.to}`;
    await this.ensureCurrent(a.callId, what, o?.signal);
    await this.act('transfercall', [['xferTo', a.to]], what, o?.signal, 'conflict');
  };

  transferAttended: Operations['transferAttended'] = async (a, o) => {
    const what = `start an attended transfer of ${a.callId ? `call ${a.callId}` : 'the current call'} to ${a.to}`;
    await this.ensureCurrent(a.callId, what, o?.signal);
    await this.act('attendedTransferCall', [['xferTo', a.to]], what, o?.signal, 'conflict');
    return { completion: ATTENDED_COMPLETION };
  };

  pauseQueues: Operations['pauseQueues'] = async (a, o) => {
    if (a.queues && a.queues.length > 0) {
      throw this.err(
        'invalid',
        'Kalliope pauses the agent in all queues at once; it cannot pause in a list of queues',
        'Pause (or resume) in all queues instead.',
      );
    }
    await this.act('pauseQueues', [['paused', a.paused ? '1' : '0']], a.paused ? 'pause the agent in all queues' : 'resume the agent in all queues', o?.signal, 'conflict');
  };

  setDnd: Operations['setDnd'] = async (a, o) => {
    await this.act('setDND', [['DND', a.enabled ? '1' : '0']], a.enabled ? 'turn do-not-disturb on' : 'turn do-not-disturb off', o?.signal, 'conflict');
  };

  activeCalls: Operations['activeCalls'] = async (_a, o) => {
    const call = await this.current(o?.signal);
    return call ? [call] : [];
  };

  listQueue: Operations['listQueue'] = async (a, o) => {
    const what = `read queue ${a.queue}`;
    const r = await this.client.send('queuedCallsInfo', [['queue_name', a.queue]], { read: true, what, signal: o?.signal });
    if (r.code === CODE.commandSpecific) {
      throw this.err('not_found', `the Kalliope client knows no queue named ${a.queue} (code 1: ${vendorText(r.message)})`, 'Check the queue name as Kalliope spells it.', r.code);
    }
    return decodeQueue(a.queue, r.data);
  };

  close(): Promise<void> {
    return this.client.close();
  }
}

export const kalliopeType: BackendType<typeof KalliopeConfig> = {
  type: PBX_TYPE,
  config: KalliopeConfig,
  create(name, config, deps) {
    if (config.defaultUser !== undefined && config.defaultUser !== config.username) {
      throw new Error(
        `pbxes.${name}.defaultUser: a Kalliope client acts only for the user logged in there (${config.username}); leave defaultUser out`,
      );
    }
    const tls = resolveTls(name, config, deps.baseDir);
    const pwdMd5 = passwordHash(config);
    addSecret(config.password);
    addSecret(pwdMd5);
    const client = new KctiClient({
      pbx: name,
      url: config.url,
      timeoutMs: config.timeoutMs,
      log: deps.log,
      credentials: { username: config.username, pwdMd5 },
      ca: tls.ca,
      insecure: tls.insecure,
    });
    return new KalliopeBackend(name, client, config.username);
  },
};
