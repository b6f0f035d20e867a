/**
 * The shared telephony model: what every backend maps its vendor's wire format to, and what tools and
 * resources hand to clients. Each type is a zod schema so the TypeScript type, the tools' output schemas
 * and the validation of adapter output come from this one place.
 *
 * Conventions:
 * - Identifiers (call ids, slots, extension ids) are strings even where a vendor sends numbers.
 * - Times are ISO 8601 strings in UTC; durations are whole seconds.
 * - Every string that came from a PBX is sanitized before it leaves the server (see safety/sanitize.ts).
 */
import { z } from 'zod';

/** A party of a call: a phone number (or extension), and a display name when the PBX knows one. */
export const Party = z.object({
  number: z.string(),
  name: z.string().optional(),
});
export type Party = z.infer<typeof Party>;

export const CALL_STATES = ['dialing', 'ringing', 'connected', 'on_hold', 'parked', 'queued', 'unknown'] as const;
export const CallState = z.enum(CALL_STATES);
export type CallState = z.infer<typeof CallState>;

export const CallDirection = z.enum(['inbound', 'outbound', 'internal']);
export type CallDirection = z.infer<typeof CallDirection>;

/** The user's part in a call of theirs: they placed it, or it came to them. */
export const CallRole = z.enum(['caller', 'callee']);
export type CallRole = z.infer<typeof CallRole>;

export const Call = z.object({
  id: z.string(),
  state: CallState,
  direction: CallDirection.optional(),
  role: CallRole.optional().describe("The user's part, where the PBX tells: caller (they placed it) or callee (it came to them)"),
  from: Party,
  to: Party,
  answered: z.boolean(),
  startedAt: z.string(),
  durationSeconds: z.number().int().nonnegative().describe('Since the call started, ringing included'),
  queue: z.string().optional(),
  parkedSlot: z.string().optional(),
  participants: z.array(Party).optional(),
});
export type Call = z.infer<typeof Call>;

export const FORWARD_KINDS = ['unconditional', 'noanswer', 'busy'] as const;
export type ForwardKind = (typeof FORWARD_KINDS)[number];

/** The forwards in effect for a user, destination per kind; `{}` when none is on. */
export const Forwarding = z.object({
  unconditional: z.string().optional().describe('Every call goes here'),
  noanswer: z.string().optional().describe('Calls not answered go here'),
  busy: z.string().optional().describe('Calls while busy go here'),
});
export type Forwarding = z.infer<typeof Forwarding>;

/** A user's membership of one queue, and whether they are paused there. */
export const QueueMembership = z.object({
  queue: z.string(),
  paused: z.boolean(),
  reason: z.string().optional().describe('Pause reason, when one was given'),
});
export type QueueMembership = z.infer<typeof QueueMembership>;

export const EXTENSION_KINDS = ['user', 'queue', 'attendant'] as const;
export const Extension = z.object({
  id: z.string(),
  number: z.string(),
  name: z.string().optional(),
  kind: z.enum(EXTENSION_KINDS),
  online: z.boolean().optional(),
  dnd: z.boolean().optional(),
  forward: Forwarding.optional().describe('Users: call forwarding in effect, where the PBX reports it'),
  queues: z.array(QueueMembership).optional().describe('Users: the queues they belong to and pauses, where the PBX reports them'),
});
export type Extension = z.infer<typeof Extension>;

export const QueueCall = z.object({
  id: z.string(),
  caller: z.string(),
  callerName: z.string().optional(),
  country: z.string().optional(),
  status: z.enum(['waiting', 'connected']),
  enteredAt: z.string().optional(),
  waitedSeconds: z.number().int().nonnegative().optional(),
  agent: z.string().optional(),
});
export type QueueCall = z.infer<typeof QueueCall>;

export const MEMBER_STATES = ['available', 'ringing', 'on_call', 'dnd', 'offline'] as const;
/** An agent of a queue: who, whether paused there, and whether they could take a call now. */
export const QueueMember = z.object({
  user: z.string(),
  number: z.string().optional(),
  name: z.string().optional(),
  paused: z.boolean(),
  reason: z.string().optional(),
  state: z.enum(MEMBER_STATES).optional(),
});
export type QueueMember = z.infer<typeof QueueMember>;

export const QueueStatus = z.object({
  queue: z.string(),
  waitingCount: z.number().int().nonnegative(),
  oldestArrival: z.string().optional(),
  calls: z.array(QueueCall).describe('Empty where the PBX reports only counts'),
  members: z.array(QueueMember).optional().describe('The agents of the queue, where the PBX reports them'),
});
export type QueueStatus = z.infer<typeof QueueStatus>;

export const CONTACT_FIELDS = ['firstname', 'lastname', 'company', 'email', 'number', 'mobile', 'fax'] as const;
export type ContactField = (typeof CONTACT_FIELDS)[number];
export const ContactFields = z.object({
  firstname: z.string().max(100).optional(),
  lastname: z.string().max(100).optional(),
  company: z.string().max(100).optional(),
  email: z.string().max(254).optional(),
  number: z.string().max(40).optional(),
  mobile: z.string().max(40).optional(),
  fax: z.string().max(40).optional(),
});
export type ContactFields = z.infer<typeof ContactFields>;
export const Contact = ContactFields.extend({
  id: z.string(),
});
export type Contact = z.infer<typeof Contact>;

export const HistoryEntry = z.object({
  start: z.string(),
  durationSeconds: z.number().int().nonnegative(),
  from: z.string(),
  to: z.string(),
  status: z.string().describe("answered, missed, emitted (made by the user), busy, failed, abandoned, or a vendor's own"),
});
export type HistoryEntry = z.infer<typeof HistoryEntry>;

export const ContactImportResult = z.object({
  created: z.array(z.object({ id: z.string(), lastname: z.string().optional() })),
  failed: z.array(z.object({ line: z.number().int(), errors: z.array(z.string()) })),
});
export type ContactImportResult = z.infer<typeof ContactImportResult>;

export const ParkingInfo = z.object({
  firstSlot: z.string().optional(),
  slots: z.number().int().nonnegative().optional(),
  parked: z.array(z.object({ slot: z.string(), callId: z.string() })),
});
export type ParkingInfo = z.infer<typeof ParkingInfo>;

export const FAVORITE_SIZES = ['single', 'double'] as const;
/** An entry of the operator console's favorites. An entity is identified by `id` together with `kind`. */
export const Favorite = z.object({
  id: z.string(),
  kind: z.enum(EXTENSION_KINDS),
  slot: z.number().int().nonnegative(),
  size: z.enum(FAVORITE_SIZES),
  number: z.string().optional(),
  name: z.string().optional(),
});
export type Favorite = z.infer<typeof Favorite>;

/** A call qualification option of a queue (XiVO), with the sub-qualifications an answer records. */
export const Qualification = z.object({
  id: z.number().int(),
  name: z.string(),
  subQualifications: z.array(z.object({ id: z.number().int().describe('The sub_qualification_id of record'), name: z.string() })),
});
export type Qualification = z.infer<typeof Qualification>;

/**
 * The qualification of one call. Ids are integers here, unlike the model's other identifiers, because the one
 * API that has qualifications (XUC) takes them as integers.
 */
export const QualificationAnswer = z.object({
  subQualificationId: z.number().int().nonnegative(),
  callId: z.string(),
  agent: z.number().int().nonnegative(),
  queue: z.number().int().nonnegative(),
  time: z.string().optional(),
  firstName: z.string().max(100).optional(),
  lastName: z.string().max(100).optional(),
  comment: z.string().max(1000).optional(),
  customData: z.string().max(1000).optional(),
});
export type QualificationAnswer = z.infer<typeof QualificationAnswer>;

