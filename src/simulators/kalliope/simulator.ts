/**
 * A Kalliope KCTI4 desktop client over the sim engine: HTTPS with a certificate generated at start, acting for
 * one engine user (the agent logged in to the "client"), checking username and pwd_md5 on every request, and
 * answering every command of the vendor doc, in the doc's own (malformed) style or as well-formed XML.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createHash } from 'node:crypto';
import { EngineError, type CallView, type PbxEngine } from '../engine/engine.js';
import { type SimRequest, type SimResponse, type SimServer, startSimServer } from '../kit.js';
import type { RunningSimulator, SimulatorDef, SimulatorOptions } from '../types.js';
import { selfSignedCertificate } from '../../util/selfsigned.js';
import { isLoopbackUrl } from '../../util/net.js';
import { formatWallClock } from '../../util/time.js';
import { currentCall } from '../../backends/current-call.js';
import { KCTI_COMMANDS, type KctiCommandName, type ResponseStyle, type SimAnswer, readRequest, renderAnswer } from './wire.js';

export interface KalliopeSimOptions extends SimulatorOptions {
  /** The engine user logged in to this client (default: the scenario's first user). */
  agent?: string;
  /** Credentials the client accepts (default: the agent's id, and "kalliope"). */
  username?: string;
  password?: string;
  /** Or the MD5 of the password only (e.g. the doc samples' 353f9bfab2d01dbb1db343fdaf9ab02e). */
  passwordMd5?: string;
  /** 'doc' (default): answers exactly like the vendor doc's samples; 'wellformed': proper XML. */
  style?: ResponseStyle;
  /** Commands this client version lacks (answered with code 12), e.g. queuedCallsInfo for an old client. */
  without?: KctiCommandName[];
  /** Time zone of oldest_arrival (the PBX's local time; default: this machine's). */
  timeZone?: string;
}

export interface RunningKalliopeSimulator extends RunningSimulator {
  /** The generated certificate (PEM), for a caFile. */
  certPem: string;
  agent: string;
  username: string;
  /** Undefined when the simulator was given only the MD5. */
  password: string | undefined;
  style: ResponseStyle;
}

/** Not the vendor's name: a password is masked wherever it appears in results, and a PBX is often named so. */
export const DEFAULT_SIM_PASSWORD = 'kalliope-sim';

const MESSAGES = {
  0: 'Success',
  10: 'Error \u2013 Authentication failed',
  11: 'Invalid request',
  12: 'Unknown command',
} as const;


/** "YYYY-MM-DD HH:MM:SS" in `timeZone`, as the Kalliope client writes oldest_arrival. */
export function localTime(iso: string, timeZone?: string): string {
  return formatWallClock(Date.parse(iso), timeZone);
}

/** The agent's current call as the client shows it: the shared rule (current-call.ts). */
function agentCall(engine: PbxEngine, agent: string): CallView | undefined {
  return currentCall(engine.listCalls(agent));
}

/** activeCallInfo's fields for a call of `agent`: the remote party, and the number that was called. */
function activeCallData(engine: PbxEngine, agent: string, c: CallView): [string, string][] {
  const outbound = c.fromUser === agent;
  const remote = outbound ? c.to : c.from;
  const called = outbound ? c.to.number : c.queue ? (engine.findQueue(c.queue)?.number ?? c.to.number) : c.to.number;
  return [
    ['uid', c.id],
    ['remote_num', remote.number],
    ['remote_name', remote.name ?? ''],
    ['called_num', called],
    ['is_answered', c.answered ? '1' : '0'],
  ];
}

export interface KalliopeHandlerOptions {
  agent: string;
  username: string;
  pwdMd5: string;
  style: ResponseStyle;
  without: readonly string[];
  timeZone?: string | undefined;
}

/** The client's request handler over `engine` (exported so tests can wrap it). */
export function kalliopeHandler(engine: PbxEngine, o: KalliopeHandlerOptions) {
  const expectedMd5 = o.pwdMd5.toLowerCase();
  const answer = (a: SimAnswer): SimResponse => ({
    status: 200,
    headers: { 'content-type': 'application/xml' },
    body: renderAnswer(a, o.style),
  });
  const fixed = (command: string | undefined, code: 10 | 11 | 12, message: string = MESSAGES[code]) => answer({ command, code, message });

  return (req: SimRequest): SimResponse => {
    if (req.path !== '/') return { status: 404, headers: { 'content-type': 'text/plain' }, body: 'Not Found' };
    if (req.method !== 'POST') return { status: 405, headers: { 'content-type': 'text/plain', allow: 'POST' }, body: 'Method Not Allowed' };
    if (!/^(application|text)\/xml\b/i.test(req.headers['content-type'] ?? '')) return fixed(undefined, 11);
    const request = readRequest(req.body);
    if (!request) return fixed(undefined, 11);
    const { command, fields } = request;
    if (!fields) return fixed(command, 11);
    const field = (k: string): string | undefined => fields.get(k);
    const username = field('username');
    const pwd = field('pwd_md5');
    if (username === undefined || pwd === undefined) return fixed(command, 11);
    if (username !== o.username || pwd.toLowerCase() !== expectedMd5) return fixed(command, 10);
    if (!(KCTI_COMMANDS as readonly string[]).includes(command!) || o.without.includes(command!)) return fixed(command, 12);
    const cmd = command as KctiCommandName;

    const flag = (k: string) => (field(k) === '1' ? true : field(k) === '0' ? false : undefined);
    const need = (k: string) => {
      const v = field(k)?.trim();
      return v ? v : undefined;
    };
    const ok = (data?: [string, string][], sample?: SimAnswer['sample']) => answer({ command, code: 0, message: MESSAGES[0], data, sample });
    try {
      switch (cmd) {
        case 'pauseQueues': {
          const paused = flag('paused');
          if (paused === undefined) return fixed(command, 11);
          engine.pauseQueues(o.agent, paused);
          return ok();
        }
        case 'setDND': {
          const on = flag('DND');
          if (on === undefined) return fixed(command, 11);
          engine.setDnd(o.agent, on);
          return ok();
        }
        case 'click2call': {
          const n = need('number_to_call');
          if (!n) return fixed(command, 11);
          engine.placeCall(o.agent, n);
          return ok();
        }
        case 'hangupcall': {
          const cur = agentCall(engine, o.agent);
          if (!cur) return answer({ command, code: 1, message: 'No active calls' });
          engine.hangup(o.agent, cur.id);
          return ok();
        }
        case 'transfercall':
        case 'attendedTransferCall': {
          const to = need('xferTo');
          if (!to) return fixed(command, 11);
          const cur = agentCall(engine, o.agent);
          if (!cur) return answer({ command, code: 1, message: 'No active calls' });
          if (cmd === 'transfercall') engine.transferBlind(o.agent, cur.id, to);
          else engine.transferAttended(o.agent, cur.id, to);
          return ok();
        }
        case 'activeCallInfo': {
          const cur = agentCall(engine, o.agent);
          if (!cur) return answer({ command, code: 1, message: 'No active calls', sample: 'noActiveCall' });
          return ok(activeCallData(engine, o.agent, cur), 'activeCall');
        }
        case 'queuedCallsInfo': {
          const name = need('queue_name');
          if (!name) return fixed(command, 11);
          const q = engine.findQueue(name);
          if (!q) return answer({ command, code: 1, message: 'No such queue', sample: 'noSuchQueue' });
          const s = engine.queueStatus(q.name);
          const oldest = s.oldestArrival ? localTime(s.oldestArrival, o.timeZone) : '';
          return ok([['queued_calls', String(s.waitingCount)], ['oldest_arrival', oldest]], 'queue');
        }
      }
    } catch (e) {
      if (!(e instanceof EngineError)) throw e;
      // The doc defines no codes for a refused action: 11 for a bad value, else the command-specific 1.
      if (e.code === 'invalid') return fixed(command, 11, `${MESSAGES[11]}: ${e.message}`);
      return answer({ command, code: 1, message: e.message });
    }
  };
}

export async function startKalliopeSimulator(opts: KalliopeSimOptions): Promise<RunningKalliopeSimulator> {
  const { engine } = opts;
  const agent = opts.agent ?? engine.listUsers()[0]?.id;
  if (agent === undefined || !engine.findUser(agent)) {
    throw new Error(`kalliope simulator: agent "${agent ?? ''}" is not a user of the scenario (users: ${engine.listUsers().map((u) => u.id).join(', ')})`);
  }
  const host = opts.host ?? '127.0.0.1';
  const username = opts.username ?? agent;
  const password = opts.passwordMd5 !== undefined ? opts.password : (opts.password ?? DEFAULT_SIM_PASSWORD);
  // KCTI4's pwd_md5: the lowercase hex MD5 of the UTF-8 password.
  const pwdMd5 = opts.passwordMd5 ?? createHash('md5').update(password!, 'utf8').digest('hex');
  const style = opts.style ?? 'doc';
  const altNames = ['127.0.0.1', '::1', 'localhost'];
  if (!altNames.includes(host) && host !== '0.0.0.0' && host !== '::') altNames.push(host);
  const tls = selfSignedCertificate({ commonName: 'Kalliope KCTI4 simulator', altNames });
  const server: SimServer = await startSimServer({
    host,
    port: opts.port ?? 0,
    tls,
    handle: kalliopeHandler(engine, { agent, username, pwdMd5, style, without: opts.without ?? [], timeZone: opts.timeZone }),
  });
  // On loopback insecureTls is allowed and survives a restart (a new certificate); elsewhere trust the certificate.
  let certDir: string | undefined;
  const trust: Record<string, unknown> = {};
  if (isLoopbackUrl(server.url)) trust.insecureTls = true;
  else {
    certDir = mkdtempSync(join(tmpdir(), 'kalliope-sim-'));
    trust.caFile = join(certDir, 'kalliope-sim.pem');
    writeFileSync(trust.caFile as string, tls.cert);
  }
  return {
    server,
    certPem: tls.cert,
    agent,
    username,
    password,
    style,
    configExample: { type: 'kalliope', url: server.url, username, ...(password !== undefined ? { password } : { passwordMd5: pwdMd5 }), ...trust },
    async close() {
      await server.close();
      if (certDir) rmSync(certDir, { recursive: true, force: true });
    },
  };
}

export const kalliopeSimulator: SimulatorDef = {
  vendor: 'kalliope',
  description: 'Kalliope KCTI4 desktop client API',
  defaultPort: 5039,
  readings: {
    doc: "answers shaped like the doc's samples (root closed with <kpbx_response>, tags without their slash)",
    wellformed: 'answers as well-formed XML',
  } satisfies Record<ResponseStyle, string>,
  start: ({ reading, ...opts }) => startKalliopeSimulator({ ...opts, style: reading === 'wellformed' ? 'wellformed' : 'doc' }),
};
