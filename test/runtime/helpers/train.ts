/** Training helpers shared by runtime tests: the per-task sum aggregator, and a few steps of a fresh model. */
import * as tf from '@tensorflow/tfjs';
import type { Job, OptimizerPlan } from '../../../job/job.js';
import type { Batch } from '../../../runtime/data/api.js';
import { buildModel } from '../../../runtime/model/build.js';
import type { Aggregator } from '../../../runtime/train/aggregators/index.js';
import { makeOptimizer } from '../../../runtime/train/optimizer.js';
import { makeTrainStep, type TrainStepOptions } from '../../../runtime/train/step.js';
import { makeWeighting } from '../../../runtime/train/weightings/index.js';
import { weightsOf } from './tf.js';

const width = (w: unknown) => w as number;

/** A test-only aggregator: Σ_t g_t, from the per-task gradients (what `sum` computes in one backward pass). */
export const perTaskSum: Aggregator = {
  perTask: true,
  aggregate: ({ gradients }) => gradients[0]!.map((_, i) => tf.addN(gradients.map((row) => row[i]!))),
};

/** Trains a fresh model of `job` (seed 3) on `steps` and returns its weights, the step losses and the weighting's parameters. */
export function trainWith(job: Job, steps: Batch[], plan: OptimizerPlan, aggregator?: Aggregator) {
  const model = buildModel(job, width, 3);
  const optimizer = makeOptimizer(plan);
  const weighting = makeWeighting(job);
  const taskLosses: Record<string, number>[] = [];
  const options: TrainStepOptions = { weighting, learningRate: () => plan.lr.lr, onTaskLosses: (l) => taskLosses.push({ ...l }), ...(aggregator ? { aggregator } : {}) };
  const step = makeTrainStep(model, optimizer, options);
  const totals = steps.map((batch) => step(batch));
  const result = { weights: weightsOf(model), totals, taskLosses, weighting: weighting.params.map((p) => Array.from(p.variable.dataSync())) };
  optimizer.dispose();
  weighting.dispose();
  model.dispose();
  return result;
}
