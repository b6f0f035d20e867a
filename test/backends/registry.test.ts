/**
 * The PBX handle is the one way to a backend: it attributes every error of a backend to its PBX (no backend does
 * it by hand), turns an untyped error into one a model can act on, and words it for the PBX at hand.
 */
import { describe, expect, it } from 'vitest';
import type { Backend } from '../../src/backends/backend.js';
import { PbxHandle, PbxRouter } from '../../src/backends/registry.js';
import { ArgumentError, BackendError, isTelephonyError } from '../../src/errors.js';
import { describeError } from '../../src/wording.js';

function backend(over: Partial<Backend> = {}): Backend {
  return {
    name: 'desk',
    type: 'fake',
    userModel: 'many',
    capabilities: new Set(['activeCalls', 'setDnd', 'history']),
    activeCalls: () => Promise.reject(new BackendError('not_found', 'no such call', { about: 'call' })),
    setDnd: () => Promise.reject(new Error('socket hang up')),
    history: () => Promise.resolve([]),
    close: () => Promise.resolve(),
    ...over,
  };
}

async function thrown(p: Promise<unknown>) {
  try {
    await p;
  } catch (e) {
    if (isTelephonyError(e)) return e;
    throw e;
  }
  throw new Error('expected a failure');
}

describe('PbxHandle', () => {
  it('names its PBX on a typed error the backend threw without it', async () => {
    const e = await thrown(new PbxHandle(backend()).op('activeCalls')({}));
    expect(e).toMatchObject({ kind: 'not_found', pbx: 'desk', pbxType: 'fake' });
    expect(describeError(e, new PbxHandle(backend()))).toBe('PBX `desk` (fake): no such call. get_active_call shows the current calls and their ids.');
  });

  it('types an untyped error: an action may have happened (never retried), a read was not done', async () => {
    const act = await thrown(new PbxHandle(backend()).op('setDnd')({ enabled: true }));
    expect(act).toMatchObject({ kind: 'outcome_unknown', pbx: 'desk' });
    const h = new PbxHandle(backend({ history: () => Promise.reject(new Error('boom')) }));
    expect(await thrown(h.op('history')({}))).toMatchObject({ kind: 'unavailable', pbx: 'desk' });
  });

  it('sends a model to what this PBX can show after an action of unknown outcome', async () => {
    const noCalls = new PbxHandle(backend({ capabilities: new Set(['setDnd', 'history']) }));
    const e = await thrown(noCalls.op('setDnd')({ enabled: true }));
    expect(describeError(e, noCalls)).toMatch(/Do not retry: .*Check the current state \(call_history, or ask the user\) first\.$/);
    expect(describeError(e, new PbxHandle(backend()))).toMatch(/Check the current state \(get_active_call\) first\.$/);
  });

  it('refuses a user of a PBX that acts only as its own login, or one the PBX does not have, as an argument error', () => {
    const self = new PbxHandle(backend({ userModel: 'self', defaultUser: 'agent7' }));
    expect(() => self.user('bob')).toThrow(ArgumentError);
    const many = new PbxHandle(backend({ canonicalUser: (u) => (u === 'alice' ? 'alice' : undefined) }));
    expect(() => many.user('nobody')).toThrow(expect.objectContaining({ kind: 'not_found', pbx: 'desk' }));
    expect(many.user('alice')).toBe('alice');
    expect(() => new PbxRouter([backend()], 'desk').get('other')).toThrow(ArgumentError);
  });
});
