/**
 * The shared adapter contract, over real HTTP against the XUC simulator, for both XUC user types, once per reading
 * of what the doc leaves open (XUC_READINGS: XUC's time zone, the export's date bounds, what the contact import
 * accepts, what an update does with fields it leaves out). Each PBX entry names XUC's time zone, as it should.
 */
import { XUC_READINGS, type XucReadingName } from '../../../src/simulators/xivo/simulator.js';
import { runBackendContract } from '../contract.js';
import { rig } from './harness.js';

for (const reading of Object.keys(XUC_READINGS) as XucReadingName[]) {
  const timeZone = XUC_READINGS[reading].reading.timeZone;
  for (const cti of [false, true]) {
    runBackendContract({
      name: `xivo (${cti ? 'cti' : 'webservice'} user, reading ${reading}: ${XUC_READINGS[reading].description})`,
      capabilities: cti
        ? ['contacts', 'listQualifications', 'recordQualification', 'exportQualifications']
        : ['placeCall', 'dialUser', 'dialFromQueue', 'dialToQueue', 'setDnd', 'setForward', 'history', 'importCallbacks', 'exportCallbackTickets'],
      wire: { credentials: true },
      quirks: { asyncDial: true, historyByLogin: true, queueId: 1, pbxTimeZone: timeZone },
      async setup() {
        const r = await rig({ reading });
        const extra = { timeZone };
        const backend = await r.backend({ cti, extra });
        // The session starts logged in, so request counts in the cases are those of the operations.
        await backend.connect();
        return {
          backend,
          engine: r.engine,
          clock: r.clock,
          user: 'alice',
          sim: r.sim.server,
          callbacks: {
            listUuid: r.sim.callbackListUuid('support')!,
            requests: () => r.sim.callbackLists.get(r.sim.callbackListUuid('support')!)!.requests.map(({ uuid: _, ...fields }) => fields),
            process: () => void r.sim.processCallbacks(r.sim.callbackListUuid('support')!),
          },
          withBadCredentials: () => r.backend({ cti, password: 'wrong-password', extra }),
          withDeadline: async (ms) => {
            const b = await r.backend({ cti, timeoutMs: ms, extra });
            await b.connect();
            return b;
          },
          close: () => r.close(),
        };
      },
    });
  }
}
