/**
 * The config file: its zod schema, ${VAR} expansion from the environment, and error messages that name the
 * key path and say how to fix it. No config at all means one sim PBX named `demo` on the demo scenario.
 */
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { z } from 'zod';
import { BACKEND_TYPES, backendType, pbxEntrySchema } from './backends/registry.js';
import { LEVELS } from './log.js';
import { GUARDED_TOOLS } from './tools/index.js';

export class ConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConfigError';
  }
}

const NAME = /^[A-Za-z0-9_-]{1,40}$/;

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
  dialPolicy: DialPolicyConfig.prefault({}),
});
export type SafetyConfig = z.infer<typeof SafetyConfig>;

export const HttpConfig = z.strictObject({
  host: z.string().min(1).default('127.0.0.1'),
  port: z.number().int().min(0).max(65535).default(3000),
  token: z.string().min(16, 'at least 16 characters').optional().describe('Bearer token clients must send'),
  allowedHosts: z.array(z.string().min(1)).default([]).describe('Extra Host header values to accept (host[:port])'),
  allowedOrigins: z.array(z.string().url()).default([]).describe('Extra browser Origins to accept'),
  maxSessions: z.number().int().min(1).max(100_000).default(2000),
  maxSessionsPerClient: z
    .number()
    .int()
    .min(1)
    .max(100_000)
    .optional()
    .describe('Sessions one client (one token, else one address) may hold; default: the lesser of 100 and half of maxSessions'),
  sessionIdleMinutes: z.number().int().min(1).max(24 * 60).default(30),
});
export type HttpConfig = z.infer<typeof HttpConfig>;

export const Config = z.strictObject({
  defaultPbx: z.string().regex(NAME).optional(),
  pbxes: z.record(z.string().regex(NAME, 'PBX names: letters, digits, _ and -'), pbxEntrySchema()),
  http: HttpConfig.prefault({}),
  safety: SafetyConfig.prefault({}),
  readOnly: z.boolean().default(false).describe('Offer and allow only tools that read'),
  audit: z
    .strictObject({
      file: z.string().min(1).default('telephony-mcp-audit.jsonl').describe('JSON lines file, or "-" for stderr'),
      recent: z.number().int().min(0).max(10_000).default(200),
    })
    .prefault({}),
  log: z
    .strictObject({
      level: z.enum(LEVELS).default('info'),
      format: z.enum(['text', 'json']).default('text'),
    })
    .prefault({}),
});
/** The validated config; `pbxes` entries are validated per type by their backend's own schema. */
export type Config = Omit<z.infer<typeof Config>, 'pbxes'> & {
  defaultPbx: string;
  pbxes: Record<string, { type: string; defaultUser?: string } & Record<string, unknown>>;
  /** Directory relative paths in the config are resolved against. */
  baseDir: string;
  /** Where the config came from, for messages. */
  source: string;
};

/** The config used when none is given: the demo PBX. */
export const DEMO_CONFIG = {
  defaultPbx: 'demo',
  pbxes: { demo: { type: 'sim', defaultUser: 'alice', label: 'Demo PBX (simulated)' } },
  safety: { dialPolicy: { defaultCountry: 'IT' } },
};

/** Replace ${VAR} and ${VAR:-default} in every string; $${ is a literal ${. Unset variables are errors. */
export function expandEnv(value: unknown, env: NodeJS.ProcessEnv, path: string[] = [], errors: string[] = []): unknown {
  if (typeof value === 'string') {
    return value.replace(/\$(\$?)\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}/g, (whole, escape: string, name: string, dflt?: string) => {
      if (escape) return whole.slice(1);
      const v = env[name];
      if (v !== undefined && v !== '') return v;
      if (dflt !== undefined) return dflt;
      errors.push(`${path.join('.') || '(top level)'}: environment variable ${name} is not set (set it in the environment or in .env)`);
      return '';
    });
  }
  if (Array.isArray(value)) return value.map((v, i) => expandEnv(v, env, [...path, String(i)], errors));
  if (value && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, expandEnv(v, env, [...path, k], errors)]));
  }
  return value;
}

function formatIssues(issues: readonly z.core.$ZodIssue[], source: string): string {
  const lines = issues.slice(0, 8).map((i) => {
    const path = i.path.map(String).join('.') || '(top level)';
    if (i.code === 'unrecognized_keys') {
      return `${path === '(top level)' ? '' : `${path}.`}${i.keys.join(', ')}: unknown key (check the spelling; see the config reference in README.md)`;
    }
    return `${path}: ${i.message}`;
  });
  return `invalid config (${source}):\n  ${lines.join('\n  ')}`;
}

/** Validate a raw (already JSON-parsed) config object. */
export function parseConfig(raw: unknown, opts: { env?: NodeJS.ProcessEnv; baseDir?: string; source?: string } = {}): Config {
  const source = opts.source ?? 'config';
  const errors: string[] = [];
  const expanded = expandEnv(raw, opts.env ?? process.env, [], errors);
  if (errors.length) throw new ConfigError(`invalid config (${source}):\n  ${errors.join('\n  ')}`);
  // Parsed once at start-up: zod's JIT would compile a fast parser (several ms) that is never used again.
  const r = Config.safeParse(expanded, { jitless: true });
  if (!r.success) throw new ConfigError(formatIssues(r.error.issues, source));
  const c = r.data;
  const names = Object.keys(c.pbxes);
  if (names.length === 0) throw new ConfigError(`invalid config (${source}):\n  pbxes: configure at least one PBX`);
  const defaultPbx = c.defaultPbx ?? names[0]!;
  if (!names.includes(defaultPbx)) {
    throw new ConfigError(`invalid config (${source}):\n  defaultPbx: "${defaultPbx}" is not one of pbxes (${names.join(', ')})`);
  }
  if (c.safety.confirmTools) {
    const unknown = c.safety.confirmTools.filter((t) => !GUARDED_TOOLS.includes(t));
    if (unknown.length) {
      throw new ConfigError(
        `invalid config (${source}):\n  safety.confirmTools: ${unknown.join(', ')} cannot be confirmed; choose from ${GUARDED_TOOLS.join(', ')}`,
      );
    }
  }
  return {
    ...c,
    defaultPbx,
    pbxes: c.pbxes as Config['pbxes'],
    baseDir: opts.baseDir ?? process.cwd(),
    source,
  };
}

/**
 * A one-PBX config from environment variables, as an install dialog (the MCP Bundle's user_config) sets them:
 * TELEPHONY_MCP_PBX_TYPE, _URL, _USER, _PASSWORD and TELEPHONY_MCP_DEFAULT_COUNTRY. Undefined when no type is set.
 */
export function configFromEnv(env: NodeJS.ProcessEnv): Record<string, unknown> | undefined {
  const type = env.TELEPHONY_MCP_PBX_TYPE?.trim();
  if (!type) return undefined;
  const bt = backendType(type);
  if (!bt) {
    throw new ConfigError(
      `TELEPHONY_MCP_PBX_TYPE: unknown PBX type "${type}"; use one of: ${BACKEND_TYPES.map((t) => t.type).join(', ')} (or leave it empty for the demo)`,
    );
  }
  const country = env.TELEPHONY_MCP_DEFAULT_COUNTRY?.trim().toUpperCase();
  // Values are used as they are: no ${VAR} expansion of a password that happens to contain "${".
  const escape = (v: string | undefined) => v?.replace(/\$\{/g, () => '$${');
  return {
    defaultPbx: 'pbx',
    pbxes: {
      pbx: {
        type,
        ...bt.quick({ url: env.TELEPHONY_MCP_PBX_URL?.trim(), user: env.TELEPHONY_MCP_PBX_USER?.trim(), password: escape(env.TELEPHONY_MCP_PBX_PASSWORD) }),
      },
    },
    ...(country ? { safety: { dialPolicy: { defaultCountry: country } } } : {}),
  };
}

/** Read the config file at `path`; without one, a config from the environment, or the demo config. */
export function loadConfig(path: string | undefined, env: NodeJS.ProcessEnv = process.env): Config {
  if (!path) {
    const fromEnv = configFromEnv(env);
    if (fromEnv) return parseConfig(fromEnv, { env, source: 'TELEPHONY_MCP_PBX_* environment variables' });
    const country = env.TELEPHONY_MCP_DEFAULT_COUNTRY?.trim().toUpperCase();
    const demo = country ? { ...DEMO_CONFIG, safety: { dialPolicy: { defaultCountry: country } } } : DEMO_CONFIG;
    return parseConfig(demo, { env, source: 'built-in demo config' });
  }
  const abs = resolve(path);
  let text: string;
  try {
    text = readFileSync(abs, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new ConfigError(
      code === 'ENOENT' ? `config file ${abs} does not exist (check --config or TELEPHONY_MCP_CONFIG)` : `cannot read config file ${abs}: ${code}`,
    );
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (e) {
    throw new ConfigError(`config file ${abs} is not valid JSON: ${(e as Error).message}`);
  }
  return parseConfig(raw, { env, baseDir: dirname(abs), source: abs });
}
