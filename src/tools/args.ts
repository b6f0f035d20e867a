/** A tool call's arguments: checked against the tool's input schema, and the part an audit line of a refusal may show. */
import type { AnyTool } from './define.js';

/** The arguments under the tool's own argument names: what an audit line of a refused call may show. */
export function ownArgs(tool: AnyTool, raw: unknown): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) return out;
  const shape = (tool.input as { shape: Record<string, unknown> }).shape;
  for (const k of Object.keys(raw)) if (Object.hasOwn(shape, k)) out[k] = (raw as Record<string, unknown>)[k];
  return out;
}

/** The arguments checked against the tool's input schema; a schema check that throws counts as a refusal. */
export function checkArgs(tool: AnyTool, raw: unknown): { ok: true; args: Record<string, unknown> } | { ok: false; why: string } {
  try {
    const r = tool.input.safeParse(raw ?? {});
    return r.success ? { ok: true, args: r.data as Record<string, unknown> } : { ok: false, why: describeIssues(r.error.issues) };
  } catch {
    return { ok: false, why: 'they could not be checked (too large or too deeply nested)' };
  }
}

/** Schema issues in a line a model can act on: `user: expected string, received number; ...`. */
function describeIssues(issues: readonly { path: readonly PropertyKey[]; message: string }[]): string {
  const shown = issues.slice(0, 5).map((i) => `${i.path.length ? `${i.path.map(String).join('.')}: ` : ''}${i.message}`);
  return `${shown.join('; ')}${issues.length > 5 ? `; and ${issues.length - 5} more` : ''}`;
}
