import { PBXPRESS_CAPABILITIES } from '../../../src/backends/pbxpress/backend.js';
import { runBackendContract } from '../contract.js';
import { backendFor, simSetup } from './harness.js';

runBackendContract({
  name: 'pbxpress',
  capabilities: PBXPRESS_CAPABILITIES,
  async setup() {
    const s = await simSetup();
    return {
      backend: s.backend,
      engine: s.engine,
      clock: s.clock,
      // PBXpress users are extension numbers; the engine knows alice by hers too.
      user: '201',
      sim: s.sim.server,
      withBadCredentials: () => backendFor(s.sim.endpoint, { password: 'wrong-password' }),
      withDeadline: (ms) => backendFor(s.sim.endpoint, { timeoutMs: Math.max(100, ms) }),
      voicemails: () => s.sim.voicemails(),
      async close() {
        await s.sim.close();
        s.engine.close();
      },
    };
  },
});
