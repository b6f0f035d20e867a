/**
 * A Taridium ipbx IPPS simulator over the sim engine: /ipps/channelinfo.php and /ipps/queueactive.php answer
 * exactly as the vendor doc's samples (no header, no quoting, empty optional positions, text served as PHP
 * serves it: text/html), with the documented ERROR lines, optional HTTP Basic and IPPSRequireSSL, country
 * names for res_cc=1 (best effort, as the doc says), and switches for the variants real servers may show
 * (CRLF line ends, a connected queue call listed WAITING then CONNECTED).
 *
 * An idle channel is where the doc can be read three ways ("expect either the channel name and/or the keyword
 * down, depending on whether the useid GET argument has been set"): `idleLine` picks one, and the default is the
 * least convenient for a reader, the channel name alone.
 * Every engine user is a channel SIP/<extension>.
 */
import type { PbxEngine } from '../engine/engine.js';
import { startSimServer, type SimRequest, type SimResponse, type SimServer } from '../kit.js';
import type { SimulatorDef } from '../types.js';
import { loadedPlan, loadNumberingPlan } from '../../safety/numbering.js';
import { basicAuth } from '../../util/basic-auth.js';

/** The two IPPS pages the doc describes (channelinfo.php, queueactive.php), under its /ipps/ directory. */
const CHANNEL_PATH = '/ipps/channelinfo.php';
const QUEUE_PATH = '/ipps/queueactive.php';

/**
 * The readings of an idle channel the doc allows: 'name' the channel name alone (`SIP/4002`), 'down' the keyword
 * alone, 'sample' both as in the doc's sample (`SIP/4002,down,,,,`).
 */
export const IDLE_LINES = ['name', 'down', 'sample'] as const;
export type IdleLine = (typeof IDLE_LINES)[number];

export interface IpbxSimOptions {
  engine: PbxEngine;
  host?: string | undefined;
  port?: number | undefined;
  /** Serve HTTPS with this key and certificate. */
  tls?: { key: string | Buffer; cert: string | Buffer } | undefined;
  /** IPPSUser / IPPSPassword: HTTP Basic required when set. */
  auth?: { username: string; password: string } | undefined;
  /** IPPSRequireSSL: plain HTTP queries answer ERROR: SSL QUERY REQUIRED. */
  requireSSL?: boolean;
  /** IPPSEnabled = FALSE: every IPPS URL answers a web page. */
  disabled?: boolean;
  /** Line end of the CSV (default LF). */
  lineEnding?: '\n' | '\r\n';
  /** HTTP status of ERROR answers (undocumented; default 200, as a PHP page that prints the error). */
  errorStatus?: number;
  /** How an idle channel answers with useid=1 (default 'name'; without useid it is always `down`). */
  idleLine?: IdleLine;
  /** A connected queue call is listed WAITING and then CONNECTED, as in the doc's sample (default true). */
  repeatWaiting?: boolean;
  /** Time zone of ENTERED (default UTC). */
  timeZone?: string;
  /** $cfg['DefaultCountryID'] (default Switzerland, as in the doc's sample). */
  defaultCountry?: string;
  /** $cfg['DomesticNumberMaxLen'] (default 9: the sample's 9-digit numbers resolve to the default country). */
  domesticMaxLen?: number;
}

export interface IpbxSimulator {
  server: SimServer;
  url: string;
  /** The channel name of an engine user (SIP/<extension>). */
  channelOf(user: string): string;
  close(): Promise<void>;
}

/** Names as the ipbx lists them where they differ from plain English region names (and may hold a comma). */
const COUNTRY_NAMES: Record<string, string> = {
  KR: 'Korea, Republic of',
  KP: "Korea, Democratic People's Republic of",
  IR: 'Iran, Islamic Republic of',
  TZ: 'Tanzania, United Republic of',
  MD: 'Moldova, Republic of',
  VE: 'Venezuela, Bolivarian Republic of',
  BO: 'Bolivia, Plurinational State of',
  CD: 'Congo, The Democratic Republic of the',
  GB: 'United Kingdom',
  RU: 'Russian Federation',
};
const ZONE_NAMES: Record<string, string> = { '1': 'North America and Caribbean' };

let regionNames: Intl.DisplayNames | undefined;

/** COUNTRY_NAME for a caller ID, best effort, as the doc describes: undefined when no lookup applies. */
export function countryName(callerId: string, o: { defaultCountry: string; domesticMaxLen: number }): string | undefined {
  const s = callerId.replace(/[\s().-]/g, '');
  // Non-numeric caller IDs ("unknown", "private", "restricted") are not looked up.
  if (!/^(\+|00)?[0-9]+$/.test(s)) return undefined;
  const international = s.startsWith('+') || s.startsWith('00');
  const digits = s.replace(/^(\+|00)/, '');
  if (!international && digits.length <= o.domesticMaxLen) return o.defaultCountry;
  // The numbering plan is loaded when the simulator starts (startIpbxSimulator).
  const { parse, phoneUtil } = loadedPlan();
  const regionOf = (code: string) => phoneUtil.getRegionCodeForCountryCode(Number(code)) as string;
  const p = parse(`+${digits}`);
  const code = p?.countryCallingCode ?? [3, 2, 1].map((n) => digits.slice(0, n)).find((c) => regionOf(c) !== 'ZZ');
  if (code && ZONE_NAMES[code]) return ZONE_NAMES[code];
  const main = code === undefined ? undefined : regionOf(code);
  const region = p?.country ?? (main === 'ZZ' || main === '001' ? undefined : main);
  if (!region) return o.defaultCountry;
  regionNames ??= new Intl.DisplayNames(['en'], { type: 'region' });
  return COUNTRY_NAMES[region] ?? regionNames.of(region) ?? region;
}

/** A value in an unquoted IPPS line: as is (commas included), only line breaks flattened. */
function cell(v: string | undefined): string {
  return (v ?? '').replace(/[\r\n]+/g, ' ');
}

const HTML = { 'content-type': 'text/html; charset=UTF-8' };

function page(status: number, title: string, text: string): SimResponse {
  return {
    status,
    headers: HTML,
    body: `<!DOCTYPE html>\n<html><head><title>${title}</title></head><body><h1>${title}</h1><p>${text}</p></body></html>\n`,
  };
}

export function ipbxHandler(o: IpbxSimOptions): (req: SimRequest) => SimResponse {
  const e = o.engine;
  const eol = o.lineEnding ?? '\n';
  const country = { defaultCountry: o.defaultCountry ?? 'Switzerland', domesticMaxLen: o.domesticMaxLen ?? 9 };
  const hhmmss = new Intl.DateTimeFormat('en-GB', {
    timeZone: o.timeZone ?? 'UTC',
    hour: '2-digit',
    minute: '2-digit',
    second: '2-digit',
    hourCycle: 'h23',
  });
  const expected = o.auth ? basicAuth(o.auth.username, o.auth.password) : undefined;

  const text = (lines: string[]): SimResponse => ({
    status: 200,
    headers: HTML, // PHP's default content type, whatever the script prints
    body: lines.length ? `${lines.join(eol)}${eol}` : '',
  });
  const error = (what: string): SimResponse => ({
    status: o.errorStatus ?? 200,
    headers: { ...HTML, ...(o.errorStatus === 401 && what === 'AUTHENTICATION FAILED' ? { 'www-authenticate': 'Basic realm="IPPS"' } : {}) },
    body: `ERROR: ${what}`,
  });

  const channelLines = (channel: string, useid: boolean): string[] => {
    const u = e.findUser(channel.slice(channel.indexOf('/') + 1));
    const prefix = useid ? [channel] : [];
    const reading = useid ? (o.idleLine ?? 'name') : 'down';
    const idle = [reading === 'name' ? channel : reading === 'down' ? 'down' : `${channel},down,,,,`];
    if (!u || !channel.includes('/')) return idle;
    const lines: string[] = [];
    for (const c of e.listCalls(u.id)) {
      const caller = c.fromUser === u.id;
      let state: string | undefined;
      if (c.participants) state = 'up';
      else if (c.state === 'connected' || c.state === 'on_hold') state = 'up';
      else if (c.state === 'ringing' || c.state === 'dialing') state = caller ? 'ring' : 'ringing';
      else if (c.state === 'queued' && caller) state = 'ring';
      if (!state) continue; // parked: the channel has left the call
      const account = c.fromKind === 'user' ? `${c.from.number}@default` : '';
      lines.push([...prefix, state, cell(c.from.number), cell(c.from.name), account, c.id].join(','));
    }
    return lines.length ? lines : idle;
  };

  const queueLines = (name: string, resCc: boolean): string[] => {
    const q = e.findQueue(name);
    if (!q) return [];
    const lines: string[] = [];
    for (const c of e.queueStatus(q.name).calls) {
      const entered = c.enteredAt ? hhmmss.format(new Date(c.enteredAt)) : '';
      const cc = resCc ? [c.caller ? cell(countryName(c.caller, country)) : ''] : [];
      const head = [c.id, cell(c.caller), ...cc];
      if (c.status === 'connected') {
        if (o.repeatWaiting ?? true) lines.push([...head, 'WAITING', entered, '', ''].join(','));
        lines.push([...head, 'CONNECTED', entered, String(c.waitedSeconds ?? 0), c.agent ? `SIP/${c.agent}` : ''].join(','));
      } else {
        lines.push([...head, 'WAITING', entered, '', ''].join(','));
      }
    }
    return lines;
  };

  return (req) => {
    if (req.path !== CHANNEL_PATH && req.path !== QUEUE_PATH) return page(404, 'Not Found', 'The requested URL was not found on this server.');
    if (req.method !== 'GET' && req.method !== 'HEAD') return page(405, 'Method Not Allowed', 'Use GET.');
    if (o.disabled) return page(200, 'ipbx', 'IPPS is disabled on this system.');
    if (o.requireSSL && !o.tls) return error('SSL QUERY REQUIRED');
    if (expected && req.headers.authorization !== expected) return error('AUTHENTICATION FAILED');
    if (req.path === CHANNEL_PATH) {
      const channels = (req.query.get('channel') ?? '').split(',').map((c) => c.trim()).filter(Boolean);
      if (!channels.length) return error('NO CHANNEL SUPPLIED');
      const useid = req.query.get('useid') === '1';
      return text(channels.flatMap((c) => channelLines(c, useid)));
    }
    const queues = (req.query.get('queue_name') ?? '').split(',').map((q) => q.trim()).filter(Boolean);
    if (!queues.length) return error('NO QUEUE NAME SUPPLIED');
    const resCc = req.query.get('res_cc') === '1';
    return text(queues.flatMap((q) => queueLines(q, resCc)));
  };
}

export async function startIpbxSimulator(o: IpbxSimOptions): Promise<IpbxSimulator> {
  await loadNumberingPlan();
  const server = await startSimServer({
    handle: ipbxHandler(o),
    ...(o.host !== undefined ? { host: o.host } : {}),
    ...(o.port !== undefined ? { port: o.port } : {}),
    ...(o.tls ? { tls: o.tls } : {}),
  });
  return {
    server,
    url: server.url,
    channelOf: (user) => `SIP/${o.engine.user(user).extension}`,
    close: () => server.close(),
  };
}

/** A config entry for telephony-mcp pointing at a simulator over `engine`. */
export function ipbxConfigFor(engine: PbxEngine, url: string): Record<string, unknown> {
  const users = engine.listUsers();
  return {
    type: 'ipbx',
    url,
    channels: users.map((u) => `SIP/${u.extension}`),
    queues: engine.queueNames(),
    userChannels: Object.fromEntries(users.map((u) => [u.id, `SIP/${u.extension}`])),
  };
}

export const ipbxSimulator: SimulatorDef = {
  vendor: 'ipbx',
  description: 'Taridium ipbx IPPS (channelinfo.php, queueactive.php)',
  defaultPort: 8080,
  readings: {
    name: 'an idle channel answers its name alone (SIP/4002)',
    down: 'an idle channel answers the keyword down alone',
    sample: 'an idle channel answers as the doc sample (SIP/4002,down,,,,)',
  } satisfies Record<IdleLine, string>,
  // With a password, IPPS requires HTTP Basic (IPPSUser "ipps"), as an ipbx with $cfg['IPPSPassword'] set does.
  async start({ engine, host, port, password, reading }) {
    const auth = password ? { username: 'ipps', password } : undefined;
    const idleLine = IDLE_LINES.find((r) => r === reading) ?? 'name';
    const sim = await startIpbxSimulator({ engine, host, port, auth, idleLine });
    return { server: sim.server, configExample: { ...ipbxConfigFor(engine, sim.url), ...auth }, close: () => sim.close() };
  },
};
