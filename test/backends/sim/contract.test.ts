import { SimBackend } from '../../../src/backends/sim/backend.js';
import { engine } from '../../helpers/scenario.js';
import { runBackendContract } from '../contract.js';

runBackendContract({
  name: 'sim',
  capabilities: ['placeCall', 'answer', 'hangup', 'hold', 'transferBlind', 'transferAttended', 'conference',
    'setDnd', 'setForward', 'pauseQueues', 'activeCalls', 'listQueue', 'listQueues', 'listExtensions', 'history',
    'contacts', 'parkCall', 'parkingInfo', 'getFavorites', 'setFavorites', 'readNotes', 'writeNotes', 'dialUser'],
  // In memory: no wire to break.
  wire: 'in-memory',
  async setup() {
    const { engine: e, clock } = engine();
    return { backend: new SimBackend('office', e, 'alice'), engine: e, clock, user: 'alice', close: async () => e.close() };
  },
});
