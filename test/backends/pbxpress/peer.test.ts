/**
 * Wire compatibility beyond our own simulator: the adapter against an independent XML-RPC implementation,
 * python3's standard xmlrpc.server (peer.py), started here on 127.0.0.1 with a free port and stopped after.
 * Every method the adapter uses, "none" as None/0/True/'', nil results, faults with backslash escapes, the
 * internal KeyError faults of a plain Python server, and 401.
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { request } from 'node:http';
import { resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Backend, unsafeDialable } from '../../../src/backends/backend.js';
import { PbxpressClient } from '../../../src/backends/pbxpress/client.js';
import { expectBackendError } from '../contract.js';
import { backendFor, quietLog } from './harness.js';

const PEER = resolve(import.meta.dirname, 'peer.py');

let peer: ChildProcessWithoutNullStreams;
let url: string;
let b: Backend;

beforeAll(async () => {
  // The guide's sample logs in as extension 203 with password 203.
  peer = spawn('python3', [PEER, '203', '203'], { stdio: ['pipe', 'pipe', 'pipe'] });
  let err = '';
  peer.stderr.on('data', (d: Buffer) => (err += d.toString()));
  const port = await new Promise<number>((resolvePort, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error(`python peer did not start: ${err}`)), 10_000);
    peer.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /^(\d+)\n/.exec(out);
      if (m) {
        clearTimeout(timer);
        resolvePort(Number(m[1]));
      }
    });
    peer.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`python peer exited with ${code}: ${err}`));
    });
  });
  url = `http://127.0.0.1:${port}/RPC2`;
  b = await backendFor(url, { username: '203', password: '203' });
});

afterAll(async () => {
  await b?.close();
  if (peer && peer.exitCode === null) {
    const exited = new Promise((r) => peer.once('exit', r));
    peer.stdin.end();
    peer.kill('SIGTERM');
    await exited;
  }
});

describe('against python3 xmlrpc.server', () => {
  it('get_calls: the queue call is one call, the parked call has its slot, ids and numbers are strings', async () => {
    const calls = await b.activeCalls!({});
    expect(calls.map((c) => [c.id, c.state])).toEqual([
      ['c1', 'connected'],
      ['q1', 'ringing'],
      ['p1', 'parked'],
    ]);
    expect(calls[0]).toMatchObject({ direction: 'inbound', from: { number: '+390612345678', name: 'Giuseppe Test' }, to: { number: '201' }, durationSeconds: 42 });
    // Two extensions ring: the call shows the queue, and both are parties of it.
    expect(calls[1]).toMatchObject({ queue: 'support', to: { number: '600', name: 'support' }, answered: false, durationSeconds: 20 });
    expect(calls[2]).toMatchObject({ parkedSlot: '701' });
    expect((await b.activeCalls!({ user: '203' })).map((c) => c.id)).toEqual(['q1']);
    expect((await b.activeCalls!({ user: '201' })).map((c) => c.id)).toEqual(['c1']);
  });

  it('get_extensions: integer abbreviated numbers become text; extension 12 and queue 12 stay apart', async () => {
    const list = await b.listExtensions!();
    expect(list).toEqual([
      { id: 'extension:12', number: '201', name: 'Alice', kind: 'user', online: true },
      { id: 'extension:13', number: '202', name: 'Bob', kind: 'user', online: true },
      { id: 'extension:14', number: '203', name: 'Carol', kind: 'user', online: false },
      { id: 'queue:12', number: '600', name: 'support', kind: 'queue', online: true },
      { id: 'attendant:1', number: '800', name: 'Main menu', kind: 'attendant', online: true },
    ]);
  });

  it('get_parking_info (a Python tuple) and park, which answers the slot as text', async () => {
    expect(await b.parkingInfo!()).toEqual({ firstSlot: '700', slots: 10, parked: [{ slot: '701', callId: 'p1' }] });
    await expectBackendError(b.parkCall!({ callId: 'q1', slot: '701' }), ['conflict']);
    expect(await b.parkCall!({ callId: 'q1', slot: '705' })).toEqual({ slot: '705' });
    expect(await b.parkCall!({ callId: 'c1' })).toEqual({ slot: '702' });
    expect((await b.parkingInfo!()).parked).toEqual([
      { slot: '701', callId: 'p1' },
      { slot: '702', callId: 'c1' },
      { slot: '705', callId: 'q1' },
    ]);
  });

  it('transfer answers None; faults carry escaped text, decoded; admin-group refusals say so', async () => {
    await b.transferBlind!({ callId: 'c1', to: unsafeDialable('202') });
    expect((await b.activeCalls!({ user: '202' })).find((c) => c.id === 'c1')).toMatchObject({ state: 'ringing', to: { number: '202' } });
    const missing = await expectBackendError(b.transferBlind!({ callId: 'zz', to: unsafeDialable('202') }), ['not_found']);
    expect(missing.message).toContain(`it said: "no such call 'zz'"`);
    const bad = await expectBackendError(b.transferBlind!({ callId: 'c1', to: unsafeDialable('999') }), ['invalid']);
    expect(bad.message).toContain(`"invalid destination '999'"`);
    const denied = await expectBackendError(b.hangup!({ callId: 'c9' }), ['auth']);
    expect(denied.hint).toMatch(/admin group/);
  });

  it('drop answers 0', async () => {
    await b.hangup!({ callId: 'p1' });
    expect((await b.activeCalls!({})).map((c) => c.id)).not.toContain('p1');
    expect((await b.parkingInfo!()).parked.map((p) => p.callId)).not.toContain('p1');
  });

  it('favorites: set_favorites answers True; integer ids and types round-trip, named by (id, type)', async () => {
    expect(await b.getFavorites!()).toEqual([{ id: 'extension:12', kind: 'user', slot: 1, size: 'single', number: '201', name: 'Alice' }]);
    await b.setFavorites!({
      favorites: [
        { id: 'queue:12', kind: 'queue', slot: 1, size: 'double' },
        { id: 'attendant:1', kind: 'attendant', slot: 2, size: 'single' },
      ],
    });
    expect(await b.getFavorites!()).toEqual([
      { id: 'queue:12', kind: 'queue', slot: 1, size: 'double', number: '600', name: 'support' },
      { id: 'attendant:1', kind: 'attendant', slot: 2, size: 'single', number: '800', name: 'Main menu' },
    ]);
    await expectBackendError(b.setFavorites!({ favorites: [{ id: 'queue:13', kind: 'queue', slot: 1, size: 'single' }] }), ['not_found']);
  });

  it('notes: every dict_* method, nil for a missing key, KeyError faults, get_all narrowed to our prefix', async () => {
    await b.writeNotes!({ op: 'set', key: 'a', value: 'first <&> "note"\r\nline two, é 😀' });
    // Python writes a CR raw (we send &#13;), and XML reads a raw CRLF as LF: the one change on the way back.
    expect(await b.readNotes!({ op: 'get', key: 'a' })).toEqual({ found: true, value: 'first <&> "note"\nline two, é 😀' });
    await b.writeNotes!({ op: 'set_many', entries: [{ key: 'b', value: '2' }, { key: 'c', value: '' }] });
    const json = { nested: { list: [1, 2.5, true, null, 'x'] }, empty: [], text: 'a<b' };
    await b.writeNotes!({ op: 'set_json', key: 'j', json });
    expect(await b.readNotes!({ op: 'get_json', key: 'j' })).toEqual({ found: true, json });
    expect((await b.readNotes!({ op: 'list' })).notes?.map((n) => n.key)).toEqual(['a', 'b', 'c', 'j']);
    // A missing key: dict_get answers None; dict_get_serialized raises KeyError (an internal fault).
    expect(await b.readNotes!({ op: 'get', key: 'nope' })).toEqual({ found: false });
    expect(await b.readNotes!({ op: 'get_json', key: 'nope' })).toEqual({ found: false });
    await b.writeNotes!({ op: 'delete', key: 'a' });
    expect(await b.readNotes!({ op: 'get', key: 'a' })).toEqual({ found: false });
    // Deleting what is not there fails inside the server (faultCode 1): for an action, the outcome is unknown.
    await expectBackendError(b.writeNotes!({ op: 'delete', key: 'a' }), ['outcome_unknown']);
  });

  it('an unknown method is an internal fault: unavailable for a read', async () => {
    const client = new PbxpressClient({ pbx: 'peer', url, username: '203', password: '203', timeoutMs: 5000, log: quietLog });
    try {
      const e = await expectBackendError(client.call('get_everything', [], { read: true, what: 'test' }), ['unavailable']);
      expect(e.message).toMatch(/is not supported/);
    } finally {
      await client.close();
    }
  });

  it('401 without or with wrong credentials: an auth error, not retried', async () => {
    const status = await new Promise<number>((resolveStatus, reject) => {
      const req = request(url, { method: 'POST', headers: { 'content-type': 'text/xml' } }, (res) => {
        res.resume();
        resolveStatus(res.statusCode ?? 0);
      });
      req.on('error', reject);
      req.end('<?xml version="1.0"?><methodCall><methodName>get_calls</methodName><params></params></methodCall>');
    });
    expect(status).toBe(401);
    const bad = await backendFor(url, { username: '203', password: '204' });
    try {
      await expectBackendError(bad.activeCalls!({}), ['auth']);
      await expectBackendError(bad.hangup!({ callId: 'c1' }), ['auth']);
    } finally {
      await bad.close();
    }
  });
});
