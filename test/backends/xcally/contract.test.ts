import { XCALLY_CAPABILITIES } from '../../../src/backends/xcally/backend.js';
import { runBackendContract } from '../contract.js';
import { xcallyHarness } from './harness.js';

runBackendContract({
  name: 'xcally',
  capabilities: XCALLY_CAPABILITIES,
  async setup() {
    const h = await xcallyHarness();
    return {
      backend: h.backend,
      engine: h.engine,
      clock: h.clock,
      user: h.user,
      sim: h.sim.server,
      withDeadline: (ms) => h.backendWith({ timeoutMs: ms }),
      close: () => h.close(),
    };
  },
});
