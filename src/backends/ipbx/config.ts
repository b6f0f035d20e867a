/** The config of a Taridium IPPS entry: light, so the server can validate it without loading the adapter. */
import { z } from 'zod';
import { PbxBase } from '../types.js';
import { isLoopbackHost } from '../../util/net.js';

/** The vendor's floor: "poll this dataset no more than every 3 seconds". */
export const IPPS_MIN_POLL_MS = 3000;

const Channel = z
  .string()
  .regex(/^[A-Za-z0-9_-]{1,20}\/[^,\s]{1,80}$/, 'a channel as Technology/Resource, e.g. "SIP/4003" (no commas or spaces)')
  .describe('A channel as configured on the ipbx, e.g. SIP/4003');
const QueueName = z
  .string()
  .min(1)
  .max(80)
  .regex(/^[^,\u0000-\u001f/\\?#&;]+$/, 'a queue name as configured on the ipbx (no commas, slashes or control characters)');

export const IpbxConfig = PbxBase.extend({
  type: z.literal('ipbx'),
  url: z
    .url({ protocol: /^https?$/, error: 'an http:// or https:// URL of the ipbx, e.g. http://pbx.example' })
    .describe('Base URL of the ipbx; requests go to <url>/ipps/...'),
  username: z.string().min(1).max(128).optional().describe('IPPSUser, when the ipbx sets one (sent as HTTP Basic)'),
  password: z.string().max(256).optional().describe('IPPSPassword (use ${VAR} to read it from the environment)'),
  channels: z.array(Channel).max(1000).default([]).describe('The channels to watch (technology/name), e.g. ["SIP/4003", "SIP/5011"]'),
  queues: z.array(QueueName).max(200).default([]).describe('Queue names to offer (to the queue tools and resources)'),
  userChannels: z
    .record(z.string().min(1).max(64), z.union([Channel, z.array(Channel).min(1).max(20)]))
    .default({})
    .describe('Which channel(s) each user has, so `user` works: {"alice": "SIP/4003"}'),
  pollIntervalMs: z
    .number()
    .int()
    .min(IPPS_MIN_POLL_MS, `must be at least ${IPPS_MIN_POLL_MS} (ms): the vendor asks for no more than one poll every 3 seconds`)
    .max(600_000)
    .default(IPPS_MIN_POLL_MS)
    .describe('How long a reading is shared before the PBX is asked again (ms, at least 3000)'),
  caFile: z.string().optional().describe('PEM certificate to trust for an https url (relative to the config file)'),
  insecureTls: z.boolean().default(false).describe('Skip TLS verification (allowed only for a loopback url)'),
}).superRefine((c, ctx) => {
  const u = URL.canParse(c.url) ? new URL(c.url) : undefined;
  if (u && (u.username || u.password)) {
    ctx.addIssue({ code: 'custom', path: ['url'], message: 'put the credentials in `username` and `password`, not in the url' });
  }
  if (u && (u.search || u.hash)) ctx.addIssue({ code: 'custom', path: ['url'], message: 'the base URL of the ipbx, without ?query or #fragment' });
  if (c.password !== undefined && c.username === undefined) {
    ctx.addIssue({ code: 'custom', path: ['username'], message: 'a password needs a username (IPPSUser)' });
  }
  if (c.channels.length === 0 && Object.keys(c.userChannels).length === 0 && c.queues.length === 0) {
    ctx.addIssue({ code: 'custom', path: ['channels'], message: 'list the channels to watch (or userChannels), and/or the queues' });
  }
  if (c.insecureTls && u && !isLoopbackHost(u.hostname)) {
    ctx.addIssue({ code: 'custom', path: ['insecureTls'], message: 'allowed only for a loopback url (127.0.0.1, ::1, localhost)' });
  }
});
export type IpbxConfig = z.infer<typeof IpbxConfig>;
