/** The keys an object schema accepts, seen through defaults, optionals and pipes: for "did you mean" messages. */
import type { z } from 'zod';

interface Def {
  type: string;
  innerType?: z.ZodType;
  in?: z.ZodType;
  shape?: Record<string, unknown>;
}

/** Keys of `schema` if it is (or wraps) an object schema; the schema at `path` inside it when a path is given. */
export function keysOf(schema: z.ZodType, path: readonly (string | number)[] = []): string[] | undefined {
  let s: z.ZodType | undefined = schema;
  for (let depth = 0; s && depth < 20; depth++) {
    const def: Def = (s as unknown as { _zod: { def: Def } })._zod.def;
    if (def.type === 'object' && def.shape) {
      if (!path.length) return Object.keys(def.shape);
      const [head, ...rest] = path;
      const next = def.shape[String(head)] as z.ZodType | undefined;
      return next ? keysOf(next, rest) : undefined;
    }
    s = def.innerType ?? def.in;
  }
  return undefined;
}
