/**
 * The process-wide state every session shares: the config, the PBX backends, the guard (dial policy, call
 * limits, confirmation tokens), the audit trail, the resource watcher and the tools on offer.
 */
import { createBackends, PbxRouter } from './backends/registry.js';
import { auditFile, type Config } from './config.js';
import { LogHub, type Logger } from './log.js';
import { Audit } from './safety/audit.js';
import { randomBytes } from 'node:crypto';
import type { ClaimStore } from './safety/claims.js';
import { Confirmations, type Sealer, stateSecret } from './safety/confirm.js';
import { createShared, type Shared } from './shared/index.js';
import { sharedSettings } from './shared/settings.js';
import { createOutboundRules } from './safety/outbound.js';
import { DialPolicy } from './safety/policy.js';
import { MIN_MASKED_LENGTH, WARN_SECRET_LENGTH, addSecret, addSecretsFrom } from './safety/redact.js';
import type { ResourceDef } from './resources/define.js';
import { PBX_RESOURCES } from './resources/pbx.js';
import { ResourceWatcher } from './resources/watch.js';
import type { AnyTool } from './tools/define.js';
import { ALL_TOOLS } from './tools/index.js';
import { ToolRunner } from './tools/runner.js';

export const SERVER_NAME = 'telephony-mcp';

export interface App {
  readonly config: Config;
  readonly logs: LogHub;
  readonly log: Logger;
  readonly pbxes: PbxRouter;
  /** The tools offered: needed capability present on some PBX, and read-only when readOnly is set. */
  readonly tools: readonly AnyTool[];
  readonly resources: readonly ResourceDef[];
  readonly runner: ToolRunner;
  readonly audit: Audit;
  readonly watcher: ResourceWatcher;
  /** What this server shares with the others of its deployment (in memory when it is on its own). */
  readonly shared: Shared;
  close(): Promise<void>;
}

export interface AppOptions {
  logs?: LogHub;
  /** A clock for sim engines (tests). */
  clock?: unknown;
  /** Tools to consider instead of ALL_TOOLS (the conformance fixtures add theirs). */
  tools?: readonly AnyTool[];
  pollMs?: number;
  /** Wall clock for confirm tokens and call limits (tests move it). */
  now?: () => number;
  /** Where TELEPHONY_MCP_STATE_SECRET and TELEPHONY_MCP_REDIS_URL are read (the CLI passes process.env; tests leave it out). */
  env?: NodeJS.ProcessEnv;
  /** Single-use claims of confirmations (default: the shared store's, or this process's memory). */
  claims?: ClaimStore;
}

/** How long a call-limit reservation may stay pending: twice the slowest PBX's deadline (a tool call reads, then acts), and a margin. */
function pendingLeaseMs(config: Config): number {
  const slowest = Math.max(10_000, ...Object.values(config.pbxes).map((p) => (typeof p.timeoutMs === 'number' ? p.timeoutMs : 10_000)));
  return 2 * slowest + 10_000;
}

/** Which of `tools` a server with these PBXs and this mode offers. */
export function offeredTools(tools: readonly AnyTool[], pbxes: PbxRouter, readOnly: boolean): AnyTool[] {
  return tools.filter((t) => (t.capabilities.length === 0 || pbxes.anyCan(t.capabilities)) && (!readOnly || t.annotations.readOnlyHint));
}

export async function createApp(config: Config, opts: AppOptions = {}): Promise<App> {
  const short = addSecretsFrom(config);
  // Named bearer tokens sit under the clients' names, which do not look like secret keys (at least 16 characters).
  for (const token of Object.values(config.http.tokens)) addSecret(token);
  const logs = opts.logs ?? new LogHub({ level: config.log.level, format: config.log.format });
  const log = logs.logger();
  for (const { key, length } of short) {
    // Named by its key, never shown. telephony-mcp never writes a secret itself (it only sends it to the PBX), but a
    // PBX may echo one into an error, and a short one cannot be searched for without masking ordinary text too.
    log.warn(
      length < MIN_MASKED_LENGTH
        ? `a secret in the config is shorter than ${MIN_MASKED_LENGTH} characters, too short to search for: it is not masked if a PBX echoes it into an error or a log line. Use a longer one where the PBX allows it.`
        : `a secret in the config is shorter than ${WARN_SECRET_LENGTH} characters: logs and audit lines mask it, and any other text equal to it (an extension number, say). Use a longer one where the PBX allows it.`,
      { key },
    );
  }
  // Checked before anything connects. The glue signs confirmations with the SDK's request-state codec; loaded here,
  // not imported, so that app.ts (like the guard) never depends on the SDK.
  const { stateSealer } = await import('./server/sealer.js');
  const configuredKey = stateSecret(config.safety.stateSecret, opts.env ?? {});
  const sealer: Sealer = stateSealer(configuredKey ?? randomBytes(32));
  const settings = sharedSettings(config.shared, opts.env ?? {});
  if (settings.url !== undefined && configuredKey === undefined) {
    // Each server would sign with its own random key: a confirmation asked by one could not be completed by another.
    log.warn('a shared store is configured but no safety.stateSecret (TELEPHONY_MCP_STATE_SECRET): every server of the deployment needs the same one, or confirmations fail across servers');
  }
  const dial = config.safety.dialPolicy;
  const shared = await createShared({
    settings,
    limits: { maxPerMinute: dial.maxCallsPerMinute, maxConcurrent: dial.maxConcurrentCalls, maxPerMinutePerPbx: dial.maxCallsPerMinutePerPbx },
    pendingLeaseMs: pendingLeaseMs(config),
    keepRecent: config.audit.recent,
    log,
    now: opts.now,
  });
  let backends;
  try {
    backends = await createBackends(config.pbxes, { log, baseDir: config.baseDir, clock: opts.clock, shared: shared.backends });
  } catch (e) {
    await shared.close();
    throw e;
  }
  const pbxes = new PbxRouter(backends, config.defaultPbx, config.pbxes as Record<string, { ownedNumbers?: string[]; label?: string }>);
  const audit = new Audit(auditFile(config), config.audit.recent, log.child({ part: 'audit' }), {
    makeDir: config.audit.file === undefined,
    shared: shared.recent,
    bus: shared.bus,
    // Replicas: an answer waits for its audit line to reach the OS (a killed replica loses none it answered).
    durable: shared.kind === 'redis',
  });
  let outbound;
  try {
    outbound = await createOutboundRules(config.safety.dialPolicy, { baseDir: config.baseDir, log: log.child({ part: 'dial-policy' }), now: opts.now });
  } catch (e) {
    await Promise.allSettled([pbxes.close(), audit.close(), shared.close()]);
    throw e;
  }
  const policy = new DialPolicy(config.safety.dialPolicy, outbound.rules);
  if (!config.readOnly && !config.safety.dialPolicy.defaultCountry && Object.values(config.pbxes).some((p) => p.type !== 'sim')) {
    log.warn(
      'safety.dialPolicy.defaultCountry is not set: national numbers are refused, and short numbers that are emergency numbers in some country need confirmation. Set it to the PBX\'s country (e.g. "IT"; TELEPHONY_MCP_DEFAULT_COUNTRY for the bundle).',
    );
  }
  // Load the numbering plan soon, but after start-up: the first call then rarely waits for it.
  setTimeout(() => void policy.ready(), 2000).unref();
  const runner = new ToolRunner({
    pbxes,
    policy,
    limiter: shared.limits,
    confirmations: new Confirmations(sealer, opts.claims ?? shared.claims, opts.now),
    actionGate: shared.gate,
    repeats: shared.repeats,
    audit,
    safety: config.safety,
    readOnly: config.readOnly,
    log,
  });
  const watcher = new ResourceWatcher(log.child({ part: 'watch' }), opts.pollMs, shared.bus);
  const tools = offeredTools(opts.tools ?? ALL_TOOLS, pbxes, config.readOnly);
  const resources = PBX_RESOURCES.filter((r) => !r.requires || pbxes.anyCan([r.requires]));
  let closed = false;
  return {
    config,
    logs,
    log,
    pbxes,
    tools,
    resources,
    runner,
    audit,
    watcher,
    shared,
    async close() {
      if (closed) return;
      closed = true;
      watcher.close();
      outbound.close();
      await pbxes.close();
      await audit.close();
      await shared.close();
    },
  };
}
