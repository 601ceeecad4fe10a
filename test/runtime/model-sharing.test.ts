/**
 * The sharing schemes beyond hard sharing: MMoE mixtures, cross-stitch units, soft sharing's penalty,
 * adapters. Each forward pass is checked against values computed by hand from known weights, gradients
 * against where they must and must not flow, and each scheme trains, keeps its tensor count flat, and
 * round-trips its weights by name.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { before, describe, it } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import type { Job, TrainingPlan } from '../../job/job.js';
import { compileProgram } from '../../compiler/compile.js';
import type { Batch } from '../../runtime/data/api.js';
import { UserError } from '../../runtime/errors.js';
import { buildModel } from '../../runtime/model/build.js';
import type { MtlModel } from '../../runtime/model/types.js';
import { loadWeights, saveWeights } from '../../runtime/model/weights.js';
import { inputTensors, labelTensors } from '../../runtime/train/labels.js';
import { taskLoss } from '../../runtime/train/loss.js';
import { makeOptimizer } from '../../runtime/train/optimizer.js';
import { makeTrainStep } from '../../runtime/train/step.js';
import { taskLrMultiplier, train } from '../../runtime/train/train.js';
import { fakeJobData, syntheticDataset, type SyntheticTask } from './helpers/fakeData.js';
import { adaptedModule, columnModules, denseModule, makeJob, mmoeModules, task, vectorInput, type TestModule } from './helpers/jobs.js';
import { assertAllClose, gradientsByName, setWeights, useCpu, weightsOf } from './helpers/tf.js';

const width = (w: unknown) => w as number;
const sigmoid = (z: number) => 1 / (1 + Math.exp(-z));

/** Two regression tasks `a` and `b` on a 2-wide input `x`, each head reading `from[task]`. */
function twoTasks(modules: TestModule[], from: { a: string; b: string }, training: Partial<TrainingPlan> = {}, inputWidth = 2): Job {
  return makeJob({
    inputs: [vectorInput('x', 'd', inputWidth)],
    modules,
    tasks: [task('a', 'regression', { from: from.a }), task('b', 'regression', { from: from.b })],
    training,
  });
}

const mmoeJob = (training: Partial<TrainingPlan> = {}, inputWidth = 2, units = [2]) =>
  twoTasks(mmoeModules('m', 'x', units, 2, ['a', 'b']), { a: 'm.mix.a', b: 'm.mix.b' }, training, inputWidth);
const stitchJob = (after: number[], training: Partial<TrainingPlan> = {}, inputWidth = 2, units = [2]) =>
  twoTasks(columnModules('s', 'x', units, ['a', 'b'], { kind: 'cross_stitch', after, init: 0.9 }, { activation: 'linear' }), { a: 's.a', b: 's.b' }, training, inputWidth);
const softJob = (training: Partial<TrainingPlan> = {}, inputWidth = 2, units = [2], l2 = 0.5) =>
  twoTasks(columnModules('t', 'x', units, ['a', 'b'], { kind: 'soft', l2 }), { a: 't.a', b: 't.b' }, training, inputWidth);
const adaptedJob = (training: Partial<TrainingPlan> = {}, inputWidth = 2, units = [2, 2], size = 1) =>
  twoTasks([adaptedModule('ad', 'x', units, ['a', 'b'], size)], { a: 'ad', b: 'ad' }, training, inputWidth);

/** Small but not tiny versions of each scheme, for training. */
const schemes: [string, (training: Partial<TrainingPlan>, inputWidth: number) => Job][] = [
  ['mmoe', (training, inputWidth) => mmoeJob(training, inputWidth, [8])],
  ['cross-stitch', (training, inputWidth) => stitchJob([], training, inputWidth, [8, 8])],
  ['soft', (training, inputWidth) => softJob(training, inputWidth, [8], 0.01)],
  ['adapters', (training, inputWidth) => adaptedJob(training, inputWidth, [8, 8], 2)],
];

/** Squared-error loss of task `t` (every row labelled), differentiable inside a tape. */
function lossOf(model: MtlModel, x: tf.Tensor2D, y: tf.Tensor2D, t: string): tf.Scalar {
  return tf.mean(tf.squaredDifference(model.forward({ x }, [t], true).get(t)!, y));
}

const nonzero = (values: number[] | undefined) => values !== undefined && values.some((v) => v !== 0);

async function firstBatch(job: Job, inputWidth: number, size = 16): Promise<Batch> {
  const data = fakeJobData(job, { d: syntheticDataset('x', inputWidth, [{ name: 'a', kind: 'regression' }, { name: 'b', kind: 'regression' }], { train: size, valid: 1, test: 1 }, 5) });
  for await (const batch of data.batches('d', 'train', { batchSize: size, shuffle: false, seed: 0 })) return batch;
  throw new Error('no batch');
}

describe('mmoe', () => {
  before(useCpu);

  it('names experts and gates as modules; the mixture has no parameters', () => {
    const model = buildModel(mmoeJob(), width, 1);
    assert.deepEqual(
      model.params.map((p) => `${p.name} [${p.variable.shape.join(',')}]`),
      [
        'm.expert0/0/kernel [2,2]', 'm.expert0/0/bias [2]',
        'm.expert1/0/kernel [2,2]', 'm.expert1/0/bias [2]',
        'm.gate.a/0/kernel [2,2]', 'm.gate.a/0/bias [2]',
        'm.gate.b/0/kernel [2,2]', 'm.gate.b/0/bias [2]',
        'head/a/kernel [2,1]', 'head/a/bias [1]',
        'head/b/kernel [2,1]', 'head/b/bias [1]',
      ],
    );
    model.dispose();
  });

  it('a task’s mixture is its gate-weighted sum of the experts (hand-computed)', () => {
    const model = buildModel(mmoeJob(), width, 1);
    setWeights(model, {
      'm.expert0/0/kernel': [1, 0, 0, 1], 'm.expert0/0/bias': [0, 0], // e0 = relu(x)
      'm.expert1/0/kernel': [0, 1, 1, 0], 'm.expert1/0/bias': [0, 1], // e1 = relu([x1, x0 + 1])
      'm.gate.a/0/kernel': [0, 0, 0, 0], 'm.gate.a/0/bias': [0, Math.log(3)], // gate a = [1/4, 3/4] for every row
      'm.gate.b/0/kernel': [1, -1, 0, 0], 'm.gate.b/0/bias': [0, 0], // gate b = softmax([x0, -x0]) = [σ(2·x0), σ(-2·x0)]
      'head/a/kernel': [1, 1], 'head/a/bias': [0],
      'head/b/kernel': [1, 0], 'head/b/bias': [0],
    });
    // x = [1, 2]: e0 = [1, 2], e1 = [2, 2].
    //   a: 1/4·[1, 2] + 3/4·[2, 2] = [1.75, 2]            → 3.75
    //   b: σ(2)·[1, 2] + σ(-2)·[2, 2], first unit = 1 + σ(-2)
    // x = [0, -1]: e0 = [0, 0], e1 = [0, 1].
    //   a: 3/4·[0, 1]                                       → 0.75
    //   b: ½·[0, 0] + ½·[0, 1], first unit                  → 0
    const logits = model.forward({ x: tf.tensor2d([[1, 2], [0, -1]]) }, ['a', 'b'], false);
    assertAllClose(logits.get('a')!.dataSync(), [3.75, 0.75]);
    assertAllClose(logits.get('b')!.dataSync(), [1 + sigmoid(-2), 0]);
    model.dispose();
  });

  it('computes each expert once per batch, however many tasks mix it', async () => {
    const model = buildModel(mmoeJob(), width, 1);
    const x = tf.ones([3, 2]);
    const profile = await tf.profile(() => {
      model.forward({ x }, ['a', 'b'], false);
    });
    const matMuls = profile.kernels.filter((k) => k.name === '_FusedMatMul' || k.name === 'BatchMatMul').length;
    assert.equal(matMuls, 2 + 2 + 2, 'two experts once, two gates, two heads');
    x.dispose();
    model.dispose();
  });

  it('gradients reach the experts and the task’s own gate, not the other task’s gate', () => {
    const model = buildModel(mmoeJob(), width, 3);
    const [x, y] = [tf.tensor2d([[1, 2], [0.5, -1], [-2, 1]]), tf.tensor2d([[1], [0], [2]])];
    const grads = gradientsByName(model, () => lossOf(model, x, y, 'a'));
    for (const name of ['m.expert0/0/kernel', 'm.expert1/0/kernel', 'm.gate.a/0/kernel', 'm.gate.a/0/bias']) assert.ok(nonzero(grads.get(name)), name);
    assert.equal(grads.has('m.gate.b/0/kernel'), false);
    assert.deepEqual(
      model.paramsFor(['a']).map((p) => p.name).filter((n) => !n.startsWith('head/')),
      ['m.expert0/0/kernel', 'm.expert0/0/bias', 'm.expert1/0/kernel', 'm.expert1/0/bias', 'm.gate.a/0/kernel', 'm.gate.a/0/bias'],
    );
    [x, y].forEach((t) => t.dispose());
    model.dispose();
  });

  it('a gate without a unit per expert is a UserError', () => {
    const modules = mmoeModules('m', 'x', [2], 2, ['a', 'b']).map((m) => (m.id === 'm.gate.a' ? denseModule(m.id, 'x', [3], ['a'], { activation: 'softmax' }) : m));
    assert.throws(
      () => buildModel(twoTasks(modules, { a: 'm.mix.a', b: 'm.mix.b' }), width, 1),
      (e: unknown) => e instanceof UserError && /has 2 experts but its gate 'm.gate.a' gives \[3\]/.test(e.message),
    );
  });
});

describe('cross-stitch', () => {
  before(useCpu);

  it('one matrix per stitched layer, initialised to init on the diagonal and (1 - init)/(n - 1) off it', () => {
    const job = makeJob({
      inputs: [vectorInput('x', 'd', 2)],
      modules: columnModules('s', 'x', [3, 2], ['a', 'b', 'c'], { kind: 'cross_stitch', after: [], init: 0.8 }),
      tasks: ['a', 'b', 'c'].map((t) => task(t, 'binary', { from: `s.${t}` })),
    });
    const model = buildModel(job, width, 1);
    const stitches = model.params.filter((p) => p.name.includes('/stitch/'));
    assert.deepEqual(stitches.map((p) => `${p.name} [${p.variable.shape.join(',')}]`), ['s/stitch/0 [3,3]', 's/stitch/1 [3,3]']);
    assertAllClose(stitches[0]!.variable.dataSync(), [0.8, 0.1, 0.1, 0.1, 0.8, 0.1, 0.1, 0.1, 0.8]);
    model.dispose();
  });

  it('mixes the columns after the chosen layers only', () => {
    const model = buildModel(stitchJob([1], {}, 2, [3, 2]), width, 1);
    assert.deepEqual(model.params.filter((p) => p.name.includes('/stitch/')).map((p) => p.name), ['s/stitch/1']);
    model.dispose();
  });

  it('new_i = Σ_j A[i][j] · h_j, and each head reads its own column (hand-computed)', () => {
    const model = buildModel(stitchJob([0]), width, 1);
    setWeights(model, {
      's.a/0/kernel': [1, 0, 0, 1], 's.a/0/bias': [0, 0], // h_a = x
      's.b/0/kernel': [2, 0, 0, 2], 's.b/0/bias': [1, 1], // h_b = 2x + 1
      's/stitch/0': [0.9, 0.1, 0.3, 0.7],
      'head/a/kernel': [1, 0], 'head/a/bias': [0],
      'head/b/kernel': [0, 1], 'head/b/bias': [0],
    });
    // x = [1, 2]: h_a = [1, 2], h_b = [3, 5]; a = 0.9·1 + 0.1·3 = 1.2; b = 0.3·2 + 0.7·5 = 4.1
    // x = [-1, 0]: h_a = [-1, 0], h_b = [-1, 1]; a = -0.9 - 0.1 = -1; b = 0.3·0 + 0.7·1 = 0.7
    const x = tf.tensor2d([[1, 2], [-1, 0]]);
    const both = model.forward({ x }, ['a', 'b'], false);
    assertAllClose(both.get('a')!.dataSync(), [1.2, -1]);
    assertAllClose(both.get('b')!.dataSync(), [4.1, 0.7]);
    // One task alone still computes the other column: its own reads it.
    assertAllClose(model.forward({ x }, ['a'], false).get('a')!.dataSync(), [1.2, -1]);
    model.dispose();
  });

  it('one task’s loss reaches the stitch matrix and, through it, the other column', () => {
    const model = buildModel(stitchJob([0], {}, 3, [4, 2]), width, 2);
    const [x, y] = [tf.tensor2d([[1, 2, 0], [0.5, -1, 1], [-2, 1, 3]]), tf.tensor2d([[1], [0], [2]])];
    const grads = gradientsByName(model, () => lossOf(model, x, y, 'a'));
    for (const name of ['s/stitch/0', 's.a/0/kernel', 's.b/0/kernel']) assert.ok(nonzero(grads.get(name)), name);
    // Column b's last layer is after the stitch: only b's head reads it.
    assert.equal(grads.has('s.b/1/kernel'), false);
    [x, y].forEach((t) => t.dispose());
    model.dispose();
  });

  it('the matrices train with any column and freeze only with all of them', () => {
    const model = buildModel(stitchJob([0]), width, 1);
    const stitchTrains = (frozen: string[]) => model.paramsFor(['a'], frozen).some((p) => p.name === 's/stitch/0');
    assert.equal(stitchTrains([]), true);
    assert.equal(stitchTrains(['s.a']), true);
    assert.equal(stitchTrains(['s.a', 's.b']), false);
    assert.ok(model.paramsFor(['a']).some((p) => p.name === 's.b/0/kernel'), 'column b trains with a: a reads it');
    model.dispose();
  });

  it('columns of different widths at a stitched layer are a UserError', () => {
    const modules = columnModules('s', 'x', [2], ['a', 'b'], { kind: 'cross_stitch', after: [0], init: 0.9 });
    modules[1] = { ...denseModule('s.b', 'x', [3], ['b']), sharing: modules[1]!.sharing };
    assert.throws(
      () => buildModel(twoTasks(modules, { a: 's.a', b: 's.b' }), width, 1),
      (e: unknown) => e instanceof UserError && /cross-stitch share 's' mixes after layer 0, where column 's.a' gives \[2\] and column 's.b' gives \[3\]/.test(e.message),
    );
  });
});

describe('soft sharing', () => {
  before(useCpu);

  it('the penalty is l2 · Σ over column pairs and parameters of ||P_i - P_j||² (hand-computed)', () => {
    const job = makeJob({
      inputs: [vectorInput('x', 'd', 2)],
      modules: columnModules('t', 'x', [2], ['a', 'b', 'c'], { kind: 'soft', l2: 0.5 }),
      tasks: ['a', 'b', 'c'].map((t) => task(t, 'regression', { from: `t.${t}` })),
    });
    const model = buildModel(job, width, 1);
    setWeights(model, {
      't.a/0/kernel': [1, 2, 3, 4], 't.a/0/bias': [0, 0],
      't.b/0/kernel': [1, 0, 3, 1], 't.b/0/bias': [1, 0],
      't.c/0/kernel': [0, 0, 0, 0], 't.c/0/bias': [0, 0],
    });
    // (a, b): 0 + 4 + 0 + 9 + 1 + 0 = 14; (a, c): 1 + 4 + 9 + 16 = 30; (b, c): 1 + 0 + 9 + 1 + 1 = 12.
    const penalty = model.penalty(model.paramsFor(['a']))!;
    assertAllClose(penalty.dataSync(), [0.5 * (14 + 30 + 12)]);
    penalty.dispose();
    assert.equal(model.penalty(model.paramsFor(['a'], ['t.a'])), null, 'nothing tied trains: no penalty');
    model.dispose();
  });

  it('its gradient is 2·l2·(P_a - P_b), and a task’s own loss never reaches the other column', () => {
    const model = buildModel(softJob(), width, 4);
    setWeights(model, { 't.a/0/kernel': [1, 2, 3, 4], 't.a/0/bias': [0, 0], 't.b/0/kernel': [1, 0, 3, 1], 't.b/0/bias': [1, 0] });
    const penaltyGrads = gradientsByName(model, () => model.penalty(model.params)!);
    assertAllClose(penaltyGrads.get('t.a/0/kernel')!, [0, 2, 0, 3]);
    assertAllClose(penaltyGrads.get('t.b/0/bias')!, [1, 0]);

    const [x, y] = [tf.tensor2d([[1, 2], [0.5, -1], [-2, 1]]), tf.tensor2d([[1], [0], [2]])];
    const grads = gradientsByName(model, () => lossOf(model, x, y, 'a'));
    assert.ok(nonzero(grads.get('t.a/0/kernel')));
    assert.deepEqual([...grads.keys()].filter((n) => n.startsWith('t.b/')), []);
    assert.deepEqual(model.paramsFor(['a']).map((p) => p.name), ['t.a/0/kernel', 't.a/0/bias', 'head/a/kernel', 'head/a/bias']);
    [x, y].forEach((t) => t.dispose());
    model.dispose();
  });

  it('a training step’s loss is the task losses plus the penalty', async () => {
    const job = softJob({}, 3);
    const model = buildModel(job, width, 2);
    const batch = await firstBatch(job, 3);
    const expected = tf.tidy(() => {
      const x = inputTensors(batch, new Set(['x']));
      const logits = model.forward(x, ['a', 'b'], true);
      const losses = ['a', 'b'].map((t) => taskLoss(model.heads.get(t)!, logits.get(t)!, labelTensors(model.heads.get(t)!, batch.labels[t]!, batch.size)));
      return tf.addN([...losses, model.penalty(model.params)!]).dataSync()[0]!;
    });
    assert.ok(expected > 0);
    const optimizer = makeOptimizer(job.training.optimizer);
    const loss = makeTrainStep(model, optimizer)(batch);
    assertAllClose([loss], [expected], 1e-5);
    optimizer.dispose();
    model.dispose();
  });
});

describe('adapters', () => {
  before(useCpu);

  it('one down and one up projection per task and dense layer; up starts at zero', () => {
    const model = buildModel(adaptedJob(), width, 1);
    assert.deepEqual(
      model.params.filter((p) => p.name.startsWith('ad/')).map((p) => `${p.name} [${p.variable.shape.join(',')}]`),
      [
        'ad/0/kernel [2,2]', 'ad/0/bias [2]', 'ad/1/kernel [2,2]', 'ad/1/bias [2]',
        'ad/adapter/a/0/down [2,1]', 'ad/adapter/a/0/up [1,2]', 'ad/adapter/a/1/down [2,1]', 'ad/adapter/a/1/up [1,2]',
        'ad/adapter/b/0/down [2,1]', 'ad/adapter/b/0/up [1,2]', 'ad/adapter/b/1/down [2,1]', 'ad/adapter/b/1/up [1,2]',
      ],
    );
    const weights = weightsOf(model);
    for (const name of Object.keys(weights).filter((n) => n.endsWith('/up'))) assert.deepEqual(weights[name], [0, 0], name);
    // So training starts from the shared model: with equal heads, both tasks see the same output.
    setWeights(model, { 'head/a/kernel': [1, -1], 'head/b/kernel': [1, -1] });
    const logits = model.forward({ x: tf.tensor2d([[1, 2], [-0.5, 3]]) }, ['a', 'b'], false);
    assert.deepEqual(Array.from(logits.get('a')!.dataSync()), Array.from(logits.get('b')!.dataSync()));
    model.dispose();
  });

  it('each task’s output is h + up · relu(down · h) after every layer (hand-computed)', () => {
    const model = buildModel(adaptedJob(), width, 1);
    setWeights(model, {
      'ad/0/kernel': [1, 0, 0, 1], 'ad/0/bias': [0, 0], // h = relu(x)
      'ad/1/kernel': [1, 0, 0, 1], 'ad/1/bias': [0, 0], // relu of the adapted output; layer 1's adapters stay zero
      'ad/adapter/a/0/down': [1, 1], 'ad/adapter/a/0/up': [0.5, -1], // h + relu(h0 + h1)·[0.5, -1]
      'ad/adapter/b/0/down': [1, -1], 'ad/adapter/b/0/up': [1, 1], // h + relu(h0 - h1)·[1, 1]
      'head/a/kernel': [1, 1], 'head/a/bias': [0],
      'head/b/kernel': [1, 1], 'head/b/bias': [0],
    });
    // x = [1, 2]: a: [1 + 1.5, 2 - 3] = [2.5, -1] → relu [2.5, 0] → 2.5;  b: relu(-1) = 0 → [1, 2] → 3
    // x = [3, 1]: a: [3 + 2, 1 - 4] = [5, -3] → relu [5, 0] → 5;          b: relu(2) = 2 → [5, 3] → 8
    const logits = model.forward({ x: tf.tensor2d([[1, 2], [3, 1]]) }, ['a', 'b'], false);
    assertAllClose(logits.get('a')!.dataSync(), [2.5, 5]);
    assertAllClose(logits.get('b')!.dataSync(), [3, 8]);
    model.dispose();
  });

  it('runs the shared first layer once, and what follows once per task', async () => {
    const model = buildModel(adaptedJob(), width, 1);
    const x = tf.ones([3, 2]);
    const profile = await tf.profile(() => {
      model.forward({ x }, ['a', 'b'], false);
    });
    // Dense layers and heads are fused matmuls; adapters are plain ones.
    assert.equal(profile.kernels.filter((k) => k.name === '_FusedMatMul').length, 1 + 2 + 2, 'layer 0 once, layer 1 per task, two heads');
    x.dispose();
    model.dispose();
  });

  it('gradients reach the task’s adapters and the shared weights; freezing the module leaves the adapters training', () => {
    const model = buildModel(adaptedJob(), width, 1);
    setWeights(model, { 'ad/adapter/a/0/up': [0.5, -1], 'ad/adapter/a/1/up': [0.25, 0.5] });
    const [x, y] = [tf.tensor2d([[1, 2], [0.5, -1], [-2, 1]]), tf.tensor2d([[1], [0], [2]])];
    const grads = gradientsByName(model, () => lossOf(model, x, y, 'a'));
    for (const name of ['ad/0/kernel', 'ad/adapter/a/0/down', 'ad/adapter/a/0/up', 'ad/adapter/a/1/up']) assert.ok(nonzero(grads.get(name)), name);
    assert.deepEqual([...grads.keys()].filter((n) => n.includes('/adapter/b/')), []);
    assert.deepEqual(model.paramsFor(['a'], ['ad']).map((p) => p.name), [
      'ad/adapter/a/0/down', 'ad/adapter/a/0/up', 'ad/adapter/a/1/down', 'ad/adapter/a/1/up', 'head/a/kernel', 'head/a/bias',
    ]);
    [x, y].forEach((t) => t.dispose());
    model.dispose();
  });

  it('a tower above an adapted module sees its task’s adapters', () => {
    const job = makeJob({
      inputs: [vectorInput('x', 'd', 2)],
      modules: [adaptedModule('ad', 'x', [2], ['a', 'b'], 1), denseModule('b.tower', 'ad', [2], ['b'])],
      tasks: [task('a', 'regression', { from: 'ad' }), task('b', 'regression', { from: 'b.tower' })],
    });
    const model = buildModel(job, width, 1);
    assert.deepEqual(model.paramsFor(['b'], ['ad', 'b.tower']).map((p) => p.name), ['ad/adapter/b/0/down', 'ad/adapter/b/0/up', 'head/b/kernel', 'head/b/bias']);
    setWeights(model, {
      'ad/0/kernel': [1, 0, 0, 1], 'ad/0/bias': [0, 0],
      'ad/adapter/a/0/down': [1, 1], 'ad/adapter/b/0/down': [1, 1],
      'b.tower/0/kernel': [1, 0, 0, 1], 'b.tower/0/bias': [0, 0],
      'head/a/kernel': [1, 1], 'head/a/bias': [0],
      'head/b/kernel': [1, 1], 'head/b/bias': [0],
    });
    // x = [1, 2]: with b's up at zero, b = 1 + 2 = 3; with up = [1, 1], [1, 2] + 3·[1, 1] = [4, 5] → 9. a stays 3.
    const x = tf.tensor2d([[1, 2]]);
    assertAllClose(model.forward({ x }, ['b'], false).get('b')!.dataSync(), [3]);
    setWeights(model, { 'ad/adapter/b/0/up': [1, 1] });
    const logits = model.forward({ x }, ['a', 'b'], false);
    assertAllClose(logits.get('b')!.dataSync(), [9]);
    assertAllClose(logits.get('a')!.dataSync(), [3]);
    model.dispose();
  });
});

describe('every scheme', () => {
  before(useCpu);

  const learnable: SyntheticTask[] = [{ name: 'a', kind: 'regression' }, { name: 'b', kind: 'regression' }];

  for (const [name, makeSchemeJob] of schemes) {
    it(`${name}: the training loss falls on learnable data`, async () => {
      const job = makeSchemeJob({ stages: [{ tasks: ['a', 'b'], frozen: [], epochs: 5, steps: null }] }, 4);
      const data = fakeJobData(job, { d: syntheticDataset('x', 4, learnable, { train: 192, valid: 64, test: 16 }, 11) });
      const result = await train(job, data, { progress: false, log: () => {} });
      const [first, last] = [result.history[0]!, result.history[result.history.length - 1]!];
      assert.ok(last.trainLoss < 0.6 * first.trainLoss, `train loss ${first.trainLoss} -> ${last.trainLoss}`);
      assert.ok(last.valid!['a']!.loss! < first.valid!['a']!.loss!, 'valid loss of a falls');
      result.model.dispose();
    });

    it(`${name}: the tensor count stays flat over training steps`, async () => {
      const job = makeSchemeJob({}, 4);
      const model = buildModel(job, width, 1);
      const optimizer = makeOptimizer(job.training.optimizer);
      const step = makeTrainStep(model, optimizer, { onTaskLosses: () => {} });
      const batch = await firstBatch(job, 4);
      let afterFive = 0;
      for (let i = 1; i <= 40; i++) {
        step(batch);
        if (i === 5) afterFive = tf.memory().numTensors;
      }
      assert.equal(tf.memory().numTensors, afterFive);
      optimizer.dispose();
      model.dispose();
    });

    it(`${name}: weights round-trip through save and load by name`, async () => {
      const directory = mkdtempSync(join(tmpdir(), 'mtl-sharing-'));
      const job = makeSchemeJob({}, 4);
      const saved = buildModel(job, width, 1);
      // Move every parameter off its initial value (the adapters' up projections start at zero).
      saved.params.forEach((p, i) => tf.tidy(() => p.variable.assign(tf.add(p.variable, (i + 1) / 100))));
      await saveWeights(saved, directory);
      const loaded = buildModel(job, width, 2);
      await loadWeights(loaded, directory);
      assert.deepEqual(weightsOf(loaded), weightsOf(saved));
      [saved, loaded].forEach((m) => m.dispose());
      rmSync(directory, { recursive: true });
    });
  }

  it('a stage that freezes a module leaves it unchanged and trains the rest: adapters, the other soft column', async () => {
    const twoStages = (frozen: string[]): Partial<TrainingPlan> => ({
      stages: [
        { tasks: ['a', 'b'], frozen: [], epochs: 1, steps: null },
        { tasks: ['a', 'b'], frozen, epochs: 1, steps: null },
      ],
    });
    const check = async (job: Job, unchanged: (name: string) => boolean) => {
      const data = fakeJobData(job, { d: syntheticDataset('x', 4, learnable, { train: 64, valid: 16, test: 16 }, 3) });
      const snapshots: Record<string, number[]>[] = [];
      const model = buildModel(job, width, 1);
      const result = await train(job, data, { progress: false, log: () => {}, model, onEpoch: () => snapshots.push(weightsOf(model)) });
      const [afterStage1, afterStage2] = snapshots as [Record<string, number[]>, Record<string, number[]>];
      for (const name of Object.keys(afterStage1)) {
        if (unchanged(name)) assert.deepEqual(afterStage2[name], afterStage1[name], `${name} is frozen`);
        else assert.notDeepEqual(afterStage2[name], afterStage1[name], `${name} trains`);
      }
      result.model.dispose();
    };
    // One epoch per stage: the snapshots are the weights at the end of each stage, before selection restores any.
    await check(adaptedJob(twoStages(['ad']), 4, [8, 8], 2), (name) => /^ad\/\d\//.test(name));
    await check(softJob(twoStages(['t.a']), 4, [8], 0.01), (name) => name.startsWith('t.a/'));
  });

  it('task_lr applies to what serves one task: heads, columns, gates, adapters; not to shared experts or stitch matrices', () => {
    const job = makeJob({
      inputs: [vectorInput('x', 'd', 2)],
      modules: [
        ...mmoeModules('m', 'x', [2], 2, ['a', 'b']),
        ...columnModules('s', 'x', [2], ['c', 'd'], { kind: 'cross_stitch', after: [0], init: 0.9 }),
        adaptedModule('ad', 'x', [2], ['e', 'f'], 1),
      ],
      tasks: [
        task('a', 'binary', { from: 'm.mix.a' }), task('b', 'binary', { from: 'm.mix.b' }),
        task('c', 'binary', { from: 's.c' }), task('d', 'binary', { from: 's.d' }),
        task('e', 'binary', { from: 'ad' }), task('f', 'binary', { from: 'ad' }),
      ],
      training: { taskLr: { a: 2, c: 3, e: 5 } },
    });
    const model = buildModel(job, width, 1);
    const multiplier = taskLrMultiplier(job);
    const of = (name: string) => multiplier(model.params.find((p) => p.name === name)!);
    assert.deepEqual(
      ['head/a/kernel', 'm.gate.a/0/kernel', 'm.gate.b/0/kernel', 'm.expert0/0/kernel', 's.c/0/kernel', 's.d/0/kernel', 's/stitch/0', 'ad/0/kernel', 'ad/adapter/e/0/down', 'ad/adapter/f/0/up'].map(of),
      [2, 2, 1, 1, 3, 1, 1, 1, 5, 1],
    );
    model.dispose();
  });
});

describe('the census examples', () => {
  before(useCpu);

  // Vocabulary widths come from data; any will do to build the model.
  const anyWidth = (w: unknown): number => (typeof w === 'number' ? w : typeof w === 'object' && w !== null && 'sum' in w ? (w.sum as unknown[]).reduce<number>((n, v) => n + anyWidth(v), 0) : 3);
  const namesOf = (file: string) => {
    const { job } = compileProgram({ file });
    assert.ok(job, file);
    const model = buildModel(job, anyWidth, 1);
    const names = model.params.map((p) => p.name);
    model.dispose();
    return names;
  };

  it('build with readable parameter names', () => {
    const mmoe = namesOf('examples/census/census-mmoe.mtl');
    for (const name of ['experts.expert0/0/kernel', 'experts.expert7/0/bias', 'experts.gate.income/0/kernel', 'head/income/kernel']) assert.ok(mmoe.includes(name), name);
    const stitched = namesOf('examples/census/census-cross-stitch.mtl');
    assert.deepEqual(stitched.filter((n) => n.includes('/stitch/')), ['stitched/stitch/0', 'stitched/stitch/1']);
    const soft = namesOf('examples/census/census-soft-adapters.mtl');
    for (const name of ['tied.income/0/kernel', 'tied.never_married/1/bias', 'adapted/adapter/education_level/0/down', 'adapted/adapter/education_coarse/1/up']) {
      assert.ok(soft.includes(name), name);
    }
  });
});
