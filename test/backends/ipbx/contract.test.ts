/** The shared adapter contract, over real HTTP against the IPPS simulator (Basic auth on). */
import { engine } from '../../helpers/scenario.js';
import { runBackendContract } from '../contract.js';
import { freshReads, ipbxRig } from './harness.js';

runBackendContract({
  name: 'ipbx',
  capabilities: ['activeCalls', 'listQueue', 'listQueues'],
  async setup() {
    const { engine: e, clock } = engine();
    const rig = await ipbxRig(e);
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
