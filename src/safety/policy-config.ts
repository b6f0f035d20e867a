/** The schema of the `safety` section of the config: confirmations and the dial policy with its outbound rules. */
import { z } from 'zod';
import { CallingHoursConfig, DoNotCallConfig } from './outbound-config.js';

/** HMAC keys shorter than this are refused (the SDK's request-state codec needs 32 bytes too). */
export const MIN_STATE_SECRET_BYTES = 32;

/** A number pattern: "^..." is a regular expression; anything else a glob where * is any digits and ? one. */
const Pattern = z.string().min(1).max(200).superRefine((p, ctx) => {
  if (p.startsWith('^')) {
    try {
      new RegExp(p);
    } catch (e) {
      ctx.addIssue({ code: 'custom', message: `not a valid regular expression: ${(e as Error).message}` });
    }
  } else if (!/^\+?[0-9*?#]+$/.test(p)) {
    ctx.addIssue({ code: 'custom', message: 'a glob of digits with * and ? (e.g. "+3906*"), or a regular expression starting with ^' });
  }
});

export const NUMBER_TYPES = [
  'PREMIUM_RATE',
  'SHARED_COST',
  'PERSONAL_NUMBER',
  'UAN',
  'VOIP',
  'TOLL_FREE',
  'MOBILE',
  'FIXED_LINE',
  'FIXED_LINE_OR_MOBILE',
  'PAGER',
  'VOICEMAIL',
] as const;

export const DialPolicyConfig = z.strictObject({
  defaultCountry: z
    .string()
    .regex(/^[A-Z]{2}$/, 'an ISO 3166 country code such as "IT" or "US"')
    .optional()
    .describe('How to read national numbers (without +); also what counts as international'),
  allow: z.array(Pattern).default([]).describe('If set, only numbers matching one of these may be dialled'),
  deny: z.array(Pattern).default([]).describe('Numbers matching one of these are refused (deny wins over allow)'),
  internalPattern: Pattern.default('^[0-9]{2,5}$').describe('Internal extensions: dialled without classification'),
  allowInternational: z.boolean().default(false),
  allowedCountryCodes: z
    .array(z.string().regex(/^([A-Z]{2}|\+?[0-9]{1,3})$/, 'a country ("CH") or calling code ("+41")'))
    .default([])
    .describe('International destinations allowed even when allowInternational is false'),
  blockedTypes: z
    .array(z.enum(NUMBER_TYPES))
    .default(['PREMIUM_RATE', 'SHARED_COST', 'PERSONAL_NUMBER'])
    .describe('Number types (from libphonenumber) that are refused'),
  maxCallsPerMinute: z.number().int().min(1).max(10_000).default(10).describe('Per PBX and user'),
  maxCallsPerMinutePerPbx: z.number().int().min(1).max(100_000).default(60).describe('Per PBX, all users together'),
  maxConcurrentCalls: z.number().int().min(1).max(10_000).default(5).describe('Per PBX and user'),
  noConfirm: z
    .array(Pattern)
    .default([])
    .describe('Numbers that place_call may dial without confirmation (internal extensions are exempt by default)'),
  confirmInternal: z.boolean().default(false).describe('Also confirm calls to internal extensions'),
  // Outbound rules (safety/outbound.ts): checked after the ones above.
  callingHours: CallingHoursConfig.optional(),
  doNotCall: DoNotCallConfig.optional(),
});
export type DialPolicyConfig = z.infer<typeof DialPolicyConfig>;

export const SafetyConfig = z.strictObject({
  confirm: z
    .enum(['auto', 'token', 'off'])
    .default('auto')
    .describe('auto: ask through the client (elicitation) when it can, else a confirm_token; token: always a token; off: never ask'),
  confirmTools: z
    .array(z.string().regex(/^[a-z_]+$/))
    .optional()
    .describe('Tools whose actions need confirmation (default: every destructive or costly action)'),
  confirmTimeoutSeconds: z.number().int().min(1).max(3600).default(300).describe('How long a confirmation request waits for the person'),
  repeatWindowSeconds: z
    .number()
    .int()
    .min(0)
    .max(86_400)
    .default(60)
    .describe('The same action on the same target by the same caller within this many seconds asks again, even where it would not ask; 0: off'),
  stateSecret: z
    .string()
    .refine((s) => Buffer.byteLength(s, 'utf8') >= MIN_STATE_SECRET_BYTES, `at least ${MIN_STATE_SECRET_BYTES} bytes (e.g. openssl rand -hex 32)`)
    .optional()
    .describe(
      'Key that signs confirmations (MRTR requestState and confirm_token); default: TELEPHONY_MCP_STATE_SECRET, else random per process. Replicas need the same one',
    ),
  dialPolicy: DialPolicyConfig.prefault({}),
});
export type SafetyConfig = z.infer<typeof SafetyConfig>;
