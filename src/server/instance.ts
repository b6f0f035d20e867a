/**
 * What every part of the glue shares: the options a server instance is built with (the extension the conformance
 * fixtures use, the era, the fallback principal), the instance itself, who a request comes from, and the
 * per-app cache that keeps per-request instances cheap.
 */
import type {
  AuthInfo,
  CallToolResult,
  GetPromptResult,
  InputRequiredResult,
  Prompt,
  ReadResourceResult,
  Server,
  ServerContext,
  Tool,
} from '@modelcontextprotocol/server';
import type { Principal } from '../principal.js';

/** A tool served beside the app's, through the same tools/list and tools/call handlers. */
export interface ExtraTool {
  tool: Tool;
  call(args: Record<string, unknown>, ctx: ServerContext): Promise<CallToolResult | InputRequiredResult>;
}

/** A resource (fixed URI) or a resource template served beside the app's. */
export interface ExtraResource {
  /** A fixed URI, or a template with {var} segments. */
  uri: string;
  name: string;
  description?: string;
  mimeType?: string;
  read(uri: string, vars: Record<string, string>, ctx: ServerContext): Promise<ReadResourceResult | InputRequiredResult>;
}

export interface ExtraPrompt {
  prompt: Prompt;
  get(args: Record<string, string>, ctx: ServerContext): Promise<GetPromptResult | InputRequiredResult>;
  /** Completions of an argument. */
  complete?: (arg: string, value: string) => string[];
}

export interface ServerOptions {
  /** Extra tools, resources and prompts on the same handlers (the conformance fixtures; the shipped server has none). */
  extend?: { tools?: ExtraTool[]; resources?: ExtraResource[]; prompts?: ExtraPrompt[] };
  /**
   * Subscriptions to resources that `extend` serves, which the app's resolver does not know: the unsubscribe
   * function, or undefined when `uri` is not one of them either.
   */
  subscribe?: (uri: string, notify: () => void) => (() => void) | undefined;
}

/** How one server instance is used: by a 2025 session, or for 2026 requests. */
export interface InstanceOptions extends ServerOptions {
  era?: 'legacy' | 'modern';
  /** Who calls when a request carries no principal of its own (stdio, in-process clients). */
  principal?: Principal;
  /**
   * Who the client of a 2025 session is, as the HTTP transport tells (its token's name, or its address), for the
   * per-client bound on subscriptions; undefined (stdio, one session per process) leaves the other bounds.
   */
  client?: string;
}

/** The principal an HTTP transport authenticated, as it travels in the SDK's AuthInfo. */
export function authInfoOf(principal: Principal): AuthInfo {
  return { token: '', clientId: principal.name, scopes: [...(principal.scopes ?? [])], extra: { principal } };
}

/** What a 2025 session keeps between its requests; a 2026 request keeps nothing. */
export interface Instance {
  server: Server;
  era: 'legacy' | 'modern';
  principal: Principal;
  /** Binds log records and audit lines to this session. */
  sessionKey: string;
}

/** The principal a request comes from: the one its HTTP transport authenticated, else the instance's own. */
/** The reserved _meta keys of a 2026-07-28 request (protocol version, client info and capabilities, log level). */
export function envelopeOf(ctx: ServerContext): Record<string, unknown> {
  return (ctx.mcpReq.envelope ?? {}) as Record<string, unknown>;
}

export function principalOf(ctx: ServerContext, fallback: Principal): Principal {
  const p = ctx.http?.authInfo?.extra?.principal as Principal | undefined;
  return p ?? fallback;
}

/** The session a 2025 request belongs to (the HTTP session id, or the instance's own). */
export function sessionOf(inst: Instance, ctx: ServerContext): string {
  return ctx.sessionId ?? inst.sessionKey;
}

/**
 * The value kept under `key`, made on first use. Instances are made per session or per request; what does not
 * depend on them (tool lists, indexes, templates, the subscription count) is built once per app with this.
 */
export function kept<K, V>(cache: { get(k: K): V | undefined; set(k: K, v: V): unknown }, key: K, make: () => V): V {
  let v = cache.get(key);
  if (v === undefined) cache.set(key, (v = make()));
  return v;
}
