/** Rule `task-keys`: records keyed by task name (`explicit(probs: ...)`, `task_lr`) name declared tasks (each once: keys-once.test.ts). */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ROWS, expectDiagnostics, pos, single } from '../harness.js';

const rule = { options: { only: ['task-keys'] } };
const program = (train: string) => `${ROWS}
features f { dataset: rows, transforms: [standardize(age)] }
task income { features: f, target: age, head: regression }
task married { features: f, target: flag, head: binary }
train { ${train} }`;

describe('rule task-keys', () => {
  it('reports an unknown task in task_lr, with did-you-mean', () => {
    const source = program('task_lr: { incme: 0.5 }');
    const d = single(expectDiagnostics(source, [{ code: 'MTL0101', ...pos(source, 'incme'), message: 'unknown task `incme`' }], rule));
    assert.equal(d.help, 'did you mean `income`?');
  });

  it('checks the probabilities of explicit sampling, also inside a schedule', () => {
    const source = program('sampling: scheduled(phases: [phase(until: 5, sampling: explicit(probs: { income: 0.5, maried: 0.5 }))])');
    expectDiagnostics(source, [{ code: 'MTL0101', ...pos(source, 'maried'), message: 'unknown task `maried`' }], rule);
  });

  it('accepts declared tasks', () => {
    expectDiagnostics(program('task_lr: { income: 0.5 }, sampling: explicit(probs: { income: 0.5, married: 0.5 })'), [], rule);
  });
});
