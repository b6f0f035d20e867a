/**
 * Tool results speak snake_case, like tool arguments (the MCP norm: call_id in, call_id out), while the telephony
 * model the backends share is camelCase (backends/model.ts). A tool's output schema is written with the model's
 * types; the schema advertised and checked (`snakeSchema`) and the result sent (`toSnake`) are derived from it here,
 * in one place, by the schema: only the keys of its objects are renamed, never the keys of records or of values the
 * schema leaves open (a note's JSON, say), which are data.
 */
import { z } from 'zod';

/** startedAt -> started_at. */
export function snakeName(key: string): string {
  return key.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
}

/**
 * Per object schema, each key's name in the result and its schema: worked out once, since toSnake runs on every
 * tool result (a regex per key per call cost 6.8 us on a two-call get_active_call result).
 */
const keyPlans = new WeakMap<Record<string, z.ZodType>, Map<string, [string, z.ZodType]>>();

function keyPlan(shape: Record<string, z.ZodType>): Map<string, [string, z.ZodType]> {
  let plan = keyPlans.get(shape);
  if (!plan) {
    plan = new Map(Object.entries(shape).map(([k, v]) => [k, [snakeName(k), v]]));
    keyPlans.set(shape, plan);
  }
  return plan;
}

type Def = { type: string; shape?: Record<string, z.ZodType>; element?: z.ZodType; innerType?: z.ZodType; options?: z.ZodType[]; valueType?: z.ZodType };

const defOf = (s: z.ZodType): Def => (s as unknown as { def: Def }).def;

/** `built`, with the description and other metadata `from` had (a rebuilt schema is a new one to the registry). */
function keepMeta<T extends z.ZodType>(from: z.ZodType, built: T): T {
  const meta = z.globalRegistry.get(from);
  return meta ? (built.meta(meta) as T) : built;
}

const derived = new WeakMap<z.ZodType, z.ZodType>();

/** The schema with every object key in snake_case, everything else (checks, descriptions, metadata) as it was. */
export function snakeSchema<T extends z.ZodType>(schema: T): T {
  const done = derived.get(schema);
  if (done) return done as T;
  const d = defOf(schema);
  const clone = (def: Def) => keepMeta(schema, (schema as unknown as { clone(def: Def): T }).clone(def));
  let out: T;
  switch (d.type) {
    case 'object':
      out = clone({ ...d, shape: Object.fromEntries(Object.entries(d.shape!).map(([k, v]) => [snakeName(k), snakeSchema(v)])) });
      break;
    case 'array':
      out = clone({ ...d, element: snakeSchema(d.element!) });
      break;
    case 'optional':
    case 'nullable':
    case 'default':
    case 'readonly':
      out = clone({ ...d, innerType: snakeSchema(d.innerType!) });
      break;
    case 'union':
      out = clone({ ...d, options: d.options!.map((o) => snakeSchema(o)) });
      break;
    case 'record':
      out = clone({ ...d, valueType: snakeSchema(d.valueType!) });
      break;
    default:
      out = schema;
  }
  derived.set(schema, out);
  return out;
}

const isPlain = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v);

/** `value`, read by the model-shaped `schema`, with the keys of the schema's objects in snake_case. */
export function toSnake(schema: z.ZodType, value: unknown): unknown {
  if (value === undefined || value === null) return value;
  const d = defOf(schema);
  switch (d.type) {
    case 'object': {
      if (!isPlain(value)) return value;
      const plan = keyPlan(d.shape!);
      const out: Record<string, unknown> = {};
      for (const k in value) {
        if (!Object.hasOwn(value, k)) continue;
        const p = plan.get(k);
        out[p ? p[0] : k] = p ? toSnake(p[1], value[k]) : value[k];
      }
      return out;
    }
    case 'array':
      return Array.isArray(value) ? value.map((v) => toSnake(d.element!, v)) : value;
    case 'optional':
    case 'nullable':
    case 'default':
    case 'readonly':
      return toSnake(d.innerType!, value);
    case 'union': {
      // The first option the value has the shape of (unions of objects tell theirs apart by their keys).
      const option = d.options!.find((o) => o.safeParse(value).success);
      return option ? toSnake(option, value) : value;
    }
    case 'record':
      return isPlain(value) ? Object.fromEntries(Object.entries(value).map(([k, v]) => [k, toSnake(d.valueType!, v)])) : value;
    default:
      return value;
  }
}
