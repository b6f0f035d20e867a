/**
 * The `kalliope` config entry and how it becomes client options: the password hash, and TLS trust (a
 * certificate file, or no verification, which is allowed only when the url is on this machine).
 */
import { createHash } from 'node:crypto';
import { z } from 'zod';
import { PbxBase } from '../types.js';
import { isLoopbackUrl } from '../../util/net.js';
import { readCaFile } from '../tls.js';


export const DEFAULT_URL = 'https://127.0.0.1:5039';

export const KalliopeConfig = PbxBase.extend({
  type: z.literal('kalliope'),
  url: z
    .string()
    .url()
    .regex(/^https:\/\//i, 'the KCTI4 API is served over HTTPS: use an https:// url')
    .default(DEFAULT_URL)
    .describe('The Kalliope desktop client API (default https://127.0.0.1:5039)'),
  username: z.string().min(1).max(128).describe('The user logged in to the Kalliope client'),
  password: z.string().min(1).max(256).optional().describe('Their password (the adapter sends its MD5)'),
  passwordMd5: z
    .string()
    .regex(/^[0-9a-fA-F]{32}$/, '32 hex characters: the MD5 of the password')
    .optional()
    .describe('Or the MD5 of their password, in hex'),
  caFile: z.string().min(1).optional().describe("PEM file of the client's certificate to trust (relative to the config file)"),
  insecureTls: z
    .boolean()
    .default(false)
    .describe('Skip certificate verification; accepted only when the url is on this machine (127.0.0.1, ::1, localhost)'),
}).superRefine((c, ctx) => {
  if ((c.password === undefined) === (c.passwordMd5 === undefined)) {
    ctx.addIssue({ code: 'custom', path: ['password'], message: 'set exactly one of password or passwordMd5' });
  }
});
export type KalliopeConfig = z.infer<typeof KalliopeConfig>;


export interface ResolvedTls {
  ca?: Buffer;
  insecure: boolean;
}

/** TLS trust for `pbxes.<name>`; throws a config error naming the key when it is unsafe or unreadable. */
export function resolveTls(name: string, c: Pick<KalliopeConfig, 'url' | 'caFile' | 'insecureTls'>, baseDir: string): ResolvedTls {
  if (c.insecureTls && c.caFile !== undefined) {
    throw new Error(`pbxes.${name}: set caFile or insecureTls, not both (caFile is the safer choice)`);
  }
  if (c.insecureTls) {
    if (!isLoopbackUrl(c.url)) {
      throw new Error(
        `pbxes.${name}.insecureTls: skipping certificate checks is allowed only for a url on this machine ` +
          `(127.0.0.1, ::1, localhost), not ${new URL(c.url).host}; use caFile with the Kalliope client's certificate instead`,
      );
    }
    return { insecure: true };
  }
  if (c.caFile !== undefined) return { ca: Buffer.from(readCaFile(name, c.caFile, baseDir)), insecure: false };
  return { insecure: false };
}

/** The pwd_md5 to send, lowercase. */
export function passwordHash(c: Pick<KalliopeConfig, 'password' | 'passwordMd5'>): string {
  if (c.passwordMd5 !== undefined) return c.passwordMd5.toLowerCase();
  if (c.password !== undefined) return md5Hex(c.password);
  throw new Error('set exactly one of password or passwordMd5');
}

/** KCTI4's password hash: the unsalted lowercase hex MD5 of the UTF-8 password. */
export function md5Hex(password: string): string {
  return createHash('md5').update(password, 'utf8').digest('hex');
}
