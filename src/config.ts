/**
 * The config file: its zod schema, ${VAR} expansion from the environment, and error messages that name the
 * key path and say how to fix it. No config at all means one sim PBX named `demo` on the demo scenario.
 */
import { readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import { z } from 'zod';
import { OAuthConfig } from './auth/config.js';
import { BACKEND_TYPES, backendType, pbxEntrySchema } from './backends/registry.js';
import { ConfigError } from './errors.js';
import { LEVELS } from './log.js';
import { SafetyConfig } from './safety/policy-config.js';
import { SharedConfig } from './shared/settings.js';
import { GUARDED_TOOLS } from './tools/index.js';
import { closest } from './util/closest.js';
import { JsonSyntaxError, parseJsonText } from './util/json.js';
import { keysOf } from './util/schema-keys.js';

const NAME = /^[A-Za-z0-9_-]{1,40}$/;
export const HttpConfig = z.strictObject({
  host: z.string().min(1).default('127.0.0.1'),
  port: z.number().int().min(0).max(65535).default(3000),
  token: z.string().min(16, 'at least 16 characters').optional().describe('Bearer token clients must send (named "default")'),
  tokens: z
    .record(z.string().regex(NAME, 'token names: letters, digits, _ and -'), z.string().min(16, 'at least 16 characters'))
    .default({})
    .describe('Named bearer tokens, one per client: audit lines and confirmations say which client it was'),
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
  oauth: OAuthConfig.optional(),
});
export type HttpConfig = z.infer<typeof HttpConfig>;

export const Config = z.strictObject({
  defaultPbx: z.string().regex(NAME).optional(),
  pbxes: z.record(z.string().regex(NAME, 'PBX names: letters, digits, _ and -'), pbxEntrySchema()),
  http: HttpConfig.prefault({}),
  safety: SafetyConfig.prefault({}),
  shared: SharedConfig.prefault({}),
  readOnly: z.boolean().default(false).describe('Offer and allow only tools that read'),
  audit: z
    .strictObject({
      file: z
        .string()
        .min(1)
        .optional()
        .describe('JSON lines file (relative to the config file), or "-" for stderr; default: the user state directory'),
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

/** Where README.md documents the keys at `path`, for a message that points there. */
function readmeSection(path: readonly PropertyKey[], pbxType?: string): string {
  if (path[0] === 'pbxes') {
    return pbxType && pbxType !== 'sim'
      ? `the keys of every PBX under "Configuration" and the ${pbxType} keys under "Backends" in README.md`
      : `the keys of every PBX under "Configuration" and the sim keys under "Backends" in README.md`;
  }
  if (path[0] === 'safety') return '"Safety" and "Configuration" in README.md';
  return '"Configuration" in README.md';
}

/** `pbxes.lab.defaultUsr: unknown key; did you mean "defaultUser"? (see ...)` for each unknown key. */
function unknownKeyLines(path: readonly PropertyKey[], unknown: readonly string[], known: readonly string[], pbxType?: string): string[] {
  return unknown.map((k) => {
    const guess = closest(k, known.filter((x) => x !== 'type'));
    const where = [...path.map(String), k].join('.');
    const hint = guess ? `did you mean "${guess}"?` : `the keys here are ${known.join(', ')}`;
    return `${where}: unknown key; ${hint} (see ${readmeSection(path, pbxType)})`;
  });
}

/** The settings an environment-only config came from: config key path -> the variable that set it. */
type EnvNames = Readonly<Record<string, string>>;

function formatIssues(issues: readonly z.core.$ZodIssue[], source: string, envNames: EnvNames = {}): string {
  const lines = issues.slice(0, 8).flatMap((i) => {
    const path = i.path.map(String).join('.') || '(top level)';
    if (i.code === 'unrecognized_keys') return unknownKeyLines(i.path, i.keys, keysOf(Config, i.path.map(String)) ?? []);
    const params = i.code === 'custom' ? (i.params as { unknownKeys?: string[]; knownKeys?: string[]; pbxType?: string } | undefined) : undefined;
    if (params?.unknownKeys) return unknownKeyLines(i.path, params.unknownKeys, params.knownKeys ?? [], params.pbxType);
    // A record key that fails its own schema: say what the key must look like, not just that it is invalid.
    if (i.code === 'invalid_key' && i.issues[0]) return [`${path}: ${i.issues[0].message}`];
    const missing = /received undefined/.test(i.message);
    const variable = envNames[path];
    if (variable) return [`${variable}: ${missing ? 'not set, and this PBX type needs it' : i.message} (it sets ${path})`];
    return [`${path}: ${missing ? 'missing: this key is required here' : i.message}`];
  });
  return `invalid config (${source}):\n  ${lines.join('\n  ')}`;
}

/** Validate a raw (already JSON-parsed) config object. */
export function parseConfig(
  raw: unknown,
  opts: { env?: NodeJS.ProcessEnv; baseDir?: string; source?: string; envNames?: EnvNames } = {},
): Config {
  const source = opts.source ?? 'config';
  const errors: string[] = [];
  const expanded = expandEnv(raw, opts.env ?? process.env, [], errors);
  if (errors.length) throw new ConfigError(`invalid config (${source}):\n  ${errors.join('\n  ')}`);
  // Parsed once at start-up: zod's JIT would compile a fast parser (several ms) that is never used again.
  const r = Config.safeParse(expanded, { jitless: true });
  if (!r.success) throw new ConfigError(formatIssues(r.error.issues, source, opts.envNames));
  const c = r.data;
  const names = Object.keys(c.pbxes);
  if (names.length === 0) throw new ConfigError(`invalid config (${source}):\n  pbxes: configure at least one PBX`);
  const defaultPbx = c.defaultPbx ?? names[0]!;
  if (!names.includes(defaultPbx)) {
    throw new ConfigError(`invalid config (${source}):\n  defaultPbx: "${defaultPbx}" is not one of pbxes (${names.join(', ')})`);
  }
  const tokenNames = new Map<string, string>();
  for (const [name, token] of Object.entries({ ...(c.http.token ? { default: c.http.token } : {}), ...c.http.tokens })) {
    if (name === 'default' && c.http.token && c.http.tokens.default !== undefined) {
      throw new ConfigError(`invalid config (${source}):\n  http.tokens.default: http.token is already the token named "default"; rename one`);
    }
    const same = tokenNames.get(token);
    if (same !== undefined) {
      throw new ConfigError(`invalid config (${source}):\n  http.tokens: "${same}" and "${name}" have the same token; give each client its own`);
    }
    tokenNames.set(token, name);
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

/** The variables that describe one PBX without a config file (the MCP Bundle's install dialog sets them). */
export const PBX_ENV = {
  type: 'TELEPHONY_MCP_PBX_TYPE',
  url: 'TELEPHONY_MCP_PBX_URL',
  user: 'TELEPHONY_MCP_PBX_USER',
  password: 'TELEPHONY_MCP_PBX_PASSWORD',
  country: 'TELEPHONY_MCP_DEFAULT_COUNTRY',
} as const;

const set = (env: NodeJS.ProcessEnv, name: string): string | undefined => env[name]?.trim() || undefined;

/**
 * A one-PBX config from environment variables, as an install dialog (the MCP Bundle's user_config) sets them:
 * TELEPHONY_MCP_PBX_TYPE, _URL, _USER, _PASSWORD and TELEPHONY_MCP_DEFAULT_COUNTRY. Undefined when none of the PBX
 * variables is set (the demo then runs); a URL, user or password without a type is refused, never ignored.
 */
export function configFromEnv(env: NodeJS.ProcessEnv): { raw: Record<string, unknown>; envNames: EnvNames } | undefined {
  const type = set(env, PBX_ENV.type);
  if (!type) {
    const stray = [PBX_ENV.url, PBX_ENV.user, PBX_ENV.password].filter((v) => set(env, v) !== undefined);
    if (!stray.length) return undefined;
    throw new ConfigError(
      `${stray.join(', ')} ${stray.length === 1 ? 'is' : 'are'} set but ${PBX_ENV.type} is not, so it is unclear which PBX to reach: ` +
        `set ${PBX_ENV.type} to ${BACKEND_TYPES.filter((t) => t.type !== 'sim').map((t) => t.type).join(', ')}, ` +
        `or unset ${stray.join(' and ')} to run the built-in demo PBX`,
    );
  }
  const bt = backendType(type);
  if (!bt) {
    throw new ConfigError(
      `${PBX_ENV.type}: unknown PBX type "${type}"; use one of: ${BACKEND_TYPES.map((t) => t.type).join(', ')} (or leave it empty for the demo)`,
    );
  }
  const country = set(env, PBX_ENV.country)?.toUpperCase();
  // Values are used as they are: no ${VAR} expansion of a password that happens to contain "${".
  const escape = (v: string | undefined) => v?.replace(/\$\{/g, () => '$${');
  const entry = bt.quick({ url: set(env, PBX_ENV.url), user: set(env, PBX_ENV.user), password: escape(env[PBX_ENV.password] || undefined) });
  // Which vendor key each variable sets, so a missing or wrong one is named by its variable: the type's own quick()
  // mapping, read off with markers rather than repeated here.
  const probe = bt.quick({ url: '\u0000url', user: '\u0000user', password: '\u0000password' });
  const envNames: Record<string, string> = { 'pbxes.pbx.type': PBX_ENV.type };
  for (const [key, v] of Object.entries(probe)) {
    if (typeof v === 'string' && v.startsWith('\u0000')) envNames[`pbxes.pbx.${key}`] = PBX_ENV[v.slice(1) as 'url' | 'user' | 'password'];
  }
  return {
    raw: {
      defaultPbx: 'pbx',
      pbxes: { pbx: { type, ...entry } },
      ...(country ? { safety: { dialPolicy: { defaultCountry: country } } } : {}),
    },
    envNames: { ...envNames, ...(country ? { 'safety.dialPolicy.defaultCountry': PBX_ENV.country } : {}) },
  };
}

/** Read the config file at `path`; without one, a config from the environment, or the demo config. */
export function loadConfig(path: string | undefined, env: NodeJS.ProcessEnv = process.env): Config {
  if (!path) {
    const fromEnv = configFromEnv(env);
    if (fromEnv) return parseConfig(fromEnv.raw, { env, source: 'TELEPHONY_MCP_PBX_* environment variables', envNames: fromEnv.envNames });
    const country = set(env, PBX_ENV.country)?.toUpperCase();
    const demo = country ? { ...DEMO_CONFIG, safety: { dialPolicy: { defaultCountry: country } } } : DEMO_CONFIG;
    return parseConfig(demo, { env, source: 'built-in demo config', envNames: country ? { 'safety.dialPolicy.defaultCountry': PBX_ENV.country } : {} });
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
    raw = parseJsonText(text);
  } catch (e) {
    if (e instanceof JsonSyntaxError) throw new ConfigError(`config file ${abs} is not valid JSON: ${e.message}`);
    throw e;
  }
  return parseConfig(raw, { env, baseDir: dirname(abs), source: abs });
}

/**
 * Where the audit trail goes: "-" (stderr), the configured file (relative to the config file), or by default
 * $XDG_STATE_HOME/telephony-mcp/audit.jsonl, else ~/.local/state/telephony-mcp/audit.jsonl: never the working
 * directory, which may be / or a project's folder.
 */
export function auditFile(config: Pick<Config, 'audit' | 'baseDir'>, env: NodeJS.ProcessEnv = process.env): string {
  const file = config.audit.file;
  if (file === '-') return file;
  if (file !== undefined) return resolve(config.baseDir, file);
  // The XDG spec: a relative XDG_STATE_HOME is invalid and ignored.
  const xdg = env.XDG_STATE_HOME;
  const state = xdg && isAbsolute(xdg) ? xdg : join(env.HOME || homedir(), '.local', 'state');
  return join(state, 'telephony-mcp', 'audit.jsonl');
}
