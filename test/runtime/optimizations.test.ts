/**
 * The runtime's optimizations (shared/optimizations.ts) against their plain forms: the embedding bag that honours the
 * onehot-lookup pass (kernels/embedding-bag.ts) gives the outputs and parameter gradients of the dense layer over the
 * one-hot vector, and fused Adam (kernels/fused-adam.ts) gives the unfused optimizer's update bit for bit.
 */
import assert from 'node:assert/strict';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import type { Job, OptimizerPlan } from '../../job/job.js';
import type { Batch, TensorData } from '../../runtime/data/api.js';
import { openJobData } from '../../runtime/data/loader.js';
import { embeddingBagForward, embeddingBagKernelGradient, oneHotRows, type LookupLayout } from '../../runtime/kernels/embedding-bag.js';
import { scatteredRowSums, weightedRowSums } from '../../runtime/kernels/weighted-rows.js';
import { buildModel } from '../../runtime/model/build.js';
import { toTensor } from '../../runtime/model/input-tensors.js';
import type { MtlModel } from '../../runtime/model/types.js';
import { makeOptimizer } from '../../runtime/train/optimizer.js';
import { makeTrainStep } from '../../runtime/train/step.js';
import { arrowTypes, collect, makeJob as makeDataJob, temporaryDirectory, writeArrow } from './data/fixtures.js';
import { denseModule, makeJob, mmoeModules, task, vectorInput } from './helpers/jobs.js';
import { assertAllClose, gradientsByName, useCpu, weightsOf } from './helpers/tf.js';

before(useCpu);

/** 2 numbers (kernel rows 0, 1), then one-hot features of 3 values (rows 2–4) and 2 values (rows 5, 6). */
const layout: LookupLayout = { numericRows: Int32Array.from([0, 1]), ids: 2, width: 7 };
const ROWS = 6;
const numbers = [[0.5, -1], [2, 0], [-0.25, 3], [0, 0], [1.5, 1.5], [-2, 0.75]];
/** Each row's id of each one-hot feature; -1: unseen (an all-zero block). */
const hot = [[0, 1], [2, -1], [1, 0], [-1, -1], [0, 0], [2, 1]];

function denseRows(): Float32Array {
  const x = new Float32Array(ROWS * 7);
  numbers.forEach(([a, b], r) => {
    x[r * 7] = a!;
    x[r * 7 + 1] = b!;
    if (hot[r]![0]! >= 0) x[r * 7 + 2 + hot[r]![0]!] = 1;
    if (hot[r]![1]! >= 0) x[r * 7 + 5 + hot[r]![1]!] = 1;
  });
  return x;
}

function lookupRows(): Float32Array {
  return Float32Array.from(numbers.flatMap(([a, b], r) => [a!, b!, hot[r]![0]! < 0 ? -1 : 2 + hot[r]![0]!, hot[r]![1]! < 0 ? -1 : 5 + hot[r]![1]!]));
}

describe('embedding bag kernel', () => {
  it('adds the selected kernel rows and the weighted numeric rows, by hand', () => {
    // kernel row r = [r, 10 r]; bias [1, -100]
    const kernel = Float32Array.from({ length: 14 }, (_, i) => (i % 2 === 0 ? i / 2 : 10 * ((i - 1) / 2)));
    const out = embeddingBagForward(layout, lookupRows(), ROWS, kernel, Float32Array.from([1, -100]), false);
    // row 0: 1 + 0.5·0 + (-1)·1 + 2 + 6 = 8 ; -100 + 0.5·0 + (-1)·10 + 20 + 60 = -30
    assert.deepEqual(Array.from(out.subarray(0, 2)), [8, -30]);
    // row 3: numbers 0, no ids: the bias alone
    assert.deepEqual(Array.from(out.subarray(6, 8)), [1, -100]);
    const relu = embeddingBagForward(layout, lookupRows(), ROWS, kernel, Float32Array.from([1, -100]), true);
    assert.deepEqual(Array.from(relu.subarray(0, 2)), [8, 0]);
  });

  it('expands a lookup input back to the one-hot vectors it stands for', () => {
    assert.deepEqual(oneHotRows(layout, lookupRows(), ROWS), denseRows());
  });

  it("sends each row's gradient to the rows it selected, weighted by its numbers", () => {
    const dz = Float32Array.from({ length: ROWS }, (_, r) => r + 1); // units 1: dz[r] = r + 1
    const grad = embeddingBagKernelGradient(layout, lookupRows(), ROWS, dz, 1);
    // row 0 of W: Σ x[r,0]·dz[r] = 0.5·1 + 2·2 - 0.25·3 + 0 + 1.5·5 - 2·6 = -0.75
    assert.equal(grad[0], -0.75);
    // row 2 (feature A, id 0): rows 0 and 4 → 1 + 5; row 4 (id 2): rows 1 and 5 → 2 + 6; row 6 (B id 1): rows 0, 5 → 1 + 6
    assert.deepEqual([grad[2], grad[3], grad[4], grad[5], grad[6]], [6, 3, 8, 3 + 5, 7]);
  });
});

describe('the SIMD routine of the embedding bag', () => {
  it('sums weighted table rows into each output row, by hand', () => {
    // table row k = [16k, 16k + 1, …, 16k + 15]; out[0] = 1 + 2·row 0 + row 2; out[1] = 1 + 0.5·row 1
    const table = Float32Array.from({ length: 48 }, (_, i) => i);
    const out = weightedRowSums({ offset: Int32Array.from([0, 32, 16]), weight: Float32Array.from([2, 1, 0.5]), start: Int32Array.from([0, 2, 3]) }, table, new Float32Array(16).fill(1), 2, 16);
    assert.ok(out, 'WebAssembly SIMD runs under Node 20');
    assert.deepEqual(Array.from(out), [
      ...Array.from({ length: 16 }, (_, u) => 1 + 2 * u + 32 + u),
      ...Array.from({ length: 16 }, (_, u) => 1 + 0.5 * (16 + u)),
    ]);
  });

  it("scatters each row's weighted values into the rows its terms name (the kernel's gradient), by hand", () => {
    // dz row b = [16b, …, 16b + 15]; batch row 0 reads kernel rows 0 (weight 2) and 2; batch row 1 rows 1 (0.5) and 0
    const dz = Float32Array.from({ length: 32 }, (_, i) => i);
    const out = scatteredRowSums({ offset: Int32Array.from([0, 32, 16, 0]), weight: Float32Array.from([2, 1, 0.5, 1]), start: Int32Array.from([0, 2, 4]) }, dz, 2, 3, 16);
    assert.ok(out);
    assert.deepEqual(Array.from(out), [
      ...Array.from({ length: 16 }, (_, u) => 2 * u + 16 + u),
      ...Array.from({ length: 16 }, (_, u) => 0.5 * (16 + u)),
      ...Array.from({ length: 16 }, (_, u) => u),
    ]);
  });

  it('runs 4 units a pass when the width is a multiple of 4, and declines other widths', () => {
    const table = Float32Array.from({ length: 24 }, (_, i) => i); // 3 rows of 8
    const out = weightedRowSums({ offset: Int32Array.from([16, 0]), weight: Float32Array.from([2, -1]), start: Int32Array.from([0, 2]) }, table, new Float32Array(8).fill(1), 1, 8);
    assert.deepEqual(Array.from(out!), Array.from({ length: 8 }, (_, u) => 1 + 2 * (16 + u) - u));
    assert.equal(weightedRowSums({ offset: Int32Array.from([0]), weight: Float32Array.from([1]), start: Int32Array.from([0, 1]) }, new Float32Array(6), new Float32Array(6), 1, 6), null);
  });
});

describe('a dense layer over a lookup input equals the layer over the one-hot vector (cpu)', () => {
  const jobs: [string, () => Job][] = [
    ['hard sharing, relu then linear', () => makeJob({
      inputs: [{ ...vectorInput('x', 'd', 7), lookup: true }],
      modules: [denseModule('trunk', 'x', [5, 3], ['a', 'b'])],
      tasks: [task('a', 'regression', { from: 'trunk' }), task('b', 'binary', { from: 'trunk' })],
    })],
    ['hard sharing, 32 units (the WebAssembly SIMD routine)', () => makeJob({
      inputs: [{ ...vectorInput('x', 'd', 7), lookup: true }],
      modules: [denseModule('trunk', 'x', [32, 3], ['a', 'b'])],
      tasks: [task('a', 'regression', { from: 'trunk' }), task('b', 'binary', { from: 'trunk' })],
    })],
    ['mmoe (fused first layers, softmax gates)', () => makeJob({
      inputs: [{ ...vectorInput('x', 'd', 7), lookup: true }],
      modules: mmoeModules('m', 'x', [4], 3, ['a', 'b']),
      tasks: [task('a', 'regression', { from: 'm.mix.a' }), task('b', 'binary', { from: 'm.mix.b' })],
    })],
  ];
  for (const [name, job] of jobs) {
    it(name, () => {
      const model = buildModel(job(), (w) => w as number, 3);
      const dense = (): Record<string, tf.Tensor> => ({ x: tf.tensor2d(denseRows(), [ROWS, 7]) });
      const lookup = (): Record<string, tf.Tensor> => ({ x: toTensor({ data: lookupRows(), shape: [ROWS, 4], lookup: layout }) });
      const outputs = (inputs: () => Record<string, tf.Tensor>) => tf.tidy(() => {
        const logits = model.forward(inputs(), ['a', 'b'], false);
        return ['a', 'b'].map((t) => Array.from(logits.get(t)!.dataSync()));
      });
      const [denseA, denseB] = outputs(dense);
      const [lookupA, lookupB] = outputs(lookup);
      assertAllClose(lookupA!, denseA!, 1e-6, 'task a');
      assertAllClose(lookupB!, denseB!, 1e-6, 'task b');
      const loss = (inputs: () => Record<string, tf.Tensor>) => () => {
        const logits = model.forward(inputs(), ['a', 'b'], true);
        return tf.add(tf.sum(tf.square(logits.get('a')!)), tf.sum(tf.sigmoid(logits.get('b')!))) as tf.Scalar;
      };
      const denseGradients = gradientsByName(model, loss(dense));
      const lookupGradients = gradientsByName(model, loss(lookup));
      assert.deepEqual([...lookupGradients.keys()].sort(), [...denseGradients.keys()].sort());
      for (const [param, g] of denseGradients) assertAllClose(lookupGradients.get(param)!, g, 1e-6, param);
      model.dispose();
    });
  }

  it('refuses a kernel whose rows are not the one-hot width', () => {
    const model = buildModel(makeJob({
      inputs: [{ ...vectorInput('x', 'd', 8), lookup: true }],
      modules: [denseModule('trunk', 'x', [2], ['a'])],
      tasks: [task('a', 'regression', { from: 'trunk' })],
    }), (w) => w as number, 1);
    assert.throws(() => tf.tidy(() => {
      model.forward({ x: toTensor({ data: lookupRows(), shape: [ROWS, 4], lookup: layout }) }, ['a'], false);
    }), /stands for 7 one-hot columns, but the dense layer's kernel has 8 rows/);
    model.dispose();
  });
});

describe('the loader feeds a lookup input its numbers, then one kernel row per one-hot feature', () => {
  let tmp: Awaited<ReturnType<typeof temporaryDirectory>>;
  before(async () => {
    tmp = await temporaryDirectory();
    await writeArrow(path.join(tmp.dir, 'a.arrow'), {
      fold: { values: ['train', 'train', 'train', 'train', 'valid', 'test'], type: arrowTypes.string() },
      x: Float64Array.from([1, 2, 3, 4, 5, 6]),
      c: { values: ['b', 'a', 'b', null, 'a', 'a'], type: arrowTypes.string() },
      e: { values: ['u', 'u', 'v', 'w', 'u', 'u'], type: arrowTypes.string() },
      y: Float64Array.from([0, 1, 0, 1, 0, 1]),
    });
  });
  after(() => tmp.remove());

  it('offsets each id by the rows of the features before it; an unseen or null id is -1', async () => {
    const job = makeDataJob({
      root: tmp.dir,
      files: ['a.arrow'],
      columns: [{ name: 'fold', type: 'string' }, { name: 'x', type: 'float' }, { name: 'c', type: 'string' }, { name: 'e', type: 'string' }, { name: 'y', type: 'float' }],
      split: { kind: 'column', column: 'fold', train: 'train', valid: 'valid', test: 'test' },
      features: [
        { id: 'c.onehot', column: 'c', transform: { kind: 'onehot', maxVocab: 10, minCount: 1 }, shape: [{ vocab: 'c.onehot' }] },
        { id: 'x.raw', column: 'x', transform: { kind: 'raw' }, shape: [1] },
        { id: 'e.onehot', column: 'e', transform: { kind: 'onehot', maxVocab: 10, minCount: 2 }, shape: [{ vocab: 'e.onehot' }] },
      ],
      input: { features: ['c.onehot', 'x.raw', 'e.onehot'], kind: 'vector', shape: [{ sum: [1, { vocab: 'c.onehot' }, { vocab: 'e.onehot' }] }] },
      tasks: [{ name: 'pos', target: { col: 'y' }, targetType: 'float', head: { kind: 'regression', units: 1, classes: 'index' } }],
    });
    job.inputs[0]!.lookup = true;
    const data = await openJobData(job);
    assert.deepEqual(data.fitted.features['c.onehot'], { vocab: ['b', 'a'] });
    assert.deepEqual(data.fitted.features['e.onehot'], { vocab: ['u'] }); // min_count 2
    const [batch] = (await collect(data, 'train')) as [Batch];
    const x = batch.inputs['x'] as TensorData;
    // kernel rows: c.onehot 0–1, x.raw 2, e.onehot 3; row order as the rows are in the file (no shuffle)
    assert.deepEqual(x.shape, [4, 3]);
    assert.deepEqual(Array.from(x.data), [1, 0, 3, 2, 1, 3, 3, 0, -1, 4, -1, -1]);
    assert.deepEqual({ numericRows: Array.from(x.lookup!.numericRows), ids: x.lookup!.ids, width: x.lookup!.width }, { numericRows: [2], ids: 2, width: 4 });
  });
});

describe('fused Adam', () => {
  const plans: [string, OptimizerPlan][] = [
    ['plain', { kind: 'adam', lr: { kind: 'constant', lr: 0.01 }, beta1: 0.9, beta2: 0.999, epsilon: 1e-7, weightDecay: 0, clipNorm: null, normalizeTaskGradients: false }],
    ['decoupled weight decay and clipping', { kind: 'adam', lr: { kind: 'constant', lr: 0.03 }, beta1: 0.8, beta2: 0.99, epsilon: 1e-6, weightDecay: 0.1, clipNorm: 0.5, normalizeTaskGradients: false }],
  ];
  const job = () => makeJob({
    inputs: [vectorInput('x', 'd', 3)],
    modules: [denseModule('trunk', 'x', [4], ['a', 'b'])],
    tasks: [task('a', 'regression', { from: 'trunk' }), task('b', 'regression', { from: 'trunk' })],
  });
  const batch: Batch = {
    dataset: 'd', size: 4,
    inputs: { x: { data: Float32Array.from([1, -2, 0.5, 0.3, 0.1, -1, 2, 2, 0, -0.7, 0.2, 1.1]), shape: [4, 3] } },
    labels: {
      a: { values: { data: Float32Array.from([1, 0, -1, 2]), shape: [4] }, mask: new Float32Array(4).fill(1) },
      b: { values: { data: Float32Array.from([0.5, 0.5, 3, -2]), shape: [4] }, mask: new Float32Array(4).fill(1) },
    },
  };
  const trained = (plan: OptimizerPlan, fused: boolean, steps: number, from?: (model: MtlModel) => ReturnType<typeof makeOptimizer>) => {
    const model = buildModel(job(), (w) => w as number, 5);
    // head b learns at half the rate: per-parameter multipliers enter the step size
    const optimizer = from?.(model) ?? makeOptimizer(plan, (p) => (p.name.startsWith('head/b') ? 0.5 : 1), { fused });
    const step = makeTrainStep(model, optimizer, { learningRate: () => 0.01 });
    for (let i = 0; i < steps; i++) step(batch);
    return { model, optimizer };
  };
  for (const [name, plan] of plans) {
    it(`updates every parameter as the unfused optimizer does, bit for bit: ${name}`, () => {
      const fused = trained(plan, true, 4);
      const unfused = trained(plan, false, 4);
      assert.deepEqual(weightsOf(fused.model), weightsOf(unfused.model));
      assert.notDeepEqual(weightsOf(fused.model), weightsOf(buildModel(job(), (w) => w as number, 5)));
      for (const t of [fused, unfused]) {
        t.model.dispose();
        t.optimizer.dispose();
      }
    });
  }

  it("checkpoints the unfused optimizer's state: each resumes the other's", () => {
    const plan = plans[1]![1];
    const fused = trained(plan, true, 2);
    const saved = fused.optimizer.checkpoint(fused.model.params).save();
    const unfused = makeOptimizer(plan, (p) => (p.name.startsWith('head/b') ? 0.5 : 1), { fused: false });
    unfused.checkpoint(fused.model.params).restore(saved);
    const before = weightsOf(fused.model);
    const other = buildModel(job(), (w) => w as number, 5);
    for (const p of other.params) tf.tidy(() => p.variable.assign(tf.tensor(before[p.name]!, p.variable.shape)));
    const byName = new Map(other.params.map((p) => [p.name, p]));
    const restored = makeOptimizer(plan, (p) => (p.name.startsWith('head/b') ? 0.5 : 1), { fused: false });
    assert.ok(byName.size > 0);
    restored.checkpoint(other.params).restore(saved);
    makeTrainStep(fused.model, fused.optimizer, { learningRate: () => 0.01 })(batch);
    makeTrainStep(other, restored, { learningRate: () => 0.01, firstStep: 2 })(batch);
    assert.deepEqual(weightsOf(other), weightsOf(fused.model));
    for (const o of [fused.optimizer, unfused, restored]) o.dispose();
    fused.model.dispose();
    other.dispose();
  });
});
