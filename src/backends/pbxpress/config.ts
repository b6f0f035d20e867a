/** The config of a PBXpress entry: light, so the server can validate it without loading the adapter. */
import { z } from 'zod';
import { PbxBase } from '../types.js';

export const PbxpressConfig = PbxBase.extend({
  type: z.literal('pbxpress'),
  url: z
    .string()
    .max(500)
    .superRefine((v, ctx) => {
      let u: URL;
      try {
        u = new URL(v);
      } catch {
        return void ctx.addIssue({ code: 'custom', message: 'a URL such as http://pbx.example:3339/RPC2' });
      }
      if (u.protocol !== 'http:' && u.protocol !== 'https:') ctx.addIssue({ code: 'custom', message: 'must start with http:// or https://' });
      if (u.username || u.password) {
        ctx.addIssue({ code: 'custom', message: 'put the credentials in username and password, not in the URL' });
      }
    })
    .describe('The XML-RPC endpoint, e.g. http://pbx.example:3339/RPC2 (port: System/Data Link page; no path means /RPC2)'),
  username: z
    .string()
    .min(1)
    .max(128)
    .regex(/^[^:\u0000-\u001f]+$/, 'a self-care login without colons')
    .describe('Self-care login (usually an extension number) whose admin group telephony-mcp works'),
  password: z.string().min(1).max(256).describe('Self-care password (sent as HTTP Basic)'),
  caFile: z.string().min(1).optional().describe("For an https url: PEM file of the PBX's certificate (or its CA) to trust, relative to the config file"),
  notesPrefix: z
    .string()
    .max(40)
    .regex(/^[A-Za-z0-9._:@/-]*$/, 'letters, digits and . _ : @ / -')
    .default('telephony-mcp.')
    .describe("Prefix of the storage keys of the notes an assistant keeps, keeping them apart from the operator console's own settings"),
});
export type PbxpressConfig = z.infer<typeof PbxpressConfig>;
