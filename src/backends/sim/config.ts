/** The config of a sim PBX entry. */
import { z } from 'zod';
import { PbxBase } from '../types.js';

export const SimConfig = PbxBase.extend({
  type: z.literal('sim'),
  scenario: z.string().optional().describe('Scenario JSON file (relative to the config file); default: the demo'),
  traffic: z.boolean().default(true).describe("Run the scenario's demo traffic (inbound calls)"),
});
export type SimConfig = z.infer<typeof SimConfig>;
