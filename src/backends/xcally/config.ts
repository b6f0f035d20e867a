/** The config of an xCALLY phone bar entry: light, so the server can validate it without loading the adapter. */
import { z } from 'zod';
import { PbxBase } from '../types.js';

export const XcallyConfig = PbxBase.extend({
  type: z.literal('xcally'),
  url: z
    .url({ protocol: /^https?$/ })
    .default('http://localhost:9888')
    .describe('Base URL of the phone bar API (the /xcally/svc/... paths are appended)'),
  agent: z
    .string()
    .regex(/^\+?[0-9]{1,20}$/, "the agent's extension number (digits, optional leading +)")
    .optional()
    .describe(
      "The agent's own extension number at this phone bar (default: defaultUser): shown as the agent's side of calls and " +
        "history, and how a channel row that carries the agent's own line is told from one that names the other party",
    ),
}).superRefine((c, ctx) => {
  if (c.agent === undefined && !/^\+?[0-9]{1,20}$/.test(c.defaultUser ?? '')) {
    ctx.addIssue({
      code: 'custom',
      path: ['agent'],
      message:
        "set it to the agent's extension number at this phone bar: the phone bar's channel rows carry a number that may be the agent's own line, and telephony-mcp must tell it from the other party's",
    });
  }
});
export type XcallyConfig = z.infer<typeof XcallyConfig>;
