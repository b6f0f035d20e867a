/**
 * MCP Apps (the `io.modelcontextprotocol/ui` extension): the call board, one HTML view that hosts render in a
 * sandboxed iframe. It is offered only to a client that declares the extension with the view's mime type, as the
 * extension asks ("servers SHOULD check client capabilities before registering UI-enabled tools"): to it,
 * get_active_call and list_queue carry `_meta.ui.resourceUri` and ui://telephony/call-board is listed and read.
 * Every other client sees exactly the tools and resources it saw before, and a read of the URI is not found.
 *
 * The view is built into dist/call-board.html (scripts/app-bundle.mjs). It holds no secret and reaches no PBX:
 * it reads and acts through the host's tools/call, so the same policy, confirmation and audit apply. What it
 * cannot learn through the host, the pace at which each PBX may be read, is written into the page here.
 */
import { readFileSync } from 'node:fs';
import {
  CLIENT_CAPABILITIES_META_KEY,
  type ClientCapabilities,
  type ReadResourceResult,
  type Resource,
  type ServerContext,
  type Tool,
} from '@modelcontextprotocol/server';
import type { App } from '../app.js';
import { envelopeOf, type Instance } from './instance.js';

/** The extension's identifier and the view's mime type (pinned to @modelcontextprotocol/ext-apps by a test). */
export const UI_EXTENSION = 'io.modelcontextprotocol/ui';
export const APP_MIME_TYPE = 'text/html;profile=mcp-app';

export const CALL_BOARD_URI = 'ui://telephony/call-board';
/** The tools whose results the board shows. */
export const BOARD_TOOLS: readonly string[] = ['get_active_call', 'list_queue'];

/** The element of the built page the server fills with the board's settings (the build checks it is there once). */
export const CONFIG_SLOT = '<script id="board-config" type="application/json">{}</script>';

/** Whether declared client capabilities include MCP Apps with HTML views. */
export function supportsApps(caps: ClientCapabilities | undefined): boolean {
  const ui = caps?.extensions?.[UI_EXTENSION] as { mimeTypes?: unknown } | undefined;
  return Array.isArray(ui?.mimeTypes) && ui.mimeTypes.includes(APP_MIME_TYPE);
}

/** The capabilities the client of this request declared: its session's (2025), or the request's own (2026). */
export function requestCapabilities(inst: Instance, ctx: ServerContext): ClientCapabilities | undefined {
  if (inst.era === 'legacy') return inst.server.getClientCapabilities();
  return envelopeOf(ctx)[CLIENT_CAPABILITIES_META_KEY] as ClientCapabilities | undefined;
}

/** What the board needs to know that no tool says: how often each PBX may be read (the resource watcher's pace). */
export function boardSettings(app: App): { pace: Record<string, number> } {
  return { pace: Object.fromEntries(app.pbxes.all().map((p) => [p.name, app.watcher.intervalFor(p)])) };
}

/** The built page with the settings written in (JSON in a data block: `<` escaped so nothing can close it). */
export function boardPage(template: string, settings: object): string {
  const json = JSON.stringify(settings).replace(/</g, '\\u003c');
  return template.replace(CONFIG_SLOT, CONFIG_SLOT.replace('{}', json));
}

/** The template the build stored at `url`, or undefined when it is not there (a build without the view). */
export function readTemplate(...urls: URL[]): string | undefined {
  for (const url of urls) {
    try {
      const html = readFileSync(url, 'utf8');
      if (html.includes(CONFIG_SLOT)) return html;
    } catch {
      // the next place, else none
    }
  }
  return undefined;
}

/** The view as a client that declared the extension sees it. */
export interface BoardView {
  /** tools/list with `_meta.ui` on the board's tools. */
  tools: Tool[];
  resource: Resource;
  read(): ReadResourceResult;
}

/** `prefersBorder`: the board paints no frame of its own. No CSP domains: it loads and connects to nothing. */
const RESOURCE_UI_META = { ui: { prefersBorder: true } };

/**
 * The view over `tools` (the list every client gets), or undefined when no board tool is offered or the page was
 * not built: then nobody is told of a view that cannot work.
 */
export function boardView(app: App, tools: readonly Tool[], template: string | undefined): BoardView | undefined {
  if (!template || !tools.some((t) => BOARD_TOOLS.includes(t.name))) return undefined;
  const page = boardPage(template, boardSettings(app));
  // Only `ui.resourceUri`: the flat "ui/resourceUri" key is deprecated (hosts must read both), and every byte of a
  // tool list is paid by the model in every conversation (the demo's is held under 32 KB).
  const meta = { ui: { resourceUri: CALL_BOARD_URI } };
  return {
    tools: tools.map((t) => (BOARD_TOOLS.includes(t.name) ? { ...t, _meta: { ...t._meta, ...meta } } : t)),
    resource: {
      uri: CALL_BOARD_URI,
      name: 'call-board',
      title: 'Call board',
      description: 'A live board of the active calls and call queues, shown by hosts that render MCP Apps.',
      mimeType: APP_MIME_TYPE,
      _meta: RESOURCE_UI_META,
    },
    read: () => ({ contents: [{ uri: CALL_BOARD_URI, mimeType: APP_MIME_TYPE, text: page, _meta: RESOURCE_UI_META }] }),
  };
}
