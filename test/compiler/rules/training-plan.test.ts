/** Rule `training-plan`: the training block describes a run that can happen (one length, stages that train something and end). */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ROWS, expectDiagnostics, labelAt, pos, single } from '../harness.js';

const rule = { options: { only: ['training-plan'] } };
const prelude = `${ROWS}
features f { dataset: rows, transforms: [standardize(age)] }
task a { features: f, target: age, head: regression }
task b { features: f, target: hours, head: regression }`;
const program = (train: string, extra = '') => `${prelude}${extra}
train { ${train} }`;

describe('rule training-plan', () => {
  it('reports epochs and steps together, at steps, with epochs as secondary span', () => {
    const source = program('epochs: 2, steps: 100');
    const c = expectDiagnostics(source, [{ code: 'MTL0406', ...pos(source, '100'), message: 'give `epochs` or `steps`, not both' }], rule);
    assert.deepEqual(single(c).secondary.map((s) => ({ ...labelAt(c, s.span), message: s.message })), [{ ...pos(source, '2, steps'), message: 'epochs given' }]);
  });

  it('reports stages without tasks, with both lengths, or without a length before the last', () => {
    const source = program('stages: [stage(tasks: [], epochs: 1), stage(tasks: [a], epochs: 1, steps: 5), stage(tasks: [a]), stage(tasks: [a, b])]');
    expectDiagnostics(source, [
      { code: 'MTL0404', ...pos(source, 'stage(tasks: []'), message: 'stage 1 trains no task' },
      { code: 'MTL0406', ...pos(source, 'stage(tasks: [a], epochs'), message: 'stage 2 gives both `epochs` and `steps`' },
      { code: 'MTL0406', ...pos(source, 'stage(tasks: [a])'), message: 'stage 3 has no length, so the stages after it never run' },
    ], rule);
  });

  it('never reports defaults, and accepts a sensible plan', () => {
    expectDiagnostics(`${prelude}`, [], rule);
    expectDiagnostics(program('optimizer: sgd(lr: step_decay(lr: 0.1, every: 100)), steps: 1000, batch_size: 32, stages: [stage(tasks: [a], steps: 100), stage(tasks: [a, b])]'), [], rule);
  });
});
