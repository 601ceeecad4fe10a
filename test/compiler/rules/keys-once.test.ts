/** Rule `keys-once`: a record keyed by names (`columns`, `probs`, `task_lr`, `metrics`, `weights`) gives each key once. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ROWS, expectDiagnostics, labelAt, pos, single } from '../harness.js';

const rule = { options: { only: ['keys-once'] } };
const program = (train: string) => `${ROWS}
features f { dataset: rows, transforms: [standardize(age)] }
task income { features: f, target: age, head: regression }
task married { features: f, target: flag, head: binary }
train { ${train} }`;

describe('rule keys-once', () => {
  it('reports a task given twice, with the first as secondary span', () => {
    const source = program('task_lr: { income: 0.5, married: 1, income: 2 }');
    const c = expectDiagnostics(source, [{ code: 'MTL0106', ...pos(source, 'income', 3), message: 'task `income` is given twice' }], rule);
    assert.deepEqual(single(c).secondary.map((s) => ({ ...labelAt(c, s.span), message: s.message })), [{ ...pos(source, 'income', 2), message: 'first here' }]);
  });

  it('reports a column declared twice, at the second, with the first as secondary span', () => {
    const source = `dataset rows { files: "x.arrow", columns: { a: float, b: int, a: string } }`;
    const c = expectDiagnostics(source, [{ code: 'MTL0106', ...pos(source, 'a: string'), message: 'column `a` is given twice' }], rule);
    assert.deepEqual(single(c).secondary.map((s) => ({ ...labelAt(c, s.span), message: s.message })), [{ ...pos(source, 'a: float'), message: 'first here' }]);
  });

  it('reports each repeat once per key, inside calls and schedules too', () => {
    const source = program('sampling: scheduled(phases: [phase(until: 5, sampling: explicit(probs: { income: 0.5, income: 0.2, income: 0.3 }))])');
    expectDiagnostics(source, [
      { code: 'MTL0106', ...pos(source, 'income', 3), message: 'task `income` is given twice' },
      { code: 'MTL0106', ...pos(source, 'income', 4), message: 'task `income` is given twice' },
    ], rule);
  });

  it('accepts keys given once, and the same key in two records', () => {
    expectDiagnostics(program('task_lr: { income: 0.5, married: 2 }, sampling: explicit(probs: { income: 0.5, married: 0.5 })'), [], rule);
  });
});
