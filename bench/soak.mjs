// Load and soak: 100 concurrent streamable-HTTP sessions x 200 calls each, mixed reads and confirmed actions on
// the sim PBX (confirm_token flow). Zero errors expected, each client must get only its own results, and the
// server's RSS must come back within 10% of its baseline after the sessions close.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { rssMb } from './memory.mjs';
import { startHttp } from './lib.mjs';

const USERS = 100;

function soakConfig() {
  const dir = mkdtempSync(join(tmpdir(), 'tmcp-soak-'));
  const users = Array.from({ length: USERS }, (_, i) => ({ id: `u${String(i).padStart(3, '0')}`, name: `User ${i}`, extension: String(3000 + i), answerAfterMs: 50 }));
  const queues = Array.from({ length: 10 }, (_, q) => ({ name: `q${q}`, number: String(600 + q), members: users.filter((_, i) => i % 10 === q).map((u) => u.id) }));
  writeFileSync(join(dir, 'scenario.json'), JSON.stringify({ name: 'soak', answerAfterMs: 50, users, queues }));
  const path = join(dir, 'config.json');
  writeFileSync(
    path,
    JSON.stringify({
      pbxes: { soak: { type: 'sim', scenario: './scenario.json', traffic: false } },
      // Every call-ending action goes through the token flow: ask, then act with the token.
      safety: { confirm: 'token', dialPolicy: { defaultCountry: 'IT', maxCallsPerMinute: 10000, maxCallsPerMinutePerPbx: 100000, maxConcurrentCalls: 100 } },
      audit: { file: join(dir, 'audit.jsonl') },
      log: { level: 'warn' },
    }),
  );
  return { dir, path };
}

async function client(url) {
  const transport = new StreamableHTTPClientTransport(new URL(url));
  const c = new Client({ name: 'soak', version: '1' });
  await c.connect(transport);
  return { c, transport };
}

/** One session's work: 200 calls for its own user; returns [errors, foreign results]. */
let runs = 0;

async function work(url, i, calls) {
  const run = ++runs;
  const { c, transport } = await client(url);
  const user = `u${String(i).padStart(3, '0')}`;
  let errors = 0;
  let foreign = 0;
  let n = 0;
  const call = async (name, args) => {
    n++;
    const r = await c.callTool({ name, arguments: args });
    if (r.isError) {
      errors++;
      return undefined;
    }
    return r.structuredContent;
  };
  const mine = (s) => {
    if (s && s.user !== undefined && s.user !== user) foreign++;
  };
  // Odd users toggle do-not-disturb; everyone calls an even user (who never does), so no call meets a DND on
  // purpose. Each caller hangs up exactly the call it placed, by id, through the token flow.
  const even = (2 * i + 2) % USERS;
  const peer = String(3000 + (even === i ? (even + 2) % USERS : even));
  let placed;
  while (n < calls) {
    const step = n % 10;
    if (step < 4 || step === 9 || (step === 5 && i % 2 === 0)) mine(await call('get_active_call', { user }));
    else if (step === 4) {
      const q = await call('list_queue', { queue: `q${i % 10}` });
      if (q && q.queue !== `q${i % 10}`) foreign++;
    } else if (step === 5) mine(await call('set_dnd', { user, enabled: n % 20 === 5 }));
    else if (step === 6) {
      const name = `Soak ${i}-${n}-${run}`;
      const created = await call('manage_contacts', { action: 'create', user, contact: { lastname: name } });
      if (created && created.contact?.lastname !== name) foreign++;
    } else if (step === 7) {
      placed = (await call('place_call', { user, to: peer }))?.call_id;
    } else if (step === 8) {
      if (!placed) {
        mine(await call('get_active_call', { user }));
        continue;
      }
      const ask = await call('hangup', { user, call_id: placed });
      if (ask?.status === 'confirmation_required') {
        const done = await call('hangup', { user, call_id: placed, confirm_token: ask.confirm_token });
        if (done && done.status !== 'done') errors++;
      } else errors++;
      placed = undefined;
    }
  }
  await transport.terminateSession().catch(() => {});
  await c.close();
  return { errors, foreign, calls: n };
}

export async function soak({ sessions = 100, calls = 200 } = {}) {
  const config = soakConfig();
  const server = await startHttp('ours', config);
  // Baseline: after one warm-up round of sessions that open and close.
  await Promise.all(Array.from({ length: 10 }, (_, i) => work(server.url, i, 20)));
  await new Promise((r) => setTimeout(r, 3000));
  const baseline = rssMb(server.child.pid);
  const started = Date.now();
  const results = await Promise.all(Array.from({ length: sessions }, (_, i) => work(server.url, i, calls)));
  const seconds = (Date.now() - started) / 1000;
  const peak = rssMb(server.child.pid);
  let after = peak;
  // Give the collector time: RSS should settle back near the baseline.
  const settle = [];
  for (let i = 0; i < 90 && after > baseline * 1.1; i++) {
    await new Promise((r) => setTimeout(r, 1000));
    after = rssMb(server.child.pid);
    if (i % 10 === 9) settle.push(after.toFixed(0));
  }
  const health = await (await fetch(server.url.replace('/mcp', '/healthz'))).json();
  await server.stop();
  const total = results.reduce((a, r) => a + r.calls, 0);
  const errors = results.reduce((a, r) => a + r.errors, 0);
  const foreign = results.reduce((a, r) => a + r.foreign, 0);
  return {
    title: `Load and soak: ${sessions} concurrent HTTP sessions x ${calls} calls, mixed reads and token-confirmed actions on the sim PBX`,
    sessionsLeft: health.sessions,
    settle,
    header: ['calls', 'seconds', 'calls/s', 'errors', 'results for another session', 'RSS baseline MB', 'RSS peak MB', 'RSS after MB', 'after vs baseline'],
    rows: [[total, seconds.toFixed(1), (total / seconds).toFixed(0), errors, foreign, baseline.toFixed(1), peak.toFixed(1), after.toFixed(1), `${(((after - baseline) / baseline) * 100).toFixed(1)}%`]],
    ok: errors === 0 && foreign === 0 && after <= baseline * 1.1,
  };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const r = await soak();
  console.table(r.rows.map((row) => Object.fromEntries(r.header.map((h, i) => [h, row[i]]))));
  console.log('sessions still open on the server after the clients closed:', r.sessionsLeft, '; RSS every 10 s while idle:', r.settle.join(' '));
  process.exitCode = r.ok ? 0 : 1;
}
