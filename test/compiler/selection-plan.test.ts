/**
 * The selection's lowering to the job: `weighted` fills in each task's first reported metric and a weight of 1;
 * `best` gives every task an objective, its metric where the task reports it and its loss elsewhere; a task the
 * passes remove loses its objective and weight.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ROWS, compileSource } from './harness.js';

const program = (select: string, extra = '') => `${ROWS}
features f { dataset: rows, transforms: [standardize(age)] }
share s = hard(backbone: mlp(units: [4]), tasks: [pos, size, kind])
task pos { features: f, target: flag, head: binary, metrics: [accuracy, auc] }
task size { features: f, target: hours, head: regression }
task kind { features: f, target: color, head: multiclass }
${extra}
train { select: ${select} }`;

const selectionOf = (select: string, extra?: string) => {
  const c = compileSource(program(select, extra));
  assert.deepEqual(c.diagnostics.filter((d) => d.severity === 'error'), []);
  return c.job!.training.selection;
};

describe('the selection plan', () => {
  it('weighted: the metrics and weights given, the first reported metric and 1 elsewhere, directions by metric', () => {
    assert.deepEqual(selectionOf('weighted(metrics: { size: mae, kind: logloss }, weights: { pos: 2.5 }, patience: 3)'), {
      kind: 'weighted', weights: { kind: 1, pos: 2.5, size: 1 }, patience: 3,
      objectives: [{ task: 'kind', metric: 'logloss', mode: 'min' }, { task: 'pos', metric: 'accuracy', mode: 'max' }, { task: 'size', metric: 'mae', mode: 'min' }],
    });
    assert.deepEqual(selectionOf('weighted({ pos: loss })').objectives.map((o) => `${o.task} ${o.metric} ${o.mode}`), ['kind accuracy max', 'pos loss min', 'size mse min']);
  });

  it('best: its metric where a task reports it, the loss elsewhere; its mode on its metric', () => {
    assert.deepEqual(selectionOf('best(metric: auc, task: pos, mode: min)'), {
      kind: 'best', metric: 'auc', task: 'pos', mode: 'min', patience: null,
      objectives: [{ task: 'kind', metric: 'loss', mode: 'min' }, { task: 'pos', metric: 'auc', mode: 'min' }, { task: 'size', metric: 'loss', mode: 'min' }],
    });
    assert.deepEqual(selectionOf('best(metric: accuracy)').objectives.map((o) => `${o.task} ${o.metric} ${o.mode}`), ['kind accuracy max', 'pos accuracy max', 'size loss min']);
  });

  it('drops the objective and weight of a task that never trains', () => {
    const source = program('weighted(weights: { kind: 2 })').replace('train { select:', 'train { stages: [stage(tasks: [pos, size], epochs: 1)], select:');
    const c = compileSource(source);
    assert.deepEqual(c.diagnostics.map((d) => d.code), ['MTL0902']);
    assert.deepEqual(c.job!.tasks.map((t) => t.name), ['pos', 'size']);
    assert.deepEqual(c.job!.training.selection, {
      kind: 'weighted', weights: { pos: 1, size: 1 }, patience: null,
      objectives: [{ task: 'pos', metric: 'accuracy', mode: 'max' }, { task: 'size', metric: 'mse', mode: 'min' }],
    });
  });
});
