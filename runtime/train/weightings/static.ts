/** static: Σ w_t L_t, with w_t = TaskPlan.weight. */
import type { WeightingPlan } from '../../../job/job.js';
import { stateless } from '../../checkpoint/state.js';
import { staticWeights, weighted, type LossWeighting, type WeightingRuntime } from './weighting.js';

export const staticWeighting: WeightingRuntime<Extract<WeightingPlan, { kind: 'static' }>> = {
  runnable: true,
  logsWeights: false,
  create: (_plan, job) => fixedWeighting(staticWeights(job)),
  examples: [
    // 0.5·2 + 2·3 = 7
    { plan: { kind: 'static' }, weights: { a: 0.5, b: 2 }, losses: { a: 2, b: 3 }, total: 7, current: { a: 0.5, b: 2 } },
    // one task: 3·4 = 12
    { plan: { kind: 'static' }, weights: { a: 3 }, losses: { a: 4 }, total: 12, current: { a: 3 } },
  ],
};

/** Fixed weights for the whole run (a task without one weighs 1). */
export function fixedWeighting(weights: ReadonlyMap<string, number>): LossWeighting {
  return {
    params: [],
    term: (task, loss) => weighted(loss, weights.get(task) ?? 1),
    endEpoch: () => {},
    state: stateless('its weights are fixed'),
    current: () => Object.fromEntries(weights),
    dispose: () => {},
  };
}
