/** The shared adapter contract, over real HTTP against the XUC simulator, for both XUC user types. */
import { CTI_CAPABILITIES, WEBSERVICE_CAPABILITIES } from '../../../src/backends/xivo/backend.js';
import { runBackendContract } from '../contract.js';
import { rig } from './harness.js';

for (const cti of [false, true]) {
  runBackendContract({
    name: `xivo (${cti ? 'cti' : 'webservice'} user)`,
    capabilities: cti ? CTI_CAPABILITIES : WEBSERVICE_CAPABILITIES,
    quirks: { asyncDial: true, historyByLogin: true, queueId: 1 },
    async setup() {
      const r = await rig();
      const backend = await r.backend({ cti });
      // The session starts logged in, so request counts in the cases are those of the operations.
      await backend.connect();
      return {
        backend,
        engine: r.engine,
        clock: r.clock,
        user: 'alice',
        sim: r.sim.server,
        withBadCredentials: () => r.backend({ cti, password: 'wrong-password' }),
        withDeadline: async (ms) => {
          const b = await r.backend({ cti, timeoutMs: ms });
          await b.connect();
          return b;
        },
        close: () => r.close(),
      };
    },
  });
}
