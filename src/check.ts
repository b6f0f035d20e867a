/**
 * `telephony-mcp check [--config FILE]`: contact every configured PBX the way the server will, before any tool call
 * does: is its address reachable, does its TLS certificate verify with the configured trust, are the credentials
 * accepted, and does one harmless read work. Prints a table and what to do about each failure; exit status 0
 * only when every PBX passes. Nothing is changed on any PBX.
 */
import { connect as tcpConnect } from 'node:net';
import { isIP } from 'node:net';
import { connect as tlsConnect } from 'node:tls';
import type { Backend } from './backends/backend.js';
import { isTelephonyError } from './errors.js';
import { describeError } from './wording.js';
import { backendType, createBackends, PbxHandle } from './backends/registry.js';
import { readCaFile } from './backends/tls.js';
import type { Config } from './config.js';
import { silentLogger } from './log.js';
import { counted } from './util/words.js';

/** One column of the table: passed, failed, or not applicable / not tried. */
interface Cell {
  state: 'ok' | 'fail' | 'n/a';
  text: string;
}

export interface PbxCheck {
  pbx: string;
  type: string;
  reach: Cell;
  tls: Cell;
  login: Cell;
  read: Cell;
  /** What failed and what to do, for each failed column. */
  problems: string[];
  ok: boolean;
}

const ok = (text: string): Cell => ({ state: 'ok', text });
const fail = (text: string): Cell => ({ state: 'fail', text });
const na = (text = '-'): Cell => ({ state: 'n/a', text });

const errorText = (e: unknown): string => (isTelephonyError(e) ? describeError(e) : e instanceof Error ? e.message : String(e));

/** Open a TCP connection to host:port and close it: "reachable" in the plainest sense. */
function reach(host: string, port: number, timeoutMs: number): Promise<Cell & { why?: string }> {
  return new Promise((resolve) => {
    const socket = tcpConnect({ host, port });
    const done = (c: Cell & { why?: string }) => {
      socket.destroy();
      resolve(c);
    };
    socket.setTimeout(timeoutMs, () => done({ ...fail('no answer'), why: `nothing answered on ${host}:${port} within ${timeoutMs / 1000} s (a firewall, or the wrong address)` }));
    socket.once('connect', () => done(ok(`${host}:${port}`)));
    socket.once('error', (e: NodeJS.ErrnoException) => {
      const why =
        e.code === 'ECONNREFUSED'
          ? `nothing listens on ${host}:${port} (is the PBX API, or the desktop client, running? is the port right?)`
          : e.code === 'ENOTFOUND' || e.code === 'EAI_AGAIN'
            ? `the host name ${host} does not resolve`
            : `cannot connect to ${host}:${port} (${e.code ?? e.message})`;
      done({ ...fail(e.code === 'ECONNREFUSED' ? 'refused' : (e.code ?? 'error').toLowerCase()), why });
    });
  });
}

/** A TLS handshake with the trust the PBX entry configures (caFile, or insecureTls on loopback). */
function handshake(host: string, port: number, ca: string | undefined, insecure: boolean, timeoutMs: number): Promise<Cell & { why?: string }> {
  return new Promise((resolve) => {
    const socket = tlsConnect({
      host,
      port,
      ...(isIP(host) ? {} : { servername: host }),
      ...(ca ? { ca } : {}),
      rejectUnauthorized: !insecure,
    });
    const done = (c: Cell & { why?: string }) => {
      socket.destroy();
      resolve(c);
    };
    socket.setTimeout(timeoutMs, () => done({ ...fail('no handshake'), why: `no TLS handshake with ${host}:${port} within ${timeoutMs / 1000} s (is it an https port?)` }));
    socket.once('secureConnect', () => done(insecure ? ok('not verified (insecureTls)') : ok(ca ? 'verified (caFile)' : 'verified')));
    socket.once('error', (e: NodeJS.ErrnoException) => {
      const code = e.code ?? 'error';
      const why = /CERT|SELF_SIGNED|UNABLE_TO_VERIFY|ALTNAME/.test(code)
        ? `the certificate of ${host}:${port} is not trusted (${code}): set caFile to the PBX's certificate (or its CA), or insecureTls: true for a loopback url`
        : `TLS with ${host}:${port} failed (${code}): is it an https port?`;
      done({ ...fail(code.toLowerCase()), why });
    });
  });
}

/** One read that changes nothing, among those this PBX has, and what its answer says (errors attributed to it). */
async function harmlessRead(h: PbxHandle, signal: AbortSignal): Promise<{ what: string; result: string } | undefined> {
  const o = { signal };
  const user = h.defaultUser;
  if (h.can('activeCalls')) return { what: 'active calls', result: counted((await h.op('activeCalls')({}, o)).length, 'call') };
  // A queue read asks the PBX (the list of queue names may come from the config alone).
  if (h.can('listQueue') && h.can('listQueues')) {
    const [queue] = await h.op('listQueues')(o);
    if (queue !== undefined) return { what: `queue ${queue}`, result: `${(await h.op('listQueue')({ queue }, o)).waitingCount} waiting` };
  }
  if (h.can('listExtensions')) return { what: 'extensions', result: counted((await h.op('listExtensions')(o)).length, 'extension') };
  if (h.can('contacts')) return { what: 'contacts', result: counted((await h.contacts().list({ user }, o)).length, 'contact') };
  if (h.can('history') && user !== undefined) {
    return { what: `history of ${user}`, result: counted((await h.op('history')({ user, size: 1 }, o)).length, 'entry', 'entries') };
  }
  return undefined;
}

/** Check one PBX entry. Never throws: every failure lands in the result. */
export async function checkPbx(name: string, entry: Config['pbxes'][string], config: Pick<Config, 'baseDir'>): Promise<PbxCheck> {
  const r: PbxCheck = { pbx: name, type: entry.type, reach: na(), tls: na(), login: na(), read: na(), problems: [], ok: false };
  const bt = backendType(entry.type);
  let parsed: Record<string, unknown>;
  try {
    parsed = bt!.config.parse(entry) as Record<string, unknown>;
  } catch (e) {
    r.problems.push(errorText(e));
    return r;
  }
  const timeoutMs = Math.min(Number(parsed.timeoutMs ?? 10_000), 10_000);
  if (typeof parsed.url === 'string') {
    const u = new URL(parsed.url);
    const host = u.hostname.replace(/^\[|\]$/g, '');
    const port = Number(u.port || (u.protocol === 'https:' ? 443 : 80));
    const reached = await reach(host, port, timeoutMs);
    r.reach = reached;
    if (reached.why) {
      r.problems.push(`not reachable: ${reached.why}`);
      return r;
    }
    if (u.protocol === 'https:') {
      let ca: string | undefined;
      try {
        ca = typeof parsed.caFile === 'string' ? readCaFile(name, parsed.caFile, config.baseDir) : undefined;
      } catch (e) {
        r.tls = fail('caFile unreadable');
        r.problems.push(errorText(e));
        return r;
      }
      const tls = await handshake(host, port, ca, parsed.insecureTls === true, timeoutMs);
      r.tls = tls;
      if (tls.why) {
        r.problems.push(`TLS: ${tls.why}`);
        return r;
      }
    } else r.tls = na('none (http)');
  } else r.reach = ok(entry.type === 'sim' ? 'in-memory' : 'local');

  let backend: Backend | undefined;
  const signal = AbortSignal.timeout(timeoutMs * 3);
  try {
    // The sim's demo traffic is of no use to a check: its timers would only hold the process.
    [backend] = await createBackends({ [name]: entry.type === 'sim' ? { ...entry, traffic: false } : entry }, { log: silentLogger, baseDir: config.baseDir });
    const h = new PbxHandle(backend!);
    // A backend that logs in before its first request (XiVO) can be asked to now: the credentials on their own.
    const login = (backend as { connect?: () => Promise<void> }).connect;
    if (typeof login === 'function') {
      try {
        await login.call(backend);
      } catch (e) {
        throw h.attribute(e, true);
      }
      r.login = ok('accepted');
    }
    const read = await harmlessRead(h, signal);
    if (read) {
      r.read = ok(`${read.what}: ${read.result}`);
      if (r.login.state === 'n/a') {
        r.login = entry.type === 'sim' ? na('-') : entry.type === 'xcally' ? na('none (the phone bar has no login)') : ok('accepted');
      }
    } else {
      r.read = na('none without a user');
      r.problems.push(`no harmless read without a user: set defaultUser for PBX ${name} so the check can read its history`);
    }
  } catch (e) {
    if (isTelephonyError(e) && e.kind === 'auth') {
      r.login = fail('refused');
      r.problems.push(`credentials: ${errorText(e)}`);
    } else {
      r.read = fail(isTelephonyError(e) ? e.kind : 'error');
      r.problems.push(`read: ${errorText(e)}`);
    }
  } finally {
    await backend?.close().catch(() => {});
  }
  r.ok = r.problems.length === 0;
  return r;
}

export async function checkAll(config: Config): Promise<PbxCheck[]> {
  return Promise.all(Object.entries(config.pbxes).map(([name, entry]) => checkPbx(name, entry, config)));
}

/** The table a person reads, then one line per problem. */
export function formatChecks(checks: readonly PbxCheck[], source: string): string {
  const header = ['PBX', 'type', 'reachable', 'TLS', 'credentials', 'read', 'result'];
  const mark = (c: Cell) => (c.state === 'fail' ? `FAIL ${c.text}` : c.text);
  const rows = checks.map((c) => [c.pbx, c.type, mark(c.reach), mark(c.tls), mark(c.login), mark(c.read), c.ok ? 'ok' : 'FAILED']);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]) => cells.map((c, i) => c.padEnd(widths[i]!)).join('  ').trimEnd();
  const failed = checks.filter((c) => !c.ok);
  return [
    `Checking the PBXs of ${source}:`,
    '',
    line(header),
    line(widths.map((w) => '-'.repeat(w))),
    ...rows.map(line),
    '',
    ...failed.flatMap((c) => c.problems.map((p) => `${c.pbx}: ${p}`)),
    failed.length ? `${counted(failed.length, 'PBX', 'PBXs')} of ${checks.length} failed.` : `All ${counted(checks.length, 'PBX', 'PBXs')} passed.`,
    '',
  ].join('\n');
}
