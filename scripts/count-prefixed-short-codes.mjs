/**
 * Issue 13, finding 2: how many premium- or standard-rate short numbers of a country, written behind an outside-line
 * prefix (0 or 9), the dial policy of a build lets place_call dial without asking. Every 2- to 5-digit short number
 * of the country's metadata known to cost is tried behind 0 and 9.
 *   node scripts/count-prefixed-short-codes.mjs [dist directory] [countries...]
 * Run against the unfixed build it gives IT 200, FR 1812, ES 467, CH 48; after the fix, 0 for each.
 */
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';

const dist = resolve(process.argv[2] ?? 'dist');
const countries = process.argv.slice(3).length ? process.argv.slice(3) : ['IT', 'FR', 'ES', 'CH'];
const { DialPolicy, loadNumberingPlan } = await import(pathToFileURL(`${dist}/safety/policy.js`).href);
const { DialPolicyConfig } = await import(pathToFileURL(`${dist}/safety/policy-config.js`).href);
const { shortInfo, phoneUtil } = await loadNumberingPlan();

for (const country of countries) {
  const policy = new DialPolicy(DialPolicyConfig.parse({ defaultCountry: country }));
  let costly = 0;
  const unconfirmed = [];
  for (let len = 2; len <= 5; len++) {
    for (let i = 0; i < 10 ** len; i++) {
      const code = String(i).padStart(len, '0');
      let parsed;
      try {
        parsed = phoneUtil.parse(code, country);
      } catch {
        continue;
      }
      if (!shortInfo.isValidShortNumberForRegion(parsed, country)) continue;
      const cost = shortInfo.getExpectedCostForRegion(parsed, country);
      if (cost !== 1 && cost !== 2) continue; // standard rate, premium rate
      costly++;
      for (const prefix of ['0', '9']) {
        let checked;
        try {
          checked = policy.check(prefix + code, 'call');
        } catch {
          continue; // refused (an emergency number, or not a valid number at all)
        }
        if (checked.noConfirm) unconfirmed.push(prefix + code);
      }
    }
  }
  console.log(`${country}: ${costly} costly short numbers; ${unconfirmed.length} prefixed forms dialled without asking${unconfirmed.length ? ` (e.g. ${unconfirmed.slice(0, 5).join(', ')})` : ''}`);
}
