/** Rule `representation-weighting`: no weighting of per-task parameter gradients with an aggregation on the representation. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ROWS, expectDiagnostics, labelAt, pos, single } from '../harness.js';

const rule = { options: { only: ['representation-weighting'] } };
const program = (train: string) => `${ROWS}
features f { dataset: rows, transforms: [standardize(age)] }
task a { features: f, target: hours, head: regression }
task b { features: f, target: label, head: regression }
share s = hard(backbone: mlp(units: [4]), tasks: [a, b])
train { ${train} }`;

describe('rule representation-weighting', () => {
  it('reports gradnorm with mgda on the representation, pointing at both', () => {
    const source = program('weighting: gradnorm(), aggregation: mgda(on: representation)');
    const c = expectDiagnostics(source, [{
      code: 'MTL0409', ...pos(source, 'gradnorm'),
      message: '`gradnorm` works on each task\'s gradient of the shared parameters, which `on: representation` does not compute',
    }], rule);
    const d = single(c);
    assert.deepEqual(d.secondary.map((s) => ({ ...labelAt(c, s.span), message: s.message })), [{ ...pos(source, 'representation'), message: 'the aggregation takes the gradients of the representation' }]);
    assert.equal(d.help, 'aggregate on the parameters (`on: parameters`), or weigh the losses alone with `equal`, `static`, `uncertainty`, `dwa`, `rlw` or `famo`');
  });

  it('reports db_mtl with imtl_g on the representation', () => {
    const source = program('weighting: db_mtl(), aggregation: imtl_g(on: representation)');
    expectDiagnostics(source, [{ code: 'MTL0409', ...pos(source, 'db_mtl') }], rule);
  });

  it('reports normalize_task_gradients with mgda on the representation', () => {
    const source = program('optimizer: adam(normalize_task_gradients: true), aggregation: mgda(on: representation)');
    const c = expectDiagnostics(source, [{
      code: 'MTL0409', ...pos(source, 'true'),
      message: '`normalize_task_gradients` works on each task\'s gradient of the shared parameters, which `on: representation` does not compute',
    }], rule);
    assert.equal(single(c).help, 'aggregate on the parameters (`on: parameters`), or leave out `normalize_task_gradients`');
  });

  it('says nothing on the parameters, or for a weighting of the losses alone', () => {
    expectDiagnostics(program('weighting: gradnorm(), aggregation: mgda(on: parameters)'), [], rule);
    expectDiagnostics(program('weighting: uncertainty(), aggregation: mgda(on: representation)'), [], rule);
  });
});
