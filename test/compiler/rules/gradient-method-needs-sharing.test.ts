/** Rule `gradient-method-needs-sharing`: pcgrad, cagrad, mgda, gradnorm and normalize_task_gradients need two tasks that share parameters. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ROWS, expectDiagnostics, labelAt, pos, single } from '../harness.js';

const rule = { options: { only: ['gradient-method-needs-sharing'] } };
const tasks = `${ROWS}
features f { dataset: rows, transforms: [standardize(age)] }
backbone trunk = mlp(units: [4])
task a { features: f, target: hours, head: regression }
task b { features: f, target: label, head: regression }`;

describe('rule gradient-method-needs-sharing', () => {
  it('reports pcgrad with only soft sharing, pointing at the share', () => {
    const source = `${tasks}
share tied = soft(backbone: trunk, tasks: [a, b])
train { aggregation: pcgrad() }`;
    const c = expectDiagnostics(source, [{ code: 'MTL0402', ...pos(source, 'pcgrad'), message: '`pcgrad` combines per-task gradients of shared parameters, but no two tasks share parameters' }], rule);
    const d = single(c);
    assert.deepEqual(d.secondary.map((s) => ({ ...labelAt(c, s.span), message: s.message })), [{ ...pos(source, 'soft('), message: '`soft` gives each task its own parameters' }]);
    assert.equal(d.help, 'share a backbone with `hard(...)`, `adapters(...)`, `mmoe(...)`, `cgc(...)`, `ple(...)`, `lora(...)` or `mtan(...)`, or use `aggregation: sum()`');
  });

  it('reports each method: an aggregation and a weighting, with no share at all', () => {
    const source = `${tasks}
train { aggregation: cagrad(), weighting: gradnorm(alpha: 2) }`;
    const c = expectDiagnostics(source, [
      { code: 'MTL0402', ...pos(source, 'cagrad'), message: '`cagrad` combines per-task gradients of shared parameters, but no two tasks share parameters' },
      { code: 'MTL0402', ...pos(source, 'gradnorm'), message: '`gradnorm` combines per-task gradients of shared parameters, but no two tasks share parameters' },
    ], rule);
    assert.deepEqual(c.diagnostics.map((d) => d.secondary.length), [0, 0]);
  });

  it('reports the optimizer option normalize_task_gradients, pointing at its value, with its own help', () => {
    const source = `${tasks}
share tied = soft(backbone: trunk, tasks: [a, b])
train { optimizer: adam(normalize_task_gradients: true) }`;
    const c = expectDiagnostics(source, [{
      code: 'MTL0402', ...pos(source, 'true'),
      message: "`normalize_task_gradients` divides each task's gradient of the shared parameters by its norm, but no two tasks share parameters",
    }], rule);
    assert.equal(single(c).help, 'share a backbone with `hard(...)`, `adapters(...)`, `mmoe(...)`, `cgc(...)`, `ple(...)`, `lora(...)` or `mtan(...)`, or leave out `normalize_task_gradients`');
  });

  it('says nothing for normalize_task_gradients: false, nor for it with a hard share of two tasks', () => {
    expectDiagnostics(`${tasks}
train { optimizer: adam(normalize_task_gradients: false) }`, [], rule);
    expectDiagnostics(`${tasks}
share s = hard(backbone: trunk, tasks: [a, b])
train { optimizer: sgd(normalize_task_gradients: true) }`, [], rule);
  });

  it('reports mgda when the only hard share has one task', () => {
    const source = `${tasks}
share alone = hard(backbone: trunk, tasks: [a])
train { aggregation: mgda }`;
    expectDiagnostics(source, [{ code: 'MTL0402', ...pos(source, 'mgda') }], rule);
  });

  for (const scheme of ['hard(backbone: trunk, tasks: [a, b])', 'adapters(backbone: trunk, tasks: [a, b])', 'mmoe(expert: trunk, tasks: [a, b])']) {
    it(`accepts it with ${scheme.split('(')[0]} sharing of two tasks`, () => {
      expectDiagnostics(`${tasks}
share s = ${scheme}
train { aggregation: pcgrad(), weighting: gradnorm() }`, [], rule);
    });
  }

  it('says nothing for methods that do not need shared parameters', () => {
    expectDiagnostics(`${tasks}
train { aggregation: sum(), weighting: dwa() }`, [], rule);
  });
});
