/** Rule `training-plan`: the training block describes a run that can happen (a length, positive sizes and rates, sane stages). */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ROWS, expectDiagnostics, labelAt, pos, single } from '../harness.js';

const rule = { options: { only: ['training-plan'] } };
const prelude = `${ROWS}
features f { dataset: rows, transforms: [standardize(age)] }
task a { features: f, target: age, head: regression }
task b { features: f, target: hours, head: regression }`;
const program = (train: string, extra = '') => `${prelude}${extra}
train { ${train} }`;

describe('rule training-plan', () => {
  it('reports epochs and steps together, at steps, with epochs as secondary span', () => {
    const source = program('epochs: 2, steps: 100');
    const c = expectDiagnostics(source, [{ code: 'MTL0406', ...pos(source, '100'), message: 'give `epochs` or `steps`, not both' }], rule);
    assert.deepEqual(single(c).secondary.map((s) => ({ ...labelAt(c, s.span), message: s.message })), [{ ...pos(source, '2, steps'), message: 'epochs given' }]);
  });

  it('reports sizes and counts that are not above 0, once each', () => {
    const source = program('epochs: 0, batch_size: -2, eval_every: 0, shuffle_buffer: 0');
    expectDiagnostics(source, [
      { code: 'MTL0111', ...pos(source, '0, batch'), message: '`epochs` must be above 0' },
      { code: 'MTL0111', ...pos(source, '-2'), message: '`batch_size` must be above 0' },
      { code: 'MTL0111', ...pos(source, '0, shuffle'), message: '`eval_every` must be above 0' },
      { code: 'MTL0111', ...pos(source, '0 }'), message: '`shuffle_buffer` must be above 0' },
    ], rule);
  });

  it('allows a learning-rate multiplier of 0 but not below', () => {
    const source = program('task_lr: { a: 0, b: -0.5 }');
    expectDiagnostics(source, [{ code: 'MTL0111', ...pos(source, '-0.5'), message: 'the learning-rate multiplier of `b` must be at least 0' }], rule);
  });

  it('reports a learning rate at or below 0, in an optimizer or a schedule, once', () => {
    const source = program('optimizer: adam(lr: cosine(lr: 0, warmup: 10))');
    const d = single(expectDiagnostics(source, [{ code: 'MTL0111', ...pos(source, '0, warmup'), message: 'a learning rate must be above 0' }], rule));
    assert.equal(d.primary.message, '0');
    const direct = program('optimizer: sgd(lr: -0.1)');
    expectDiagnostics(direct, [{ code: 'MTL0111', ...pos(direct, '-0.1'), message: 'a learning rate must be above 0' }], rule);
  });

  it('checks layer sizes and dropout wherever a backbone is written', () => {
    const source = program('epochs: 1', `
backbone trunk = mlp(units: [8, 0], dropout: 1)
task c { features: f, target: label, head: regression, backbone: trunk, tower: transformer_encoder(heads: 0) }
share s = mmoe(expert: mlp(units: [4]), experts: 0, tasks: [a, b])`);
    expectDiagnostics(source, [
      { code: 'MTL0111', ...pos(source, '0]'), message: 'a layer width must be above 0' },
      { code: 'MTL0111', ...pos(source, 'dropout: 1', 1, '1'), message: '`dropout` must be in [0, 1)' },
      { code: 'MTL0111', ...pos(source, 'heads: 0', 1, '0'), message: '`heads` must be above 0' },
      { code: 'MTL0111', ...pos(source, 'experts: 0', 1, '0'), message: '`experts` must be above 0' },
    ], rule);
  });

  it('reports an mlp without layers', () => {
    const source = program('epochs: 1', `
task c { features: f, target: label, head: regression, backbone: mlp(units: []) }`);
    const d = single(expectDiagnostics(source, [{ code: 'MTL0111', ...pos(source, '[])'), message: 'an mlp needs at least one layer' }], rule));
    assert.equal(d.help, 'for no layers at all use `identity()`');
  });

  it('reports stages without tasks, with both lengths, or without a length before the last', () => {
    const source = program('stages: [stage(tasks: [], epochs: 1), stage(tasks: [a], epochs: 1, steps: 5), stage(tasks: [a]), stage(tasks: [a, b])]');
    expectDiagnostics(source, [
      { code: 'MTL0404', ...pos(source, 'stage(tasks: []'), message: 'stage 1 trains no task' },
      { code: 'MTL0406', ...pos(source, 'stage(tasks: [a], epochs'), message: 'stage 2 gives both `epochs` and `steps`' },
      { code: 'MTL0406', ...pos(source, 'stage(tasks: [a])'), message: 'stage 3 has no length, so the stages after it never run' },
    ], rule);
  });

  it('never reports defaults, and accepts a sensible plan', () => {
    expectDiagnostics(`${prelude}`, [], rule);
    expectDiagnostics(program('optimizer: sgd(lr: step_decay(lr: 0.1, every: 100)), steps: 1000, batch_size: 32, stages: [stage(tasks: [a], steps: 100), stage(tasks: [a, b])]'), [], rule);
  });
});
