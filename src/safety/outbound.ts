/**
 * The outbound rules that join the dial policy (calling hours, do-not-call lists): what they see of a number,
 * and building them from the config. DialPolicy.check runs every rule after its own, on every path that dials,
 * before any PBX is contacted.
 */
import type { DialPolicyConfig } from './policy-config.js';
import type { Logger } from '../log.js';
import type { OutboundRule } from './dialing.js';
import { CallingHours } from './hours.js';
import { DoNotCall } from './dnc.js';

export interface OutboundRules {
  rules: OutboundRule[];
  close(): void;
}

/** The configured outbound rules; a do-not-call file that cannot be read stops the start (ConfigError). */
export async function createOutboundRules(
  cfg: DialPolicyConfig,
  deps: { baseDir: string; log: Logger; now?: (() => number) | undefined; pollMs?: number | undefined },
): Promise<OutboundRules> {
  const rules: OutboundRule[] = [];
  let dnc: DoNotCall | undefined;
  if (cfg.doNotCall !== undefined) {
    dnc = await DoNotCall.open(cfg.doNotCall, { baseDir: deps.baseDir, defaultCountry: cfg.defaultCountry, log: deps.log, pollMs: deps.pollMs });
    rules.push(dnc);
  }
  // Calling hours after the lists: a listed number is refused as listed whatever the time.
  if (cfg.callingHours !== undefined && Object.keys(cfg.callingHours).length) {
    rules.push(new CallingHours(cfg.callingHours, cfg.defaultCountry, deps.now));
  }
  return { rules, close: () => dnc?.close() };
}
