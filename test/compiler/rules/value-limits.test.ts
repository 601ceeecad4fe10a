/** Rule `value-limits`: every number is within the limits its stdlib parameter declares, every layer index within its backbone. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ROWS, expectDiagnostics, labelAt, pos, single } from '../harness.js';

const rule = { options: { only: ['value-limits'] } };
const prelude = `${ROWS}
features f { dataset: rows, transforms: [standardize(age)] }
task a { features: f, target: age, head: regression }
task b { features: f, target: hours, head: regression }`;
const program = (train: string, extra = '') => `${prelude}${extra}
train { ${train} }`;

describe('rule value-limits', () => {
  it('reports sizes and counts of the train block below 1, once each, saying what was found', () => {
    const source = program('epochs: 0, batch_size: -2, eval_every: 0, shuffle_buffer: 0');
    const c = expectDiagnostics(source, [
      { code: 'MTL0111', ...pos(source, '0, batch'), message: '`epochs` must be between 1 and 1000000, found 0' },
      { code: 'MTL0111', ...pos(source, '-2'), message: '`batch_size` must be between 1 and 1000000, found -2' },
      { code: 'MTL0111', ...pos(source, '0, shuffle'), message: '`eval_every` must be between 1 and 1000000, found 0' },
      { code: 'MTL0111', ...pos(source, '0 }'), message: '`shuffle_buffer` must be between 1 and 1000000, found 0' },
    ], rule);
    const batch = c.diagnostics.find((d) => d.message.startsWith('`batch_size`'))!;
    assert.deepEqual([batch.primary.message, batch.help], ['too small', 'rows per batch: an integer between 1 and 1000000']);
  });

  it('refuses sizes and counts too large to be built or run, naming the range, and accepts each at its limit', () => {
    const source = program('epochs: 1e12, batch_size: 1e26, seed: 1e30, shuffle_buffer: 1000001, select: best(patience: 1e20)');
    const c = expectDiagnostics(source, [
      { code: 'MTL0111', ...pos(source, '1e12'), message: '`epochs` must be between 1 and 1000000, found 1000000000000' },
      { code: 'MTL0111', ...pos(source, '1e26'), message: '`batch_size` must be between 1 and 1000000, found 1e+26' },
      { code: 'MTL0111', ...pos(source, '1e30'), message: '`seed` must be between 0 and 4294967295, found 1e+30' },
      { code: 'MTL0111', ...pos(source, '1000001'), message: '`shuffle_buffer` must be between 1 and 1000000, found 1000001' },
      { code: 'MTL0111', ...pos(source, '1e20'), message: '`patience` must be between 1 and 1000000, found 100000000000000000000' },
    ], rule);
    assert.deepEqual(c.diagnostics.map((d) => d.primary.message), Array(5).fill('too large'));
    expectDiagnostics(program('epochs: 1000000, batch_size: 1000000, seed: 4294967295, shuffle_buffer: 1000000, select: best(patience: 1000000)'), [], rule);
  });

  it('points at the number itself (the smallest span)', () => {
    const source = program('batch_size: -2');
    const d = single(expectDiagnostics(source, [{ code: 'MTL0111', ...pos(source, '-2') }], rule));
    assert.equal(d.primary.span.end - d.primary.span.start, 2);
  });

  it('allows a learning-rate multiplier of 0 but not below, naming the task', () => {
    const source = program('task_lr: { a: 0, b: -0.5 }');
    expectDiagnostics(source, [{ code: 'MTL0111', ...pos(source, '-0.5'), message: '`task_lr` of `b` must be at least 0, found -0.5' }], rule);
  });

  it('reports a learning rate at or below 0, in an optimizer or a schedule', () => {
    const source = program('optimizer: adam(lr: cosine(lr: 0, warmup: 10))');
    expectDiagnostics(source, [{ code: 'MTL0111', ...pos(source, '0, warmup'), message: '`lr` must be above 0, found 0' }], rule);
    const direct = program('optimizer: sgd(lr: -0.1, momentum: 1)');
    expectDiagnostics(direct, [
      { code: 'MTL0111', ...pos(direct, '-0.1'), message: '`lr` must be above 0, found -0.1' },
      { code: 'MTL0111', ...pos(direct, '1)'), message: '`momentum` must be at least 0 and below 1, found 1' },
    ], rule);
  });

  it('checks layer sizes, dropout and counts wherever a backbone is written', () => {
    const source = program('epochs: 1', `
backbone trunk = mlp(units: [8, 0], dropout: 1)
task c { features: f, target: label, head: regression, backbone: trunk, tower: transformer_encoder(heads: 0) }
share s = mmoe(expert: mlp(units: [4]), experts: 0, tasks: [a, b])`);
    expectDiagnostics(source, [
      { code: 'MTL0111', ...pos(source, '0]'), message: 'each of `units` must be between 1 and 65536, found 0' },
      { code: 'MTL0111', ...pos(source, 'dropout: 1', 1, '1'), message: '`dropout` must be at least 0 and below 1, found 1' },
      { code: 'MTL0111', ...pos(source, 'heads: 0', 1, '0'), message: '`heads` must be between 1 and 65536, found 0' },
      { code: 'MTL0111', ...pos(source, 'experts: 0', 1, '0'), message: '`experts` must be between 1 and 256, found 0' },
    ], rule);
  });

  it('reports an mlp without layers at its list, pointing to identity()', () => {
    const source = program('epochs: 1', `
task c { features: f, target: label, head: regression, backbone: mlp(units: []) }`);
    const d = single(expectDiagnostics(source, [{ code: 'MTL0111', ...pos(source, '[])'), message: '`units` needs at least 1 item, found none' }], rule));
    assert.equal(d.help, 'for no layers at all use `identity()`');
  });

  it('reports a cross-stitch init outside [0, 1], saying what it is', () => {
    const source = `${prelude}
share s = cross_stitch(backbone: mlp(units: [4]), tasks: [a, b], init: 1.5)`;
    const d = single(expectDiagnostics(source, [{ code: 'MTL0111', ...pos(source, '1.5'), message: '`init` must be between 0 and 1, found 1.5' }], rule));
    assert.equal(d.help, 'initial weight of a task on its own column: a number between 0 and 1');
  });

  it('reports a cross-stitch unit after a layer the backbone does not have, with the backbone as secondary span', () => {
    const source = `${prelude}
backbone trunk = mlp(units: [8, 4])
share s = cross_stitch(backbone: trunk, tasks: [a, b], after: [1, 7])`;
    const c = expectDiagnostics(source, [{ code: 'MTL0111', ...pos(source, '7'), message: '`cross_stitch` mixes after layer 7, but backbone `trunk` has layers 0 to 1' }], rule);
    const d = single(c);
    assert.deepEqual(d.secondary.map((s) => ({ ...labelAt(c, s.span), message: s.message })), [{ ...pos(source, 'trunk, tasks'), message: '2 layers' }]);
    assert.equal(d.primary.message, 'no such layer');
    assert.match(d.help!, /: from 0 to 1$/);
  });

  it('counts layers through named and inline backbones, and says when there are none', () => {
    const inline = `${prelude}
backbone top = mlp(units: [2])
share s = cross_stitch(backbone: sequential(mlp(units: [8]), top), tasks: [a, b], after: [2])`;
    expectDiagnostics(inline, [{ code: 'MTL0111', ...pos(inline, 'after: [2]', 1, '2'), message: '`cross_stitch` mixes after layer 2, but its backbone has layers 0 to 1' }], rule);
    const none = `${prelude}
share s = cross_stitch(backbone: identity(), tasks: [a, b], after: [0])`;
    expectDiagnostics(none, [{ code: 'MTL0111', ...pos(none, '0])'), message: '`cross_stitch` mixes after layer 0, but its backbone has no layers' }], rule);
  });

  it('reports a negative soft-sharing tie, a negative task weight and a negative depth', () => {
    const source = `${prelude}
task c { features: f, target: label, head: regression, weight: -3, depth: -1 }
share s = soft(backbone: mlp(units: [4]), tasks: [a, b], l2: -1)`;
    expectDiagnostics(source, [
      { code: 'MTL0111', ...pos(source, '-3'), message: '`weight` must be at least 0, found -3' },
      { code: 'MTL0111', ...pos(source, '-1 }'), message: '`depth` must be at least 0, found -1' },
      { code: 'MTL0111', ...pos(source, '-1)'), message: '`l2` must be at least 0, found -1' },
    ], rule);
  });

  it('reports probabilities outside [0, 1] by task, a temperature at or below 0 and a cap above 1', () => {
    const source = program('sampling: scheduled(phases: [phase(until: 10, sampling: explicit(probs: { a: 1.5, b: -0.5 })), phase(sampling: temperature(t: 0, cap: 2))])');
    expectDiagnostics(source, [
      { code: 'MTL0111', ...pos(source, '1.5'), message: '`probs` of `a` must be between 0 and 1, found 1.5' },
      { code: 'MTL0111', ...pos(source, '-0.5'), message: '`probs` of `b` must be between 0 and 1, found -0.5' },
      { code: 'MTL0111', ...pos(source, '0, cap'), message: '`t` must be above 0, found 0' },
      { code: 'MTL0111', ...pos(source, '2)'), message: '`cap` must be above 0 and at most 1, found 2' },
    ], rule);
  });

  it('reports split shares outside [0, 1]', () => {
    const source = `dataset rows { files: "data/rows.arrow", columns: { age: float }, split: ratio(train: 1.2, valid: -0.2, test: 0) }
features f { dataset: rows, transforms: [standardize(age)] }
task a { features: f, target: age, head: regression }`;
    expectDiagnostics(source, [
      { code: 'MTL0111', ...pos(source, '1.2'), message: '`train` must be between 0 and 1, found 1.2' },
      { code: 'MTL0111', ...pos(source, '-0.2'), message: '`valid` must be between 0 and 1, found -0.2' },
    ], rule);
  });

  it('reports a value of a file imported twice once', () => {
    const source = `import "lib.mtl"
import "lib.mtl" as lib
${prelude}`;
    expectDiagnostics(source, [{ code: 'MTL0111', line: 1, column: 30, message: 'each of `units` must be between 1 and 65536, found 0' }], {
      ...rule, files: { 'lib.mtl': 'backbone trunk = mlp(units: [0])' },
    });
  });

  it('never reports defaults, and accepts values at their limits', () => {
    expectDiagnostics(prelude, [], rule);
    expectDiagnostics(program('optimizer: sgd(lr: step_decay(lr: 0.1, every: 1), momentum: 0), steps: 1, batch_size: 1, task_lr: { a: 0 }, sampling: explicit(probs: { a: 1, b: 0 })', `
share s = cross_stitch(backbone: mlp(units: [8, 4], dropout: 0), tasks: [a, b], after: [0, 1], init: 0)`), [], rule);
  });
});
