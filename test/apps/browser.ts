/**
 * The browser harness of the call board tests: Debian's Chromium driven by playwright-core (never a downloaded
 * browser), and a test web host (test/apps/host/) served on 127.0.0.1: the host page on one port, its sandbox
 * proxy on another (another origin, as MCP Apps asks of web hosts) with the extension's default CSP as a header.
 *
 * Without /usr/bin/chromium the tests are skipped with a loud warning, except under CI=true, where they fail.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { build } from 'esbuild';
import { chromium, type BrowserContext, type Page } from 'playwright-core';

export const CHROMIUM = '/usr/bin/chromium';
const FLAGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

/** Whether the browser tests run here; says loudly why not. Under CI a missing browser is a failure, not a skip. */
export function browserAvailable(): boolean {
  if (existsSync(CHROMIUM)) return true;
  if (process.env.CI === 'true') return true; // run, and fail in launch() with the reason
  process.stderr.write(
    `\n${'!'.repeat(78)}\n!! SKIPPED: the call board browser tests need Debian's chromium at ${CHROMIUM}\n` +
      `!! (apt-get install -y chromium). Under CI=true they fail instead.\n${'!'.repeat(78)}\n\n`,
  );
  return false;
}

/** The MCP Apps default CSP for a view that declares no domains (the specification's "restrictive default"). */
export const DEFAULT_CSP =
  "default-src 'none'; script-src 'self' 'unsafe-inline'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; " +
  "media-src 'self' data:; object-src 'none'; connect-src 'none'; frame-src 'none'; base-uri 'self'; report-uri /csp-report";

const HOST_PAGE = `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Test host</title>
<style>body{font-family:system-ui;margin:16px;background:#faf9f5} #chat{width:720px} iframe#view{width:720px;border:1px solid #ddd;border-radius:10px;background:transparent}
#host-confirm{border:2px solid #c00;padding:8px;margin:8px 0;width:700px}</style></head>
<body><div id="host-confirm" hidden role="alertdialog"><p></p><button id="host-yes">Allow</button> <button id="host-no">Deny</button></div>
<div id="chat"></div><script type="module" src="/host.js"></script></body></html>`;

export interface Harness {
  hostOrigin: string;
  /** The host page's URL for the MCP endpoint `mcp`, with host options (era, elicit, theme, apps). */
  hostUrl(mcp: string, opts?: Record<string, string>): string;
  newPage(): Promise<Page>;
  /** CSP violation reports the sandbox received, and console errors of every frame. */
  cspReports: unknown[];
  consoleErrors: string[];
  close(): Promise<void>;
}

function listen(handler: (req: IncomingMessage, res: ServerResponse) => void): Promise<{ server: Server; origin: string }> {
  const server = createServer(handler);
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve({ server, origin: `http://127.0.0.1:${(server.address() as AddressInfo).port}` })));
}

export async function startHarness(): Promise<Harness> {
  if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: CI must install Debian's chromium (see .ci/run)`);
  const hostJs = (
    await build({
      entryPoints: [join(import.meta.dirname, 'host', 'host.ts')],
      bundle: true,
      write: false,
      format: 'esm',
      platform: 'browser',
      target: 'es2022',
      logLevel: 'error',
    })
  ).outputFiles[0]!.text;
  const sandboxJs = readFileSync(join(import.meta.dirname, 'host', 'sandbox.js'), 'utf8');
  const cspReports: unknown[] = [];
  const consoleErrors: string[] = [];

  const host = await listen((req, res) => {
    if (req.url?.startsWith('/host.html')) return void res.writeHead(200, { 'content-type': 'text/html' }).end(HOST_PAGE);
    if (req.url === '/host.js') return void res.writeHead(200, { 'content-type': 'text/javascript' }).end(hostJs);
    res.writeHead(req.url === '/favicon.ico' ? 204 : 404).end();
  });
  const sandbox = await listen((req, res) => {
    if (req.url === '/sandbox.html') {
      return void res
        .writeHead(200, { 'content-type': 'text/html', 'content-security-policy': DEFAULT_CSP })
        .end('<!doctype html><html><head><meta charset="utf-8"><style>html,body{margin:0;height:100%}</style></head><body><script src="/sandbox.js"></script></body></html>');
    }
    if (req.url === '/sandbox.js') return void res.writeHead(200, { 'content-type': 'text/javascript' }).end(sandboxJs);
    if (req.url === '/csp-report' && req.method === 'POST') {
      let body = '';
      req.on('data', (d: Buffer) => (body += d.toString()));
      req.on('end', () => {
        cspReports.push(body);
        res.writeHead(204).end();
      });
      return;
    }
    res.writeHead(404).end();
  });

  const profile = mkdtempSync(join(tmpdir(), 'tmcp-chromium-'));
  const context: BrowserContext = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args: FLAGS,
    viewport: { width: 800, height: 900 },
  });
  return {
    hostOrigin: host.origin,
    hostUrl: (mcp, opts = {}) => `${host.origin}/host.html?${new URLSearchParams({ mcp, sandbox: `${sandbox.origin}/sandbox.html`, ...opts })}`,
    async newPage() {
      const page = await context.newPage();
      page.on('console', (m) => {
        if (m.type() === 'error') consoleErrors.push(m.text());
      });
      page.on('pageerror', (e) => consoleErrors.push(e.message));
      return page;
    },
    cspReports,
    consoleErrors,
    async close() {
      await context.close();
      host.server.close();
      sandbox.server.close();
      rmSync(profile, { recursive: true, force: true });
    },
  };
}
