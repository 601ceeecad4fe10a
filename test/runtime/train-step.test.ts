import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import type { Job, OptimizerPlan } from '../../job/job.js';
import type { Batch } from '../../runtime/data/api.js';
import { buildModel } from '../../runtime/model/build.js';
import { makeOptimizer } from '../../runtime/train/optimizer.js';
import { learningRate } from '../../runtime/train/schedule.js';
import { makeTrainStep } from '../../runtime/train/step.js';
import { fakeJobData, syntheticDataset, type SyntheticTask } from './helpers/fakeData.js';
import { denseModule, makeJob, task, vectorInput } from './helpers/jobs.js';
import { assertAllClose, useCpu } from './helpers/tf.js';

function tinyJob() {
  return makeJob({
    inputs: [vectorInput('x', 'd', 3)],
    modules: [denseModule('trunk', 'x', [4], ['a', 'b'], { dropout: 0.1 })],
    tasks: [task('a', 'binary'), task('b', 'multiclass', { units: 3 })],
  });
}

const mixedLabels: SyntheticTask[] = [{ name: 'a', kind: 'binary', labelled: 0.5 }, { name: 'b', kind: 'multiclass', units: 3 }];
const regressionLabels: SyntheticTask[] = [{ name: 'a', kind: 'regression' }];

async function firstBatch(job: Job, tasks: SyntheticTask[], size = 8): Promise<Batch> {
  const data = fakeJobData(job, { d: syntheticDataset('x', 3, tasks, { train: size, valid: 1, test: 1 }, 4) });
  for await (const batch of data.batches('d', 'train', { batchSize: size, shuffle: false, seed: 0 })) return batch;
  throw new Error('no batch');
}

describe('the training step', () => {
  before(useCpu);

  it('keeps the tensor count flat: the same after step 10 and after step 1,000', async () => {
    const job = tinyJob();
    const model = buildModel(job, (w) => w as number, 1);
    const optimizer = makeOptimizer(job.training.optimizer);
    const step = makeTrainStep(model, optimizer, { onTaskLosses: () => {} });
    const batch = await firstBatch(job, mixedLabels);
    let afterTen = 0;
    for (let i = 1; i <= 1000; i++) {
      step(batch);
      if (i === 10) afterTen = tf.memory().numTensors;
    }
    assert.equal(tf.memory().numTensors, afterTen);
    optimizer.dispose();
    model.dispose();
  });

  for (const plan of [
    { kind: 'adam', lr: { kind: 'constant', lr: 0.05 }, beta1: 0.9, beta2: 0.999, epsilon: 1e-7, weightDecay: 0, clipNorm: null, normalizeTaskGradients: false },
    { kind: 'sgd', lr: { kind: 'constant', lr: 0.1 }, momentum: 0.9, weightDecay: 0, clipNorm: null, normalizeTaskGradients: false },
  ] satisfies OptimizerPlan[]) {
    it(`${plan.kind} updates as tf.train's ${plan.kind === 'adam' ? 'adam' : 'momentum'} optimizer does`, async () => {
      const job = makeJob({
        inputs: [vectorInput('x', 'd', 3)],
        modules: [denseModule('trunk', 'x', [4], ['a'])],
        tasks: [task('a', 'regression')],
        training: { optimizer: plan },
      });
      const ours = buildModel(job, (w) => w as number, 2);
      const reference = buildModel(job, (w) => w as number, 2);
      const batch = await firstBatch(job, regressionLabels);
      const step = makeTrainStep(ours, makeOptimizer(plan), { learningRate: () => plan.lr.lr });
      const tfOptimizer = plan.kind === 'adam' ? tf.train.adam(plan.lr.lr, plan.beta1, plan.beta2, plan.epsilon) : tf.train.momentum(plan.lr.lr, plan.momentum);
      const x = tf.tensor2d(batch.inputs['x']!.data as Float32Array, [batch.size, 3]);
      const y = tf.tensor2d(batch.labels['a']!.values.data as Float32Array, [batch.size, 1]);
      for (let i = 0; i < 5; i++) {
        step(batch);
        tfOptimizer.minimize(() => tf.losses.meanSquaredError(y, reference.forward({ x }, ['a'], true).get('a')!) as tf.Scalar, false, reference.params.map((p) => p.variable));
      }
      ours.params.forEach((p, i) => assertAllClose(p.variable.dataSync(), reference.params[i]!.variable.dataSync(), 1e-5, p.name));
      [x, y].forEach((t) => t.dispose());
      tfOptimizer.dispose();
      ours.dispose();
      reference.dispose();
    });
  }

  it('a task learning-rate multiplier scales that head’s updates', async () => {
    const job = makeJob({ inputs: [vectorInput('x', 'd', 3)], modules: [], tasks: [task('a', 'regression', { from: null })] });
    const plan: OptimizerPlan = { kind: 'sgd', lr: { kind: 'constant', lr: 0.1 }, momentum: 0, weightDecay: 0, clipNorm: null, normalizeTaskGradients: false };
    const batch = await firstBatch(job, regressionLabels);
    const delta = (multiplier: number) => {
      const model = buildModel(job, (w) => w as number, 2);
      const before = Array.from(model.params[0]!.variable.dataSync());
      makeTrainStep(model, makeOptimizer(plan, () => multiplier), { learningRate: () => 0.1 })(batch);
      const after = Array.from(model.params[0]!.variable.dataSync());
      model.dispose();
      return after.map((v, i) => v - before[i]!);
    };
    assertAllClose(delta(3), delta(1).map((d) => 3 * d), 1e-5);
  });
});

describe('learning-rate schedules', () => {
  it('constant, step, cosine with warmup, linear', () => {
    assert.equal(learningRate({ kind: 'constant', lr: 0.1 }, 57, 100), 0.1);
    assert.equal(learningRate({ kind: 'step', lr: 1, every: 10, gamma: 0.5 }, 9, 100), 1);
    assert.equal(learningRate({ kind: 'step', lr: 1, every: 10, gamma: 0.5 }, 25, 100), 0.25);
    const cosine = { kind: 'cosine', lr: 1, warmup: 10, min: 0.1 } as const;
    assert.equal(learningRate(cosine, 0, 110), 0.1);
    assert.equal(learningRate(cosine, 9, 110), 1);
    assert.equal(learningRate(cosine, 10, 110), 1);
    assertAllClose([learningRate(cosine, 10 + 99 / 2, 110)], [0.55]);
    assertAllClose([learningRate(cosine, 109, 110)], [0.1]);
    const linear = { kind: 'linear', lr: 1, warmup: 0, end: 0 } as const;
    assert.equal(learningRate(linear, 0, 11), 1);
    assertAllClose([learningRate(linear, 5, 11)], [0.5]);
    assertAllClose([learningRate(linear, 10, 11)], [0]);
  });
});
