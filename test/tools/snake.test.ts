/**
 * One convention for what tools return: snake_case field names, like their arguments (call_id in, call_id out).
 * The names come from the model's camelCase schemas by snake.ts; data the schema leaves open keeps its own keys.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { Call } from '../../src/backends/model.js';
import { ALL_TOOLS } from '../../src/tools/index.js';
import { snakeName, snakeSchema, toSnake } from '../../src/tools/snake.js';
import { env, testApp, type TestApp } from '../helpers/app.js';

/** Every property name in a JSON Schema, at any depth. */
function propertyNames(schema: unknown, out: string[] = []): string[] {
  if (Array.isArray(schema)) for (const s of schema) propertyNames(s, out);
  else if (schema && typeof schema === 'object') {
    for (const [k, v] of Object.entries(schema)) {
      if (k === 'properties' && v && typeof v === 'object') out.push(...Object.keys(v));
      propertyNames(v, out);
    }
  }
  return out;
}

let t: TestApp;
afterEach(() => t?.close());

describe('tool results', () => {
  it('name every field in snake_case in every output schema (the model they come from does not)', () => {
    expect(propertyNames(z.toJSONSchema(Call))).toContain('startedAt');
    const camel = ALL_TOOLS.flatMap((tool) => propertyNames(z.toJSONSchema(tool.result, { io: 'output' })).filter((p) => /[A-Z]/.test(p)).map((p) => `${tool.name}: ${p}`));
    expect(camel).toEqual([]);
  });

  it('are sent in snake_case, checked against the schema clients are told', async () => {
    t = await testApp({ safety: { confirm: 'off' } });
    t.sim().engine.inboundCall('+390612345678', '201');
    const r = await t.app.runner.run(ALL_TOOLS.find((x) => x.name === 'get_active_call')!, {}, env());
    if (!r.ok) throw new Error(r.message);
    const [call] = r.structured.calls as Record<string, unknown>[];
    expect(call).toMatchObject({ started_at: expect.any(String), duration_seconds: expect.any(Number) });
    expect(call).not.toHaveProperty('startedAt');
  });

  it('leave the keys of data alone: records and values the schema leaves open', () => {
    const schema = z.object({ noteJson: z.unknown(), byName: z.record(z.string(), z.object({ waitedSeconds: z.number() })) });
    const value = { noteJson: { fooBar: 1 }, byName: { aliceSmith: { waitedSeconds: 3 } } };
    expect(toSnake(schema, value)).toEqual({ note_json: { fooBar: 1 }, by_name: { aliceSmith: { waited_seconds: 3 } } });
    expect(snakeSchema(schema).safeParse(toSnake(schema, value)).success).toBe(true);
    expect(snakeName('subQualificationId')).toBe('sub_qualification_id');
  });

  it('keep descriptions and checks when renamed', () => {
    const s = snakeSchema(Call);
    const json = z.toJSONSchema(s) as { properties: Record<string, { description?: string; minimum?: number }> };
    expect(json.properties.duration_seconds).toMatchObject({ description: 'Since the call started, ringing included', minimum: 0 });
    expect(s.safeParse({ ...toSnake(Call, { id: '1', state: 'ringing', from: { number: '1' }, to: { number: '2' }, answered: false, startedAt: 'x', durationSeconds: -1 }) as object }).success).toBe(false);
  });
});
