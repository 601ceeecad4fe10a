/** Rule `tasks-that-never-train`: a task the compiler drops because it can never receive a gradient is a warning, saying why. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ROWS, expectDiagnostics, pos, positionOf, single } from '../harness.js';

const rule = { options: { only: ['tasks-that-never-train'] } };
const tasks = `${ROWS}
features f { dataset: rows, transforms: [standardize(age)] }
task a { features: f, target: age, head: regression }
task b { features: f, target: hours, head: regression, weight: 0 }`;

describe('rule tasks-that-never-train', () => {
  it('warns at the 0 of a task whose static weight is 0, pointing at the task too', () => {
    const source = `${tasks}\ntrain { epochs: 1 }`;
    const d = single(expectDiagnostics(source, [{ code: 'MTL0902', severity: 'warning', ...pos(source, 'weight: 0', 1, '0'), message: 'task `b` never trains: its weight is 0' }], rule));
    assert.deepEqual(d.secondary.map((s) => [positionOf(source, s.span.start), s.message]), [[pos(source, 'task b', 1, 'b'), 'the task']]);
    assert.equal(d.help, 'give it a weight above 0, or remove the task; the compiler leaves it out of the job');
  });

  it('says nothing of weight 0 when the weights are learned or equal', () => {
    expectDiagnostics(`${tasks}\ntrain { weighting: uncertainty() }`, [], rule);
    expectDiagnostics(`${tasks}\ntrain { weighting: equal() }`, [], rule);
  });

  it('warns at a sampling probability of 0', () => {
    const source = `${tasks.replace(', weight: 0', '')}\ntrain { sampling: explicit(probs: { a: 1, b: 0 }) }`;
    expectDiagnostics(source, [{ code: 'MTL0902', severity: 'warning', ...pos(source, 'b: 0', 1, '0'), message: 'task `b` never trains: its sampling probability is 0' }], rule);
  });

  it('warns at the name of a task no stage lists, and not when there are no stages', () => {
    const source = `${tasks.replace(', weight: 0', '')}\ntrain { stages: [stage(tasks: [a], epochs: 1)] }`;
    expectDiagnostics(source, [{ code: 'MTL0902', severity: 'warning', ...pos(source, 'task b', 1, 'b'), message: 'task `b` never trains: no training stage lists it' }], rule);
    expectDiagnostics(`${tasks.replace(', weight: 0', '')}\ntrain { epochs: 2 }`, [], rule);
  });

  it('gives one reason per task, the first that holds', () => {
    const source = `${tasks}\ntrain { sampling: explicit(probs: { a: 1, b: 0 }), stages: [stage(tasks: [a], epochs: 1)] }`;
    expectDiagnostics(source, [{ code: 'MTL0902', severity: 'warning', ...pos(source, 'weight: 0', 1, '0'), message: 'task `b` never trains: its weight is 0' }], rule);
  });
});
