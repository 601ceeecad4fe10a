/** static: Σ w_t L_t, with w_t = TaskPlan.weight. */
import type { WeightingPlan } from '../../../job/job.js';
import { staticWeights, weighted, type LossWeighting, type WeightingRuntime } from './weighting.js';

export const staticWeighting: WeightingRuntime<Extract<WeightingPlan, { kind: 'static' }>> = {
  runnable: true,
  create: (_plan, job) => fixedWeighting(staticWeights(job)),
};

/** Fixed weights for the whole run (a task without one weighs 1). */
export function fixedWeighting(weights: ReadonlyMap<string, number>): LossWeighting {
  return {
    params: [],
    term: (task, loss) => weighted(loss, weights.get(task) ?? 1),
    endEpoch: () => {},
    current: () => Object.fromEntries(weights),
    dispose: () => {},
  };
}
