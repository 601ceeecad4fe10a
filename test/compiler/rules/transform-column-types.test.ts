/** Rule `transform-column-types`: transforms take only the column types they encode; a feature set makes one kind of value. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ROWS, expectDiagnostics, labelAt, pos, single } from '../harness.js';

const rule = { options: { only: ['transform-column-types'] } };
const program = (transforms: string) => `${ROWS}
features f { dataset: rows, transforms: [${transforms}] }
task t { features: f, target: age, head: regression }`;

describe('rule transform-column-types', () => {
  it('reports a column of the wrong type, with its declaration as secondary span and the transforms that fit', () => {
    const source = program('standardize(age, color)');
    const c = expectDiagnostics(source, [{ code: 'MTL0202', ...pos(source, 'color)'), message: '`standardize` cannot encode column `color` of type string' }], rule);
    const d = single(c);
    assert.equal(d.primary.message, 'string column');
    assert.deepEqual(d.secondary.map((s) => ({ ...labelAt(c, s.span), message: s.message })), [{ ...pos(source, 'color: string', 1, 'color'), message: 'declared string here' }]);
    assert.equal(d.help, '`standardize` takes float or int columns; for string use `onehot` or `embedding`');
  });

  it('reports list columns given to vector transforms, and scalar columns given to tokens', () => {
    const source = program('onehot(words), tokens(color)');
    expectDiagnostics(source, [
      { code: 'MTL0202', ...pos(source, 'words)'), message: '`onehot` cannot encode column `words` of type list<string>' },
      { code: 'MTL0202', ...pos(source, 'color)'), message: '`tokens` cannot encode column `color` of type string' },
      { code: 'MTL0202', ...pos(source, 'tokens('), message: 'features `f` mix a vector per row and a sequence of token ids' },
    ], rule);
  });

  it('reports a feature set mixing kinds, at the first transform of the second kind', () => {
    const source = program('standardize(age), image(pixels, shape: [2, 2, 1]), tokens(words)');
    const c = expectDiagnostics(source, [{ code: 'MTL0202', ...pos(source, 'image('), message: 'features `f` mix a vector per row and an image (feature map)' }], rule);
    const d = single(c);
    assert.deepEqual(d.secondary.map((s) => ({ ...labelAt(c, s.span), message: s.message })), [{ ...pos(source, 'standardize('), message: 'makes a vector per row' }]);
    assert.equal(d.help, 'put them in two `features` declarations; a model input holds one kind of value');
  });

  it('accepts each transform on the types it encodes', () => {
    expectDiagnostics(program('standardize(age, hours), normalize(age), raw(flag, label), onehot(color, label, flag), embedding(color)'), [], rule);
    expectDiagnostics(program('tokens(words, tags)'), [], rule);
  });
});
