/** A small scenario for tests: fast answers, two queues, a parking lot of three slots. */
import { ManualClock } from '../../src/util/clock.js';
import { PbxEngine } from '../../src/simulators/engine/engine.js';
import { parseScenario, type ScenarioInput } from '../../src/simulators/engine/scenario.js';

export const TEST_SCENARIO: ScenarioInput = {
  name: 'test',
  answerAfterMs: 1000,
  ringTimeoutMs: 20000,
  parking: { firstSlot: 701, slots: 3 },
  users: [
    { id: 'alice', name: 'Alice', extension: '201' },
    { id: 'bob', name: 'Bob', extension: '202' },
    { id: 'carol', name: 'Carol', extension: '203' },
    { id: 'dave', name: 'Dave', extension: '204', answer: 'manual' },
    { id: 'erin', name: 'Erin', extension: '205', online: false },
  ],
  queues: [
    { name: 'support', number: '600', members: ['bob', 'carol'] },
    { name: 'sales', number: '601', members: ['dave', 'alice'] },
  ],
  externals: [
    { number: '+390612345678', name: 'Giuseppe Test', answerAfterMs: 2000 },
    { number: '+393471234567', name: 'Maria Esposito' },
    { number: '+390554567890', name: 'Never Answers', answer: 'never' },
    { number: '+390811234567', name: 'Always Busy', answer: 'busy' },
  ],
};

export function scenario(overrides: Partial<ScenarioInput> = {}) {
  return parseScenario({ ...TEST_SCENARIO, ...overrides });
}

export function engine(overrides: Partial<ScenarioInput> = {}): { engine: PbxEngine; clock: ManualClock } {
  const clock = new ManualClock();
  return { engine: new PbxEngine(scenario(overrides), { clock }), clock };
}
