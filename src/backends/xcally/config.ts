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
    .regex(/^[A-Za-z0-9._@+-]{1,64}$/, "the agent's extension (or login): letters, digits, . _ @ + -")
    .optional()
    .describe("The agent's extension at this phone bar: shown as the agent's side of calls and history; default: defaultUser"),
});
export type XcallyConfig = z.infer<typeof XcallyConfig>;
