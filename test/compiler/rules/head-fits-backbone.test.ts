/**
 * Rule `head-fits-backbone`: features fit the backbone's first part, each part the next, the tower the backbone, the
 * head what reaches it; `depth` is within the backbone.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ROWS, expectDiagnostics, labelAt, pos, single } from '../harness.js';

const rule = { options: { only: ['head-fits-backbone'] } };
const features = `${ROWS}
features vec { dataset: rows, transforms: [standardize(age)] }
features text { dataset: rows, transforms: [tokens(words)] }
features img { dataset: rows, transforms: [image(pixels, shape: [2, 2, 1])] }`;

describe('rule head-fits-backbone', () => {
  it('reports a tagging head on a pooled vector, with the backbone as secondary span', () => {
    const source = `${features}
backbone encoder = sequential(lstm(units: 8), pool(op: mean))
task tagger { features: text, target: tags, head: tagging, backbone: encoder }`;
    const c = expectDiagnostics(source, [{
      code: 'MTL0301', ...pos(source, 'tagging,'),
      message: 'a tagging head needs a sequence of vectors (one per token), but task `tagger` gives it a vector per row',
    }], rule);
    const d = single(c);
    assert.equal(d.primary.message, 'needs a sequence of vectors (one per token)');
    assert.deepEqual(d.secondary.map((s) => ({ ...labelAt(c, s.span), message: s.message })), [{ ...pos(source, 'encoder }'), message: 'produces a vector per row' }]);
    assert.equal(d.help, 'a per-token head needs the sequence before pooling: attach it at a depth before `pool`, or drop the pooling');
  });

  it('does not talk of pooling when nothing pools: a tagging head on an MLP over numeric features', () => {
    const source = `${features}
task tagger { features: vec, target: tags, head: tagging, backbone: mlp(units: [4]) }`;
    const d = single(expectDiagnostics(source, [{ code: 'MTL0301', ...pos(source, 'tagging,') }], rule));
    assert.equal(d.help, 'a per-token head needs a sequence: token features through `lstm(...)` or `transformer_encoder(...)`, without pooling');
  });

  it('accepts the same head attached before the pooling', () => {
    expectDiagnostics(`${features}
backbone encoder = sequential(lstm(units: 8), pool(op: mean))
task tagger { features: text, target: tags, head: tagging, backbone: encoder, depth: 0 }`, [], rule);
  });

  it('reports a vector head on a sequence, suggesting pooling', () => {
    const source = `${features}
task sentence { features: text, target: label == 1, head: binary, backbone: lstm(units: 8) }`;
    const d = single(expectDiagnostics(source, [{
      code: 'MTL0301', ...pos(source, 'binary'),
      message: 'a binary head needs a vector per row, but task `sentence` gives it a sequence of vectors (one per token)',
    }], rule));
    assert.equal(d.help, 'pool the sequence first, e.g. `sequential(encoder, pool(op: mean))`, or use a tagging head');
  });

  it('reports a sequence model on a vector input at the part that cannot read it', () => {
    const source = `${features}
task t { features: vec, target: age, head: regression, backbone: sequential(mlp(units: [4]), lstm(units: 8)) }`;
    const d = single(expectDiagnostics(source, [{ code: 'MTL0302', ...pos(source, 'lstm('), message: '`lstm` cannot read a vector per row' }], rule));
    assert.equal(d.primary.message, 'features `vec` gives it a vector per row');
    assert.equal(d.help, '`lstm` reads a sequence of token ids or a sequence of vectors (one per token)');
  });

  it('reports a tower that cannot read what the backbone makes', () => {
    const source = `${features}
task t { features: vec, target: age, head: regression, backbone: mlp(units: [4]), tower: transformer_encoder() }`;
    const d = single(expectDiagnostics(source, [{ code: 'MTL0302', ...pos(source, 'transformer_encoder'), message: '`transformer_encoder` cannot read a vector per row' }], rule));
    assert.equal(d.primary.message, 'the backbone gives it a vector per row');
  });

  it('reports a shared backbone that cannot read its input once, not once per task', () => {
    const source = `${features}
backbone seq = lstm(units: 4)
task a { features: vec, target: age, head: regression }
task b { features: vec, target: hours, head: regression }
share s = hard(backbone: seq, tasks: [a, b])`;
    expectDiagnostics(source, [{ code: 'MTL0302', ...pos(source, 'lstm('), message: '`lstm` cannot read a vector per row' }], rule);
  });

  it('reports a depth outside the backbone, counting layers from 0', () => {
    const source = `${features}
task t { features: vec, target: age, head: regression, backbone: mlp(units: [8, 4]), depth: 2 }`;
    const d = single(expectDiagnostics(source, [{ code: 'MTL0305', ...pos(source, '2 }'), message: "depth 2 is outside the backbone's layers" }], rule));
    assert.equal(d.primary.message, 'the backbone has 2 layers');
    assert.equal(d.help, 'use a depth from 0 to 1');
  });

  it('leaves a negative depth to value-limits', () => {
    expectDiagnostics(`${features}
task t { features: vec, target: age, head: regression, backbone: mlp(units: [8]), depth: -1 }`, [], rule);
  });

  it('reports a depth with no backbone', () => {
    const source = `${features}
task t { features: vec, target: age, head: regression, depth: 0 }`;
    expectDiagnostics(source, [{ code: 'MTL0309', ...pos(source, '0 }'), message: 'task `t` sets a depth but has no backbone' }], rule);
  });

  it('reports a dense head on a flattened CNN, and accepts it on a feature map', () => {
    const source = `${features}
task flat { features: img, target: heads, head: dense(classes: 2), backbone: cnn(filters: [4]) }
task map { features: img, target: heads, head: dense(classes: 2), backbone: cnn(filters: [4], flatten: false) }`;
    expectDiagnostics(source, [{ code: 'MTL0301', ...pos(source, 'dense('), message: 'a dense head needs an image (feature map), but task `flat` gives it a vector per row' }], rule);
  });

  it('says nothing about the flow of a backbone that did not elaborate', () => {
    const source = `${features}
task t { features: text, target: tags, head: tagging, backbone: lsmt(units: 4) }`;
    expectDiagnostics(source, [{ code: 'MTL0101', ...pos(source, 'lsmt'), message: 'unknown backbone `lsmt`' }], rule);
  });

  it('accepts heads on the raw features when the kinds agree', () => {
    expectDiagnostics(`${features}
task a { features: vec, target: age, head: regression }
task b { features: text, target: tags, head: tagging, backbone: transformer_encoder(layers: 1) }
task c { features: img, target: label, head: multiclass, backbone: cnn(filters: [2, 2]), tower: mlp(units: [4]) }`, [], rule);
  });
});
