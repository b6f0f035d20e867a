/**
 * The shared adapter contract, over real HTTP against the IPPS simulator (Basic auth on), once per reading of an
 * idle channel the doc allows ("either the channel name and/or the keyword down"): the name alone, the keyword
 * alone, and the doc's sample line.
 */
import { IDLE_LINES } from '../../../src/simulators/ipbx/simulator.js';
import { engine } from '../../helpers/scenario.js';
import { runBackendContract } from '../contract.js';
import { freshReads, ipbxRig } from './harness.js';

for (const idleLine of IDLE_LINES) {
  runBackendContract({
    name: `ipbx (idle channels answer ${idleLine === 'name' ? 'their name alone' : idleLine === 'down' ? '"down" alone' : 'the doc sample line'})`,
    capabilities: ['activeCalls', 'listQueue', 'listQueues'],
    wire: { credentials: true },
    async setup() {
      const { engine: e, clock } = engine();
      const rig = await ipbxRig(e, { idleLine });
      const wrap = async (over: Record<string, unknown> = {}) => {
        const b = await rig.backend(over);
        return freshReads(b, rig.cacheClock, b.minPollIntervalMs);
      };
      return {
        backend: await wrap(),
        engine: e,
        clock,
        user: 'alice',
        sim: rig.sim.server,
        withBadCredentials: () => wrap({ password: 'wrong-password' }),
        withDeadline: (ms) => wrap({ timeoutMs: Math.max(100, ms) }),
        close: async () => {
          await rig.close();
          e.close();
        },
      };
    },
  });
}
