/** The config of a XiVO XUC entry: light, so the server can validate it without loading the adapter. */
import { z } from 'zod';
import { PbxBase } from '../types.js';
import { isLoopbackUrl } from '../../util/net.js';
import { isTimeZone } from './time.js';

export const XivoConfig = PbxBase.extend({
  type: z.literal('xivo'),
  url: z
    .string()
    .url()
    .regex(/^https?:\/\//i, 'an http:// or https:// URL')
    .describe('XUC base URL, e.g. http://xuc.example:8090 (/xuc/api/2.0 is appended unless the URL ends with it)'),
  login: z.string().min(1).max(128).describe('XUC user to log in as (a web-service user, or a CTI user with userType cti)'),
  password: z.string().min(1).max(512).describe('Its password (use ${VAR} to keep it out of the file)'),
  userType: z
    .enum(['webservice', 'cti'])
    .default('webservice')
    .describe('webservice: dial, DND, forwarding, history; cti: the personal contacts and call qualification of that CTI user'),
  timeZone: z
    .string()
    .refine(isTimeZone, 'an IANA time zone such as "Europe/Paris"')
    .optional()
    .describe("XUC's local time zone: history times are converted to UTC with it (default: left as local time)"),
  caFile: z.string().optional().describe('PEM file of a CA to trust for an https url (relative to the config file)'),
  insecureTls: z.boolean().default(false).describe('Skip TLS certificate checks (only allowed for a loopback url)'),
}).superRefine((c, ctx) => {
  if (c.insecureTls && !isLoopbackUrl(c.url)) {
    ctx.addIssue({ code: 'custom', path: ['insecureTls'], message: 'only allowed for a loopback url; set caFile instead' });
  }
  if (c.userType === 'cti' && c.defaultUser !== undefined && c.defaultUser !== c.login) {
    ctx.addIssue({
      code: 'custom',
      path: ['defaultUser'],
      message: `a CTI user acts only for itself: leave defaultUser out or set it to the login ("${c.login}")`,
    });
  }
});
export type XivoConfig = z.infer<typeof XivoConfig>;
