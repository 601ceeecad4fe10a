/**
 * Gradient aggregation: how the tasks' gradients of the parameters they share become the one update of those
 * parameters. One file per aggregator (aggregators/<kind>.ts), looked up by `TrainingPlan.aggregation.kind` in
 * aggregators/index.ts.
 *
 * `sum` needs no per-task gradients: the step differentiates the summed loss once. An aggregator that needs them
 * (PCGrad, MGDA, …) gets, for every step, each task's gradient of its own weighted loss with respect to every
 * parameter two or more of the step's tasks depend on, and returns the gradient to apply to each. What only one task
 * depends on (its head, its tower, its adapters, its weighting parameter) gets that task's gradient; penalty terms
 * (soft sharing's tie) are differentiated apart and added to whatever the aggregator returns.
 */
import type * as tf from '@tensorflow/tfjs';
import type { AggregationPlan } from '../../../job/job.js';
import type { NotRunnable } from '../../not-runnable.js';
import type { Param } from '../../model/types.js';

export interface TaskGradients {
  /** The step's tasks, in order: row k of `gradients` is task k's. */
  readonly tasks: readonly string[];
  /** The parameters two or more of the tasks depend on, in build order. */
  readonly params: readonly Param[];
  /** `gradients[k][i]`: task k's gradient of its weighted loss with respect to `params[i]` (zeros where it has none). */
  readonly gradients: readonly (readonly tf.Tensor[])[];
}

export type Aggregator =
  /** The step differentiates the summed loss once: one backward pass. */
  | { readonly perTask: false }
  /**
   * The step differentiates each task's loss apart and calls `aggregate` inside its tidy scope: it returns one
   * gradient per shared parameter, shaped like it (what it allocates is freed with the step).
   */
  | { readonly perTask: true; aggregate(gradients: TaskGradients): tf.Tensor[] };

export interface AggregatorRuntime<P extends AggregationPlan = AggregationPlan> {
  readonly runnable: true;
  create(plan: P): Aggregator;
}

export type AggregatorEntry<P extends AggregationPlan> = AggregatorRuntime<P> | NotRunnable;
