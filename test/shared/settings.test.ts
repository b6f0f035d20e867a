/**
 * The `shared` settings: a Redis URL from the config or TELEPHONY_MCP_REDIS_URL, validated with the config's own
 * schema, its password a secret (registered, never repeated in a message), and the server's name for sticky routing.
 */
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config.js';
import { redact } from '../../src/safety/redact.js';
import { describeRedisUrl, SharedConfig, sharedSettings } from '../../src/shared/settings.js';

const defaults = SharedConfig.parse({});

describe('shared settings', () => {
  it('without a URL the server is on its own', () => {
    expect(sharedSettings(defaults, {})).toEqual({ url: undefined, where: undefined, prefix: 'telephony-mcp:', timeoutMs: 1000, replica: undefined });
  });

  it('take TELEPHONY_MCP_REDIS_URL and TELEPHONY_MCP_REPLICA when the config leaves them out; the config wins', () => {
    const env = { TELEPHONY_MCP_REDIS_URL: 'redis://:env-Pa55word-1@redis.internal:6380/2', TELEPHONY_MCP_REPLICA: 'r2' };
    expect(sharedSettings(defaults, env)).toMatchObject({ url: env.TELEPHONY_MCP_REDIS_URL, where: 'redis://redis.internal:6380/2', replica: 'r2' });
    const configured = SharedConfig.parse({ redisUrl: 'rediss://cache.example:6379', replica: 'r9' });
    expect(sharedSettings(configured, env)).toMatchObject({ url: 'rediss://cache.example:6379', where: 'rediss://cache.example:6379', replica: 'r9' });
  });

  it('register the password (and the URL holding it) as secrets: logs mask them, and the store is named by its address', () => {
    const url = 'redis://default:Reg1stered-Secret-77@10.0.0.5:6379/0';
    const s = sharedSettings(SharedConfig.parse({ redisUrl: url }), {});
    expect(s.where).toBe('redis://10.0.0.5:6379/0');
    expect(redact(`connecting to ${url}; password Reg1stered-Secret-77`)).toBe('connecting to ***; password ***');
    // A URL nobody registered is masked by its form.
    expect(redact('redis://:unregistered-pw-42@host:6379')).toBe('redis://***:***@host:6379');
    expect(describeRedisUrl('redis://:pw@h:1')).toBe('redis://h:1');
  });

  it('refuse a bad URL or name naming the variable or key, never repeating the value', () => {
    const bad = 'http://:Not-Shown-Pa55@redis:6379';
    expect(() => sharedSettings(defaults, { TELEPHONY_MCP_REDIS_URL: bad })).toThrow(/^TELEPHONY_MCP_REDIS_URL: a redis:\/\/ or rediss:\/\/ URL/);
    expect(() => sharedSettings(defaults, { TELEPHONY_MCP_REDIS_URL: bad })).not.toThrow(/Not-Shown/);
    expect(() => sharedSettings(defaults, { TELEPHONY_MCP_REDIS_URL: 'redis://h:6379/99' })).toThrow('a number from 0 to 15');
    expect(() => sharedSettings(defaults, { TELEPHONY_MCP_REPLICA: 'Replica One' })).toThrow(/^TELEPHONY_MCP_REPLICA: lower-case letters/);
    let message = '';
    try {
      parseConfig({ pbxes: { demo: { type: 'sim' } }, shared: { redisUrl: bad } }, { env: {} });
    } catch (e) {
      message = (e as Error).message;
    }
    expect(message).toContain('shared.redisUrl: a redis:// or rediss:// URL');
    expect(message).not.toContain('Not-Shown');
  });
});
