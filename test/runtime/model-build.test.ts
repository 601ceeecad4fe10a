import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import { UserError } from '../../runtime/errors.js';
import { buildModel } from '../../runtime/model/build.js';
import { denseModule, makeJob, task, vectorInput, type TestModule } from './helpers/jobs.js';
import { assertAllClose, setWeights, useCpu, weightsOf } from './helpers/tf.js';

const width = (w: unknown) => w as number;

function twoTaskJob(modules?: TestModule[]) {
  return makeJob({
    inputs: [vectorInput('x', 'd', 2)],
    modules: modules ?? [denseModule('trunk', 'x', [2], ['ctr', 'price'])],
    tasks: [task('ctr', 'binary'), task('price', 'regression')],
  });
}

describe('buildModel', () => {
  before(useCpu);

  it('names parameters stably: modules layer by layer, then heads', () => {
    const job = makeJob({
      inputs: [vectorInput('x', 'd', 3)],
      modules: [denseModule('trunk', 'x', [4, 5], ['a', 'b']), denseModule('tower_b', 'trunk', [2], ['b'])],
      tasks: [task('a', 'binary'), task('b', 'multiclass', { from: 'tower_b', units: 3 })],
    });
    const model = buildModel(job, width, 1);
    assert.deepEqual(
      model.params.map((p) => `${p.name} [${p.variable.shape.join(',')}]`),
      [
        'trunk/0/kernel [3,4]',
        'trunk/0/bias [4]',
        'trunk/1/kernel [4,5]',
        'trunk/1/bias [5]',
        'tower_b/0/kernel [5,2]',
        'tower_b/0/bias [2]',
        'head/a/kernel [5,1]',
        'head/a/bias [1]',
        'head/b/kernel [2,3]',
        'head/b/bias [3]',
      ],
    );
    model.dispose();
  });

  it('the same seed gives identical weights; another seed other weights; biases start at zero', () => {
    const job = twoTaskJob();
    const [a, b, c] = [buildModel(job, width, 3), buildModel(job, width, 3), buildModel(job, width, 4)];
    assert.deepEqual(weightsOf(a), weightsOf(b));
    assert.notDeepEqual(weightsOf(a)['trunk/0/kernel'], weightsOf(c)['trunk/0/kernel']);
    assert.deepEqual(weightsOf(a)['trunk/0/bias'], [0, 0]);
    // Glorot uniform: |w| ≤ sqrt(6 / (fanIn + fanOut)).
    for (const w of weightsOf(a)['trunk/0/kernel']!) assert.ok(Math.abs(w) <= Math.sqrt(6 / 4));
    [a, b, c].forEach((m) => m.dispose());
  });

  it('computes a hand-checked forward pass', () => {
    const model = buildModel(twoTaskJob(), width, 1);
    setWeights(model, {
      'trunk/0/kernel': [1, -1, 0.5, 1],
      'trunk/0/bias': [0, 0.5],
      'head/ctr/kernel': [0.5, -1],
      'head/ctr/bias': [0.25],
      'head/price/kernel': [1, 1],
      'head/price/bias': [0],
    });
    // x = [1, 2]: hidden = relu([1·1 + 2·0.5 + 0, 1·(-1) + 2·1 + 0.5]) = [2, 1.5]
    // x = [-1, 0]: hidden = relu([-1, 1.5]) = [0, 1.5]
    const logits = model.forward({ x: tf.tensor2d([[1, 2], [-1, 0]]) }, ['ctr', 'price'], false);
    assertAllClose(logits.get('ctr')!.dataSync(), [2 * 0.5 - 1.5 + 0.25, -1.5 + 0.25]);
    assertAllClose(logits.get('price')!.dataSync(), [3.5, 1.5]);
    model.dispose();
  });

  it('runs each module once per call however many tasks read it', async () => {
    const job = makeJob({
      inputs: [vectorInput('x', 'd', 4)],
      modules: [denseModule('trunk', 'x', [8, 8], ['a', 'b', 'c'])],
      tasks: [task('a', 'binary'), task('b', 'binary'), task('c', 'regression', { from: 'trunk/0' })],
    });
    const model = buildModel(job, width, 1);
    const x = tf.ones([2, 4]);
    const profile = await tf.profile(() => {
      model.forward({ x }, ['a', 'b', 'c'], false);
    });
    const matMuls = profile.kernels.filter((k) => k.name === '_FusedMatMul' || k.name === 'BatchMatMul').length;
    assert.equal(matMuls, 2 + 3, 'two trunk layers once, plus three heads');
    x.dispose();
    model.dispose();
  });

  it('puts a head at a module depth, and a null `from` head on the raw input', () => {
    const job = makeJob({
      inputs: [vectorInput('x', 'd', 3)],
      modules: [denseModule('trunk', 'x', [4, 5], ['deep', 'shallow'])],
      tasks: [task('deep', 'binary'), task('shallow', 'binary', { from: 'trunk/0' }), task('linear', 'regression', { from: null })],
    });
    const model = buildModel(job, width, 1);
    const shapes = Object.fromEntries(model.params.filter((p) => p.name.endsWith('kernel')).map((p) => [p.name, p.variable.shape]));
    assert.deepEqual(shapes['head/deep/kernel'], [5, 1]);
    assert.deepEqual(shapes['head/shallow/kernel'], [4, 1]);
    assert.deepEqual(shapes['head/linear/kernel'], [3, 1]);
    assert.deepEqual(
      model.paramsFor(['linear']).map((p) => p.name),
      ['head/linear/kernel', 'head/linear/bias'],
    );
    assert.deepEqual(
      model.paramsFor(['deep', 'shallow'], ['trunk']).map((p) => p.name),
      ['head/deep/kernel', 'head/deep/bias', 'head/shallow/kernel', 'head/shallow/bias'],
    );
    model.dispose();
  });

  it('applies dropout in training only, with seeded masks', () => {
    const job = makeJob({
      inputs: [vectorInput('x', 'd', 4)],
      modules: [denseModule('trunk', 'x', [64], ['a'], { dropout: 0.5, activation: 'linear' })],
      tasks: [task('a', 'regression')],
    });
    const run = (seed: number) => {
      const model = buildModel(job, width, seed);
      const x = tf.ones([8, 4]);
      const evalA = Array.from(model.forward({ x }, ['a'], false).get('a')!.dataSync());
      const evalB = Array.from(model.forward({ x }, ['a'], false).get('a')!.dataSync());
      const trainA = Array.from(model.forward({ x }, ['a'], true).get('a')!.dataSync());
      model.dispose();
      return { evalA, evalB, trainA };
    };
    const first = run(5);
    assert.deepEqual(first.evalA, first.evalB);
    assert.notDeepEqual(first.trainA, first.evalA);
    assert.deepEqual(run(5).trainA, first.trainA);
  });

  describe('refuses what the runtime does not run yet, at build time', () => {
    const cases: [string, TestModule | null, Partial<ReturnType<typeof task>> | null, RegExp][] = [
      [
        'a pool layer',
        { ...denseModule('seq', 'x', [4], ['a']), layers: [{ kind: 'pool', op: 'max', size: 2 }] },
        null,
        /module 'seq' layer 0 is a pool layer, which the runtime does not run yet/,
      ],
    ];
    for (const [name, module, taskChange, message] of cases) {
      it(name, () => {
        const job = makeJob({
          inputs: [vectorInput('x', 'd', 4)],
          modules: [module ?? denseModule('trunk', 'x', [4], ['a'])],
          tasks: [{ ...task('a', 'binary', { from: module?.id ?? 'trunk' }), ...taskChange }],
        });
        assert.throws(() => buildModel(job, width, 1), (e: unknown) => e instanceof UserError && message.test(e.message));
      });
    }
  });
});

describe('module graph order and cycles', () => {
  before(useCpu);

  it('a tower may be listed before the backbone it reads', () => {
    const job = makeJob({
      inputs: [vectorInput('x', 'd', 3)],
      modules: [denseModule('tower', 'trunk', [2], ['a']), denseModule('trunk', 'x', [4, 5], ['a'])],
      tasks: [task('a', 'binary', { from: 'tower' })],
    });
    const model = buildModel(job, width, 1);
    assert.deepEqual(model.params.find((p) => p.name === 'tower/0/kernel')!.variable.shape, [5, 2]);
    model.dispose();
  });

  it('shapes come from the job; a job whose shapes contradict its layers is a UserError', () => {
    const wrong = { ...denseModule('trunk', 'x', [4], ['a']), shapes: [[5]] };
    const job = makeJob({ inputs: [vectorInput('x', 'd', 3)], modules: [wrong], tasks: [task('a', 'binary')] });
    assert.throws(
      () => buildModel(job, width, 1),
      (e: unknown) => e instanceof UserError && /the job is inconsistent: module 'trunk' layer 0 \(dense\) gives \[4\] per row, but the job says \[5\]/.test(e.message),
    );
    // A symbolic width resolves through `widths`: the input is [vocab] = 6 wide, the kernel [6, 4].
    const symbolic = makeJob({ inputs: [{ ...vectorInput('x', 'd', 3), shape: [{ vocab: 'f' }] }], modules: [denseModule('trunk', 'x', [4], ['a'])], tasks: [task('a', 'binary')] });
    const model = buildModel(symbolic, (w) => (typeof w === 'number' ? w : 6), 1);
    assert.deepEqual(model.params[0]!.variable.shape, [6, 4]);
    model.dispose();
  });

  it('a cycle is a UserError', () => {
    const job = makeJob({
      inputs: [vectorInput('x', 'd', 3)],
      modules: [denseModule('p', 'q', [2], ['a']), denseModule('q', 'p', [2], ['a'])],
      tasks: [task('a', 'binary', { from: 'p' })],
    });
    assert.throws(() => buildModel(job, width, 1), (e: unknown) => e instanceof UserError && /through a cycle/.test(e.message));
  });
});
