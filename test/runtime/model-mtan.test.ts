/**
 * MTAN sharing (schemes/mtan.ts): each task's attended features at every block of a shared backbone, computed by hand
 * on a 1-layer and a 2-layer MLP and on a tiny CNN with known weights; the shared layers run once per batch and read the
 * shared features, not a task's; gradients reach a task's attention from its own loss only, and the backbone from both.
 */
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import type { InputPlan, Job, LayerPlan, SharingPlan } from '../../job/job.js';
import { UserError } from '../../runtime/errors.js';
import { buildModel } from '../../runtime/model/build.js';
import type { MtlModel } from '../../runtime/model/types.js';
import { denseModule, makeJob, task, vectorInput, type TestModule } from './helpers/jobs.js';
import { assertAllClose, gradientsByName, setWeights, useCpu } from './helpers/tf.js';

const width = (w: unknown) => w as number;
const sigmoid = (z: number) => 1 / (1 + Math.exp(-z));
const mtanSharing: SharingPlan = { kind: 'mtan', tasks: ['a', 'b'] };

/** A shared MLP `at` of `units` (relu) with mtan attention for tasks `a` and `b`, two regression heads reading it. */
function mlpJob(units: number[]): Job {
  return makeJob({
    inputs: [vectorInput('x', 'd', 2)],
    modules: [{ ...denseModule('at', 'x', units, ['a', 'b']), sharing: mtanSharing }],
    tasks: [task('a', 'regression', { from: 'at' }), task('b', 'regression', { from: 'at' })],
  });
}

const shapesOf = (model: MtlModel, prefix: string) => model.params.filter((p) => p.name.startsWith(prefix)).map((p) => `${p.name} [${p.variable.shape.join(',')}]`);
const logitsOf = (model: MtlModel, inputs: Record<string, tf.Tensor>) =>
  tf.tidy(() => Object.fromEntries([...model.forward(inputs, ['a', 'b'], false)].map(([t, l]) => [t, Array.from(l.dataSync())])));

const nonzero = (values: number[] | undefined) => values !== undefined && values.some((v) => v !== 0);

describe('mtan over an MLP', () => {
  before(useCpu);

  it('one attention kernel and bias per task and layer, reading the layer and, above the first, the task’s previous features', () => {
    const model = buildModel(mlpJob([2, 3]), width, 1);
    assert.deepEqual(shapesOf(model, 'at/'), [
      'at/0/kernel [2,2]', 'at/0/bias [2]', 'at/1/kernel [2,3]', 'at/1/bias [3]',
      'at/attention/a/0/kernel [2,2]', 'at/attention/a/0/bias [2]', 'at/attention/a/1/kernel [5,3]', 'at/attention/a/1/bias [3]',
      'at/attention/b/0/kernel [2,2]', 'at/attention/b/0/bias [2]', 'at/attention/b/1/kernel [5,3]', 'at/attention/b/1/bias [3]',
    ]);
    for (const p of model.params.filter((q) => q.name.endsWith('/bias') && q.name.includes('/attention/'))) assert.deepEqual(Array.from(p.variable.dataSync()), [0, 0, 0].slice(0, p.variable.size), p.name);
    model.dispose();
  });

  it('1 layer: each task’s features are sigmoid(h · W + b) ⊙ h (hand-computed)', () => {
    const model = buildModel(mlpJob([2]), width, 1);
    setWeights(model, {
      'at/0/kernel': [1, 0, 0, 1], 'at/0/bias': [0, 0], // h = relu(x)
      'at/attention/a/0/kernel': [1, 0, 0, -1], 'at/attention/a/0/bias': [0, 0], // mask = [σ(h0), σ(−h1)]
      'at/attention/b/0/kernel': [0, 0, 0, 0], 'at/attention/b/0/bias': [0, 0], // mask = [½, ½]
      'head/a/kernel': [1, 1], 'head/a/bias': [0],
      'head/b/kernel': [1, 1], 'head/b/bias': [0],
    });
    // x = [1, 2]: h = [1, 2]; a = σ(1)·1 + σ(−2)·2;  b = ½ + 1 = 1.5
    // x = [3, −1]: h = [3, 0]; a = σ(3)·3 + σ(0)·0;  b = 1.5
    const logits = logitsOf(model, { x: tf.tensor2d([[1, 2], [3, -1]]) });
    assertAllClose(logits.a!, [sigmoid(1) + 2 * sigmoid(-2), 3 * sigmoid(3)], 1e-6, 'a');
    assertAllClose(logits.b!, [1.5, 1.5], 1e-6, 'b');
    model.dispose();
  });

  it('2 layers: the second shared layer reads the shared features; each task’s mask reads them and its previous features (hand-computed)', () => {
    const model = buildModel(mlpJob([2, 2]), width, 1);
    setWeights(model, {
      'at/0/kernel': [1, 0, 0, 1], 'at/0/bias': [0, 0], // h0 = relu(x)
      'at/1/kernel': [0, 1, 1, 0], 'at/1/bias': [0, 0], // h1 = relu(h0 swapped)
      'at/attention/a/0/kernel': [1, 0, 0, -1], 'at/attention/a/0/bias': [0, 0], // a0 = [σ(h0₀)·h0₀, σ(−h0₁)·h0₁]
      // rows of [h1₀, h1₁, a0₀, a0₁]: mask = [σ(a0₀), σ(a0₁)]
      'at/attention/a/1/kernel': [0, 0, 0, 0, 1, 0, 0, 1], 'at/attention/a/1/bias': [0, 0],
      'at/attention/b/0/kernel': [0, 0, 0, 0], 'at/attention/b/0/bias': [0, 0], // b0 = ½·h0
      // rows of [h1₀, h1₁, b0₀, b0₁]: mask = [σ(h1₀), σ(b0₁ − 1)]
      'at/attention/b/1/kernel': [1, 0, 0, 0, 0, 0, 0, 1], 'at/attention/b/1/bias': [0, -1],
      'head/a/kernel': [1, 1], 'head/a/bias': [0],
      'head/b/kernel': [1, 1], 'head/b/bias': [0],
    });
    // x = [1, 2]: h0 = [1, 2], h1 = [2, 1] (from h0, not from a task's features)
    //   a0 = [σ(1), 2σ(−2)];  a1 = [σ(σ(1))·2, σ(2σ(−2))·1]
    //   b0 = [½, 1];          b1 = [σ(2)·2, σ(0)·1] = [2σ(2), ½]
    const a0 = [sigmoid(1), 2 * sigmoid(-2)];
    const logits = logitsOf(model, { x: tf.tensor2d([[1, 2]]) });
    assertAllClose(logits.a!, [sigmoid(a0[0]!) * 2 + sigmoid(a0[1]!) * 1], 1e-6, 'a');
    assertAllClose(logits.b!, [2 * sigmoid(2) + 0.5], 1e-6, 'b');
    model.dispose();
  });

  it('runs the shared layers once per batch for both tasks', async () => {
    const model = buildModel(mlpJob([2, 2]), width, 1);
    const x = tf.ones([3, 2]);
    const profile = await tf.profile(() => {
      model.forward({ x }, ['a', 'b'], false);
    });
    // Dense layers and heads are fused matmuls; the masks are plain ones: per task, one at layer 0 and two at layer 1
    // (the shared features and the task's previous ones, each by its rows of the kernel).
    assert.equal(profile.kernels.filter((k) => k.name === '_FusedMatMul').length, 2 + 2, 'the two shared layers once, two heads');
    assert.equal(profile.kernels.filter((k) => k.name === 'BatchMatMul').length, 2 * (1 + 2), 'masks: two tasks, two layers');
    x.dispose();
    model.dispose();
  });

  it('a task’s loss reaches its own attention and the shared layers, never the other task’s attention', () => {
    const model = buildModel(mlpJob([2, 2]), width, 1);
    const [x, y] = [tf.tensor2d([[1, 2], [0.5, -1], [-2, 1]]), tf.tensor2d([[1], [0], [2]])];
    for (const [own, other] of [['a', 'b'], ['b', 'a']] as const) {
      const grads = gradientsByName(model, () => tf.mean(tf.squaredDifference(model.forward({ x }, [own], true).get(own)!, y)));
      for (const name of ['at/0/kernel', 'at/1/kernel', `at/attention/${own}/0/kernel`, `at/attention/${own}/1/kernel`, `at/attention/${own}/1/bias`]) {
        assert.ok(nonzero(grads.get(name)), `${own}'s loss reaches ${name}`);
      }
      assert.deepEqual([...grads.keys()].filter((n) => n.includes(`/attention/${other}/`) || n.startsWith(`head/${other}/`)), [], `${own}'s loss reaches nothing of ${other}`);
    }
    assert.deepEqual(model.paramsFor(['a'], ['at']).map((p) => p.name), [
      'at/attention/a/0/kernel', 'at/attention/a/0/bias', 'at/attention/a/1/kernel', 'at/attention/a/1/bias', 'head/a/kernel', 'head/a/bias',
    ]);
    assert.deepEqual(model.paramsFor(['b']).map((p) => p.name).filter((n) => n.startsWith('at/') && !n.includes('/attention/')), ['at/0/kernel', 'at/0/bias', 'at/1/kernel', 'at/1/bias']);
    [x, y].forEach((t) => t.dispose());
    model.dispose();
  });

  it('a tower above the module reads its task’s attended features', () => {
    const job = makeJob({
      inputs: [vectorInput('x', 'd', 2)],
      modules: [{ ...denseModule('at', 'x', [2], ['a', 'b']), sharing: mtanSharing }, denseModule('b.tower', 'at', [2], ['b'])],
      tasks: [task('a', 'regression', { from: 'at' }), task('b', 'regression', { from: 'b.tower' })],
    });
    const model = buildModel(job, width, 1);
    setWeights(model, {
      'at/0/kernel': [1, 0, 0, 1], 'at/0/bias': [0, 0],
      'at/attention/a/0/kernel': [0, 0, 0, 0], 'at/attention/a/0/bias': [0, 0], // ½·h
      'at/attention/b/0/kernel': [0, 0, 0, 0], 'at/attention/b/0/bias': [Math.log(3), -Math.log(3)], // [¾, ¼]·h
      'b.tower/0/kernel': [1, 0, 0, 1], 'b.tower/0/bias': [0, 0],
      'head/a/kernel': [1, 1], 'head/a/bias': [0],
      'head/b/kernel': [1, 1], 'head/b/bias': [0],
    });
    // x = [4, 8]: a = 2 + 4 = 6; b = relu([3, 2]) summed = 5
    const logits = logitsOf(model, { x: tf.tensor2d([[4, 8]]) });
    assertAllClose(logits.a!, [6], 1e-6, 'a');
    assertAllClose(logits.b!, [5], 1e-5, 'b');
    model.dispose();
  });

  it('a module read for several tasks above an mtan module is a UserError (each task reads its own features)', () => {
    const job = makeJob({
      inputs: [vectorInput('x', 'd', 2)],
      modules: [{ ...denseModule('at', 'x', [2], ['a', 'b']), sharing: mtanSharing }, denseModule('top', 'at', [2], ['a', 'b'])],
      tasks: [task('a', 'regression', { from: 'top' }), task('b', 'regression', { from: 'top' })],
    });
    assert.throws(() => buildModel(job, width, 1), (e: unknown) => e instanceof UserError && /module 'top' reads an mtan module for several tasks \(a, b\)/.test(e.message));
  });

  it('a layer that is neither dense nor part of a convolution block is a UserError', () => {
    const job = makeJob({
      inputs: [vectorInput('x', 'd', 2)],
      modules: [{ id: 'at', backbone: null, from: 'x', layers: [{ kind: 'point', init: [1, 2] }], shapes: [[2]], tasks: ['a', 'b'], sharing: mtanSharing }],
      tasks: [task('a', 'regression', { from: 'at' }), task('b', 'regression', { from: 'at' })],
    });
    assert.throws(() => buildModel(job, width, 1), (e: unknown) => e instanceof UserError && e.message === "module 'at' uses mtan sharing, which attends over dense and convolution blocks; its layer 0 is a point layer");
  });
});

describe('mtan over a CNN', () => {
  before(useCpu);

  // A 4×4 image; two blocks of a 1×1 convolution and 2×2 max pooling, then a flatten: [4,4,2] [2,2,2] [2,2,1] [1,1,1] [1].
  const image: InputPlan = { id: 'x', dataset: 'd', features: ['x_pixels'], kind: 'image', shape: [4, 4, 1] };
  const layers: LayerPlan[] = [
    { kind: 'conv2d', filters: 2, kernel: 1, stride: 1, activation: 'linear' },
    { kind: 'pool2d', op: 'max', size: 2 },
    { kind: 'conv2d', filters: 1, kernel: 1, stride: 1, activation: 'linear' },
    { kind: 'pool2d', op: 'max', size: 2 },
    { kind: 'flatten' },
  ];
  const cnn: TestModule = { id: 'c', backbone: null, from: 'x', layers, shapes: [[4, 4, 2], [2, 2, 2], [2, 2, 1], [1, 1, 1], [1]], tasks: ['a', 'b'], sharing: mtanSharing };
  const cnnJob = () => makeJob({ inputs: [image], modules: [cnn], tasks: [task('a', 'regression', { from: 'c' }), task('b', 'regression', { from: 'c' })] });

  it('attends at the end of each block (after its pooling), with 1×1 kernels over the channels', () => {
    const model = buildModel(cnnJob(), width, 1);
    assert.deepEqual(shapesOf(model, 'c/attention/a/'), ['c/attention/a/1/kernel [2,2]', 'c/attention/a/1/bias [2]', 'c/attention/a/3/kernel [3,1]', 'c/attention/a/3/bias [1]']);
    model.dispose();
  });

  it('each task’s map at a block is its mask ⊙ the shared map; the next block pools the task’s previous map to its size (hand-computed)', () => {
    const model = buildModel(cnnJob(), width, 1);
    setWeights(model, {
      'c/0/kernel': [1, -1], 'c/0/bias': [0, 0], // channels x and −x
      'c/2/kernel': [1, 1], 'c/2/bias': [0], // their sum
      'c/attention/a/1/kernel': [0, 0, 0, 0], 'c/attention/a/1/bias': [0, 0], // ½ of the pooled map
      'c/attention/b/1/kernel': [0, 0, 0, 0], 'c/attention/b/1/bias': [0, 0],
      'c/attention/a/3/kernel': [0, 1, 0], 'c/attention/a/3/bias': [0], // rows [shared, previous₀, previous₁]: σ(previous₀)
      'c/attention/b/3/kernel': [0, 0, 1], 'c/attention/b/3/bias': [0], // σ(previous₁)
      'head/a/kernel': [1], 'head/a/bias': [0],
      'head/b/kernel': [1], 'head/b/bias': [0],
    });
    // x = 1..16 row by row. Pooled: x → [6, 8, 14, 16], −x → [−1, −3, −9, −11]; their sum [5, 5, 5, 5] pooled: 5.
    // Each task's first map is half the pooled one; pooled again, previous₀ = 8 and previous₁ = −0.5.
    // a = σ(8)·5, b = σ(−0.5)·5
    const x = tf.tensor4d(Array.from({ length: 16 }, (_, i) => i + 1), [1, 4, 4, 1]);
    const logits = logitsOf(model, { x });
    assertAllClose(logits.a!, [5 * sigmoid(8)], 1e-6, 'a');
    assertAllClose(logits.b!, [5 * sigmoid(-0.5)], 1e-6, 'b');
    x.dispose();
    model.dispose();
  });
});
