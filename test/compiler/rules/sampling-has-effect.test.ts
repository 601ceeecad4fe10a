/** Rule `sampling-has-effect`: a `sampling` given when every task that trains reads one feature set is a warning. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ROWS, expectDiagnostics, pos, single } from '../harness.js';

const rule = { options: { only: ['sampling-has-effect'] } };
const features = `${ROWS}
features person { dataset: rows, transforms: [standardize(age), onehot(color)] }
features work { dataset: rows, transforms: [standardize(hours)] }`;

describe('rule sampling-has-effect', () => {
  it('warns at the sampling when every task reads one feature set', () => {
    const source = `${features}
task a { features: person, target: age, head: regression }
task b { features: person, target: label == 1, head: binary }
train { sampling: uniform() }`;
    const d = single(expectDiagnostics(source, [{
      code: 'MTL0903', severity: 'warning', ...pos(source, 'uniform()'),
      message: '`sampling` has no effect: every task reads feature set `person`, so each step trains all of them on one batch',
    }], rule));
    assert.equal(d.primary.message, 'changes nothing');
    assert.equal(d.help, 'remove it; sampling chooses between tasks that read different feature sets (or datasets)');
  });

  it('says nothing of the default sampling, left out or written out (as `mtl render` does)', () => {
    for (const train of ['epochs: 2', 'sampling: proportional()']) {
      expectDiagnostics(`${features}
task a { features: person, target: age, head: regression }
task b { features: person, target: label == 1, head: binary }
train { ${train} }`, [], rule);
    }
  });

  it('says nothing when tasks read different feature sets', () => {
    expectDiagnostics(`${features}
task a { features: person, target: age, head: regression }
task b { features: work, target: label == 1, head: binary }
train { sampling: temperature(t: 3) }`, [], rule);
  });

  it('counts only the tasks that train', () => {
    const source = `${features}
task a { features: person, target: age, head: regression }
task b { features: work, target: label == 1, head: binary, weight: 0 }
train { sampling: uniform() }`;
    expectDiagnostics(source, [{ code: 'MTL0903', severity: 'warning', ...pos(source, 'uniform()') }], rule);
  });

  it('says nothing when a probability of 0 drops a task (that is an effect, and warned of elsewhere)', () => {
    expectDiagnostics(`${features}
task a { features: person, target: age, head: regression }
task b { features: person, target: label == 1, head: binary }
train { sampling: explicit(probs: { a: 1, b: 0 }) }`, [], rule);
  });

  it('says nothing after an error', () => {
    expectDiagnostics(`${features}
task a { features: person, target: age, head: regression }
task b { features: person, target: label == 1, head: binary, weight: -1 }
train { sampling: uniform() }`, [{ code: 'MTL0111', ...pos(`${features}
task a { features: person, target: age, head: regression }
task b { features: person, target: label == 1, head: binary, weight: -1 }`, '-1') }], { options: { only: ['value-limits', 'sampling-has-effect'] } });
  });
});
