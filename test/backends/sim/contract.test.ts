import { SIM_CAPABILITIES, SimBackend } from '../../../src/backends/sim/backend.js';
import { engine } from '../../helpers/scenario.js';
import { runBackendContract } from '../contract.js';

runBackendContract({
  name: 'sim',
  capabilities: SIM_CAPABILITIES,
  async setup() {
    const { engine: e, clock } = engine();
    return { backend: new SimBackend('office', e, 'alice'), engine: e, clock, user: 'alice', close: async () => e.close() };
  },
});
