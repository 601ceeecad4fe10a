/** sum: the gradient of the summed weighted loss, Σ_t ∇(w_t L_t), from one backward pass of the sum. */
import type { AggregationPlan } from '../../../job/job.js';
import type { AggregatorRuntime } from './aggregator.js';

export const sum: AggregatorRuntime<Extract<AggregationPlan, { kind: 'sum' }>> = {
  runnable: true,
  create: () => ({ perTask: false }),
};
