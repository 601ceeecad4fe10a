/** Rule `representation-form`: `on: representation` only on an aggregation whose stdlib entry has that form. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ROWS, expectDiagnostics, pos, single } from '../harness.js';
import { aggregations } from '../../../stdlib/index.js';

const rule = { options: { only: ['representation-form'] } };
const program = (aggregation: string) => `${ROWS}
features f { dataset: rows, transforms: [standardize(age)] }
task a { features: f, target: hours, head: regression }
task b { features: f, target: label, head: regression }
share s = hard(backbone: mlp(units: [4]), tasks: [a, b])
train { aggregation: ${aggregation} }`;

describe('rule representation-form', () => {
  it('reports pcgrad on the representation at the argument, with the reason its entry gives', () => {
    const source = program('pcgrad(on: representation)');
    const d = single(expectDiagnostics(source, [{ code: 'MTL0407', ...pos(source, 'representation'), message: '`pcgrad` has no form on the shared representation' }], rule));
    assert.equal(d.primary.message, 'its projections are defined on the gradients of the shared parameters (Yu et al. 2020; LibMTL refuses it on representation gradients)');
    assert.equal(d.help, 'take the gradients of the shared parameters (`on: parameters`, the default), or use `mgda`, `imtl_g` or `aligned_mtl` on the representation');
  });

  for (const name of ['sum', 'cagrad', 'upgrad']) {
    it(`reports ${name} on the representation`, () => {
      const source = program(`${name}(on: representation)`);
      expectDiagnostics(source, [{ code: 'MTL0407', ...pos(source, 'representation') }], rule);
    });
  }

  for (const name of ['mgda', 'imtl_g', 'aligned_mtl']) {
    it(`accepts ${name} on the representation and on the parameters`, () => {
      expectDiagnostics(program(`${name}(on: representation)`), [], rule);
      expectDiagnostics(program(`${name}(on: parameters)`), [], rule);
    });
  }

  it('the entries with the form are exactly those the help lists', () => {
    assert.deepEqual(Object.entries(aggregations).filter(([, e]) => 'form' in e.representation).map(([n]) => n), ['mgda', 'imtl_g', 'aligned_mtl']);
  });
});
