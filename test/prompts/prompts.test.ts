/** The prompts' text as a model receives it: resource URIs filled in for the PBX, unknown PBXs refused. */
import { describe, expect, it } from 'vitest';
import { ALL_PROMPTS, PromptArgumentError, queueReport, returnMissedCalls, transferToColleague, type PromptContext } from '../../src/prompts/index.js';

const where: PromptContext = { pbxes: ['demo', 'lab'], defaultPbx: 'demo', defaultUser: (p) => (p === 'demo' ? 'alice' : undefined) };

describe('prompts', () => {
  it('fill pbx://{pbx}/... with the PBX named, or the default one, never leaving a placeholder for it', () => {
    expect(queueReport.render({ pbx: 'lab' }, where)).toContain('pbx://lab/queues resource');
    expect(queueReport.render({}, where)).toContain('pbx://demo/queues resource');
    expect(transferToColleague.render({ colleague: 'Carol', pbx: 'lab' }, where)).toContain('pbx://lab/extensions');
    expect(returnMissedCalls.render({ pbx: 'lab', user: 'bob' }, where)).toContain('pbx://lab/history/bob');
    expect(returnMissedCalls.render({}, where)).toContain('pbx://demo/history/alice');
    for (const p of ALL_PROMPTS) {
      for (const args of [{}, { pbx: 'lab' }]) expect(p.render({ colleague: 'Carol', ...args }, where), p.name).not.toContain('{pbx}');
    }
  });

  it('refuse a PBX that is not configured, naming the ones that are', () => {
    for (const p of ALL_PROMPTS) {
      expect(() => p.render({ colleague: 'Carol', pbx: 'nope' }, where), p.name).toThrow(PromptArgumentError);
      expect(() => p.render({ colleague: 'Carol', pbx: 'nope' }, where)).toThrow(
        'pbx: there is no PBX named "nope"; the configured PBXs are demo, lab (leave pbx out for demo)',
      );
    }
    expect(new PromptArgumentError('x').code).toBe(-32602);
  });

  it('queue_report works from the agents and pauses list_queue reports, and says when there are none', () => {
    const text = queueReport.render({ queue: 'sales' }, where);
    expect(text).toMatch(/`members`.*who is paused/);
    expect(text).toMatch(/If `members` is null, say that this PBX does not report its agents or their pauses, and do not guess/);
  });
});
