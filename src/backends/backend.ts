/**
 * The one interface every PBX backend implements: one method per operation, and a `capabilities` set naming
 * the operations it supports. A backend that lacks an operation does not implement it; tools are listed only
 * when some configured PBX has the capability they need.
 */
import type {
  Call,
  Contact,
  ContactFields,
  ContactImportResult,
  Extension,
  Favorite,
  ForwardKind,
  HistoryEntry,
  ParkingInfo,
  Qualification,
  QualificationAnswer,
  QueueStatus,
} from './model.js';

/**
 * A number that passed the dial policy (safety/policy.ts), the only producer of this type. Every operation that
 * dials takes a Dialable, so no path can hand a backend an unchecked number.
 */
export type Dialable = string & { readonly __dialable: unique symbol };

/** For tests that drive a backend directly, below the policy. Never used by server code. */
export function unsafeDialable(n: string): Dialable {
  return n as Dialable;
}

/**
 * A voicemail box as a transfer destination: "vm", an optional "-", and the box's extension number (PBXpress's
 * "vm-abbreviated form", which its guide does not spell out further). Nothing else: it bypasses the dial policy
 * (it dials nobody), so it may hold nothing else. Lower case only: the same pattern goes into the tool's JSON
 * schema, which has no flags.
 */
export const VOICEMAIL_BOX = /^vm-?[0-9]{1,15}$/;

/** Per-request options every operation accepts. */
export interface OpOptions {
  /** Aborted when the client cancels the request or the server shuts down. */
  signal?: AbortSignal;
}

/** `user` is a PBX user (login or extension, per backend); undefined where the backend acts for one agent. */
export interface UserScoped {
  user?: string | undefined;
}

export interface PlaceCallResult {
  /** The new call, when the PBX reports it synchronously. */
  call?: Call;
  /** The PBX's id for the new call, when known without the full call. */
  callId?: string;
}

/** What an action may add to its result: something the person should know that the PBX cannot confirm. */
export interface ActionNote {
  note?: string;
}

export interface AttendedTransferResult {
  /** The consultation call to the transfer target, when the PBX reports it. */
  consultCall?: Call;
  /** How the transfer completes on this PBX, for the model. */
  completion: string;
}

export interface ContactStore {
  list(a: UserScoped, o?: OpOptions): Promise<Contact[]>;
  get(a: UserScoped & { id: string }, o?: OpOptions): Promise<Contact>;
  create(a: UserScoped & { contact: ContactFields }, o?: OpOptions): Promise<Contact>;
  update(a: UserScoped & { id: string; contact: ContactFields }, o?: OpOptions): Promise<Contact>;
  delete(a: UserScoped & { id: string }, o?: OpOptions): Promise<void>;
  deleteAll(a: UserScoped, o?: OpOptions): Promise<void>;
  exportCsv(a: UserScoped, o?: OpOptions): Promise<string>;
  importCsv(a: UserScoped & { csv: string }, o?: OpOptions): Promise<ContactImportResult>;
  /** True when list() returns contacts without ids (get/update/delete then need an id from create or import). */
  readonly listHasIds: boolean;
}

/** Reading the small notes an assistant keeps on a PBX (PBXpress: the dict_* storage of the login user). */
export type NotesQuery = { op: 'get'; key: string } | { op: 'get_json'; key: string } | { op: 'list' };

export interface NotesResult {
  /** get, get_json: whether the note exists. list: always true. */
  found: boolean;
  /** get: the text. */
  value?: string;
  /** get_json: the stored array or object. */
  json?: unknown;
  /** list: every note, key and text. */
  notes?: { key: string; value: string }[];
}

/** A JSON note: an array or an object (PBXpress stores only those serialized). */
export type NoteJson = unknown[] | Record<string, unknown>;

export type NotesChange =
  | { op: 'set'; key: string; value: string }
  | { op: 'set_many'; entries: { key: string; value: string }[] }
  | { op: 'set_json'; key: string; json: NoteJson }
  | { op: 'delete'; key: string };

/**
 * A callback request of a contact-centre callback list (XiVO CC): someone an agent is to call back, during
 * `period` (a named part of the day the list defines; the list's default when left out) from `dueDate` on.
 * Its numbers passed the dial policy.
 */
export interface CallbackRequest {
  phoneNumber?: Dialable | undefined;
  mobilePhoneNumber?: Dialable | undefined;
  firstName?: string | undefined;
  lastName?: string | undefined;
  company?: string | undefined;
  description?: string | undefined;
  /** YYYY-MM-DD. */
  dueDate?: string | undefined;
  period?: string | undefined;
}

export interface Operations {
  placeCall(a: UserScoped & { to: Dialable }, o?: OpOptions): Promise<PlaceCallResult>;
  answer(a: UserScoped & { callId?: string | undefined }, o?: OpOptions): Promise<Call | undefined>;
  hangup(a: UserScoped & { callId?: string | undefined }, o?: OpOptions): Promise<void>;
  /** Put a call on hold; `on: false` resumes it where the PBX can (xCALLY only toggles). */
  hold(a: UserScoped & { callId?: string | undefined; on?: boolean }, o?: OpOptions): Promise<ActionNote | void>;
  transferBlind(a: UserScoped & { callId?: string | undefined; to: Dialable }, o?: OpOptions): Promise<void>;
  transferAttended(
    a: UserScoped & { callId?: string | undefined; to: Dialable },
    o?: OpOptions,
  ): Promise<AttendedTransferResult>;
  /**
   * Send a call to a voicemail box, given as the PBX writes such a destination (PBXpress: the guide's
   * "vm-abbreviated form", e.g. vm-203); the caller leaves the user for the box.
   */
  transferVoicemail(a: UserScoped & { callId?: string | undefined; box: string }, o?: OpOptions): Promise<void>;
  /** Join the held call `callId` with the user's current call. */
  conference(a: UserScoped & { callId: string }, o?: OpOptions): Promise<void>;
  setDnd(a: UserScoped & { enabled: boolean }, o?: OpOptions): Promise<void>;
  setForward(
    a: UserScoped & { kind: ForwardKind; destination?: Dialable | undefined; enabled: boolean },
    o?: OpOptions,
  ): Promise<void>;
  pauseQueues(
    a: UserScoped & { paused: boolean; queues?: string[] | undefined; reason?: string | undefined },
    o?: OpOptions,
  ): Promise<ActionNote | void>;
  /** Calls of `user`, or every call the PBX shows us when `user` is undefined. */
  activeCalls(a: UserScoped, o?: OpOptions): Promise<Call[]>;
  listQueue(a: { queue: string }, o?: OpOptions): Promise<QueueStatus>;
  /** Names of the queues this PBX knows (for resource listing and completions). */
  listQueues(o?: OpOptions): Promise<string[]>;
  listExtensions(o?: OpOptions): Promise<Extension[]>;
  history(a: UserScoped & { size?: number | undefined; days?: number | undefined }, o?: OpOptions): Promise<HistoryEntry[]>;
  contacts: ContactStore;
  parkCall(a: UserScoped & { callId: string; slot?: string | undefined }, o?: OpOptions): Promise<{ slot: string }>;
  parkingInfo(o?: OpOptions): Promise<ParkingInfo>;
  /** The operator console's favorites, in slot order. */
  getFavorites(o?: OpOptions): Promise<Favorite[]>;
  /** Replace the whole list of favorites (number and name of each entry are ignored). */
  setFavorites(a: { favorites: Favorite[] }, o?: OpOptions): Promise<void>;
  readNotes(a: NotesQuery, o?: OpOptions): Promise<NotesResult>;
  writeNotes(a: NotesChange, o?: OpOptions): Promise<void>;
  // Dial variants and call qualification (XiVO XUC).
  /** Call another PBX user by login, from the user's phone. */
  dialUser(a: UserScoped & { username: string }, o?: OpOptions): Promise<PlaceCallResult>;
  /** Call `to` from the user's phone through a queue (the queue presents the call). */
  dialFromQueue(a: UserScoped & { to: Dialable; queueId: number }, o?: OpOptions): Promise<PlaceCallResult>;
  /** Call `to` showing `callerId`, then put the call into `queue`. No user's phone takes part. */
  dialToQueue(a: { to: Dialable; queue: string; callerId: Dialable }, o?: OpOptions): Promise<PlaceCallResult>;
  /** The qualification options (with sub-qualifications) of a queue. */
  listQualifications(a: { queueId: number }, o?: OpOptions): Promise<Qualification[]>;
  /** Record the qualification of a call; says the time recorded (a default: now), and what the PBX cannot confirm. */
  recordQualification(a: { answer: QualificationAnswer }, o?: OpOptions): Promise<(ActionNote & { time?: string }) | void>;
  /** The qualifications recorded in a queue between two dates (YYYY-MM-DD), as CSV. */
  exportQualifications(a: { queueId: number; from: string; to: string }, o?: OpOptions): Promise<string>;
  // Contact-centre callback lists (XiVO XUC).
  /** Add callback requests to the callback list `listUuid`; says what the PBX could not take as given. */
  importCallbacks(a: { listUuid: string; requests: CallbackRequest[] }, o?: OpOptions): Promise<ActionNote | void>;
  /** The tickets of a callback list (its requests once agents have processed them), as the PBX's CSV. */
  exportCallbackTickets(a: { listUuid: string }, o?: OpOptions): Promise<string>;
}

export type Capability = keyof Operations;

export const CAPABILITIES = [
  'placeCall',
  'answer',
  'hangup',
  'hold',
  'transferBlind',
  'transferAttended',
  'transferVoicemail',
  'conference',
  'setDnd',
  'setForward',
  'pauseQueues',
  'activeCalls',
  'listQueue',
  'listQueues',
  'listExtensions',
  'history',
  'contacts',
  'parkCall',
  'parkingInfo',
  'getFavorites',
  'setFavorites',
  'readNotes',
  'writeNotes',
  // Dial variants and call qualification (XiVO XUC).
  'dialUser',
  'dialFromQueue',
  'dialToQueue',
  'listQualifications',
  'recordQualification',
  'exportQualifications',
  // Contact-centre callback lists (XiVO XUC).
  'importCallbacks',
  'exportCallbackTickets',
] as const satisfies readonly Capability[];

/** Operations that only read. Everything else changes state on the PBX and is never retried. */
export const READ_CAPABILITIES: ReadonlySet<Capability> = new Set<Capability>([
  'activeCalls',
  'listQueue',
  'listQueues',
  'listExtensions',
  'history',
  'parkingInfo',
  'getFavorites',
  'readNotes',
  'listQualifications',
  'exportQualifications',
  'exportCallbackTickets',
]);

/** What changed on a PBX; resources map these to URIs for subscribers. */
export type Change =
  | { topic: 'calls' }
  | { topic: 'extensions' }
  | { topic: 'parking' }
  | { topic: 'favorites' }
  | { topic: 'queue'; queue: string }
  | { topic: 'history'; user: string }
  | { topic: 'contacts'; user: string };

export interface Backend extends Partial<Operations> {
  /** The PBX's name in the config (`pbxes.<name>`). */
  readonly name: string;
  /** The backend type (`sim`, `kalliope`, ...). */
  readonly type: string;
  readonly capabilities: ReadonlySet<Capability>;
  /** Who acts when a tool names no user. */
  readonly defaultUser?: string | undefined;
  /**
   * 'many': the PBX serves many users and `user` picks one.
   * 'self': acts only as one login (the agent logged in at a desktop client, or the PBX login); another `user` is refused.
   */
  readonly userModel: 'many' | 'self';
  /** The users this PBX knows, for resource listing and completions (optional). */
  knownUsers?(): Promise<string[]>;
  /**
   * One name per person, where a PBX knows several (login "alice" and extension "201"), so limits kept per user
   * cannot be multiplied by aliases. Undefined when the PBX does not know the user.
   */
  canonicalUser?(user: string): string | undefined;
  /** Push notifications of changes. Backends without it are polled by the resource watcher. */
  watch?(listener: (change: Change) => void): () => void;
  /**
   * Why this PBX lacks `cap`, when there is more to say than the list of what it can do (e.g. "the vendor's
   * API has no call control"; "another user type of this PBX can"). Shown in the unsupported error.
   */
  whyUnsupported?(cap: Capability): string | undefined;
  /** True when listQueue reports each queue's members and their pauses (the sim); a list of queues then shows them. */
  readonly listsQueueMembers?: boolean;
  /** Least interval (ms) between two polls of the same read on this PBX. */
  readonly minPollIntervalMs?: number;
  close(): Promise<void>;
}

/** Throws if a backend declares a capability it does not implement (a programming error, caught at start-up). */
export function assertCapabilitiesImplemented(backend: Backend): void {
  for (const cap of backend.capabilities) {
    const member = (backend as Partial<Record<Capability, unknown>>)[cap];
    const ok = cap === 'contacts' ? typeof member === 'object' && member !== null : typeof member === 'function';
    if (!ok) throw new Error(`backend ${backend.type} declares capability ${cap} but does not implement it`);
  }
}
