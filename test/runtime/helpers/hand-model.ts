/**
 * The model tests work gradients out by hand on: x → trunk (dense 2 → 2, linear) → heads a and b (dense 2 → 1), mse,
 * task weights 1 and 2; one batch of rows x1 = [1, 2], x2 = [3, -1], labels a = [0, 1], b = [1, 0].
 */
import type { Job, TrainingPlan } from '../../../job/job.js';
import type { Batch } from '../../../runtime/data/api.js';
import { denseModule, makeJob, task, vectorInput } from './jobs.js';

export function handJob(training: Partial<TrainingPlan> = {}): Job {
  return makeJob({
    inputs: [vectorInput('x', 'd', 2)],
    modules: [denseModule('trunk', 'x', [2], ['a', 'b'], { activation: 'linear' })],
    tasks: [task('a', 'regression', { weight: 1 }), task('b', 'regression', { weight: 2 })],
    training,
  });
}

export const handBatch: Batch = {
  dataset: 'd',
  size: 2,
  inputs: { x: { data: Float32Array.of(1, 2, 3, -1), shape: [2, 2] } },
  labels: {
    a: { values: { data: Float32Array.of(0, 1), shape: [2] }, mask: Float32Array.of(1, 1) },
    b: { values: { data: Float32Array.of(1, 0), shape: [2] }, mask: Float32Array.of(1, 1) },
  },
};

/** Trunk W = I, c = 0 (so h = x), head a's kernel u = [1, 1], head b's `v`, zero head biases. */
export function handWeights(v: readonly [number, number]): Record<string, number[]> {
  return {
    'trunk/0/kernel': [1, 0, 0, 1], 'trunk/0/bias': [0, 0],
    'head/a/kernel': [1, 1], 'head/a/bias': [0],
    'head/b/kernel': [...v], 'head/b/bias': [0],
  };
}
