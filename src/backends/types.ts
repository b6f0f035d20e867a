/** What a backend module exports so the registry and the config can know it: its config schema and factory. */
import { isAbsolute, resolve } from 'node:path';
import { z } from 'zod';
import type { Backend } from './backend.js';
import type { Logger } from '../log.js';

/** Keys every PBX entry accepts, whatever its type. */
export const PbxBase = z.strictObject({
  type: z.string(),
  defaultUser: z.string().min(1).max(64).optional().describe('The PBX user tools act for when they name none'),
  label: z.string().max(100).optional().describe('A human name for this PBX, shown in messages'),
  timeoutMs: z
    .number()
    .int()
    .min(100)
    .max(120_000)
    .default(10_000)
    .describe('Deadline of every request to this PBX, in milliseconds'),
  ownedNumbers: z
    .array(z.string().regex(/^\+?[0-9]{2,20}$/))
    .default([])
    .describe('Numbers that belong to this PBX; the only caller IDs a tool may choose'),
});

export interface BackendDeps {
  log: Logger;
  /** Directory of the config file, for relative paths in it. */
  baseDir: string;
  /** A clock for the sim engine (tests inject a manual one). */
  clock?: unknown;
}

export interface BackendType<S extends z.ZodType = z.ZodType> {
  type: string;
  config: S;
  create(name: string, config: z.infer<S>, deps: BackendDeps): Backend | Promise<Backend>;
}

export function resolvePath(baseDir: string, p: string): string {
  return isAbsolute(p) ? p : resolve(baseDir, p);
}
