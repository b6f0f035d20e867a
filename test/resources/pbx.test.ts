/** The per-PBX resources as a person checks what an assistant did: pauses, forwards and queue agents are visible. */
import { afterEach, describe, expect, it } from 'vitest';
import type { Backend, Capability } from '../../src/backends/backend.js';
import { PbxHandle } from '../../src/backends/registry.js';
import { extensionsResource, queueResource, queuesResource } from '../../src/resources/pbx.js';
import { ALL_TOOLS } from '../../src/tools/index.js';
import { env, testApp, type TestApp } from '../helpers/app.js';

let t: TestApp;
afterEach(() => t?.close());

const run = async (name: string, args: Record<string, unknown>) => {
  const r = await t.app.runner.run(ALL_TOOLS.find((x) => x.name === name)!, args, env());
  if (!r.ok) throw new Error(r.message);
};

describe('what the sim PBX shows in its resources', () => {
  it('pbx://{pbx}/extensions: each user forwarding and queue pauses, as set by the tools', async () => {
    t = await testApp({ safety: { confirm: 'off', dialPolicy: { defaultCountry: 'IT' } } });
    await run('pause_queues', { paused: true, reason: 'lunch' });
    await run('set_forward', { kind: 'busy', enabled: true, destination: '202' });
    const pbx = t.app.pbxes.get('office');
    const body = (await extensionsResource.read(pbx, { pbx: 'office' })) as { extensions: Record<string, unknown>[]; notReported?: string };
    expect(body.notReported).toBeUndefined();
    expect(body.extensions.find((e) => e.id === 'alice')).toEqual({
      id: 'alice',
      number: '201',
      name: 'Alice',
      kind: 'user',
      online: true,
      dnd: false,
      forward: { busy: '202' },
      queues: [{ queue: 'sales', paused: true, reason: 'lunch' }],
    });
    expect(body.extensions.find((e) => e.id === 'bob')).toMatchObject({ forward: {}, queues: [{ queue: 'support', paused: false }] });
  });

  it('pbx://{pbx}/queues and pbx://{pbx}/queues/{queue}: the agents of each queue and who is paused', async () => {
    t = await testApp({ safety: { confirm: 'off', dialPolicy: { defaultCountry: 'IT' } } });
    await run('pause_queues', { user: 'dave', paused: true });
    const pbx = t.app.pbxes.get('office');
    const list = (await queuesResource.read(pbx, { pbx: 'office' })) as { queues: { name: string; members: { user: string; paused: boolean }[] }[] };
    expect(list.queues.map((q) => q.name)).toEqual(['support', 'sales']);
    expect(list.queues[1]!.members.map((m) => [m.user, m.paused])).toEqual([['dave', true], ['alice', false]]);
    expect(await queueResource.read(pbx, { pbx: 'office', queue: 'sales' })).toMatchObject({
      queue: 'sales',
      members: [{ user: 'dave', paused: true }, { user: 'alice', paused: false }],
    });
    expect(queuesResource.affectedBy({ topic: 'extensions' }, {})).toBe(true);
  });
});

describe('what a PBX that cannot tell shows', () => {
  const namesOnly: Backend = {
    name: 'bar',
    type: 'fake',
    userModel: 'self',
    capabilities: new Set<Capability>(['listQueues', 'listExtensions']),
    listQueues: () => Promise.resolve(['sales']),
    listExtensions: () => Promise.resolve([{ id: '201', number: '201', kind: 'user', online: true }]),
    close: () => Promise.resolve(),
  };

  it('says members are unknown (null and a note), never an empty list', async () => {
    const body = await queuesResource.read(new PbxHandle(namesOnly), { pbx: 'bar' });
    expect(body).toEqual({ pbx: 'bar', queues: [{ name: 'sales', members: null }], membersNote: expect.stringMatching(/does not report queue members/), total: 1 });
  });

  it('says forwarding and pauses are not reported, rather than showing users without them', async () => {
    const body = await extensionsResource.read(new PbxHandle(namesOnly), { pbx: 'bar' });
    expect(body).toMatchObject({ notReported: 'this PBX does not report call forwarding or queue memberships and pauses of its users' });
  });
});
