/** equal: Σ L_t, whatever the tasks' weights say. */
import type { WeightingPlan } from '../../../job/job.js';
import { fixedWeighting } from './static.js';
import type { WeightingRuntime } from './weighting.js';

export const equal: WeightingRuntime<Extract<WeightingPlan, { kind: 'equal' }>> = {
  runnable: true,
  logsWeights: false,
  create: (_plan, job) => fixedWeighting(new Map(job.tasks.map((t) => [t.name, 1]))),
  examples: [
    // the static weights are ignored: 2 + 3 = 5
    { plan: { kind: 'equal' }, weights: { a: 0.5, b: 2 }, losses: { a: 2, b: 3 }, total: 5, current: { a: 1, b: 1 } },
  ],
};
