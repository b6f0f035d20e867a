/**
 * A simulator of the xCALLY phone bar API v2 over the sim engine: the phone bar of one engine user (the agent),
 * serving every documented method as `GET /xcally/svc/{method}[/{param}]` (JSON) and
 * `GET /xcally/svc/{method}/xml[/{param}]` (XML), in the documented shapes. A switch makes it quote JSON with
 * the typographic quotes of the vendor's own sample, as a sloppy real install might.
 *
 * Where the doc can be read several ways, `reading` picks one (XCALLY_READINGS), so that an adapter is tested
 * against each, never against the simulator's own guess:
 * - status: the only status word the doc shows is ACTIVE. 'active' sends it for every row (ringing, held,
 *   dialing alike); 'words' sends ACTIVE for a connected call and HOLD, RINGING, DIALING... for the others.
 * - extension: the doc never says what a row's `extension` is. 'other' makes it the other party, which is also
 *   the number that names the call in hangup/, holding/, channel/ and conference/; 'own' makes it the agent's
 *   own line, and those paths then take that number too and act on the agent's first call (the phone bar acts
 *   on its line, not on a call).
 * - answer: the method list writes `answer`, the conference recipe `answer/A`. 'bare' knows only the first
 *   (answer/{n} is 404); 'both' answers that call with the second.
 *
 * Undocumented behaviour, chosen here and kept simple: any engine refusal is HTTP 200 with response "false";
 * an unknown method or path is HTTP 404; the legs of a conference are rows sharing the call's uniqueid;
 * `holding` with no call of the agent named toggles the agent's pause in all their queues (with no parameter,
 * or any number while the agent has no call); the shapes of `recents`, `queues` and `peer` (undocumented)
 * reuse the channel row style.
 */
import type { SimRequest, SimResponse } from '../kit.js';
import { startSimServer } from '../kit.js';
import type { CallView, PbxEngine, UserView } from '../engine/engine.js';
import { EngineError, normalizeDialString } from '../engine/engine.js';
import type { CallState, Party } from '../../backends/model.js';
import type { RunningSimulator, SimulatorDef, SimulatorOptions } from '../types.js';

/** The phone bar API v2 methods the doc lists, and its two answer formats (JSON, or XML after /xml). */
type Method = 'originate' | 'answer' | 'hangup' | 'holding' | 'channels' | 'channel' | 'recents' | 'queues' | 'peer' | 'transfer' | 'atxfer' | 'conference' | 'reload';
type Dialect = 'json' | 'xml';

type Value = string | number;
type Row = Record<string, Value>;

/** One reading of what the doc leaves open (see the module comment). */
export interface XcallyReading {
  status: 'words' | 'active';
  extension: 'other' | 'own';
  answer: 'both' | 'bare';
}

/** The named readings `simulate xcally --reading` and the contract suite use; the first is the default. */
export const XCALLY_READINGS = {
  doc: {
    reading: { status: 'active', extension: 'other', answer: 'bare' },
    description: 'every row says ACTIVE (the only status the doc shows), extension is the other party, only the bare answer',
  },
  'own-line': {
    reading: { status: 'active', extension: 'own', answer: 'bare' },
    description: "every row says ACTIVE and extension is the agent's own line, which paths then take too",
  },
  words: {
    reading: { status: 'words', extension: 'other', answer: 'both' },
    description: 'HOLD, RINGING, DIALING... besides ACTIVE, extension is the other party, answer and answer/{number}',
  },
} as const satisfies Record<string, { reading: XcallyReading; description: string }>;
export type XcallyReadingName = keyof typeof XCALLY_READINGS;

export interface XcallySimOptions extends Omit<SimulatorOptions, 'reading'> {
  /** The engine user (login or extension) logged in at this phone bar; default: the scenario's first user. */
  agent?: string;
  /** Quote JSON like the vendor's sample (U+201C/U+201D, U+2033 after digits). */
  typographicQuotes?: boolean;
  /** Which reading of the doc to take (a name of XCALLY_READINGS, or one spelled out); default 'doc'. */
  reading?: XcallyReadingName | XcallyReading;
}

export interface XcallySimulator extends RunningSimulator {
  /** The engine user id of the agent. */
  readonly agent: string;
  /** The reading of the doc it takes. */
  readonly reading: XcallyReading;
  setTypographicQuotes(on: boolean): void;
}

const STATUS: Record<CallState, string> = {
  connected: 'ACTIVE',
  on_hold: 'HOLD',
  ringing: 'RINGING',
  dialing: 'DIALING',
  queued: 'QUEUED',
  parked: 'PARKED',
  unknown: 'UNKNOWN',
};

/** Asterisk-style dispositions for recents, from the engine's history status. */
function disposition(status: string, seconds: number, outgoing: boolean): string {
  if (status === 'busy') return 'BUSY';
  if (status === 'failed') return 'FAILED';
  if (status === 'missed') return 'NO ANSWER';
  if (outgoing) return seconds > 0 ? 'ANSWERED' : 'NO ANSWER';
  return status === 'answered' ? 'ANSWERED' : status.toUpperCase();
}

function escapeXml(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&apos;');
}

/** The XML dialect, spaced like the vendor's sample; `event` is written `evt` as there. */
export function xmlAnswer(method: string, ok: boolean, rows: Row[]): string {
  const ns = 'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xmlns:xsd="http://www.w3.org/2001/XMLSchema"';
  const row = (r: Row) =>
    ` <row> ${Object.entries(r)
      .map(([k, v]) => {
        const tag = k === 'event' ? 'evt' : k;
        const s = String(v);
        return s === '' ? `<${tag}/>` : `<${tag}>${escapeXml(s)}</${tag}>`;
      })
      .join(' ')} </row>`;
  return `<root ${ns}> <method>${escapeXml(method)}</method> <response>${ok}</response>${rows.map(row).join('')} </root>`;
}

export function jsonAnswer(method: string, ok: boolean, rows: Row[]): string {
  return JSON.stringify({ method, response: ok ? 'true' : 'false', rows });
}

/** JSON as the vendor's sample writes it: “ after "{", ” everywhere else, ″ closing a number written as a string. */
export function typographic(json: string): string {
  return json
    .replace(/"/g, '\u201D')
    .replace(/\{\u201D/g, '{\u201C')
    .replace(/(:\u201D\+?[0-9][0-9.]*)\u201D/g, '$1\u2033');
}

type Param = 'none' | 'required' | 'optional';

export async function startXcallySimulator(opts: XcallySimOptions): Promise<XcallySimulator> {
  const engine: PbxEngine = opts.engine;
  const agentId = opts.agent ?? engine.listUsers()[0]?.id;
  if (agentId === undefined) throw new Error('xcally simulator: the scenario has no user to log in at the phone bar');
  const agent = engine.user(agentId).id;
  let typo = opts.typographicQuotes ?? false;
  const reading: XcallyReading =
    typeof opts.reading === 'object' ? { ...opts.reading } : { ...XCALLY_READINGS[opts.reading ?? 'doc'].reading };
  const ownLine = reading.extension === 'own';

  const me = (): UserView => engine.user(agent);
  const same = (a: string, b: string) => normalizeDialString(a) === normalizeDialString(b);

  /** The other parties of a call of the agent (several in a conference). */
  const farParties = (c: CallView, u: UserView): Party[] =>
    c.participants ? c.participants.filter((p) => p.number !== u.extension) : [c.fromUser === u.id ? c.to : c.from];

  const channelRows = (filter?: string): Row[] => {
    const u = me();
    const rows: Row[] = [];
    const only = filter === undefined ? undefined : callByNumber(filter);
    if (filter !== undefined && !only) return rows;
    for (const c of engine.listCalls(u.id)) {
      if (only && c.id !== only.id) continue;
      for (const p of farParties(c, u)) {
        if (filter !== undefined && !ownLine && !same(p.number, filter)) continue;
        rows.push({
          extension: ownLine ? u.extension : p.number,
          queue: c.queue ?? '',
          calldata: '',
          channel: `SIP/${u.extension}-${c.id.replace(/[^0-9]/g, '').slice(-8).padStart(8, '0')}`,
          event: '',
          uniqueid: c.id,
          status: reading.status === 'active' ? 'ACTIVE' : STATUS[c.state],
          duration: c.durationSeconds,
          codec: 'PCMU',
        });
      }
    }
    return rows;
  };

  /**
   * The agent's call named by `n`: the one with that other party, or (reading 'own') the agent's first call
   * when `n` is the agent's own line. `among` narrows the calls (answer: the ringing ones).
   */
  const callByNumber = (n: string | undefined, among?: (c: CallView) => boolean): CallView | undefined => {
    if (n === undefined) return undefined;
    const u = me();
    const calls = engine.listCalls(u.id).filter((c) => !among || among(c));
    if (ownLine) return same(n, u.extension) ? calls[0] : undefined;
    return calls.find((c) => farParties(c, u).some((p) => same(p.number, n)));
  };

  const needCall = (n: string | undefined): CallView => {
    const c = callByNumber(n);
    if (!c) throw new EngineError('not_found', `no call with ${n} at this phone bar`);
    return c;
  };

  const methods: Record<Method, { param: Param; run: (p: string | undefined) => Row[] }> = {
    originate: { param: 'required', run: (n) => (engine.placeCall(agent, n!), []) },
    answer: {
      param: reading.answer === 'both' ? 'optional' : 'none',
      run: (n) => {
        if (n === undefined) engine.answer(agent);
        else {
          const c = callByNumber(n, (x) => x.state === 'ringing' && x.toUser === agent);
          if (!c) throw new EngineError('not_found', `no call from ${n} is ringing at this phone bar`);
          engine.answer(agent, c.id);
        }
        return [];
      },
    },
    hangup: {
      param: 'required',
      run: (n) => {
        const c = needCall(n);
        // A conference leg by its number; on the agent's own line the agent leaves the call.
        if (c.participants && c.participants.length > 2 && !ownLine) engine.dropParticipant(c.id, n!);
        else engine.hangup(agent, c.id);
        return [];
      },
    },
    holding: {
      param: 'optional',
      run: (n) => {
        const c = callByNumber(n);
        if (c) engine.hold(agent, c.id);
        else if (engine.listCalls(agent).length === 0) {
          // "or move on to the Pause status an agent not on a call": a toggle as well.
          const queues = me().queues;
          engine.pauseQueues(agent, !(queues.length > 0 && queues.every((q) => q.paused)));
        } else throw new EngineError('not_found', `no call with ${n} at this phone bar`);
        return [];
      },
    },
    channels: { param: 'none', run: () => channelRows() },
    channel: {
      param: 'required',
      run: (n) => {
        const rows = channelRows(n);
        if (!rows.length) throw new EngineError('not_found', `no channel with ${n}`);
        return rows;
      },
    },
    recents: {
      param: 'none',
      run: () => {
        const u = me();
        return engine.history(u.id, { size: 50 }).map((h) => {
          const outgoing = h.from === u.extension;
          return {
            extension: outgoing ? h.to : h.from,
            type: outgoing ? 'outgoing' : 'incoming',
            calldate: h.start,
            duration: h.durationSeconds,
            status: disposition(h.status, h.durationSeconds, outgoing),
          };
        });
      },
    },
    queues: {
      param: 'none',
      run: () =>
        me().queues.map((q) => ({
          queue: q.queue,
          extension: engine.findQueue(q.queue)?.number ?? '',
          status: q.paused ? 'PAUSED' : 'READY',
          waiting: engine.queueStatus(q.queue).waitingCount,
        })),
    },
    peer: {
      param: 'none',
      run: () => {
        const u = me();
        return [{ extension: u.extension, name: u.name ?? '', status: u.online ? 'OK' : 'UNREACHABLE', dnd: String(u.dnd) }];
      },
    },
    transfer: { param: 'required', run: (n) => (engine.transferBlind(agent, undefined, n!), []) },
    atxfer: { param: 'required', run: (n) => (engine.transferAttended(agent, undefined, n!), []) },
    conference: { param: 'required', run: (n) => (engine.conference(agent, needCall(n).id), []) },
    reload: { param: 'none', run: () => [] },
  };

  const reply = (status: number, method: string, ok: boolean, rows: Row[], dialect: Dialect): SimResponse => {
    if (dialect === 'xml') {
      return { status, headers: { 'content-type': 'application/xml; charset=utf-8' }, body: xmlAnswer(method, ok, rows) };
    }
    const json = jsonAnswer(method, ok, rows);
    return { status, headers: { 'content-type': 'application/json; charset=utf-8' }, body: typo ? typographic(json) : json };
  };

  const handle = (req: SimRequest): SimResponse => {
    const prefix = '/xcally/svc/';
    if (!req.path.startsWith(prefix)) return reply(404, '', false, [], 'json');
    const segs = req.path.slice(prefix.length).split('/');
    const name = segs.shift() ?? '';
    let dialect: Dialect = 'json';
    if (segs[0] === 'xml') {
      dialect = 'xml';
      segs.shift();
    }
    const spec = Object.hasOwn(methods, name) ? methods[name as Method] : undefined;
    if (!spec || segs.length > 1) return reply(404, name, false, [], dialect);
    if (req.method !== 'GET') return { ...reply(405, name, false, [], dialect), headers: { allow: 'GET' } };
    let param: string | undefined;
    try {
      param = segs[0] ? decodeURIComponent(segs[0]) : undefined;
    } catch {
      return reply(400, name, false, [], dialect);
    }
    if (spec.param === 'none' && param !== undefined) return reply(404, name, false, [], dialect);
    if (spec.param === 'required' && param === undefined) return reply(200, name, false, [], dialect);
    try {
      return reply(200, name, true, spec.run(param), dialect);
    } catch (e) {
      if (e instanceof EngineError) return reply(200, name, false, [], dialect);
      throw e;
    }
  };

  const server = await startSimServer({ host: opts.host, port: opts.port, handle });
  return {
    server,
    agent,
    reading,
    configExample: { type: 'xcally', url: server.url, agent: me().extension },
    setTypographicQuotes: (on) => void (typo = on),
    close: () => server.close(),
  };
}

function isReadingName(r: string | undefined): r is XcallyReadingName {
  return r !== undefined && Object.hasOwn(XCALLY_READINGS, r);
}

export const xcallySimulator: SimulatorDef = {
  vendor: 'xcally',
  description: 'xCALLY phone bar API v2 (the phone bar of the scenario\'s first user)',
  defaultPort: 9888,
  readings: Object.fromEntries(Object.entries(XCALLY_READINGS).map(([k, v]) => [k, v.description])),
  start: ({ reading, ...opts }) => startXcallySimulator({ ...opts, ...(isReadingName(reading) ? { reading } : {}) }),
};
