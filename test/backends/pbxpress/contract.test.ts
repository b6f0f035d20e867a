/**
 * The shared adapter contract, over real HTTP against the PBXpress simulator, in both readings `simulate pbxpress`
 * offers: get_parking_info as the 3-element array with "none" as nil, and as a struct with empty "none" answers.
 */
import { runBackendContract } from '../contract.js';
import { backendFor, simSetup } from './harness.js';

for (const [reading, opts] of [
  ['array', { parkingShape: 'array', noneStyle: 'nil' }],
  ['struct', { parkingShape: 'struct', noneStyle: 'empty' }],
] as const) {
  runBackendContract({
    name: `pbxpress (reading ${reading})`,
    capabilities: ['activeCalls', 'listExtensions', 'transferBlind', 'transferVoicemail', 'hangup', 'parkCall',
      'parkingInfo', 'getFavorites', 'setFavorites', 'readNotes', 'writeNotes'],
    wire: { credentials: true },
    async setup() {
      const s = await simSetup(opts);
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
}
