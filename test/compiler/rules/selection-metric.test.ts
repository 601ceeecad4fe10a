/** Rule `selection-metric`: each selection metric is reported by its task (by some task for `mean`); one the head cannot report is MTL0410. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ROWS, expectDiagnostics, pos, single } from '../harness.js';

const rule = { options: { only: ['selection-metric'] } };
const program = (select: string) => `${ROWS}
features f { dataset: rows, transforms: [standardize(age)] }
task pos { features: f, target: flag, head: binary, metrics: [accuracy] }
task size { features: f, target: hours, head: regression }
train { select: ${select} }`;

describe('rule selection-metric', () => {
  it('reports a metric the named task does not report', () => {
    const source = program('best(metric: auc, task: pos)');
    const d = single(expectDiagnostics(source, [{ code: 'MTL0403', ...pos(source, 'auc'), message: 'task `pos` does not report `auc`' }], rule));
    assert.equal(d.help, "add `auc` to the task's `metrics`, or select on `loss`");
  });

  it('reads default metrics by head (regression reports mse and mae), and tells a metric the head cannot report apart', () => {
    expectDiagnostics(program('best(metric: mae, task: size)'), [], rule);
    const source = program('best(metric: accuracy, task: size)');
    const d = single(expectDiagnostics(source, [{ code: 'MTL0410', ...pos(source, 'accuracy,'), message: 'task `size` has a `regression` head, which does not report `accuracy`' }], rule));
    assert.equal(d.help, 'a `regression` head reports `mse`, `mae`; choose one of them, or `loss`');
  });

  it('checks every metric of a weighted selection against its task', () => {
    const source = program('weighted(metrics: { pos: auc, size: accuracy })');
    expectDiagnostics(source, [
      { code: 'MTL0403', ...pos(source, 'auc,'), message: 'task `pos` does not report `auc`' },
      { code: 'MTL0410', ...pos(source, 'accuracy }'), message: 'task `size` has a `regression` head, which does not report `accuracy`' },
    ], rule);
  });

  it('accepts a weighted selection on reported metrics and losses, and leaves unknown tasks to task-keys', () => {
    expectDiagnostics(program('weighted(metrics: { pos: accuracy, size: loss }, weights: { pos: 3 })'), [], rule);
    expectDiagnostics(program('weighted()'), [], rule);
    expectDiagnostics(program('weighted(metrics: { nope: auc })'), [], rule);
  });

  it('reports a mean over a metric no task reports', () => {
    const source = program('best(metric: logloss)');
    expectDiagnostics(source, [{ code: 'MTL0403', ...pos(source, 'logloss'), message: 'no task reports `logloss`' }], rule);
  });

  it('accepts a mean over a metric one task reports, and the loss', () => {
    expectDiagnostics(program('best(metric: accuracy, task: mean)'), [], rule);
    expectDiagnostics(program('best(metric: loss, task: pos)'), [], rule);
    expectDiagnostics(program('best()'), [], rule);
  });
});
