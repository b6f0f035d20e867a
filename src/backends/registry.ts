/**
 * Config entries -> backend instances, and the routing of a tool's `pbx` argument to one of them. The
 * PbxHandle is the one way to a backend: it checks a capability, resolves the acting user and attributes every
 * error to its PBX, so no tool or backend has to. Its backend is private: tools, resources, prompts and the glue
 * ask the handle.
 */
import { z } from 'zod';
import {
  type Backend,
  type Capability,
  type Change,
  type ContactStore,
  type Operations,
  READ_CAPABILITIES,
  assertCapabilitiesImplemented,
} from './backend.js';
import { AccessError, ArgumentError, BackendError, isTelephonyError, type TelephonyError } from '../errors.js';
import type { BackendDeps, BackendType } from './types.js';
import { SimConfig } from './sim/config.js';
import { simType } from './sim/backend.js';
import { KalliopeConfig } from './kalliope/config.js';
import { IpbxConfig } from './ipbx/config.js';
import { XcallyConfig } from './xcally/config.js';
import { PbxpressConfig } from './pbxpress/config.js';
import { XivoConfig } from './xivo/config.js';
import { isLoopbackUrl } from '../util/net.js';
import { keysOf } from '../util/schema-keys.js';

/** A backend type as the config knows it: its name, its config schema, and how to load its adapter. */
export interface BackendEntry {
  type: string;
  config: z.ZodType;
  load(): Promise<BackendType<z.ZodType>>;
  /**
   * A config entry from the few settings an install dialog asks for (the MCP Bundle's user_config): keys are this
   * vendor's own names for the URL and the credentials.
   */
  quick(s: QuickSettings): Record<string, unknown>;
}

/** What an install dialog asks: the PBX's API address, a login and its password (each may be empty). */
export interface QuickSettings {
  url?: string | undefined;
  user?: string | undefined;
  password?: string | undefined;
}

const opt = (key: string, v: string | undefined): Record<string, string> => (v ? { [key]: v } : {});

/**
 * Every backend type the server knows. Config schemas are light and always here, so a config is fully validated
 * when it is read; an adapter (HTTP, XML and crypto libraries) is loaded only when a configured PBX uses it.
 */
export const BACKEND_TYPES: readonly BackendEntry[] = [
  // The sim is small and the default: loaded with the server. Vendor adapters load only when configured.
  {
    type: 'sim',
    config: SimConfig,
    load: () => Promise.resolve(simType),
    quick: (s) => ({ defaultUser: s.user || 'alice' }),
  },
  {
    type: 'kalliope',
    config: KalliopeConfig,
    load: async () => (await import('./kalliope/backend.js')).kalliopeType,
    // The desktop client's self-signed certificate on loopback; any other host needs a config file with caFile.
    quick: (s) => ({ ...opt('url', s.url), ...opt('username', s.user), ...opt('password', s.password), insecureTls: !s.url || isLoopbackUrl(s.url) }),
  },
  {
    type: 'ipbx',
    config: IpbxConfig,
    load: async () => (await import('./ipbx/backend.js')).ipbxType,
    quick: (s) => ({ ...opt('url', s.url), ...opt('username', s.user), ...opt('password', s.password) }),
  },
  {
    type: 'xcally',
    config: XcallyConfig,
    load: async () => (await import('./xcally/backend.js')).xcallyType,
    quick: (s) => ({ ...opt('url', s.url), ...opt('agent', s.user) }),
  },
  {
    type: 'pbxpress',
    config: PbxpressConfig,
    load: async () => (await import('./pbxpress/backend.js')).pbxpressType,
    quick: (s) => ({ ...opt('url', s.url), ...opt('username', s.user), ...opt('password', s.password) }),
  },
  {
    type: 'xivo',
    config: XivoConfig,
    load: async () => (await import('./xivo/backend.js')).xivoType,
    quick: (s) => ({ ...opt('url', s.url), ...opt('login', s.user), ...opt('password', s.password) }),
  },
];

/** Human wording of each capability, for "this PBX can: ..." messages and the README table. */
export const CAPABILITY_LABELS: Record<Capability, string> = {
  placeCall: 'place calls',
  answer: 'answer calls',
  hangup: 'hang up calls',
  hold: 'hold calls',
  transferBlind: 'blind transfer',
  transferAttended: 'attended transfer',
  transferVoicemail: 'transfer to voicemail',
  conference: 'conference calls',
  setDnd: 'set do-not-disturb',
  setForward: 'set call forwarding',
  pauseQueues: 'pause in queues',
  activeCalls: 'read active calls',
  listQueue: 'read a queue',
  listQueues: 'list queues',
  listExtensions: 'list extensions',
  history: 'read call history',
  contacts: 'keep contacts',
  parkCall: 'park calls',
  parkingInfo: 'read the parking lot',
  getFavorites: 'read operator favorites',
  setFavorites: 'set operator favorites',
  readNotes: 'read notes',
  writeNotes: 'keep notes',
  dialUser: 'call a user by login',
  dialFromQueue: 'dial from a queue',
  dialToQueue: 'dial a number into a queue',
  listQualifications: 'list call qualification options',
  recordQualification: 'record call qualifications',
  exportQualifications: 'export call qualifications',
  importCallbacks: 'import callback requests',
  exportCallbackTickets: 'export callback tickets',
};

export function backendType(type: string): BackendEntry | undefined {
  return BACKEND_TYPES.find((t) => t.type === type);
}

/** The schema of one `pbxes.<name>` entry: the union of every backend type's config. */
export function pbxEntrySchema(): z.ZodType {
  return z.unknown().superRefine((v, ctx) => {
    const type = v && typeof v === 'object' ? (v as { type?: unknown }).type : undefined;
    const known = BACKEND_TYPES.map((t) => t.type).join(', ');
    if (typeof type !== 'string') {
      ctx.addIssue({ code: 'custom', path: ['type'], message: `missing: say which kind of PBX this is (${known})` });
      return;
    }
    const bt = backendType(type);
    if (!bt) {
      ctx.addIssue({ code: 'custom', path: ['type'], message: `unknown PBX type "${type}"; use one of: ${known}` });
      return;
    }
    // Parsed once at start-up: zod's JIT would compile a fast parser (several ms) that is never used again.
    const r = bt.config.safeParse(v, { jitless: true });
    if (!r.success) {
      for (const issue of r.error.issues) {
        // An unknown key keeps what a "did you mean" needs: the keys this type accepts.
        const params = issue.code === 'unrecognized_keys' ? { unknownKeys: issue.keys, knownKeys: keysOf(bt.config) ?? [], pbxType: type } : undefined;
        ctx.addIssue({ ...issue, code: 'custom', message: issue.message, ...(params ? { params } : {}) });
      }
    }
  });
}

type OpFn = (...args: never[]) => Promise<unknown>;

/** Called before every operation with its name and whether it only reads; may throw (or reject) to stop it. */
export type OpGate = (op: string, isRead: boolean) => void | Promise<void>;

/** Settings from a PBX's config entry that tools and the guard need. */
export interface PbxSettings {
  /** Numbers that belong to this PBX: the only caller IDs a tool may choose. */
  ownedNumbers: readonly string[];
  label?: string | undefined;
}

/**
 * Who a caller bound to one PBX user is on this PBX (an OAuth principal's user claim), and whether it may act for
 * others. The handle of a caller without one (a static token, stdio) acts for whoever a tool names.
 */
export interface UserBinding {
  /** The caller's own user on this PBX; undefined when its token names none. */
  readonly own: string | undefined;
  /** It may act for, and read about, other users (the supervise scope). */
  readonly others: boolean;
  /** The scope that allows that, for the refusal. */
  readonly scope: string;
  /** How the refusal names the caller. */
  readonly who: string;
}

/** A configured PBX as tools, resources, prompts and the glue see it. */
export class PbxHandle {
  constructor(
    private readonly backend: Backend,
    readonly settings: PbxSettings = { ownedNumbers: [] },
    private readonly gate?: OpGate,
    private readonly binding?: UserBinding,
  ) {}

  /** The same PBX, with every operation passed through `gate` first (the runner's confirmation check). */
  gated(gate: OpGate): PbxHandle {
    return new PbxHandle(this.backend, this.settings, gate, this.binding);
  }

  /** The same PBX for a caller bound to its own user: user() defaults to it and refuses others (see UserBinding). */
  bound(binding: UserBinding | undefined): PbxHandle {
    return binding ? new PbxHandle(this.backend, this.settings, this.gate, binding) : this;
  }

  /** True when the caller may act only for its own user here (it has a binding without the supervise scope). */
  get ownUserOnly(): boolean {
    return !!this.binding && !this.binding.others;
  }

  get name(): string {
    return this.backend.name;
  }
  get type(): string {
    return this.backend.type;
  }

  /** Who acts when a tool names no user. */
  get defaultUser(): string | undefined {
    return this.backend.defaultUser;
  }

  /** 'self': acts only as its own login; 'many': for any user of the PBX. */
  get userModel(): Backend['userModel'] {
    return this.backend.userModel;
  }

  /** What this PBX can do. */
  get capabilities(): readonly Capability[] {
    return [...this.backend.capabilities];
  }

  /** listQueue reports each queue's members and their pauses (the sim). */
  get listsQueueMembers(): boolean {
    return this.backend.listsQueueMembers === true;
  }

  /** Least interval (ms) between two polls of the same read on this PBX. */
  get minPollIntervalMs(): number {
    return this.backend.minPollIntervalMs ?? 0;
  }

  /** One name per person (login "alice" for extension "201"), so limits kept per user count each person once. */
  canonicalUser(user: string): string {
    return this.backend.canonicalUser?.(user) ?? user;
  }

  /** The users this PBX knows, for listings and completions; undefined when it cannot list them. */
  async knownUsers(): Promise<string[] | undefined> {
    return this.backend.knownUsers?.();
  }

  /** Push notifications of changes, where the PBX sends them (undefined: it is polled). */
  watch(listener: (change: Change) => void): (() => void) | undefined {
    return this.backend.watch?.(listener);
  }

  can(cap: Capability): boolean {
    return this.backend.capabilities.has(cap);
  }

  /** What this PBX can do, in words. */
  describeCapabilities(): string {
    return [...this.backend.capabilities].map((c) => CAPABILITY_LABELS[c]).join(', ');
  }

  unsupported(what: string, cap?: Capability): BackendError {
    const why = cap ? this.backend.whyUnsupported?.(cap) : undefined;
    return new BackendError('unsupported', `this PBX cannot ${what}${why ? `: ${why}` : ''}`, {
      pbx: this.name,
      pbxType: this.type,
      hint: `It can: ${this.describeCapabilities()}.`,
    });
  }

  /**
   * The user a tool acts for: the one named, else the caller's own (when bound), else the PBX's default. Undefined
   * when none exists. A caller bound to its own user is refused any other, before any tool asks a person anything.
   */
  user(requested?: string): string | undefined {
    const b = this.binding;
    // A PBX of many users defaults to the caller's own; one that acts only as its login is that login, whoever asks.
    const u = this.resolveUser(requested ?? (this.backend.userModel === 'many' ? b?.own : undefined));
    if (b && !b.others && (b.own === undefined || u === undefined || !this.sameUser(u, b.own))) throw this.notOwnUser(b, requested ?? u);
    return u;
  }

  /** Whether two logins or extensions name the same user of this PBX. */
  sameUser(a: string, b: string): boolean {
    if (a === b) return true;
    const canon = this.backend.canonicalUser;
    if (!canon) return false;
    const ca = canon.call(this.backend, a);
    return ca !== undefined && ca === canon.call(this.backend, b);
  }

  private notOwnUser(b: UserBinding, wanted: string | undefined): AccessError {
    const target = wanted === undefined ? 'every user of this PBX' : `user ${wanted}`;
    return new AccessError(
      b.own === undefined
        ? `${b.who} is not bound to a user of this PBX, so it cannot act for or read about ${target} without the scope ${b.scope}; nothing was done`
        : `${b.who} acts for its own user ${b.own} on this PBX; acting for or reading about ${target} needs the scope ${b.scope}; nothing was done`,
      {
        pbx: this.name,
        pbxType: this.type,
        code: `scope.${b.scope}`,
        hint:
          b.own === undefined
            ? `Its access token names no PBX user here (the user claim); ask the identity provider's administrator for one, or for ${b.scope}.`
            : `Leave out \`user\` to act for ${b.own}; acting for others needs ${b.scope}, which the identity provider's administrator grants.`,
      },
    );
  }

  private resolveUser(requested: string | undefined): string | undefined {
    if (this.backend.userModel === 'self') {
      // A desktop client (the agent logged in there) or a PBX login: it cannot act for anyone else, so a
      // different user is refused rather than silently ignored.
      const self = this.backend.defaultUser;
      if (requested !== undefined && requested !== self) {
        throw new ArgumentError(
          'invalid',
          `this PBX acts only as its own login${self ? ` (${self})` : ''}, so it cannot act for ${requested}`,
          { pbx: this.name, pbxType: this.type, hint: 'Leave out `user`, or use a PBX entry configured for that user.' },
        );
      }
      return self;
    }
    // Checked here, before any tool asks a person to confirm something done for a user the PBX does not have.
    if (requested !== undefined && this.backend.canonicalUser && this.backend.canonicalUser(requested) === undefined) {
      throw new ArgumentError('not_found', `this PBX has no user or extension "${requested}"; nothing was done`, {
        pbx: this.name,
        pbxType: this.type,
        hint: `Use a login or extension of this PBX (pbx://${this.name}/extensions lists them).`,
      });
    }
    return requested ?? this.backend.defaultUser;
  }

  /** Like user(), but an action needs someone to act for. */
  actingUser(requested?: string): string | undefined {
    const u = this.user(requested);
    if (u === undefined && this.backend.userModel === 'many') {
      throw new ArgumentError('invalid', 'this action is done for a user, and none was named', {
        pbx: this.name,
        pbxType: this.type,
        hint: `Pass \`user\`, or set \`defaultUser\` for PBX ${this.name} in the config.`,
      });
    }
    return u;
  }

  /** The operation, wrapped so its errors are typed and attributed. Throws `unsupported` if the PBX lacks it. */
  op<C extends Exclude<Capability, 'contacts'>>(cap: C, what: string = CAPABILITY_LABELS[cap]): Operations[C] {
    const fn = this.backend[cap] as OpFn | undefined;
    if (!this.can(cap) || typeof fn !== 'function') throw this.unsupported(what, cap);
    return this.wrap(fn.bind(this.backend) as OpFn, cap, READ_CAPABILITIES.has(cap)) as unknown as Operations[C];
  }

  contacts(): ContactStore {
    const store = this.backend.contacts;
    if (!this.can('contacts') || !store) throw this.unsupported('keep contacts', 'contacts');
    const reads = new Set(['list', 'get', 'exportCsv']);
    const wrapped = { listHasIds: store.listHasIds } as Record<string, unknown>;
    for (const k of ['list', 'get', 'create', 'update', 'delete', 'deleteAll', 'exportCsv', 'importCsv'] as const) {
      wrapped[k] = this.wrap((store[k] as OpFn).bind(store), `contacts.${k}`, reads.has(k));
    }
    return wrapped as unknown as ContactStore;
  }

  private wrap(fn: OpFn, name: string, isRead: boolean): OpFn {
    return (async (...args: never[]) => {
      const gated = this.gate?.(name, isRead);
      if (gated) await gated;
      try {
        return await fn(...args);
      } catch (e) {
        throw this.attribute(e, isRead);
      }
    }) as OpFn;
  }

  /** Any error from a backend, as a typed error naming this PBX. */
  attribute(e: unknown, isRead: boolean): TelephonyError {
    if (isTelephonyError(e)) return e.at(this.name, this.type);
    // An error the backend did not type is a bug there; for an action we cannot know whether it happened.
    return new BackendError(
      isRead ? 'unavailable' : 'outcome_unknown',
      isRead ? 'the request failed unexpectedly' : 'the request failed unexpectedly, after it may have reached the PBX',
      { pbx: this.name, pbxType: this.type, cause: e },
    );
  }
}

export class PbxRouter {
  private readonly handles = new Map<string, PbxHandle>();

  constructor(
    private readonly backends: readonly Backend[],
    readonly defaultPbx: string,
    settings: Record<string, Partial<PbxSettings>> = {},
  ) {
    for (const b of backends) {
      const s = settings[b.name];
      this.handles.set(b.name, new PbxHandle(b, { ownedNumbers: s?.ownedNumbers ?? [], label: s?.label }));
    }
    if (!this.handles.has(defaultPbx)) throw new Error(`defaultPbx "${defaultPbx}" is not one of the configured PBXs`);
  }

  names(): string[] {
    return [...this.handles.keys()];
  }

  all(): PbxHandle[] {
    return [...this.handles.values()];
  }

  /** The PBX named, or the default one. */
  get(name?: string): PbxHandle {
    const h = this.handles.get(name ?? this.defaultPbx);
    if (!h) {
      throw new ArgumentError('not_found', `there is no PBX named "${name}"`, {
        hint: `Configured PBXs: ${this.names().join(', ')}. Leave out \`pbx\` to use ${this.defaultPbx}.`,
      });
    }
    return h;
  }

  /** True when at least one configured PBX has one of `caps`. */
  anyCan(caps: readonly Capability[]): boolean {
    return this.all().some((h) => caps.some((c) => h.can(c)));
  }

  async close(): Promise<void> {
    await Promise.allSettled([...this.backends].map((b) => b.close()));
  }
}

/** Build every configured backend; a failure names the PBX. Built ones are closed if a later one fails. */
export async function createBackends(
  entries: Record<string, { type: string } & Record<string, unknown>>,
  deps: BackendDeps,
): Promise<Backend[]> {
  const built: Backend[] = [];
  try {
    for (const [name, entry] of Object.entries(entries)) {
      const bt = backendType(entry.type);
      if (!bt) throw new Error(`pbxes.${name}.type: unknown PBX type "${entry.type}"`);
      const impl = await bt.load();
      const backend = await impl.create(name, bt.config.parse(entry), { ...deps, log: deps.log.child({ pbx: name }) });
      assertCapabilitiesImplemented(backend);
      built.push(backend);
    }
    return built;
  } catch (e) {
    await Promise.allSettled(built.map((b) => b.close()));
    throw e;
  }
}
