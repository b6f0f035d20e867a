/** What a backend module exports so the registry and the config can know it: its config schema and factory. */
import { isAbsolute, resolve } from 'node:path';
import { z } from 'zod';
import type { Backend } from './backend.js';
import type { Logger } from '../log.js';
import type { CacheClock, PollSource } from './polls.js';
import type { TokenShare } from './tokens.js';

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
  /** What the servers of a deployment share (absent: this server is on its own, and keeps everything itself). */
  shared?: BackendShared | undefined;
}

/**
 * What a backend may share with the other servers of a deployment, without knowing where it lives (the choice is
 * made once, in src/shared/index.ts). `scope` names what is shared in words the backend picks (its vendor, URL
 * and login): servers that use the same PBX the same way name it alike.
 */
export interface BackendShared {
  /** Answers to the queries of `scope`, each fetched at most once per `intervalMs` by the whole deployment. */
  polls<T>(scope: string, intervalMs: number, opts: { clock: CacheClock; maxWaitMs: number; log: Logger }): PollSource<T>;
  /** The session token of `scope`: one login per token lifetime for the deployment. */
  tokens(scope: string): TokenShare;
}

export interface BackendType<S extends z.ZodType = z.ZodType> {
  type: string;
  config: S;
  create(name: string, config: z.infer<S>, deps: BackendDeps): Backend | Promise<Backend>;
}

export function resolvePath(baseDir: string, p: string): string {
  return isAbsolute(p) ? p : resolve(baseDir, p);
}
