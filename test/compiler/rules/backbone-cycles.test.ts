/** Rule `backbone-cycles`: a backbone may not contain itself, directly or through other named backbones. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ROWS, expectDiagnostics, pos, single } from '../harness.js';

const rule = { options: { only: ['backbone-cycles'] } };
const prelude = `${ROWS}
features f { dataset: rows, transforms: [standardize(age)] }`;

describe('rule backbone-cycles', () => {
  it('reports a two-backbone cycle once, at the reference that closes it, with the path', () => {
    const source = `${prelude}
backbone a = sequential(b, mlp(units: [4]))
backbone b = sequential(a)
task t { features: f, target: age, head: regression, backbone: a }`;
    const d = single(expectDiagnostics(source, [{ code: 'MTL0303', ...pos(source, 'a)'), message: 'backbone `a` contains itself: `a` → `b` → `a`' }], rule));
    assert.equal(d.primary.message, 'this reference closes the cycle');
    assert.equal(d.help, 'a backbone is built from parts declared without it');
  });

  it('reports a backbone that names itself', () => {
    const source = `${prelude}
backbone loop = sequential(mlp(units: [4]), loop)
task t { features: f, target: age, head: regression, backbone: loop }`;
    expectDiagnostics(source, [{ code: 'MTL0303', ...pos(source, 'loop)'), message: 'backbone `loop` contains itself: `loop` → `loop`' }], rule);
  });

  it('names every backbone of a longer cycle', () => {
    const source = `${prelude}
backbone a = sequential(b)
backbone b = sequential(c)
backbone c = sequential(mlp(units: [2]), a)
task t { features: f, target: age, head: regression, backbone: a }`;
    expectDiagnostics(source, [{ code: 'MTL0303', ...pos(source, ', a)', 1, 'a'), message: 'backbone `a` contains itself: `a` → `b` → `c` → `a`' }], rule);
  });

  it('accepts a backbone used twice without a cycle (a diamond)', () => {
    const source = `${prelude}
backbone d = mlp(units: [4])
backbone b = sequential(d)
backbone c = sequential(d)
backbone a = sequential(b, c)
task t { features: f, target: age, head: regression, backbone: a }`;
    expectDiagnostics(source, [], rule);
  });
});
