#!/usr/bin/env node
// Part of the build: dist/call-board.html, the MCP Apps view of calls and queues (src/apps/call-board/), as one
// self-contained page: the script bundled and minified by esbuild and the stylesheet inlined, nothing loaded from
// anywhere (hosts render it in a sandbox whose default CSP allows no remote script, style, font or connection).
// The server reads the page beside itself (src/server/apps.ts) and writes the PBXs' pace into its config slot.
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build, transform } from 'esbuild';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const src = join(root, 'src', 'apps', 'call-board');
const out = join(root, 'dist', 'call-board.html');
/** The budget for the page. */
const MAX_BYTES = 400 * 1024;
/** Must match CONFIG_SLOT in src/server/apps.ts (checked below and by a test). */
const CONFIG_SLOT = '<script id="board-config" type="application/json">{}</script>';

const js = await build({
  entryPoints: [join(src, 'main.ts')],
  bundle: true,
  write: false,
  minify: true,
  format: 'iife',
  platform: 'browser',
  // light-dark() and <dialog> are what the page needs most recently; the script itself stays ES2022.
  target: 'es2022',
  legalComments: 'none',
  logLevel: 'warning',
});
const css = await transform(readFileSync(join(src, 'board.css'), 'utf8'), { loader: 'css', minify: true });

const once = (text, marker) => {
  const parts = text.split(marker);
  if (parts.length !== 2) throw new Error(`app-bundle: ${marker} must occur exactly once in index.html`);
  return parts;
};
// Inline, "</script" and "</style" would end their element early: escaped (valid in JS strings and CSS alike).
const script = js.outputFiles[0].text.replace(/<\/(script)/gi, '<\\/$1').replace(/<!--/g, '<\\!--');
const style = css.code.replace(/<\/(style)/gi, '<\\/$1');
let html = readFileSync(join(src, 'index.html'), 'utf8');
html = once(html, '/*STYLE*/').join(style);
html = once(html, '/*SCRIPT*/').join(script);
once(html, CONFIG_SLOT);

const bytes = Buffer.byteLength(html);
if (bytes > MAX_BYTES) throw new Error(`app-bundle: call-board.html is ${bytes} bytes, over the ${MAX_BYTES}-byte budget`);
writeFileSync(out, html);
