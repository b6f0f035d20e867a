/**
 * Resources: the app's PBX resources (one parsed template each, shared per app), audit://recent (each caller its
 * own principal's entries) and an extension's. A missing resource is -32602 with the URI in its data, as the
 * 2026-07-28 revision asks and the v2 SDK answers on every revision.
 */
import { createHash } from 'node:crypto';
import {
  type InputRequiredResult,
  ProtocolError,
  ProtocolErrorCode,
  type ReadResourceResult,
  type Resource,
  ResourceNotFoundError,
  type ResourceTemplateType,
  type ServerContext,
} from '@modelcontextprotocol/server';
import type { App } from '../app.js';
import { isTelephonyError } from '../errors.js';
import { describeError } from '../wording.js';
import { handleFor, lacking, mayRead, resourceRights, scopeOf } from '../auth/access.js';
import { may, type Principal } from '../principal.js';
import { matchResource, matchTemplate, type ResourceDef } from '../resources/define.js';
import type { ResolvedResource } from '../resources/watch.js';
import { withClientText } from '../safety/redact.js';
import { sanitizeDeep } from '../safety/sanitize.js';
import { type BoardView, requestCapabilities, supportsApps } from './apps.js';
import { type Instance, kept, principalOf, type ServerOptions } from './instance.js';

export const AUDIT_URI = 'audit://recent';

export function resolveResource(app: App, uri: string): ResolvedResource {
  const r = matchResource(app.resources, uri);
  if (!r) throw new ResourceNotFoundError(uri, `Resource not found: ${uri}`);
  const { def, vars } = r;
  const pbx = app.pbxes.all().find((p) => p.name === vars.pbx);
  if (!pbx) throw new ResourceNotFoundError(uri, `Resource not found: there is no PBX named "${vars.pbx}" (${uri})`);
  if (def.requires && !pbx.can(def.requires)) {
    throw new ResourceNotFoundError(uri, `Resource not found: PBX ${pbx.name} (${pbx.type}) has no ${def.name} resource (${uri})`);
  }
  return { def, pbx, vars };
}

function jsonContents(uri: string, data: unknown): ReadResourceResult {
  return { contents: [{ uri, mimeType: 'application/json', text: JSON.stringify(sanitizeDeep(data), null, 2) }] };
}

/**
 * How audit://recent names a session: a short digest. The raw id of an HTTP session is its only credential
 * (whoever holds it can use or DELETE the session), so it never appears in the resource.
 */
export function sessionTag(id: string): string {
  return createHash('sha256').update(id).digest('hex').slice(0, 12);
}

const templatesOf = new WeakMap<App, ResourceTemplateType[]>();

export function offering(app: App, def: ResourceDef) {
  return app.pbxes.all().filter((p) => !def.requires || p.can(def.requires));
}

/**
 * Refuses a read `principal` may not make: without the read scope, or of what concerns other users without the
 * supervise scope (the HTTP transport answered such a request with a scope challenge already; this holds elsewhere).
 */
export function checkResourceAccess(app: App, principal: Principal, uri: string): void {
  const missing = lacking(principal, resourceRights(app, principal, uri)).map((r) => scopeOf(principal, r));
  if (!missing.length) return;
  const what = `reading ${uri} needs the OAuth scope ${missing.join(' and ')}, which the access token of ${principal.name} does not carry`;
  throw new ProtocolError(ProtocolErrorCode.InvalidRequest, `insufficient_scope: ${what}`, { error: 'insufficient_scope', scope: missing.join(' ') });
}

async function readResource(
  app: App,
  inst: Instance,
  uri: string,
  ctx: ServerContext,
  opts: ServerOptions,
  board: BoardView | undefined,
): Promise<ReadResourceResult | InputRequiredResult> {
  const principal = principalOf(ctx, inst.principal);
  checkResourceAccess(app, principal, uri);
  // Only a client that declared MCP Apps knows of the view; to any other it does not exist, as before.
  if (board && uri === board.resource.uri && supportsApps(requestCapabilities(inst, ctx))) return board.read();
  if (uri === AUDIT_URI) {
    const view = await app.audit.recentOf(principal.id);
    return jsonContents(uri, {
      entries: view.entries.map((e) => ({ ...e, session: sessionTag(e.session) })),
      ...(view.partial ? { partial: view.partial } : {}),
    });
  }
  for (const r of opts.extend?.resources ?? []) {
    const vars = r.uri.includes('{') ? matchTemplate(r.uri, uri) : r.uri === uri ? {} : undefined;
    if (vars) return r.read(uri, vars, ctx);
  }
  const { def, pbx, vars } = resolveResource(app, uri);
  try {
    // The URI is the client's own text: a PBX error repeating it is not masked as a secret (see maskSecrets).
    return jsonContents(uri, await withClientText(uri, () => def.read(handleFor(principal, pbx), vars, ctx.mcpReq.signal)));
  } catch (e) {
    if (isTelephonyError(e)) {
      const message = describeError(e, pbx);
      if (e.kind === 'not_found') throw new ResourceNotFoundError(uri, message);
      throw new ProtocolError(ProtocolErrorCode.InternalError, message);
    }
    app.log.error('resource read failed', { uri, error: e as Error });
    throw new ProtocolError(ProtocolErrorCode.InternalError, `Reading ${uri} failed inside telephony-mcp; see the server log`);
  }
}

export function registerResources(app: App, inst: Instance, opts: ServerOptions, board?: BoardView): void {
  const { server } = inst;
  const extra = opts.extend?.resources ?? [];
  server.setRequestHandler('resources/list', async (_req, ctx) => {
    const principal = principalOf(ctx, inst.principal);
    // A caller without the read scope is shown no resource; one bound to its own user, none about other users.
    if (!may(principal, 'read')) return { resources: [] };
    const lists = await Promise.all(app.resources.map((def) => Promise.all(offering(app, def).map((p) => def.list(p).catch(() => [])))));
    const resources: Resource[] = sanitizeDeep(lists.flat(2).filter((r) => mayRead(app, principal, r.uri))).map((r) => ({ ...r, mimeType: 'application/json' }));
    resources.push({
      uri: AUDIT_URI,
      name: 'audit',
      title: 'Recent audit entries',
      description: 'The last state-changing tool calls of this client, newest last (JSON: {entries}).',
      mimeType: 'application/json',
    });
    if (board && supportsApps(requestCapabilities(inst, ctx))) resources.push(board.resource);
    for (const r of extra) if (!r.uri.includes('{')) resources.push({ uri: r.uri, name: r.name, description: r.description, mimeType: r.mimeType });
    return { resources };
  });
  const templates = kept(templatesOf, app, () =>
    app.resources.map((def) => ({ uriTemplate: def.template, name: def.name, title: def.title, description: def.description, mimeType: 'application/json' })),
  );
  const extraTemplates = extra.filter((r) => r.uri.includes('{')).map((r) => ({ uriTemplate: r.uri, name: r.name, description: r.description, mimeType: r.mimeType }));
  const resourceTemplates = extraTemplates.length ? [...templates, ...extraTemplates] : templates;
  server.setRequestHandler('resources/templates/list', (_req, ctx) => ({ resourceTemplates: may(principalOf(ctx, inst.principal), 'read') ? resourceTemplates : [] }));
  server.setRequestHandler('resources/read', (req, ctx) => readResource(app, inst, req.params.uri, ctx, opts, board));
}
