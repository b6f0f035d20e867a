/** The per-PBX resources: calls, extensions, history of a user, a queue, parking, favorites, and the PBX's capabilities. */
import { listQueueSummaries, readQueue } from '../backends/queues.js';
import { CAPABILITY_LABELS } from '../backends/registry.js';
import { fillTemplate, listed, type ResourceDef } from './define.js';
import { favoritesResource } from './favorites.js';
import { parkingResource } from './parking.js';

/** Listing every user or queue of a big PBX would flood resources/list; templates still reach the rest. */
const LIST_CAP = 100;

export const callsResource: ResourceDef = {
  name: 'calls',
  title: 'Active calls',
  description: 'Every active call this PBX shows (JSON: {pbx, calls: Call[]}). Subscribe to be told when calls change.',
  template: 'pbx://{pbx}/calls',
  requires: 'activeCalls',
  everyUser: true,
  list: (pbx) => Promise.resolve([{ uri: fillTemplate('pbx://{pbx}/calls', { pbx: pbx.name }), name: `${pbx.name} calls`, title: `Active calls on ${pbx.name}` }]),
  async read(pbx, _vars, signal) {
    const calls = await pbx.op('activeCalls')({ user: undefined }, { signal });
    return { pbx: pbx.name, ...listed('calls', calls) };
  },
  affectedBy: (c) => c.topic === 'calls',
};

export const extensionsResource: ResourceDef = {
  name: 'extensions',
  title: 'Extensions',
  description:
    'Users, queues and attendants of this PBX with their state: online, do-not-disturb, and for users their call ' +
    'forwarding and queue pauses where the PBX reports them (JSON: {pbx, extensions: Extension[], notReported?}). A PBX ' +
    "reached through the agent's desktop client lists only the agent's own extension.",
  template: 'pbx://{pbx}/extensions',
  requires: 'listExtensions',
  list: (pbx) =>
    Promise.resolve([{ uri: fillTemplate('pbx://{pbx}/extensions', { pbx: pbx.name }), name: `${pbx.name} extensions`, title: `Extensions of ${pbx.name}` }]),
  async read(pbx, _vars, signal) {
    const extensions = await pbx.op('listExtensions')({ signal });
    // Say what the PBX leaves out: a user without `forward` is not a user without forwards.
    const users = extensions.filter((e) => e.kind === 'user');
    const unknown = [
      ...(users.some((e) => e.forward) ? [] : ['call forwarding']),
      ...(users.some((e) => e.queues) ? [] : ['queue memberships and pauses']),
    ];
    return {
      pbx: pbx.name,
      ...listed('extensions', extensions),
      ...(users.length && unknown.length ? { notReported: `this PBX does not report ${unknown.join(' or ')} of its users` } : {}),
    };
  },
  affectedBy: (c) => c.topic === 'extensions',
};

export const historyResource: ResourceDef = {
  name: 'history',
  title: 'Call history of a user',
  description: "A user's recent calls, newest first (JSON: {pbx, user, entries: HistoryEntry[]}).",
  template: 'pbx://{pbx}/history/{user}',
  requires: 'history',
  async list(pbx) {
    const users = (await pbx.knownUsers()) ?? (pbx.defaultUser ? [pbx.defaultUser] : []);
    return users.slice(0, LIST_CAP).map((user) => ({
      uri: fillTemplate('pbx://{pbx}/history/{user}', { pbx: pbx.name, user }),
      name: `${pbx.name} history ${user}`,
      title: `Call history of ${user} on ${pbx.name}`,
    }));
  },
  async read(pbx, vars, signal) {
    const user = pbx.user(vars.user);
    const entries = await pbx.op('history')({ user }, { signal });
    return { pbx: pbx.name, user: vars.user, ...listed('entries', entries) };
  },
  affectedBy: (c, vars) => c.topic === 'history' && c.user === vars.user,
};

export const queuesResource: ResourceDef = {
  name: 'queues',
  title: 'Call queues',
  description:
    "This PBX's call queues (JSON: {pbx, queues: [{name, waitingCount?, members}], membersNote?}); through an agent's " +
    "desktop client, the agent's own queues. members lists each agent with whether they are paused, or is null where the " +
    'PBX does not report agents. Read one queue with list_queue or the pbx://{pbx}/queues/{queue} resource where the PBX can.',
  template: 'pbx://{pbx}/queues',
  requires: 'listQueues',
  list: (pbx) => Promise.resolve([{ uri: fillTemplate('pbx://{pbx}/queues', { pbx: pbx.name }), name: `${pbx.name} queues`, title: `Call queues of ${pbx.name}` }]),
  async read(pbx, _vars, signal) {
    const { total, ...summaries } = await listQueueSummaries(pbx, LIST_CAP, signal);
    return {
      pbx: pbx.name,
      ...summaries,
      total,
      ...(total > summaries.queues.length ? { truncated: `showing ${summaries.queues.length} of ${total} queues; read one with list_queue` } : {}),
    };
  },
  // Pauses, DND and calls in a queue change what it shows.
  affectedBy: (c) => c.topic === 'queue' || c.topic === 'extensions',
};

export const queueResource: ResourceDef = {
  name: 'queue',
  title: 'A call queue',
  description: "Who waits in a queue, who was connected, and the queue's agents with their pauses (JSON: the list_queue result).",
  template: 'pbx://{pbx}/queues/{queue}',
  requires: 'listQueue',
  async list(pbx) {
    if (!pbx.can('listQueues')) return [];
    const queues = await pbx.op('listQueues')();
    return queues.slice(0, LIST_CAP).map((queue) => ({
      uri: fillTemplate('pbx://{pbx}/queues/{queue}', { pbx: pbx.name, queue }),
      name: `${pbx.name} queue ${queue}`,
      title: `Queue ${queue} on ${pbx.name}`,
    }));
  },
  async read(pbx, vars, signal) {
    const report = await readQueue(pbx, vars.queue!, signal);
    return { pbx: pbx.name, ...report, ...listed('calls', report.calls) };
  },
  affectedBy: (c, vars) => (c.topic === 'queue' && c.queue === vars.queue) || c.topic === 'extensions',
};

export const capabilitiesResource: ResourceDef = {
  name: 'capabilities',
  title: 'What a PBX can do',
  description: 'The type of this PBX and the operations it supports (JSON).',
  template: 'pbx://{pbx}/capabilities',
  list: (pbx) =>
    Promise.resolve([{ uri: fillTemplate('pbx://{pbx}/capabilities', { pbx: pbx.name }), name: `${pbx.name} capabilities`, title: `What ${pbx.name} can do` }]),
  read(pbx) {
    return Promise.resolve({
      pbx: pbx.name,
      type: pbx.type,
      ...(pbx.defaultUser ? { defaultUser: pbx.defaultUser } : {}),
      actsFor: pbx.userModel === 'self' ? `only its own login${pbx.defaultUser ? ` (${pbx.defaultUser})` : ''}` : 'any user of the PBX',
      capabilities: pbx.capabilities,
      can: pbx.capabilities.map((c) => CAPABILITY_LABELS[c]),
    });
  },
  affectedBy: () => false,
};

export const PBX_RESOURCES: readonly ResourceDef[] = [
  callsResource,
  extensionsResource,
  historyResource,
  queuesResource,
  queueResource,
  parkingResource,
  favoritesResource,
  capabilitiesResource,
];
