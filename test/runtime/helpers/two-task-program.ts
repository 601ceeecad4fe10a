/**
 * A two-task program compiled by the real compiler, for tests that run a method end to end: task `a` (binary) and
 * `b` (regression) on the 4-wide input `x`, sharing one hidden layer of 6; and synthetic batches for it.
 */
import assert from 'node:assert/strict';
import type { Job } from '../../../job/job.js';
import { parseJob } from '../../../job/parse.js';
import * as tf from '@tensorflow/tfjs';
import type { Batch, JobData } from '../../../runtime/data/api.js';
import { buildModel } from '../../../runtime/model/build.js';
import { makeOptimizer } from '../../../runtime/train/optimizer.js';
import { makeTrainStep } from '../../../runtime/train/step.js';
import { makeWeighting } from '../../../runtime/train/weightings/index.js';
import { weightsOf } from './tf.js';
import { ROWS, compileSource } from '../../compiler/harness.js';
import { fakeJobData, syntheticDataset } from './fakeData.js';

/** `train` holds the train block's fields (`aggregation: pcgrad(), seed: 7`); info diagnostics are expected, nothing else. */
export function twoTaskProgram(train: string): Job {
  const source = `${ROWS}
features x { dataset: rows, transforms: [standardize(age, hours, label), raw(flag)] }
task a { features: x, target: flag, head: binary }
task b { features: x, target: age, head: regression }
share s = hard(backbone: mlp(units: [6]), tasks: [a, b])
train { sampling: proportional(), ${train} }`;
  const compiled = compileSource(source);
  assert.deepEqual(compiled.diagnostics.filter((d) => d.severity !== 'info').map((d) => d.message), [], source);
  return parseJob(JSON.parse(JSON.stringify(compiled.job)));
}

/** Synthetic data for it: `train` training rows (80% of them labelled for `a`), `valid` validation rows, one test row. */
export function twoTaskData(job: Job, train: number, valid = 1): JobData {
  const labels = [{ name: 'a', kind: 'binary' as const, labelled: 0.8 }, { name: 'b', kind: 'regression' as const }];
  return fakeJobData(job, { rows: syntheticDataset('x', 4, labels, { train, valid, test: 1 }, 5) });
}

/** `count` batches of `size` rows of synthetic data for it. */
export async function twoTaskBatches(job: Job, count: number, size = 8): Promise<Batch[]> {
  const data = twoTaskData(job, size * count);
  const out: Batch[] = [];
  for await (const batch of data.batches('rows', 'train', { batchSize: size, shuffle: false, seed: 0 })) out.push(batch);
  return out;
}

/**
 * Trains a fresh model (seed 1) on every batch with the job's own weighting, aggregation and gradient options
 * (clip_norm, normalize_task_gradients), by Adam at 0.01: the weights before and after, the weighting's task weights,
 * each step's loss, and the tensor count after the first step (when every optimizer slot exists) and after the last.
 */
export function trainTwoTasks(job: Job, steps: readonly Batch[]) {
  const model = buildModel(job, (w) => w as number, 1);
  const { clipNorm, normalizeTaskGradients } = job.training.optimizer;
  const optimizer = makeOptimizer({ kind: 'adam', lr: { kind: 'constant', lr: 0.01 }, beta1: 0.9, beta2: 0.999, epsilon: 1e-7, weightDecay: 0, clipNorm, normalizeTaskGradients });
  const weighting = makeWeighting(job);
  const step = makeTrainStep(model, optimizer, { weighting, learningRate: () => 0.01 });
  const initial = weightsOf(model);
  const losses = [step(steps[0]!)];
  const afterOne = tf.memory().numTensors;
  for (const batch of steps.slice(1)) losses.push(step(batch));
  const afterAll = tf.memory().numTensors;
  const weights = weightsOf(model);
  const taskWeights = weighting.current();
  weighting.dispose();
  optimizer.dispose();
  model.dispose();
  return { initial, weights, taskWeights, losses, afterOne, afterAll };
}

/**
 * What a method trained end to end must show: the tensor count flat over the steps, finite losses, every parameter
 * moved (the shared layers and both heads), and the same weights from a second run with the same seed.
 */
export function assertTrainsEndToEnd(job: Job, steps: readonly Batch[]): ReturnType<typeof trainTwoTasks> {
  const run = trainTwoTasks(job, steps);
  assert.equal(run.afterAll, run.afterOne, 'tensors leaked over the steps');
  assert.ok(run.losses.every(Number.isFinite), `losses ${run.losses.join(', ')}`);
  for (const [name, before] of Object.entries(run.initial)) {
    const after = run.weights[name]!;
    assert.ok(after.some((x, i) => x !== before[i]), `${name} did not move`);
  }
  const again = trainTwoTasks(job, steps);
  assert.deepEqual(again.weights, run.weights, 'a second run with the same seed differs');
  assert.deepEqual(again.taskWeights, run.taskWeights, 'a second run with the same seed weighs the tasks differently');
  return run;
}
