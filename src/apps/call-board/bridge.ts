/**
 * The view's side of MCP Apps: JSON-RPC 2.0 over postMessage with the host (window.parent), as the extension's
 * specification defines it (ui/initialize, ui/notifications/*, tools/call and resources/read proxied by the host).
 *
 * Why not the extension's own `App` class: bundled, it brings the v2 client SDK and all of zod (650 KB minified;
 * 403 KB with zod's locales stubbed out), over the 400 KB the page may weigh. The wire shapes are the extension's
 * own types (type-only imports, erased by the build), and the browser test runs this against the extension's
 * AppBridge, the host side hosts use.
 */
import type {
  McpUiHostCapabilities,
  McpUiHostContext,
  McpUiInitializeRequest,
  McpUiInitializeResult,
  McpUiSizeChangedNotification,
  McpUiToolInputNotification,
} from '@modelcontextprotocol/ext-apps';
import { APPS_PROTOCOL_VERSION } from './protocol.js';

/** A tool result as the host relays it (CallToolResult); read through results.ts. */
export type ToolResult = Record<string, unknown>;

export interface BridgeHandlers {
  toolInput(args: Record<string, unknown>): void;
  toolResult(result: ToolResult): void;
  toolCancelled(reason: string | undefined): void;
  hostContext(changed: McpUiHostContext): void;
  /** The host is about to remove the view: stop work (answered once this returns). */
  teardown(): void;
}

interface Pending {
  resolve(v: unknown): void;
  reject(e: Error): void;
  timer: ReturnType<typeof setTimeout>;
}

type Message = { jsonrpc: '2.0'; id?: string | number; method?: string; params?: unknown; result?: unknown; error?: { message?: unknown } };

/** A JSON-RPC error from the host, with its message. */
export class HostError extends Error {}

export class HostBridge {
  private nextId = 1;
  private readonly pending = new Map<string | number, Pending>();
  /** What the host said it can do (ui/initialize). */
  capabilities: McpUiHostCapabilities = {};
  context: McpUiHostContext = {};

  constructor(
    private readonly host: Window,
    private readonly handlers: BridgeHandlers,
  ) {
    window.addEventListener('message', (e) => this.receive(e));
  }

  /** The handshake: ui/initialize, then ui/notifications/initialized. */
  async connect(appInfo: { name: string; version: string }): Promise<void> {
    const params: McpUiInitializeRequest['params'] = { appInfo, appCapabilities: { availableDisplayModes: ['inline'] }, protocolVersion: APPS_PROTOCOL_VERSION };
    const r = (await this.request('ui/initialize', params, 15_000)) as Partial<McpUiInitializeResult>;
    this.capabilities = r.hostCapabilities ?? {};
    this.context = r.hostContext ?? {};
    this.notify('ui/notifications/initialized', {});
    this.reportSize();
  }

  /** tools/call through the host. `timeoutMs` bounds the wait (an action may wait for a person to confirm). */
  callTool(name: string, args: Record<string, unknown>, timeoutMs: number): Promise<ToolResult> {
    return this.request('tools/call', { name, arguments: args }, timeoutMs) as Promise<ToolResult>;
  }

  /** resources/read through the host; undefined when the host does not proxy resources. */
  async readResource(uri: string, timeoutMs: number): Promise<unknown> {
    if (!this.capabilities.serverResources) return undefined;
    return this.request('resources/read', { uri }, timeoutMs);
  }

  private request(method: string, params: unknown, timeoutMs: number): Promise<unknown> {
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(new HostError(`The host did not answer ${method} within ${Math.round(timeoutMs / 1000)} s.`));
      }, timeoutMs);
      this.pending.set(id, { resolve, reject, timer });
      this.post({ jsonrpc: '2.0', id, method, params });
    });
  }

  private notify(method: string, params: unknown): void {
    this.post({ jsonrpc: '2.0', method, params });
  }

  private post(msg: Message): void {
    // The host's origin is not knowable from inside the sandbox; the message goes to the parent window only.
    this.host.postMessage(msg, '*');
  }

  private receive(e: MessageEvent): void {
    if (e.source !== this.host) return;
    const m = e.data as Message | null;
    if (!m || typeof m !== 'object' || m.jsonrpc !== '2.0') return;
    if (m.method === undefined && m.id !== undefined) return this.settle(m);
    if (typeof m.method !== 'string') return;
    if (m.id !== undefined) return this.answer(m.id, m.method);
    this.onNotification(m.method, m.params);
  }

  private settle(m: Message): void {
    const p = this.pending.get(m.id!);
    if (!p) return;
    this.pending.delete(m.id!);
    clearTimeout(p.timer);
    if (m.error) p.reject(new HostError(typeof m.error.message === 'string' ? m.error.message.slice(0, 2000) : 'The host refused the request.'));
    else p.resolve(m.result);
  }

  /** Requests from the host: teardown and ping; the view offers no tools of its own. */
  private answer(id: string | number, method: string): void {
    if (method === 'ui/resource-teardown') {
      this.handlers.teardown();
      return this.post({ jsonrpc: '2.0', id, result: {} });
    }
    if (method === 'ping') return this.post({ jsonrpc: '2.0', id, result: {} });
    this.post({ jsonrpc: '2.0', id, error: { code: -32601, message: `Method not found: ${method}` } } as Message);
  }

  private onNotification(method: string, params: unknown): void {
    const p = (params && typeof params === 'object' ? params : {}) as Record<string, unknown>;
    switch (method) {
      case 'ui/notifications/tool-input': {
        const args = (p as McpUiToolInputNotification['params']).arguments;
        this.handlers.toolInput(args && typeof args === 'object' ? args : {});
        return;
      }
      case 'ui/notifications/tool-result':
        this.handlers.toolResult(p);
        return;
      case 'ui/notifications/tool-cancelled':
        this.handlers.toolCancelled(typeof p.reason === 'string' ? p.reason.slice(0, 500) : undefined);
        return;
      case 'ui/notifications/host-context-changed':
        this.context = { ...this.context, ...(p as McpUiHostContext) };
        this.handlers.hostContext(p as McpUiHostContext);
        return;
      default:
      // tool-input-partial and list_changed notifications change nothing the board shows.
    }
  }

  private lastSize = '';

  /** ui/notifications/size-changed whenever the content's size changes (hosts size the iframe from it). */
  private reportSize(): void {
    let queued = false;
    const measure = () => {
      queued = false;
      const root = document.documentElement;
      const saved = root.style.height;
      root.style.height = 'max-content';
      const height = Math.ceil(root.getBoundingClientRect().height);
      root.style.height = saved;
      const size: McpUiSizeChangedNotification['params'] = { width: Math.ceil(window.innerWidth), height };
      const key = `${size.width}x${size.height}`;
      if (key === this.lastSize) return;
      this.lastSize = key;
      this.notify('ui/notifications/size-changed', size);
    };
    const queue = () => {
      if (queued) return;
      queued = true;
      requestAnimationFrame(measure);
    };
    const observer = new ResizeObserver(queue);
    observer.observe(document.documentElement);
    observer.observe(document.body);
    queue();
  }
}
