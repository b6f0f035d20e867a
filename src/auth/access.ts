/**
 * What an OAuth principal may do, in one place: the right each tool and resource needs (a tool that only reads,
 * by its readOnlyHint, needs read; any other tool act; a resource read), the user binding of its PBX handles
 * (acting for or reading about users other than its own needs supervise), and the scopes a request needs as a
 * whole, which the HTTP transport answers with an insufficient_scope challenge before anything runs. The runner,
 * the glue's lists and the transport all ask here; a principal without a grant (static token, stdio) may do all.
 */
import { AccessError } from '../errors.js';
import type { PbxHandle, PbxRouter, UserBinding } from '../backends/registry.js';
import { DEFAULT_SCOPES, may, ownUser, type Principal, type Right } from '../principal.js';
import { matchResource, type ResourceDef } from '../resources/define.js';
import type { AnyTool } from '../tools/define.js';

/** What the rules read of the app: its PBXs, and the resources and tools it offers. */
interface App {
  pbxes: PbxRouter;
  resources: readonly ResourceDef[];
  tools: readonly AnyTool[];
}

/** The right a tool needs by itself: its readOnlyHint is the one source of what only reads. */
export function toolRight(tool: Pick<AnyTool, 'annotations'>): Right {
  return tool.annotations.readOnlyHint ? 'read' : 'act';
}

/** The scope name of `right` for `p` (its grant's names; the defaults for a principal without one). */
export function scopeOf(p: Principal, right: Right): string {
  return (p.grant?.scopes ?? DEFAULT_SCOPES)[right];
}

/** How `p` is bound on PBX `pbx`: undefined for a principal without a grant (it acts for whoever a tool names). */
export function bindingOf(p: Principal, pbx: string): UserBinding | undefined {
  if (!p.grant) return undefined;
  return { own: ownUser(p, pbx), others: may(p, 'supervise'), scope: p.grant.scopes.supervise, who: p.name };
}

/** `handle` as `p` uses it (see PbxHandle.bound). */
export function handleFor(p: Principal, handle: PbxHandle): PbxHandle {
  return handle.bound(bindingOf(p, handle.name));
}

/** The refusal of a tool `p` lacks the right for: it names the scope to ask for, and says nothing was done. */
export function missingScopeMessage(p: Principal, what: string, right: Right): string {
  const scope = scopeOf(p, right);
  return (
    `${what} needs the OAuth scope ${scope}, which the access token of ${p.name} does not carry; nothing was done. ` +
    `Ask the identity provider's administrator to grant ${scope}, then sign in again (the client asks for it by itself ` +
    'when it follows insufficient_scope challenges).'
  );
}

/** Whether `err` is a user-binding refusal (PbxHandle.user): the scope it names is missing. */
export function isBindingRefusal(err: unknown): boolean {
  return err instanceof AccessError;
}

/** Whether acting for `user` (or the default) on PBX `pbx` through `p` is refused by its binding. */
function bindingRefuses(app: App, p: Principal, pbx: unknown, user: unknown): boolean {
  if (!p.grant || may(p, 'supervise')) return false;
  let handle: PbxHandle;
  try {
    handle = handleFor(p, app.pbxes.get(typeof pbx === 'string' ? pbx : undefined));
  } catch {
    return false; // an unknown PBX: the tool or resource answers that itself
  }
  try {
    handle.user(typeof user === 'string' ? user : undefined);
    return false;
  } catch (e) {
    return isBindingRefusal(e);
  }
}

/**
 * The rights reading `uri` needs: read, and supervise for one that shows every user (pbx://{pbx}/calls) or names a
 * user other than the caller's own (pbx://{pbx}/history/{user}).
 */
export function resourceRights(app: App, p: Principal, uri: string): Right[] {
  const rights: Right[] = ['read'];
  const r = matchResource(app.resources, uri);
  if (!r || !p.grant || may(p, 'supervise')) return rights;
  if (r.def.everyUser) rights.push('supervise');
  else if ('user' in r.vars && bindingRefuses(app, p, r.vars.pbx, r.vars.user)) rights.push('supervise');
  return rights;
}

/** Whether `p` may read (or watch) `uri` now. */
export function mayRead(app: App, p: Principal, uri: string): boolean {
  return !p.grant || lacking(p, resourceRights(app, p, uri)).length === 0;
}

/** The rights of `needed` that `p` lacks. */
export function lacking(p: Principal, needed: readonly Right[]): Right[] {
  return needed.filter((r) => !may(p, r));
}

/** A request `p` may not make as it stands: every scope it needs (those it has too), and what is missing. */
export interface ScopeChallenge {
  scopes: string[];
  missing: string[];
  description: string;
}

function challenge(p: Principal, needed: Right[], what: string): ScopeChallenge | undefined {
  const missing = lacking(p, needed);
  if (!missing.length) return undefined;
  const names = (rs: Right[]) => [...new Set(rs)].map((r) => scopeOf(p, r));
  return { scopes: names(needed), missing: names(missing), description: `${what} needs the scope ${names(missing).join(' and ')}` };
}

/**
 * The scopes a JSON-RPC request needs that `p` lacks, as one challenge naming every scope the operation needs (the
 * MCP authorization spec's scope challenge); undefined when it may go on. Only a call of a tool and a read or
 * subscription of a resource are challenged: lists are filtered instead, and anything else needs no scope.
 */
export function scopeChallenge(app: App, p: Principal, method: unknown, params: unknown): ScopeChallenge | undefined {
  if (!p.grant) return undefined;
  const args = (params && typeof params === 'object' ? params : {}) as Record<string, unknown>;
  if (method === 'tools/call') {
    const tool = app.tools.find((t) => t.name === args.name);
    if (!tool) return undefined;
    const needed: Right[] = [toolRight(tool)];
    const a = (args.arguments && typeof args.arguments === 'object' ? args.arguments : {}) as Record<string, unknown>;
    const takesUser = Object.hasOwn((tool.input as { shape: object }).shape, 'user');
    if (takesUser && bindingRefuses(app, p, a.pbx, a.user)) needed.push('supervise');
    return challenge(p, needed, `${tool.name}`);
  }
  if ((method === 'resources/read' || method === 'resources/subscribe') && typeof args.uri === 'string') {
    return challenge(p, resourceRights(app, p, args.uri), 'reading this resource');
  }
  return undefined;
}
