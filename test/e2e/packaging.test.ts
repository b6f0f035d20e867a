/**
 * Installing where users are: the MCP Bundle (manifest validated by the official CLI, the .mcpb starts and
 * answers initialize) and the npm package (`npx telephony-mcp` from the packed tarball).
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { ALL_PROMPTS } from '../../src/prompts/index.js';
import { ALL_TOOLS } from '../../src/tools/index.js';
import { REPO } from '../helpers/mcp.js';
import { PbxEngine } from '../../src/simulators/engine/engine.js';
import { SIMULATORS } from '../../src/simulators/index.js';
import { scenario } from '../helpers/scenario.js';

const MCPB = join(REPO, 'node_modules', '.bin', 'mcpb');
const manifest = JSON.parse(readFileSync(join(REPO, 'manifest.json'), 'utf8')) as {
  version: string;
  tools: { name: string }[];
  prompts: { name: string }[];
  server: { entry_point: string };
};
const pkg = JSON.parse(readFileSync(join(REPO, 'package.json'), 'utf8')) as { version: string; name: string };

/** Start the packaged server, as a client that renders MCP Apps: its tools, and whether the call board's page came with it. */
async function initialize(command: string, args: string[], cwd: string, env: Record<string, string> = {}) {
  const transport = new StdioClientTransport({ command, args, cwd, stderr: 'pipe', env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ...env } });
  const client = new Client(
    { name: 'packaging-test', version: '1' },
    { capabilities: { extensions: { 'io.modelcontextprotocol/ui': { mimeTypes: ['text/html;profile=mcp-app'] } } } },
  );
  await client.connect(transport);
  const info = client.getServerVersion();
  const listed = (await client.listTools()).tools;
  const tools = listed.map((t) => t.name);
  const board = listed.some((t) => t._meta)
    ? ((await client.readResource({ uri: 'ui://telephony/call-board' })).contents[0] as { text?: string } | undefined)?.text?.slice(0, 15)
    : undefined;
  await client.close();
  return { info, tools, board };
}

describe('MCP Bundle', () => {
  it('has a manifest that the official mcpb CLI validates', () => {
    const out = execFileSync(MCPB, ['validate', join(REPO, 'manifest.json')], { encoding: 'utf8' });
    expect(out).toMatch(/validation passes/);
  });

  it('lists exactly the tools and prompts the server has, at the package version', () => {
    expect(manifest.tools.map((t) => t.name).sort()).toEqual(ALL_TOOLS.map((t) => t.name).sort());
    expect(manifest.prompts.map((p) => p.name).sort()).toEqual(ALL_PROMPTS.map((p) => p.name).sort());
    expect(manifest.version).toBe(pkg.version);
  });

  it('builds a .mcpb that starts and answers initialize', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tmcp-bundle-'));
    const file = join(dir, 'telephony-mcp.mcpb');
    execFileSync(process.execPath, [join(REPO, 'scripts', 'bundle.mjs'), file], { cwd: REPO, stdio: 'pipe' });
    execFileSync(MCPB, ['unpack', file, join(dir, 'unpacked')], { stdio: 'pipe' });
    const { info, tools, board } = await initialize(process.execPath, [join(dir, 'unpacked', manifest.server.entry_point)], dir, {
      TELEPHONY_MCP_CONFIG: '',
    });
    expect(info).toMatchObject({ name: 'telephony-mcp', version: pkg.version });
    expect(tools).toContain('place_call');
    expect(board).toBe('<!doctype html>');

    // The install dialog's settings (manifest user_config -> environment) pick a vendor PBX.
    const engine = new PbxEngine(scenario());
    const sim = await SIMULATORS.xcally!.start({ engine, port: 0 });
    try {
      const viaSettings = await initialize(process.execPath, [join(dir, 'unpacked', manifest.server.entry_point)], dir, {
        TELEPHONY_MCP_CONFIG: '',
        TELEPHONY_MCP_PBX_TYPE: 'xcally',
        TELEPHONY_MCP_PBX_URL: sim.server.url,
        TELEPHONY_MCP_PBX_USER: '201',
        TELEPHONY_MCP_PBX_PASSWORD: '',
        TELEPHONY_MCP_DEFAULT_COUNTRY: 'IT',
      });
      expect(viaSettings.tools).toContain('answer_call');
      expect(viaSettings.tools).not.toContain('manage_contacts');
    } finally {
      await sim.close();
      engine.close();
    }
  }, 60_000);
});

describe('npm package', () => {
  it('runs with npx telephony-mcp after installing the packed tarball', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tmcp-pack-'));
    // The package as `npm test` built it: prepack would rebuild dist/ (deleting dist/cli.js for a moment) while
    // other test files start that server.
    const packed = execFileSync('npm', ['pack', '--silent', '--ignore-scripts', '--pack-destination', dir], { cwd: REPO, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] })
      .trim()
      .split('\n')
      .at(-1)!;
    const project = join(dir, 'project');
    execFileSync('mkdir', ['-p', project]);
    writeFileSync(join(project, 'package.json'), JSON.stringify({ name: 'try-telephony-mcp', version: '1.0.0', private: true }));
    execFileSync('npm', ['install', '--no-audit', '--no-fund', '--prefer-offline', join(dir, packed)], { cwd: project, stdio: 'ignore' });
    // The project's own scenarios/ folder is not the package's demo scenario.
    execFileSync('mkdir', ['-p', join(project, 'scenarios')]);
    writeFileSync(join(project, 'scenarios', 'demo.json'), '{"not": "a scenario"}');
    const { info, tools, board } = await initialize('npx', ['--no-install', 'telephony-mcp'], project);
    expect(info).toMatchObject({ name: 'telephony-mcp', version: pkg.version });
    expect(tools.length).toBeGreaterThan(5);
    expect(board).toBe('<!doctype html>');
  }, 180_000);
});
