/** sum: the gradient of the summed weighted loss, Σ_t ∇(w_t L_t), from one backward pass of the sum. */
import * as tf from '@tensorflow/tfjs';
import type { AggregationPlan } from '../../../job/job.js';
import type { Aggregator, AggregatorRuntime } from './aggregator.js';
import { stateless } from '../../checkpoint/state.js';

/** sum on the per-task path, for a step that is per-task for its weighting's sake (db_mtl's `balance`): Σ_t g_t. */
export const sumOfTasks: Extract<Aggregator, { perTask: true }> = {
  perTask: true,
  aggregate: ({ params, gradients }) => params.map((_, i) => tf.addN(gradients.map((g) => g[i]!))),
};

export const sum: AggregatorRuntime<Extract<AggregationPlan, { kind: 'sum' }>> = {
  runnable: true,
  create: () => ({ perTask: false, state: stateless('one backward pass of the sum: nothing to carry') }),
  examples: [
    // [1, 2] + [3, -1] = [4, 1]
    { plan: { kind: 'sum' }, gradients: [[[1, 2]], [[3, -1]]], aggregated: [[4, 1]] },
    // three tasks, two parameters: [1, 0] + [0, 1] + [2, 2] = [3, 3]; 2 - 1 + 0.5 = 1.5
    { plan: { kind: 'sum' }, gradients: [[[1, 0], [2]], [[0, 1], [-1]], [[2, 2], [0.5]]], aggregated: [[3, 3], [1.5]] },
  ],
};
