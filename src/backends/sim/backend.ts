/**
 * The `sim` backend: the Backend interface straight over the in-memory engine. It supports every operation the
 * engine can honestly model; see SIM_UNSUPPORTED for the rest.
 */
import type { Backend, Capability, Change, ContactStore, Operations } from '../backend.js';
import { CAPABILITIES } from '../backend.js';
import { BackendError } from '../../errors.js';
import type { Call } from '../model.js';
import { type CallView, PbxEngine } from '../../simulators/engine/engine.js';
import { EngineError } from '../../simulators/engine/errors.js';
import { DEMO_SCENARIO_PATH, loadScenario } from '../../simulators/engine/scenario.js';
import { FavoritesStore, NotesStore } from './stores.js';
import type { Clock } from '../../util/clock.js';
import { resolvePath, type BackendType } from '../types.js';
import { SimConfig } from './config.js';


/** The engine's view of a call, trimmed to the shared model. */
export function toModelCall(v: CallView): Call {
  const { fromUser: _a, toUser: _b, agent: _c, heldBy: _d, consultFor: _e, fromKind: _f, toKind: _g, ...call } = v;
  return call;
}

function mapEngineError(e: unknown): unknown {
  if (e instanceof EngineError) return new BackendError(e.code === 'busy' ? 'conflict' : e.code, e.message);
  return e;
}

/** Run an engine call, mapping its errors to backend errors. */
function run<T>(fn: () => T): Promise<T> {
  try {
    return Promise.resolve(fn());
  } catch (e) {
    return Promise.reject(mapEngineError(e));
  }
}

/**
 * Capabilities the engine has no model for: dialing through a queue's identity or into a queue from outside
 * (no caller-ID or originate-then-queue in the engine), voicemail, and call qualification and callback lists
 * (contact-centre data, not PBX state).
 */
export const SIM_UNSUPPORTED: ReadonlySet<Capability> = new Set<Capability>([
  'transferVoicemail',
  'dialFromQueue',
  'dialToQueue',
  'listQualifications',
  'recordQualification',
  'exportQualifications',
  'importCallbacks',
  'exportCallbackTickets',
]);
export const SIM_CAPABILITIES: readonly Capability[] = CAPABILITIES.filter((c) => !SIM_UNSUPPORTED.has(c));

export class SimBackend implements Backend {
  readonly type = 'sim';
  readonly userModel = 'many' as const;
  readonly capabilities: ReadonlySet<Capability> = new Set(SIM_CAPABILITIES);
  readonly listsQueueMembers = true;
  readonly contacts: ContactStore;
  private readonly favorites: FavoritesStore;
  private readonly notes = new NotesStore();

  constructor(
    readonly name: string,
    readonly engine: PbxEngine,
    readonly defaultUser: string | undefined,
  ) {
    this.favorites = new FavoritesStore(() => engine.extensions());
    const user = (u: string | undefined) => this.need(u);
    this.contacts = {
      listHasIds: true,
      list: (a) => run(() => engine.book(user(a.user)).list()),
      get: (a) => run(() => engine.book(user(a.user)).get(a.id)),
      create: (a) => run(() => engine.withContacts(user(a.user), (b) => b.create(a.contact))),
      update: (a) => run(() => engine.withContacts(user(a.user), (b) => b.update(a.id, a.contact))),
      delete: (a) => run(() => engine.withContacts(user(a.user), (b) => b.delete(a.id))),
      deleteAll: (a) => run(() => void engine.withContacts(user(a.user), (b) => b.deleteAll())),
      exportCsv: (a) => run(() => engine.book(user(a.user)).exportCsv()),
      importCsv: (a) => run(() => engine.withContacts(user(a.user), (b) => b.importCsv(a.csv))),
    };
  }

  private need(user: string | undefined): string {
    if (user === undefined) {
      throw new EngineError('invalid', 'this operation acts for a user, and none was named (or set defaultUser for this PBX in the config)');
    }
    return user;
  }

  placeCall: Operations['placeCall'] = (a) =>
    run(() => {
      const call = toModelCall(this.engine.placeCall(this.need(a.user), a.to));
      return { call, callId: call.id };
    });

  dialUser: Operations['dialUser'] = (a) =>
    run(() => {
      const target = this.engine.findUser(a.username);
      if (!target || target.id !== a.username) throw new EngineError('not_found', `no user with login "${a.username}" on this PBX`);
      const call = toModelCall(this.engine.placeCall(this.need(a.user), target.extension));
      return { call, callId: call.id };
    });

  answer: Operations['answer'] = (a) => run(() => toModelCall(this.engine.answer(this.need(a.user), a.callId)));

  hangup: Operations['hangup'] = (a) => run(() => this.engine.hangup(this.need(a.user), a.callId));

  hold: Operations['hold'] = (a) => run(() => void this.engine.hold(this.need(a.user), a.callId, a.on));

  transferBlind: Operations['transferBlind'] = (a) =>
    run(() => void this.engine.transferBlind(this.need(a.user), a.callId, a.to));

  transferAttended: Operations['transferAttended'] = (a) =>
    run(() => {
      const { consult } = this.engine.transferAttended(this.need(a.user), a.callId, a.to);
      return {
        consultCall: toModelCall(consult),
        completion: `the original call is on hold; hang up the consultation call ${consult.id} to complete the transfer`,
      };
    });

  conference: Operations['conference'] = (a) => run(() => void this.engine.conference(this.need(a.user), a.callId));

  setDnd: Operations['setDnd'] = (a) => run(() => this.engine.setDnd(this.need(a.user), a.enabled));

  setForward: Operations['setForward'] = (a) =>
    run(() => this.engine.setForward(this.need(a.user), a.kind, a.destination, a.enabled));

  pauseQueues: Operations['pauseQueues'] = (a) =>
    run(() => void this.engine.pauseQueues(this.need(a.user), a.paused, a.queues, a.reason));

  activeCalls: Operations['activeCalls'] = (a) => run(() => this.engine.listCalls(a.user).map(toModelCall));

  listQueue: Operations['listQueue'] = (a) => run(() => this.engine.queueStatus(a.queue));

  listQueues: Operations['listQueues'] = () => run(() => this.engine.queueNames());

  listExtensions: Operations['listExtensions'] = () => run(() => this.engine.extensions());

  history: Operations['history'] = (a) => run(() => this.engine.history(this.need(a.user), { size: a.size, days: a.days }));

  parkCall: Operations['parkCall'] = (a) => run(() => ({ slot: this.engine.park(a.callId, a.slot, a.user) }));

  parkingInfo: Operations['parkingInfo'] = () =>
    run(() => {
      const p = this.engine.parkingInfo();
      return { firstSlot: String(p.firstSlot), slots: p.slots, parked: p.parked };
    });

  getFavorites: Operations['getFavorites'] = () => run(() => this.favorites.get());

  setFavorites: Operations['setFavorites'] = (a) =>
    run(() => {
      this.favorites.set(a.favorites);
      this.engine.emit('change', { topic: 'favorites' });
    });

  readNotes: Operations['readNotes'] = (a) => run(() => this.notes.read(a));

  writeNotes: Operations['writeNotes'] = (a) => run(() => this.notes.write(a));

  knownUsers(): Promise<string[]> {
    return Promise.resolve(this.engine.listUsers().map((u) => u.id));
  }

  canonicalUser(user: string): string | undefined {
    return this.engine.findUser(user)?.id;
  }

  watch(listener: (change: Change) => void): () => void {
    this.engine.on('change', listener);
    return () => this.engine.off('change', listener);
  }

  close(): Promise<void> {
    this.engine.close();
    return Promise.resolve();
  }
}

export const simType: BackendType<typeof SimConfig> = {
  type: 'sim',
  config: SimConfig,
  create(name, config, deps) {
    const scenario = loadScenario(config.scenario ? resolvePath(deps.baseDir, config.scenario) : DEMO_SCENARIO_PATH);
    const engine = new PbxEngine(scenario, deps.clock ? { clock: deps.clock as Clock } : {});
    if (config.defaultUser !== undefined && !engine.findUser(config.defaultUser)) {
      throw new Error(
        `pbxes.${name}.defaultUser: "${config.defaultUser}" is not a user of scenario ${scenario.name} ` +
          `(users: ${engine.listUsers().map((u) => u.id).join(', ')})`,
      );
    }
    if (config.traffic) engine.start();
    return new SimBackend(name, engine, config.defaultUser);
  },
};
