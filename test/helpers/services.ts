/**
 * The real parts a deployment of several servers needs (bench/deployment.mjs runs them for the benchmarks and the
 * tests alike), and what a test does when one is missing: under CI=true it fails (.ci/run installs both), elsewhere
 * it is skipped loudly, never silently.
 */
import { it } from 'vitest';
import { NGINX, REDIS_SERVER } from '../../bench/deployment.mjs';

export { freePort, type Nginx, readmeNginx, type RedisServer, startNginx, startRedis } from '../../bench/deployment.mjs';

/**
 * Whether the binaries `names` need are here. When one is missing: under CI=true a failing test says so (a CI run
 * that lacks them is broken), elsewhere a skipped test whose name says what to install, in every run's summary and
 * on stderr. Call it inside a describe; when it returns false, define no other test there.
 */
export function needBinaries(names: ('redis-server' | 'nginx')[]): boolean {
  const missing = names.filter((n) => (n === 'redis-server' ? !REDIS_SERVER : !NGINX));
  if (missing.length === 0) return true;
  const what = `${missing.join(' and ')} not found (Debian: apt-get install -y ${missing.join(' ')}; .ci/run installs ${missing.length === 1 ? 'it' : 'them'})`;
  if (process.env.CI === 'true') {
    it(`has ${missing.join(' and ')} to run the deployment tests`, () => {
      throw new Error(what);
    });
  } else {
    process.stderr.write(`\n*** SKIPPED: ${what} ***\n\n`);
    it.skip(`SKIPPED: ${what}`, () => {});
  }
  return false;
}
