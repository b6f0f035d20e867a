/**
 * A scenario seeds the sim PBX: its users, queues, the outside numbers it can reach, parking, contacts,
 * history and calls already in progress. The demo scenario ships in scenarios/demo.json; tests pass their own.
 */
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import { ContactFields, HistoryEntry } from '../../backends/model.js';
import { parseJsonText } from '../../util/json.js';

const number = z.string().regex(/^\+?[0-9*#]{1,20}$/, 'a phone number or extension: digits, optional leading +');
const answerMode = z.enum(['auto', 'manual', 'never', 'busy']);

export const ScenarioUser = z.strictObject({
  id: z.string().regex(/^[A-Za-z0-9._-]{1,40}$/, 'a login: letters, digits, . _ -'),
  name: z.string().max(100).optional(),
  extension: number,
  online: z.boolean().default(true),
  dnd: z.boolean().default(false),
  /** auto: picks up after answerAfterMs; manual: rings until answered (answer op) or the ring timeout. */
  answer: answerMode.default('auto'),
  answerAfterMs: z.number().int().nonnegative().optional(),
});

export const ScenarioExternal = z.strictObject({
  number,
  name: z.string().max(100).optional(),
  answer: answerMode.default('auto'),
  answerAfterMs: z.number().int().nonnegative().optional(),
});

export const ScenarioQueue = z.strictObject({
  name: z.string().regex(/^[A-Za-z0-9._-]{1,40}$/),
  number,
  members: z.array(z.string()).default([]),
  paused: z.array(z.string()).default([]),
});

export const ScenarioCall = z.strictObject({
  from: number,
  fromName: z.string().max(100).optional(),
  to: number,
  /** Connect it at once (skipping ringing) when the callee can answer. */
  connected: z.boolean().default(false),
  /** How long ago it started, so a demo shows durations. */
  startedSecondsAgo: z.number().int().nonnegative().default(0),
});

export const Scenario = z.strictObject({
  name: z.string().default('scenario'),
  answerAfterMs: z.number().int().nonnegative().default(2000),
  ringTimeoutMs: z.number().int().positive().default(30000),
  parking: z
    .strictObject({
      firstSlot: z.number().int().positive().default(701),
      slots: z.number().int().positive().max(100).default(10),
      /** Ring the parker back after this long; 0 = never. */
      timeoutMs: z.number().int().nonnegative().default(0),
    })
    .prefault({}),
  users: z.array(ScenarioUser).default([]),
  queues: z.array(ScenarioQueue).default([]),
  externals: z.array(ScenarioExternal).default([]),
  contacts: z.record(z.string(), z.array(ContactFields)).default({}),
  history: z.record(z.string(), z.array(HistoryEntry)).default({}),
  calls: z.array(ScenarioCall).default([]),
  /**
   * Demo traffic: inbound calls to one of `to` about every `everyMs` (irregularly), from one of `from` (default: every
   * external), at most `maxConcurrent` at a time; demo callers hang up by themselves.
   */
  traffic: z
    .strictObject({
      everyMs: z.number().int().min(1000),
      to: z.array(number).min(1),
      from: z.array(number).min(1).optional(),
      maxConcurrent: z.number().int().positive().default(3),
    })
    .optional(),
});
export type Scenario = z.infer<typeof Scenario>;
export type ScenarioInput = z.input<typeof Scenario>;
export type ScenarioUser = z.infer<typeof ScenarioUser>;
export type ScenarioExternal = z.infer<typeof ScenarioExternal>;

/** The shipped demo: beside the package (dist/simulators/engine -> scenarios/), or beside a single-file bundle. */
export const DEMO_SCENARIO_PATH = ((): string => {
  // Nearest first: from the bundle's chunks (dist/) ../scenarios is the package's own; ../../../scenarios from
  // there would be a folder above the package (the project that installed it). From src/ or tsc's dist/simulators/engine,
  // ../scenarios does not exist and the package root's is found.
  const candidates = ['../scenarios/demo.json', '../../../scenarios/demo.json'].map((p) => fileURLToPath(new URL(p, import.meta.url)));
  return candidates.find((p) => existsSync(p)) ?? candidates[0]!;
})();

/** Validate a scenario object; errors name the offending key path. */
export function parseScenario(input: unknown, source = 'scenario'): Scenario {
  // Parsed once at start-up: zod's JIT would compile a fast parser (several ms) that is never used again.
  const r = Scenario.safeParse(input, { jitless: true });
  if (!r.success) {
    const first = r.error.issues
      .slice(0, 5)
      .map((i) => `${i.path.length ? i.path.join('.') : '(top level)'}: ${i.message}`)
      .join('; ');
    throw new Error(`${source} is not a valid scenario: ${first}`);
  }
  const s = r.data;
  const users = new Set(s.users.map((u) => u.id));
  const numbers = new Map<string, string>();
  const claim = (n: string, what: string) => {
    const prior = numbers.get(n);
    if (prior) throw new Error(`${source}: number ${n} is used by both ${prior} and ${what}`);
    numbers.set(n, what);
  };
  for (const u of s.users) claim(u.extension, `user ${u.id}`);
  for (const q of s.queues) {
    claim(q.number, `queue ${q.name}`);
    for (const m of [...q.members, ...q.paused]) {
      if (!users.has(m)) throw new Error(`${source}: queue ${q.name} names unknown member ${m}`);
    }
  }
  for (const e of s.externals) claim(e.number, `external ${e.name ?? e.number}`);
  for (let i = 0; i < s.parking.slots; i++) claim(String(s.parking.firstSlot + i), 'the parking lot');
  for (const n of s.traffic?.from ?? []) {
    if (!s.externals.some((e) => e.number === n)) throw new Error(`${source}: traffic.from names ${n}, which is not one of the externals`);
  }
  for (const n of s.traffic?.to ?? []) {
    const what = numbers.get(n);
    if (!what || what.startsWith('external') || what === 'the parking lot') {
      throw new Error(`${source}: traffic.to names ${n}, which is not a user or queue of the scenario`);
    }
  }
  for (const u of [...Object.keys(s.contacts), ...Object.keys(s.history)]) {
    if (!users.has(u)) throw new Error(`${source}: contacts or history given for unknown user ${u}`);
  }
  return s;
}

export function loadScenario(path: string): Scenario {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    throw new Error(`cannot read scenario file ${path}: ${(e as NodeJS.ErrnoException).code ?? String(e)}`);
  }
  let json: unknown;
  try {
    json = parseJsonText(text);
  } catch (e) {
    throw new Error(`scenario file ${path} is not valid JSON: ${(e as Error).message}`);
  }
  return parseScenario(json, `scenario file ${path}`);
}
