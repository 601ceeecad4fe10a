/** Rule `head-fits-target`: a head can hold its target's type; its loss and metrics suit it; targets are well-typed. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ROWS, expectDiagnostics, labelAt, pos, single } from '../harness.js';

const rule = { options: { only: ['head-fits-target'] } };
const prelude = `${ROWS}
features f { dataset: rows, transforms: [standardize(age)] }`;
const task = (target: string, head: string, more = '') => `${prelude}
task t { features: f, target: ${target}, head: ${head}${more} }`;

describe('rule head-fits-target', () => {
  // Every head, with a target it cannot hold (column types: see ROWS).
  const mismatches: [string, string, string][] = [
    ['binary', 'color', 'a binary head cannot hold a string target'],
    ['binary', 'age', 'a binary head cannot hold a float target'],
    ['multiclass', 'age', 'a multiclass head cannot hold a float target'],
    ['multilabel(labels: 3)', 'label', 'a multilabel head cannot hold an int target'],
    ['regression', 'color', 'a regression head cannot hold a string target'],
    ['regression', 'words', 'a regression head cannot hold a list<string> target'],
    ['regression', 'flag', 'a regression head cannot hold a bool target'],
    ['regression', 'age > 3', 'a regression head cannot hold a bool target'],
    ['tagging', 'label', 'a tagging head cannot hold an int target'],
    ['tagging', 'pixels', 'a tagging head cannot hold a list<float> target'],
    ['span', 'age', 'a span head cannot hold a float target'],
    ['dense(classes: 2)', 'color', 'a dense head cannot hold a string target'],
  ];
  for (const [head, target, message] of mismatches) {
    it(`reports ${head.split('(')[0]} on ${target}, at the target, with the head as secondary span`, () => {
      const source = task(target, head);
      const c = expectDiagnostics(source, [{ code: 'MTL0203', ...pos(source, `target: ${target}`, 1, target), message }], rule);
      const d = single(c);
      assert.deepEqual(d.secondary.map((s) => ({ ...labelAt(c, s.span), message: s.message })), [{ ...pos(source, `head: ${head}`, 1, head), message: `${head.split('(')[0]} head here` }]);
    });
  }

  const fits: [string, string][] = [
    ['binary', 'flag'], ['binary', 'label'], ['binary', 'age > 3'], ['multiclass', 'color'], ['multiclass', 'label'],
    ['regression', 'age'], ['regression', 'hours + 1'], ['tagging', 'tags'], ['tagging', 'heads'],
    ['span', 'heads'], ['dense(classes: 2)', 'heads'], ['multilabel(labels: 4)', 'pixels'],
  ];
  for (const [head, target] of fits) {
    it(`accepts ${head.split('(')[0]} on ${target}`, () => {
      expectDiagnostics(task(target, head), [], rule);
    });
  }

  it('explains what a binary target should look like', () => {
    const d = single(expectDiagnostics(task('color', 'binary'), [{ code: 'MTL0203', ...pos(task('color', 'binary'), 'color,') }], rule));
    assert.equal(d.help, 'a binary head needs true/false (or 0/1): compare the column, e.g. `target: income == "50000+."`');
    assert.equal(d.primary.message, 'this target is string');
  });

  it('reports a loss that does not suit the head, listing those that do', () => {
    const source = task('age', 'regression', ', loss: bce');
    const d = single(expectDiagnostics(source, [{ code: 'MTL0207', ...pos(source, 'bce'), message: 'loss `bce` does not suit a regression head' }], rule));
    assert.equal(d.help, 'a regression head trains with `mse` or `mae` or `huber`');
  });

  it('reports each metric that does not apply', () => {
    const source = task('color', 'multiclass', ', metrics: [accuracy, auc, mse]');
    expectDiagnostics(source, [
      { code: 'MTL0208', ...pos(source, 'auc'), message: 'metric `auc` does not apply to a multiclass head' },
      { code: 'MTL0208', ...pos(source, 'mse'), message: 'metric `mse` does not apply to a multiclass head' },
    ], rule);
  });

  it('reports ill-typed target expressions at their operator', () => {
    const source = `${prelude}
task a { features: f, target: age < "x", head: binary }
task b { features: f, target: color * 2, head: regression }
task c { features: f, target: color in "red", head: binary }`;
    expectDiagnostics(source, [
      { code: 'MTL0206', ...pos(source, '<'), message: '`<` compares numbers, found float and string' },
      { code: 'MTL0206', ...pos(source, '*'), message: '`*` needs numbers, found string and int' },
      { code: 'MTL0206', ...pos(source, '"red"'), message: '`in` needs a list of values on its right' },
    ], rule);
  });

  it('reports a call in a target', () => {
    const source = task('log(age)', 'regression');
    expectDiagnostics(source, [{ code: 'MTL0206', ...pos(source, 'log(age)'), message: 'a target is a column or an expression over columns (`==`, `and`, `+`, `in [...]`, ...)' }], rule);
  });

  it('reports a target on a head that reads none, at the target', () => {
    const source = task('age', 'objective', ', loss: toy_f2');
    const c = expectDiagnostics(source, [{ code: 'MTL0211', ...pos(source, 'target: age', 1, 'age'), message: 'an objective head reads no target' }], rule);
    assert.equal(single(c).help, 'its loss is a function of what reaches the head alone: remove `target`');
  });

  it('accepts an objective head without a target, and reports a missing target on any other head', () => {
    expectDiagnostics(`${prelude}
task t { features: f, head: objective, loss: toy_f1 }`, [], rule);
    const source = `${prelude}
task t { features: f, head: regression }`;
    expectDiagnostics(source, [{ code: 'MTL0105', ...pos(source, 'task t', 1, 't'), message: 'task `t` needs a field `target`' }], rule);
  });
});
