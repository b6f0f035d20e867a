/**
 * A small web host for the call board test, run in Chromium: a v2 SDK Client connected over Streamable HTTP to the
 * built server, and the view rendered the way the MCP Apps specification asks a web host to: a sandbox proxy on
 * another origin (served with the extension's default CSP) that loads the view's HTML into an inner iframe, the
 * extension's own AppBridge on the host side. Bundled by the test with esbuild; driven through `window.host`.
 *
 * `?elicit=1` makes it a host that can ask the person (elicitation, or MRTR on 2026-07-28): its dialog is in the
 * host page (#host-confirm), as a chat client's would be. Without it, the server hands out confirm tokens.
 */
import { AppBridge, getToolUiResourceUri, PostMessageTransport, RESOURCE_MIME_TYPE } from '@modelcontextprotocol/ext-apps/app-bridge';
import { Client, StreamableHTTPClientTransport, type Tool } from '@modelcontextprotocol/client';

const q = new URLSearchParams(location.search);
const mcpUrl = q.get('mcp')!;
const sandboxUrl = q.get('sandbox')!;
const era = q.get('era') === 'legacy' ? 'legacy' : 'modern';
const canElicit = q.get('elicit') === '1';
const theme: 'light' | 'dark' = q.get('theme') === 'dark' ? 'dark' : 'light';
const apps = q.get('apps') !== '0';

/** What the test reads back: questions the host was asked, and every view→server call it relayed. */
const seen = { elicitations: [] as string[], relayed: [] as { name: string; args: unknown }[], errors: [] as string[] };

const HOST_VARIABLES: Record<string, string> = {
  '--color-background-primary': 'light-dark(#ffffff, #1f1f23)',
  '--color-background-secondary': 'light-dark(#f3f3f1, #2a2a2f)',
  '--color-text-primary': 'light-dark(#1f1f1d, #ececec)',
  '--color-text-secondary': 'light-dark(#6b6b66, #a8a8ad)',
  '--color-border-primary': 'light-dark(#e2e1dc, #3a3a40)',
  '--font-sans': 'system-ui, sans-serif',
  '--border-radius-md': '8px',
};

async function connect(): Promise<Client> {
  const client = new Client(
    { name: 'call-board-test-host', version: '1.0.0' },
    {
      versionNegotiation: { mode: era === 'legacy' ? 'legacy' : { pin: '2026-07-28' } },
      capabilities: {
        ...(canElicit ? { elicitation: { form: {} } } : {}),
        ...(apps ? { extensions: { 'io.modelcontextprotocol/ui': { mimeTypes: [RESOURCE_MIME_TYPE] } } } : {}),
      },
    },
  );
  if (canElicit) {
    client.setRequestHandler('elicitation/create', async (req) => {
      const message = (req.params as { message: string }).message;
      seen.elicitations.push(message);
      return (await askInHost(message)) ? { action: 'accept', content: { confirm: true } } : { action: 'decline' };
    });
  }
  await client.connect(new StreamableHTTPClientTransport(new URL(mcpUrl)));
  return client;
}

/** The host's own confirmation dialog (not the view's). */
function askInHost(message: string): Promise<boolean> {
  const box = document.getElementById('host-confirm')!;
  box.querySelector('p')!.textContent = message;
  box.hidden = false;
  return new Promise((resolve) => {
    const done = (yes: boolean) => {
      box.hidden = true;
      resolve(yes);
    };
    (box.querySelector('#host-yes') as HTMLButtonElement).onclick = () => done(true);
    (box.querySelector('#host-no') as HTMLButtonElement).onclick = () => done(false);
  });
}

/** Load the view's HTML into the sandbox proxy and connect the bridge. */
async function show(client: Client, toolName: string, args: Record<string, unknown>): Promise<void> {
  const { tools } = await client.listTools();
  const tool = tools.find((t) => t.name === toolName);
  if (!tool) throw new Error(`no tool ${toolName}`);
  const uri = getToolUiResourceUri(tool);
  if (!uri) throw new Error(`${toolName} has no view`);
  const result = client.callTool({ name: toolName, arguments: args });
  const read = await client.readResource({ uri });
  const content = read.contents[0] as { mimeType?: string; text?: string };
  if (content.mimeType !== RESOURCE_MIME_TYPE || !content.text) throw new Error(`not an MCP App: ${content.mimeType}`);
  const caps = client.getServerCapabilities();
  const bridge = new AppBridge(
    client,
    { name: 'call-board-test-host', version: '1.0.0' },
    { serverTools: caps?.tools, serverResources: caps?.resources, logging: {} },
    { hostContext: hostContext(tool) },
  );
  await mount(bridge, content.text, args, result, true);
}

function hostContext(tool: Tool) {
  return { theme, styles: { variables: HOST_VARIABLES as never }, displayMode: 'inline' as const, containerDimensions: { maxHeight: 2000, width: 720 }, toolInfo: { tool } };
}

/**
 * The view on a host with no server behind it: every tools/call and resources/read of the view is answered from
 * `answers` (by tool name, or by URI). For what a real PBX may send that the demo never does.
 */
async function showCanned(html: string, toolName: string, args: Record<string, unknown>, answers: Record<string, unknown>): Promise<void> {
  const tool = { name: toolName, inputSchema: { type: 'object' as const } };
  const bridge = new AppBridge(null, { name: 'call-board-test-host', version: '1.0.0' }, { serverTools: {}, serverResources: {} }, { hostContext: hostContext(tool) });
  bridge.oncalltool = async (params) => {
    seen.relayed.push({ name: params.name, args: params.arguments });
    return answers[params.name] as never;
  };
  bridge.onreadresource = async (params) => answers[params.uri] as never;
  await mount(bridge, html, args, Promise.resolve(answers[toolName]), false);
}

async function mount(bridge: AppBridge, html: string, args: Record<string, unknown>, result: Promise<unknown>, record: boolean): Promise<void> {
  const iframe = document.createElement('iframe');
  iframe.id = 'view';
  iframe.setAttribute('sandbox', 'allow-scripts allow-same-origin allow-forms');
  iframe.title = 'Call board';
  document.getElementById('chat')!.append(iframe);
  const ready = new Promise<void>((resolve) => {
    const listener = (e: MessageEvent) => {
      if (e.source === iframe.contentWindow && e.data?.method === 'ui/notifications/sandbox-proxy-ready') {
        window.removeEventListener('message', listener);
        resolve();
      }
    };
    window.addEventListener('message', listener);
  });
  iframe.src = sandboxUrl;
  await ready;

  bridge.onsizechange = ({ height }) => {
    if (height) iframe.style.height = `${height}px`;
  };
  const initialized = new Promise<void>((resolve) => (bridge.oninitialized = () => resolve()));
  await bridge.connect(new PostMessageTransport(iframe.contentWindow!, iframe.contentWindow!));
  // With a client, connect() made the bridge's proxy to the server; every call the view makes is recorded here.
  const proxied = bridge.oncalltool;
  if (proxied && record) {
    bridge.oncalltool = async (params, extra) => {
      seen.relayed.push({ name: params.name, args: params.arguments });
      return proxied(params, extra);
    };
  }
  await bridge.sendSandboxResourceReady({ html });
  await initialized;
  await bridge.sendToolInput({ arguments: args });
  await bridge.sendToolResult((await result) as never);
}

let client: Client | undefined;
const host = {
  seen,
  async tools() {
    client ??= await connect();
    return (await client.listTools()).tools;
  },
  async resources() {
    client ??= await connect();
    return (await client.listResources()).resources;
  },
  async open(toolName: string, args: Record<string, unknown>) {
    client ??= await connect();
    await show(client, toolName, args);
  },
  openCanned: showCanned,
  era: () => client?.getNegotiatedProtocolVersion?.(),
};
(window as unknown as { host: typeof host }).host = host;
window.addEventListener('error', (e) => seen.errors.push(String(e.message)));
