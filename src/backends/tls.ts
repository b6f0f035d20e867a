/** TLS trust a PBX entry configures: the CA file it names, read once at start-up with errors naming the key. */
import { readFileSync } from 'node:fs';
import { resolvePath } from './types.js';

/** The PEM certificate(s) of `pbxes.<name>.caFile`, resolved against the config file's directory. */
export function readCaFile(name: string, file: string, baseDir: string): string {
  const path = resolvePath(baseDir, file);
  let pem: string;
  try {
    pem = readFileSync(path, 'utf8');
  } catch (e) {
    throw new Error(`pbxes.${name}.caFile: cannot read ${path} (${(e as NodeJS.ErrnoException).code ?? 'error'})`);
  }
  if (!pem.includes('-----BEGIN CERTIFICATE-----')) {
    throw new Error(`pbxes.${name}.caFile: ${path} is not a PEM certificate (expected -----BEGIN CERTIFICATE-----)`);
  }
  return pem;
}
