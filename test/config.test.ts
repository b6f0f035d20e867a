import { writeFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { auditFile, DEMO_CONFIG, expandEnv, loadConfig, parseConfig } from '../src/config.js';
import { ConfigError } from '../src/errors.js';
import { writeConfig } from './helpers/mcp.js';

const base = { pbxes: { office: { type: 'sim' } } };
const errorOf = (raw: unknown, env: NodeJS.ProcessEnv = {}) => {
  try {
    parseConfig(raw, { env });
  } catch (e) {
    expect(e).toBeInstanceOf(ConfigError);
    return (e as Error).message;
  }
  throw new Error('expected a config error');
};

describe('config', () => {
  it('uses the demo PBX when no config is given', () => {
    const c = loadConfig(undefined, {});
    expect(c).toMatchObject({ defaultPbx: 'demo', pbxes: { demo: { type: 'sim', defaultUser: 'alice' } }, source: 'built-in demo config' });
    expect(DEMO_CONFIG.safety.dialPolicy.defaultCountry).toBe('IT');
  });

  it('fills defaults: first PBX is the default, http on loopback 3000, confirm auto', () => {
    const c = parseConfig(base, { env: {} });
    expect(c.defaultPbx).toBe('office');
    expect(c.http).toMatchObject({ host: '127.0.0.1', port: 3000 });
    expect(c.safety.confirm).toBe('auto');
    expect(c.readOnly).toBe(false);
    expect(c.pbxes.office).toMatchObject({ type: 'sim' });
  });

  it('replaces ${VAR} and ${VAR:-default} from the environment; $${ is literal', () => {
    expect(expandEnv({ a: ['${X}', 'p-${Y:-dflt}', '$${X}'] }, { X: 'x' })).toEqual({ a: ['x', 'p-dflt', '${X}'] });
    const c = parseConfig({ ...base, http: { token: '${TOKEN}' } }, { env: { TOKEN: 'a-very-long-token-value' } });
    expect(c.http.token).toBe('a-very-long-token-value');
  });

  it('names the key path of an unset variable, an unknown key, a wrong type, an unknown PBX type', () => {
    expect(errorOf({ ...base, http: { token: '${NOPE}' } })).toMatch(/http\.token: environment variable NOPE is not set/);
    expect(errorOf({ ...base, htpp: {} })).toMatch(/htpp: unknown key/);
    expect(errorOf({ ...base, http: { port: 'x' } })).toMatch(/http\.port: .*number/);
    expect(errorOf({ pbxes: { office: { type: 'asterisk' } } })).toMatch(/pbxes\.office\.type: unknown PBX type "asterisk"; use one of: sim/);
    expect(errorOf({ pbxes: { office: {} } })).toMatch(/pbxes\.office\.type: missing/);
    expect(errorOf({ pbxes: { office: { type: 'sim', scenery: 'x' } } })).toMatch(/pbxes\.office.*scenery/);
    expect(errorOf({ pbxes: {} })).toMatch(/configure at least one PBX/);
    expect(errorOf({ ...base, defaultPbx: 'lab' })).toMatch(/defaultPbx: "lab" is not one of pbxes \(office\)/);
    expect(errorOf({ ...base, safety: { confirmTools: ['get_active_call'] } })).toMatch(/confirmTools: get_active_call cannot be confirmed/);
    expect(errorOf({ ...base, http: { token: 'short' } })).toMatch(/http\.token: at least 16 characters/);
  });

  it('takes named bearer tokens (one per client) and a signing key, refusing what would be ambiguous or weak', () => {
    const tokens = { laptop: 'laptop-token-0123456789', 'ci-bot': 'ci-bot-token-012345678' };
    expect(parseConfig({ ...base, http: { tokens } }, { env: {} }).http.tokens).toEqual(tokens);
    expect(errorOf({ ...base, http: { tokens: { laptop: 'short' } } })).toMatch(/http\.tokens\.laptop: at least 16 characters/);
    expect(errorOf({ ...base, http: { tokens: { 'bad name!': 'x'.repeat(20) } } })).toMatch(/http\.tokens.*token names: letters, digits, _ and -/);
    expect(errorOf({ ...base, http: { tokens: { a: 'same-token-0123456789', b: 'same-token-0123456789' } } })).toMatch(
      /http\.tokens: "a" and "b" have the same token; give each client its own/,
    );
    expect(errorOf({ ...base, http: { token: 'single-token-0123456789', tokens: { laptop: 'single-token-0123456789' } } })).toMatch(
      /"default" and "laptop" have the same token/,
    );
    expect(errorOf({ ...base, http: { token: 'single-token-0123456789', tokens: { default: 'other-token-0123456789' } } })).toMatch(
      /http\.tokens\.default: http\.token is already the token named "default"/,
    );
    expect(parseConfig({ ...base, safety: { stateSecret: 's'.repeat(32) } }, { env: {} }).safety.stateSecret).toBe('s'.repeat(32));
    expect(errorOf({ ...base, safety: { stateSecret: 's'.repeat(31) } })).toMatch(/safety\.stateSecret: at least 32 bytes \(e\.g\. openssl rand -hex 32\)/);
  });

  it('reads a file, resolving relative paths against it, and reports missing and malformed files', () => {
    const t = writeConfig(base);
    expect(loadConfig(t.path, {}).baseDir).toBe(t.dir);
    expect(() => loadConfig(`${t.dir}/nope.json`, {})).toThrow(/does not exist \(check --config or TELEPHONY_MCP_CONFIG\)/);
    const bad = writeConfig({});
    writeFileSync(bad.path, '{ not json');
    expect(() => loadConfig(bad.path, {})).toThrow(/is not valid JSON/);
  });
});

describe('config from the environment (MCP Bundle settings)', () => {
  it('builds one PBX from TELEPHONY_MCP_PBX_* in each vendor\'s own key names', () => {
    const k = loadConfig(undefined, {
      TELEPHONY_MCP_PBX_TYPE: 'kalliope',
      TELEPHONY_MCP_PBX_USER: 'pippo',
      TELEPHONY_MCP_PBX_PASSWORD: 'pa${ss}',
      TELEPHONY_MCP_DEFAULT_COUNTRY: 'it',
    });
    expect(k.pbxes.pbx).toMatchObject({ type: 'kalliope', username: 'pippo', password: 'pa${ss}', insecureTls: true });
    expect(k.safety.dialPolicy.defaultCountry).toBe('IT');
    const x = loadConfig(undefined, { TELEPHONY_MCP_PBX_TYPE: 'xivo', TELEPHONY_MCP_PBX_URL: 'http://xuc:8090', TELEPHONY_MCP_PBX_USER: 'ws', TELEPHONY_MCP_PBX_PASSWORD: 'pw' });
    expect(x.pbxes.pbx).toMatchObject({ type: 'xivo', url: 'http://xuc:8090', login: 'ws', password: 'pw' });
    expect(loadConfig(undefined, { TELEPHONY_MCP_PBX_TYPE: 'xcally', TELEPHONY_MCP_PBX_USER: '201' }).pbxes.pbx).toMatchObject({ agent: '201' });
  });

  it('uses the demo when no type is set, and names the variable when the type or a setting is wrong', () => {
    expect(loadConfig(undefined, { TELEPHONY_MCP_PBX_TYPE: '', TELEPHONY_MCP_DEFAULT_COUNTRY: 'CH' })).toMatchObject({
      defaultPbx: 'demo',
      safety: { dialPolicy: { defaultCountry: 'CH' } },
    });
    expect(() => loadConfig(undefined, { TELEPHONY_MCP_PBX_TYPE: 'asterisk' })).toThrow(/TELEPHONY_MCP_PBX_TYPE: unknown PBX type "asterisk"/);
    expect(() => loadConfig(undefined, { TELEPHONY_MCP_PBX_TYPE: 'xivo' })).toThrow(/pbxes\.pbx\.url/);
  });
});

describe('config mistakes a person makes, and what they are told', () => {
  it('an environment-only set-up names the variables to set, never a config key path alone', () => {
    let message = '';
    try {
      loadConfig(undefined, { TELEPHONY_MCP_PBX_TYPE: 'xivo' });
    } catch (e) {
      message = (e as Error).message;
    }
    expect(message).toMatch(/TELEPHONY_MCP_PBX_URL: not set, and this PBX type needs it \(it sets pbxes\.pbx\.url\)/);
    expect(message).toMatch(/TELEPHONY_MCP_PBX_USER: not set.*\(it sets pbxes\.pbx\.login\)/);
    expect(message).toMatch(/TELEPHONY_MCP_PBX_PASSWORD: not set.*\(it sets pbxes\.pbx\.password\)/);
    expect(() => loadConfig(undefined, { TELEPHONY_MCP_PBX_TYPE: 'ipbx', TELEPHONY_MCP_PBX_URL: 'ftp://x' })).toThrow(/TELEPHONY_MCP_PBX_URL: an http/);
  });

  it('refuses PBX settings in the environment without a type, instead of quietly running the demo', () => {
    expect(() => loadConfig(undefined, { TELEPHONY_MCP_PBX_URL: 'http://xuc:8090' })).toThrow(
      /^TELEPHONY_MCP_PBX_URL is set but TELEPHONY_MCP_PBX_TYPE is not, .*set TELEPHONY_MCP_PBX_TYPE to kalliope, ipbx, xcally, pbxpress, xivo, or unset TELEPHONY_MCP_PBX_URL to run the built-in demo PBX$/,
    );
    expect(() => loadConfig(undefined, { TELEPHONY_MCP_PBX_USER: 'ws', TELEPHONY_MCP_PBX_PASSWORD: 'pw' })).toThrow(
      /TELEPHONY_MCP_PBX_USER, TELEPHONY_MCP_PBX_PASSWORD are set but TELEPHONY_MCP_PBX_TYPE is not/,
    );
    // The bundle passes every setting, empty when left blank: that is the demo.
    expect(loadConfig(undefined, { TELEPHONY_MCP_PBX_TYPE: '', TELEPHONY_MCP_PBX_URL: '', TELEPHONY_MCP_PBX_USER: ' ', TELEPHONY_MCP_PBX_PASSWORD: '' }).defaultPbx).toBe('demo');
  });

  it('a mistyped key, at the top or nested, gets a "did you mean" and the README section', () => {
    expect(errorOf({ pbxes: { lab: { type: 'sim', defaultUsr: 'alice' } } })).toBe(
      'invalid config (config):\n  pbxes.lab.defaultUsr: unknown key; did you mean "defaultUser"? (see the keys of every PBX under "Configuration" and the sim keys under "Backends" in README.md)',
    );
    expect(errorOf({ pbxes: { x: { type: 'xivo', url: 'http://x', login: 'a', pasword: 'b', password: 'c' } } })).toMatch(
      /pbxes\.x\.pasword: unknown key; did you mean "password"\? \(see .*the xivo keys under "Backends" in README\.md\)/,
    );
    expect(errorOf({ ...base, htpp: {} })).toMatch(/^ {2}htpp: unknown key; did you mean "http"\? \(see "Configuration" in README\.md\)$/m);
    expect(errorOf({ ...base, safety: { dialPolicy: { alowInternational: true } } })).toMatch(
      /safety\.dialPolicy\.alowInternational: unknown key; did you mean "allowInternational"\? \(see "Safety" and "Configuration" in README\.md\)/,
    );
    expect(errorOf({ ...base, log: { colour: true } })).toMatch(/log\.colour: unknown key; the keys here are level, format/);
  });

  it('invalid JSON is located by line and column, without quoting the file', () => {
    const t = writeConfig({});
    writeFileSync(t.path, '{\n  "pbxes": {\n    "lab": { "type": "sim", "password": "s3cret" },\n  }\n}\n');
    expect(() => loadConfig(t.path, {})).toThrow(`config file ${t.path} is not valid JSON: line 4, column 3: a comma before } (JSON allows no trailing comma)`);
    try {
      loadConfig(t.path, {});
    } catch (e) {
      expect((e as Error).message).not.toContain('s3cret');
    }
  });
});

describe('where the audit trail goes', () => {
  const cfg = (file?: string) => ({ audit: { ...(file ? { file } : {}), recent: 200 }, baseDir: '/etc/telephony-mcp' });

  it('defaults to the user state directory, never the working directory', () => {
    expect(auditFile(cfg(), { XDG_STATE_HOME: '/var/lib/me', HOME: '/home/me' })).toBe('/var/lib/me/telephony-mcp/audit.jsonl');
    expect(auditFile(cfg(), { HOME: '/home/me' })).toBe('/home/me/.local/state/telephony-mcp/audit.jsonl');
    // The XDG spec: a relative XDG_STATE_HOME is ignored.
    expect(auditFile(cfg(), { XDG_STATE_HOME: 'state', HOME: '/home/me' })).toBe('/home/me/.local/state/telephony-mcp/audit.jsonl');
    expect(parseConfig(base, { env: {} }).audit.file).toBeUndefined();
  });

  it('takes a configured file relative to the config file, and "-" for stderr', () => {
    expect(auditFile(cfg('audit.jsonl'), {})).toBe('/etc/telephony-mcp/audit.jsonl');
    expect(auditFile(cfg('/tmp/a.jsonl'), {})).toBe('/tmp/a.jsonl');
    expect(auditFile(cfg('-'), {})).toBe('-');
  });
});
