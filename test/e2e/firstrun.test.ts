/**
 * The built command as a new user meets it: --help, a set-up from environment variables only, the check command,
 * the simulators' printed config, and where the audit trail goes.
 */
import { execFile, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { acceptAll, CLI, connectStdio, startHttpServer } from '../helpers/mcp.js';

function run(args: string[], env: Record<string, string> = {}, cwd = tmpdir()): Promise<{ code: number | null; out: string; err: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [CLI, ...args], { env: { PATH: process.env.PATH ?? '', HOME: mkdtempSync(join(tmpdir(), 'home-')), ...env }, cwd, timeout: 30_000 }, (e, out, err) =>
      resolve({ code: e ? ((e as { code?: number }).code ?? null) : 0, out, err }),
    );
  });
}

/** Start `simulate <vendor>` and resolve with the config it prints on stdout. */
function simulate(vendor: string): Promise<{ config: Record<string, unknown>; err: () => string; stop(): void }> {
  const child = spawn(process.execPath, [CLI, 'simulate', vendor, '--port', '0'], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stderr.on('data', (d: Buffer) => (err += d.toString()));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGTERM');
      reject(new Error(`no config printed:\n${err}`));
    }, 15_000);
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      try {
        const config = JSON.parse(out) as Record<string, unknown>;
        clearTimeout(timer);
        resolve({ config, err: () => err, stop: () => child.kill('SIGTERM') });
      } catch {
        // not all of it yet
      }
    });
    child.once('exit', (code) => reject(new Error(`simulate exited with ${code}:\n${err}`)));
  });
}

describe('telephony-mcp --help', () => {
  it('lists the check command and every environment variable', async () => {
    const { code, err } = await run(['--help']);
    expect(code).toBe(0);
    expect(err).toMatch(/telephony-mcp check \[--config FILE\]/);
    for (const v of ['TELEPHONY_MCP_CONFIG', 'TELEPHONY_MCP_TOKEN', 'TELEPHONY_MCP_PBX_TYPE', 'TELEPHONY_MCP_PBX_URL', 'TELEPHONY_MCP_PBX_USER', 'TELEPHONY_MCP_PBX_PASSWORD', 'TELEPHONY_MCP_DEFAULT_COUNTRY', 'XDG_STATE_HOME']) {
      expect(err).toContain(v);
    }
  });
});

describe('set-up from environment variables only (the bundle path)', () => {
  it('a type alone names the variables still to set', async () => {
    const { code, err } = await run([], { TELEPHONY_MCP_PBX_TYPE: 'xivo' });
    expect(code).toBe(2);
    expect(err).toMatch(/TELEPHONY_MCP_PBX_URL: not set, and this PBX type needs it/);
  });

  it('a URL without a type is refused, not served as the demo', async () => {
    const { code, err } = await run([], { TELEPHONY_MCP_PBX_URL: 'http://xuc.example:8090' });
    expect(code).toBe(2);
    expect(err).toMatch(/^telephony-mcp: TELEPHONY_MCP_PBX_URL is set but TELEPHONY_MCP_PBX_TYPE is not/);
  });
});

describe('telephony-mcp check', () => {
  it('exits 0 when every PBX passes and 1 when one fails, with the table on stdout', async () => {
    const sim = await simulate('xivo');
    try {
      const dir = mkdtempSync(join(tmpdir(), 'check-'));
      writeFileSync(join(dir, 'good.json'), JSON.stringify(sim.config));
      const good = await run(['check', '--config', join(dir, 'good.json')]);
      expect(good.out).toMatch(/^xivo-cti +xivo +127\.0\.0\.1:\d+ +none \(http\) +accepted +contacts: \d+ contacts +ok$/m);
      expect(good.out).toMatch(/All 2 PBXs passed\./);
      expect(good.code).toBe(0);
      const pbxes = (sim.config as { pbxes: Record<string, Record<string, unknown>> }).pbxes;
      writeFileSync(join(dir, 'bad.json'), JSON.stringify({ pbxes: { ...pbxes, xivo: { ...pbxes.xivo, password: 'wrong' } } }));
      const bad = await run(['check', '--config', join(dir, 'bad.json')]);
      expect(bad.out).toMatch(/^xivo +xivo +127\.0\.0\.1:\d+ +none \(http\) +FAIL refused/m);
      expect(bad.out).toMatch(/1 PBX of 2 failed\./);
      expect(bad.code).toBe(1);
    } finally {
      sim.stop();
    }
  });
});

describe('telephony-mcp simulate', () => {
  it('prints a complete config, with the XiVO CTI user that contacts need, that serves as printed', async () => {
    const sim = await simulate('xivo');
    try {
      expect(sim.config).toMatchObject({
        defaultPbx: 'xivo',
        pbxes: { xivo: { type: 'xivo', userType: 'webservice' }, 'xivo-cti': { type: 'xivo', userType: 'cti', login: 'alice' } },
        safety: { dialPolicy: { defaultCountry: 'IT' } },
      });
      expect(sim.err()).toMatch(/simulator listening on http:\/\/127\.0\.0\.1:\d+/);
      const dir = mkdtempSync(join(tmpdir(), 'sim-'));
      writeFileSync(join(dir, 'config.json'), JSON.stringify(sim.config));
      const s = await connectStdio({ args: ['--config', join(dir, 'config.json')], elicit: acceptAll });
      try {
        const r = await s.client.callTool({ name: 'manage_contacts', arguments: { action: 'list', pbx: 'xivo-cti' } });
        expect(r.isError, JSON.stringify(r.content)).toBeFalsy();
      } finally {
        await s.close();
      }
    } finally {
      sim.stop();
    }
  });

  it('names the five vendors for an unknown one', async () => {
    const { code, err } = await run(['simulate', 'asterisk']);
    expect(code).toBe(2);
    expect(err).toBe('telephony-mcp: simulate: unknown vendor "asterisk"; the simulators are kalliope, ipbx, xcally, pbxpress, xivo\n');
  });
});

describe('the audit trail', () => {
  it('goes to $XDG_STATE_HOME/telephony-mcp/ by default, says so at start-up, and never to the working directory', async () => {
    const state = mkdtempSync(join(tmpdir(), 'state-'));
    const cwd = mkdtempSync(join(tmpdir(), 'cwd-'));
    const server = await startHttpServer({ cwd, env: { XDG_STATE_HOME: state } });
    try {
      const file = join(state, 'telephony-mcp', 'audit.jsonl');
      expect(server.stderr()).toContain(`audit:    ${file}`);
      const s = await connectStdio({ cwd, env: { XDG_STATE_HOME: state } });
      try {
        expect(s.stderr()).toContain(`audit trail of actions: ${file}`);
        await s.client.callTool({ name: 'set_dnd', arguments: { enabled: true } });
      } finally {
        await s.close();
      }
      expect(JSON.parse(readFileSync(file, 'utf8').trim().split('\n').at(-1)!)).toMatchObject({ tool: 'set_dnd', outcome: 'done' });
      expect(statSync(join(state, 'telephony-mcp')).mode & 0o777).toBe(0o700);
      expect(existsSync(join(cwd, 'telephony-mcp-audit.jsonl'))).toBe(false);
    } finally {
      await server.stop();
    }
  });
});
