/** Rule `split-ratios`: ratio splits have shares that sum to 1, with training and validation rows (each share's range: value-limits). */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { expectDiagnostics, pos, single } from '../harness.js';

const rule = { options: { only: ['split-ratios'] } };
const program = (split: string) => `dataset rows {
  files: "data/rows.arrow"
  columns: { age: float, part: string }
  split: ${split}
}
features f { dataset: rows, transforms: [standardize(age)] }
task t { features: f, target: age, head: regression }`;

describe('rule split-ratios', () => {
  it('reports shares that do not sum to 1, at the split, spelling out the sum', () => {
    const d = single(expectDiagnostics(program('ratio(train: 0.7, valid: 0.2, test: 0.2)'), [{ code: 'MTL0205', line: 4, column: 10, message: 'split shares sum to 1.1, not 1' }], rule));
    assert.equal(d.primary.message, 'train 0.7 + valid 0.2 + test 0.2');
    assert.equal(d.help, 'make train + valid + test = 1');
  });

  it('counts defaulted shares in the sum', () => {
    expectDiagnostics(program('ratio(train: 0.9)'), [{ code: 'MTL0205', line: 4, column: 10, message: 'split shares sum to 1.1, not 1' }], rule);
  });

  it('says nothing of a split with a share out of [0, 1]: value-limits reports the share', () => {
    expectDiagnostics(program('ratio(train: 1.2, valid: -0.2, test: 0)'), [], rule);
  });

  it('reports an empty training or validation share', () => {
    const source = program('ratio(train: 0, valid: 0, test: 1)');
    expectDiagnostics(source, [
      { code: 'MTL0205', ...pos(source, '0,'), message: 'the `train` share is 0' },
      { code: 'MTL0205', ...pos(source, '0, test'), message: 'the `valid` share is 0' },
    ], rule);
  });

  it('accepts shares whose floating-point sum is 1 up to rounding', () => {
    assert.notEqual(0.7 + 0.2 + 0.1, 1);
    expectDiagnostics(program('ratio(train: 0.7, valid: 0.2, test: 0.1, seed: 4)'), [], rule);
  });

  it('leaves splits by column alone', () => {
    expectDiagnostics(program('by_column(part)'), [], rule);
  });
});
