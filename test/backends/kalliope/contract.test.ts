/** The shared adapter contract, over HTTPS against the Kalliope simulator, in both of its answer styles. */
import { runBackendContract } from '../contract.js';
import { kalliopeHarness } from './harness.js';

for (const style of ['doc', 'wellformed'] as const) {
  runBackendContract({
    name: `kalliope (${style === 'doc' ? "answers shaped like the doc's samples" : 'well-formed answers'})`,
    capabilities: ['placeCall', 'hangup', 'transferBlind', 'transferAttended', 'pauseQueues', 'setDnd', 'activeCalls', 'listQueue'],
    wire: { credentials: true },
    setup: () => kalliopeHarness({ style }),
    // KCTI4 reports only the agent's current call, and a queue's count and oldest arrival (no calls).
    quirks: { singleActiveCall: true, queueCountsOnly: true },
  });
}
