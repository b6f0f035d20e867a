/**
 * The shared adapter contract, over real HTTP against the xCALLY phone bar simulator, once per reading of what the
 * doc leaves open (XCALLY_READINGS): rows that all say ACTIVE or that use more status words; `extension` as the
 * other party or as the agent's own line; `answer` alone or also `answer/{number}`.
 */
import { XCALLY_READINGS, type XcallyReadingName } from '../../../src/simulators/xcally/simulator.js';
import { runBackendContract } from '../contract.js';
import { xcallyHarness } from './harness.js';

for (const reading of Object.keys(XCALLY_READINGS) as XcallyReadingName[]) {
  const r = XCALLY_READINGS[reading].reading;
  runBackendContract({
    name: `xcally (reading ${reading}: ${XCALLY_READINGS[reading].description})`,
    capabilities: ['placeCall', 'answer', 'hangup', 'hold', 'transferBlind', 'transferAttended', 'conference',
      'pauseQueues', 'activeCalls', 'history', 'listQueues', 'listExtensions'],
    wire: { credentials: false, why: 'the phone bar API documents no authentication (it answers on the agent\'s own machine)' },
    quirks: { phasesUnreported: r.status === 'active', otherPartyUnreported: r.extension === 'own' },
    async setup() {
      const h = await xcallyHarness({ reading });
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
}
