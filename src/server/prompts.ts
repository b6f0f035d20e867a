/**
 * Prompts (the ones whose tools are offered, plus an extension's) and completions of prompt arguments and
 * resource-template variables (PBX names, queues, users).
 */
import { type CompleteResult, type Prompt, ProtocolError, ProtocolErrorCode } from '@modelcontextprotocol/server';
import type { App } from '../app.js';
import { ALL_PROMPTS, PromptArgumentError, promptContext, type PromptDef } from '../prompts/index.js';
import type { ResourceDef } from '../resources/define.js';
import { cleanText, sanitizeDeep } from '../safety/sanitize.js';
import { may } from '../principal.js';
import { type Instance, kept, principalOf, type ServerOptions } from './instance.js';
import { offering } from './resources.js';

const promptsOf = new WeakMap<App, readonly PromptDef[]>();

/** The prompts whose tools are all offered. */
export function offeredPrompts(app: App): readonly PromptDef[] {
  return kept(promptsOf, app, () => {
    const offered = new Set(app.tools.map((t) => t.name));
    return ALL_PROMPTS.filter((p) => p.requiresTools.every((t) => offered.has(t)));
  });
}

const PROMPT_ARG_MAX = 200;

function promptOf(p: PromptDef): Prompt {
  return {
    name: p.name,
    title: p.title,
    description: p.description,
    arguments: p.args.map((a) => ({ name: a.name, description: a.description, required: a.required })),
  };
}

export function registerPrompts(app: App, inst: Instance, opts: ServerOptions): void {
  const prompts = offeredPrompts(app);
  const extra = opts.extend?.prompts ?? [];
  const list = [...prompts.map(promptOf), ...extra.map((p) => p.prompt)];
  inst.server.setRequestHandler('prompts/list', () => ({ prompts: list }));
  inst.server.setRequestHandler('prompts/get', async (req, ctx) => {
    const args = req.params.arguments ?? {};
    const other = extra.find((p) => p.prompt.name === req.params.name);
    if (other) return other.get(args, ctx);
    const prompt = prompts.find((p) => p.name === req.params.name);
    if (!prompt) throw new ProtocolError(ProtocolErrorCode.InvalidParams, `Prompt ${cleanText(req.params.name, 100)} not found (prompts/list names them)`);
    const values: Record<string, string | undefined> = {};
    for (const a of prompt.args) {
      const v = args[a.name];
      if (v === undefined || v === '') {
        if (a.required) throw new ProtocolError(ProtocolErrorCode.InvalidParams, `Prompt ${prompt.name} needs the argument "${a.name}" (${a.description})`);
        continue;
      }
      if (typeof v !== 'string' || v.length > PROMPT_ARG_MAX) {
        throw new ProtocolError(ProtocolErrorCode.InvalidParams, `Prompt argument "${a.name}" must be a string of at most ${PROMPT_ARG_MAX} characters`);
      }
      values[a.name] = v;
    }
    let text: string;
    try {
      text = prompt.render(values, promptContext(app.pbxes));
    } catch (e) {
      // An argument that names nothing configured (a PBX): the caller's mistake, with what to use instead.
      if (e instanceof PromptArgumentError) throw new ProtocolError(ProtocolErrorCode.InvalidParams, e.message);
      throw e;
    }
    return { description: prompt.description, messages: [{ role: 'user', content: { type: 'text', text } }] };
  });
}

/** Completion values for a PBX name, a queue or a user, drawn from the PBXs. */
async function completionsFor(app: App, kind: 'pbx' | 'queue' | 'user', value: string, pbxName?: string, def?: ResourceDef): Promise<string[]> {
  if (kind === 'pbx') return (def ? offering(app, def) : app.pbxes.all()).map((p) => p.name).filter((n) => n.startsWith(value));
  const pbx = app.pbxes.all().find((p) => p.name === (pbxName ?? app.pbxes.defaultPbx));
  if (!pbx) return [];
  let values: string[] = [];
  if (kind === 'queue' && pbx.can('listQueues')) values = await pbx.op('listQueues')().catch(() => []);
  if (kind === 'user') values = (await pbx.knownUsers().catch(() => undefined)) ?? [];
  return sanitizeDeep(values.filter((v) => v.startsWith(value)));
}

function completion(values: string[]): CompleteResult {
  return { completion: { values: values.slice(0, 100), total: values.length, hasMore: values.length > 100 } };
}

export function registerCompletions(app: App, inst: Instance, opts: ServerOptions): void {
  const prompts = offeredPrompts(app);
  const extra = opts.extend?.prompts ?? [];
  inst.server.setRequestHandler('completion/complete', async (req, ctx) => {
    // Completions name the PBX's users and queues: a caller without the read scope gets none.
    if (!may(principalOf(ctx, inst.principal), 'read')) return completion([]);
    const { ref, argument } = req.params;
    const context = req.params.context?.arguments;
    const value = argument.value ?? '';
    if (ref.type === 'ref/prompt') {
      const other = extra.find((p) => p.prompt.name === ref.name);
      if (other) return completion(other.complete?.(argument.name, value) ?? []);
      const kind = prompts.find((p) => p.name === ref.name)?.args.find((a) => a.name === argument.name)?.complete;
      return completion(kind ? await completionsFor(app, kind, value, context?.pbx) : []);
    }
    const def = app.resources.find((d) => d.template === ref.uri);
    const kind = argument.name === 'pbx' || argument.name === 'queue' || argument.name === 'user' ? argument.name : undefined;
    if (!def || !kind || !def.template.includes(`{${kind}}`)) return completion([]);
    return completion(await completionsFor(app, kind, value, context?.pbx, def));
  });
}
