/**
 * Finding 3 of issue 13: the concurrency cap must hold against pipelined requests (nine place_call written to
 * stdio in one chunk) and JSON-RPC batches (not part of MCP since 2025-06-18) are refused on both transports.
 * Through the built server, raw JSON-RPC.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { simConfig, startHttpServer, type HttpServerProcess } from '../../helpers/mcp.js';
import { INIT_PARAMS, line, rawHttp, rawStdio, rpcMessages, toolCall, type RawStdio } from '../../helpers/raw.js';

const CONFIG = { safety: { confirm: 'off', dialPolicy: { defaultCountry: 'IT', maxConcurrentCalls: 5, maxCallsPerMinute: 50 } } };
const CALL = { user: 'bob', to: '+39 06 1234 5678' };

type ToolResult = { isError?: boolean; content: { text: string }[]; structuredContent?: { calls?: unknown[] } };

let stdio: RawStdio | undefined;
let http: HttpServerProcess | undefined;
afterEach(async () => {
  await stdio?.close();
  stdio = undefined;
  await http?.stop();
  http = undefined;
});

async function activeOfBob(s: RawStdio, id: number): Promise<number> {
  s.write(line(toolCall(id, 'get_active_call', { user: 'bob' })));
  const r = (await s.response(id)).result as ToolResult;
  return r.structuredContent!.calls!.length;
}

describe('maxConcurrentCalls against pipelining', () => {
  it('nine place_call written to stdio in one chunk: five go through, four are refused, bob has five calls', async () => {
    stdio = await rawStdio(simConfig(CONFIG));
    const ids = Array.from({ length: 9 }, (_, i) => 100 + i);
    stdio.write(ids.map((id) => line(toolCall(id, 'place_call', CALL))).join(''));
    const answers = await Promise.all(ids.map((id) => stdio!.response(id)));
    const results = answers.map((a) => a.result as ToolResult);
    const refused = results.filter((r) => r.isError);
    expect(refused.map((r) => r.content[0]!.text)).toEqual(Array(4).fill(expect.stringMatching(/rule: concurrency.*already has [5-9] active calls.*\(limit 5\)/)));
    expect(results.filter((r) => !r.isError)).toHaveLength(5);
    expect(await activeOfBob(stdio, 200)).toBe(5);
  });

  it('a refused call gives its slot back: after one call ends, the next one goes through', async () => {
    stdio = await rawStdio(simConfig(CONFIG));
    const ids = Array.from({ length: 6 }, (_, i) => 100 + i);
    stdio.write(ids.map((id) => line(toolCall(id, 'place_call', CALL))).join(''));
    const answers = (await Promise.all(ids.map((id) => stdio!.response(id)))).map((a) => a.result as ToolResult);
    expect(answers.filter((r) => r.isError)).toHaveLength(1);
    stdio.write(line(toolCall(300, 'hangup', { user: 'bob' })));
    expect(((await stdio.response(300)).result as ToolResult).isError).toBeFalsy();
    stdio.write(line(toolCall(301, 'place_call', CALL)));
    expect(((await stdio.response(301)).result as ToolResult).isError).toBeFalsy();
    expect(await activeOfBob(stdio, 302)).toBe(5);
  });
});

describe('JSON-RPC batches', () => {
  const batch = (first: number) => [toolCall(first, 'place_call', CALL), toolCall(first + 1, 'place_call', CALL)];

  it('over stdio: refused with one Invalid Request error naming the rule, and nothing in it runs', async () => {
    stdio = await rawStdio(simConfig(CONFIG));
    stdio.write(line(batch(10)));
    const [refusal] = await stdio.waitFor((m) => m.id === null && m.error !== undefined, 1);
    expect(refusal!.error).toEqual({ code: -32600, message: expect.stringMatching(/batch.*not supported.*one message/i) });
    // The session still works, and neither call in the batch was placed.
    expect(await activeOfBob(stdio, 20)).toBe(0);
    expect(stdio.messages().some((m) => m.id === 10 || m.id === 11)).toBe(false);
  });

  it('over HTTP: refused with HTTP 400 and an Invalid Request error, before and after initialize', async () => {
    http = await startHttpServer({ config: simConfig(CONFIG) });
    const init = await rawHttp(http.port, { body: JSON.stringify([{ jsonrpc: '2.0', id: 1, method: 'initialize', params: INIT_PARAMS }]) });
    expect(init.status).toBe(400);
    expect(rpcMessages(init)).toEqual([{ jsonrpc: '2.0', id: null, error: { code: -32600, message: expect.stringMatching(/batch.*not supported/i) } }]);

    const ok = await rawHttp(http.port, { body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'initialize', params: INIT_PARAMS }) });
    expect(ok.status).toBe(200);
    const session = String(ok.headers['mcp-session-id']);
    const headers = { 'mcp-session-id': session, 'mcp-protocol-version': '2025-06-18' };
    await rawHttp(http.port, { headers, body: JSON.stringify({ jsonrpc: '2.0', method: 'notifications/initialized' }) });
    const refused = await rawHttp(http.port, { headers, body: JSON.stringify(batch(2)) });
    expect(refused.status).toBe(400);
    expect(rpcMessages(refused)[0]!.error).toEqual({ code: -32600, message: expect.stringMatching(/batch.*not supported/i) });
    const check = await rawHttp(http.port, { headers, body: JSON.stringify(toolCall(9, 'get_active_call', { user: 'bob' })) });
    expect(((rpcMessages(check)[0]!.result as ToolResult).structuredContent!.calls ?? []).length).toBe(0);
  });
});
