/**
 * The `ipbx` backend: Taridium ipbx over its IPPS interfaces, read-only and polled. It reads the states of the
 * configured channels (one merged channelinfo query for all of them) and the calls of each configured queue
 * (one queueactive query per queue). Every query is cached for `pollIntervalMs` and concurrent reads share one
 * fetch, so any number of sessions, tool calls and subscribers cost one request per query per interval; the
 * resource watcher polls no faster than that either (minPollIntervalMs). Everything else is unsupported: IPPS
 * only reads, and Taridium's URL Control module (click-to-call, forwarding) has undocumented replies.
 */
import type { Backend, Capability, Operations } from '../backend.js';
import { BackendError } from '../../errors.js';
import type { QueueStatus } from '../model.js';
import type { Clock } from '../../util/clock.js';
import { systemClock } from '../../util/clock.js';
import type { BackendType, BackendDeps, BackendShared } from '../types.js';
import { IpbxConfig } from './config.js';
import { readCaFile } from '../tls.js';
import type { Logger } from '../../log.js';
import type { CacheClock, PollSource } from '../polls.js';
import { localShared } from '../shared.js';
import { IppsClient, encodeChannel } from './client.js';
import {
  callKeys,
  channelResource,
  channelRowsToCalls,
  parseChannelInfo,
  parseQueueActive,
  queueRowsToStatus,
  type ChannelRow,
} from './codec.js';


/** The base URL the client appends /ipps/... to (a url given down to /ipps is accepted too). */
export function ippsBase(url: string): string {
  const u = new URL(url);
  u.pathname = u.pathname.replace(/\/+$/, '').replace(/\/ipps$/i, '') || '/';
  return u.href;
}

/** A query string stays well under common URL limits (8 KB): more channels go in more requests. */
const MAX_CHANNEL_QUERY = 1800;

function channelGroups(channels: readonly string[]): string[][] {
  const groups: string[][] = [];
  let cur: string[] = [];
  let len = 0;
  for (const c of channels) {
    const n = encodeChannel(c).length + 1;
    if (cur.length && len + n > MAX_CHANNEL_QUERY) {
      groups.push(cur);
      cur = [];
      len = 0;
    }
    cur.push(c);
    len += n;
  }
  if (cur.length) groups.push(cur);
  return groups;
}

interface ChannelSnapshot {
  rows: ChannelRow[];
  /** Calls the PBX listed without a unique id: when each was first seen (any server's reading), for a stable startedAt. */
  firstSeen: [key: string, at: number][];
}

export class IpbxBackend implements Backend {
  readonly type = 'ipbx';
  readonly userModel = 'many' as const;
  readonly capabilities: ReadonlySet<Capability>;
  readonly minPollIntervalMs: number;
  readonly defaultUser: string | undefined;
  private readonly watched: string[];
  private readonly groups: string[][];
  private readonly userMap: Map<string, string[]>;
  private readonly internal: Set<string>;
  private readonly queues: string[];
  private readonly channelCache: PollSource<ChannelSnapshot>;
  private readonly queueCache: PollSource<QueueStatus>;
  /** The last snapshot read (fetched here or by another server): where firstSeen times are carried forward from. */
  private lastSnapshot: ChannelSnapshot | undefined;
  private readonly closing = new AbortController();

  constructor(
    readonly name: string,
    config: IpbxConfig,
    private readonly client: IppsClient,
    private readonly clock: CacheClock,
    private readonly log: Logger,
    shared?: BackendShared,
  ) {
    this.defaultUser = config.defaultUser;
    this.userMap = new Map(Object.entries(config.userChannels).map(([u, c]) => [u, typeof c === 'string' ? [c] : [...new Set(c)]]));
    this.watched = [...new Set([...config.channels, ...[...this.userMap.values()].flat()])];
    this.groups = channelGroups(this.watched);
    this.internal = new Set(this.watched.map(channelResource));
    this.queues = [...new Set(config.queues)];
    const caps: Capability[] = [];
    if (this.watched.length) caps.push('activeCalls');
    if (this.queues.length) caps.push('listQueue', 'listQueues');
    this.capabilities = new Set(caps);
    this.minPollIntervalMs = config.pollIntervalMs;
    // Shared by the deployment's servers when there are several: the vendor's floor then holds for all of them.
    const scope = `ipps ${ippsBase(config.url)} ${config.username ?? ''}`;
    const polls = <T>(what: string): PollSource<T> =>
      (shared ?? localShared).polls<T>(`${scope} ${what}`, config.pollIntervalMs, { clock, maxWaitMs: config.timeoutMs + config.pollIntervalMs, log });
    this.channelCache = polls<ChannelSnapshot>(`channels ${this.watched.join(',')}`);
    this.queueCache = polls<QueueStatus>('queues');
  }

  /** The channels of `user`: a userChannels entry, a watched channel named as such, or its resource ("4003"). */
  private channelsOf(user: string): string[] {
    const mapped = this.userMap.get(user);
    if (mapped) return mapped;
    const direct = this.watched.filter((c) => c.toLowerCase() === user.toLowerCase() || channelResource(c) === user);
    if (direct.length) return direct;
    const known = [...this.userMap.keys()];
    throw new BackendError('not_found', `no channel is configured for user "${user}"`, {
      hint: known.length
        ? `Known users: ${known.slice(0, 20).join(', ')}. Map more users to channels in userChannels in the telephony-mcp config; without a user, every watched call is shown.`
        : 'Map users to channels in userChannels in the telephony-mcp config; without a user, every watched call is shown.',
    });
  }

  private async readChannels(signal?: AbortSignal): Promise<ChannelSnapshot> {
    const snap = await this.channelCache.get('channels', () => this.fetchChannels(), signal);
    this.lastSnapshot = snap;
    return snap;
  }

  private async fetchChannels(): Promise<ChannelSnapshot> {
    const signal = this.closing.signal;
    const parts = await Promise.all(
      this.groups.map(async (g) => {
        const parsed = parseChannelInfo(await this.client.channelInfo(g, signal), g);
        if (parsed.malformed) this.log.warn('ignored IPPS channel lines that are not channel rows', { lines: parsed.malformed });
        return parsed.rows;
      }),
    );
    const rows = parts.flat();
    // Calls without a unique id keep the time they were first seen (carried from the last snapshot); those that are
    // gone are forgotten.
    const now = this.clock.now();
    const before = new Map(this.lastSnapshot?.firstSeen);
    const firstSeen = new Map<string, number>();
    const all = callKeys(rows);
    rows.forEach((r, i) => {
      if (r.uniqueId !== undefined || r.state === 'down') return;
      const k = all[i]!;
      firstSeen.set(k, before.get(k) ?? firstSeen.get(k) ?? now);
    });
    return { rows, firstSeen: [...firstSeen] };
  }

  activeCalls: Operations['activeCalls'] = async (a, o) => {
    const perspective = a.user === undefined ? undefined : new Set(this.channelsOf(a.user));
    const snap = await this.readChannels(o?.signal);
    return channelRowsToCalls(snap.rows, { now: this.clock.now(), perspective, internal: this.internal, firstSeen: new Map(snap.firstSeen) });
  };

  listQueue: Operations['listQueue'] = (a, o) => {
    if (!this.queues.includes(a.queue)) {
      return Promise.reject(
        new BackendError('not_found', `queue "${a.queue}" is not one of the queues configured for this PBX`, {
          hint: `Configured queues: ${this.queues.join(', ')}. Add it to \`queues\` in the telephony-mcp config if it exists on the ipbx.`,
        }),
      );
    }
    return this.queueCache.get(
      a.queue,
      async () => {
        const parsed = parseQueueActive(await this.client.queueActive(a.queue, this.closing.signal));
        if (parsed.malformed) this.log.warn('ignored IPPS queue lines that are not queue rows', { queue: a.queue, lines: parsed.malformed });
        return queueRowsToStatus(a.queue, parsed.rows);
      },
      o?.signal,
    );
  };

  listQueues: Operations['listQueues'] = () => Promise.resolve([...this.queues]);

  knownUsers(): Promise<string[]> {
    return Promise.resolve([...this.userMap.keys()]);
  }

  async close(): Promise<void> {
    this.closing.abort();
    this.channelCache.clear();
    this.queueCache.clear();
    await this.client.close();
  }
}

function cacheClock(deps: BackendDeps): CacheClock {
  const c = deps.clock as Partial<Clock> | undefined;
  return c && typeof c.now === 'function' ? (c as CacheClock) : systemClock;
}

export const ipbxType: BackendType<typeof IpbxConfig> = {
  type: 'ipbx',
  config: IpbxConfig,
  create(name, config, deps) {
    if (config.defaultUser !== undefined && !(config.defaultUser in config.userChannels)) {
      const inChannels = [...config.channels, ...Object.values(config.userChannels).flat()].some(
        (c) => c === config.defaultUser || channelResource(c) === config.defaultUser,
      );
      if (!inChannels) {
        throw new Error(
          `pbxes.${name}.defaultUser: "${config.defaultUser}" has no channel: map it in userChannels ` +
            `(users: ${Object.keys(config.userChannels).join(', ') || 'none'})`,
        );
      }
    }
    const ca = config.caFile ? readCaFile(name, config.caFile, deps.baseDir) : undefined;
    const client = new IppsClient({
      pbx: name,
      baseUrl: ippsBase(config.url),
      timeoutMs: config.timeoutMs,
      log: deps.log,
      username: config.username,
      password: config.password,
      ca,
      rejectUnauthorized: config.insecureTls ? false : undefined,
    });
    return new IpbxBackend(name, config, client, cacheClock(deps), deps.log, deps.shared);
  },
};
