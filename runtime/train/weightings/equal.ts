/** equal: Σ L_t, whatever the tasks' weights say. */
import type { WeightingPlan } from '../../../job/job.js';
import { fixedWeighting } from './static.js';
import type { WeightingRuntime } from './weighting.js';

export const equal: WeightingRuntime<Extract<WeightingPlan, { kind: 'equal' }>> = {
  runnable: true,
  create: (_plan, job) => fixedWeighting(new Map(job.tasks.map((t) => [t.name, 1]))),
};
