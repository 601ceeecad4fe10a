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
 *
 * The contract every aggregator meets: given ONE task's gradients it returns them unchanged (with one task there is
 * nothing to reconcile). A method that rescales even then says why in `changesOneTask`; test/runtime/kinds/
 * aggregators.test.ts checks the rule, and each entry's `examples`, for every runnable entry of the table.
 */
import type * as tf from '@tensorflow/tfjs';
import type { AggregationPlan } from '../../../job/job.js';
import type { NotRunnable } from '../../not-runnable.js';
import type { Param } from '../../model/types.js';
import type { Checkpointed } from '../../checkpoint/state.js';

export interface TaskGradients {
  /** The step's tasks, in order: row k of `gradients` is task k's. */
  readonly tasks: readonly string[];
  /** The parameters two or more of the tasks depend on, in build order. */
  readonly params: readonly Param[];
  /** `gradients[k][i]`: task k's gradient of its weighted loss with respect to `params[i]` (zeros where it has none). */
  readonly gradients: readonly (readonly tf.Tensor[])[];
}

/** Task weights from the Gram matrix of the step's task gradients, given the step's tasks (for weights kept across steps). */
export type TaskWeigher = (gram: number[][], tasks: readonly string[]) => number[];

export type Aggregator =
  /** The step differentiates the summed loss once: one backward pass. */
  | { readonly perTask: false }
  /**
   * The step differentiates each task's loss apart and calls `aggregate` inside its tidy scope: it returns one
   * gradient per shared parameter, shaped like it (what it allocates is freed with the step).
   */
  | { readonly perTask: true; aggregate(gradients: TaskGradients): tf.Tensor[]; readonly weigh?: TaskWeigher };

/**
 * An aggregator whose update is a weighting of the task gradients, d = Σ_t w_t g_t, with w from their Gram matrix
 * (aggregators/gram.ts): `weigh` gives w, which the step on the shared representation applies to the gradients of the
 * representation instead (train/representation-gradients.ts). Every kind whose plan carries `on` creates one.
 */
export type WeighingAggregator = Extract<Aggregator, { perTask: true }> & { readonly weigh: TaskWeigher };

/**
 * An aggregator as its entry creates it: with what it carries from step to step (PCGrad's random stream, Nash-MTL's
 * kept weights) for checkpoints, or `stateless(why)`.
 */
export type CheckpointedAggregator<A extends Aggregator = Aggregator> = A & { readonly state: Checkpointed };

/**
 * A case worked by hand, stated beside the implementation (as torchjd tests each aggregator on small matrices): each
 * task's gradient of each shared parameter (vectors) and the gradient the aggregator applies to each.
 */
export interface AggregatorExample<P extends AggregationPlan = AggregationPlan> {
  readonly plan: P;
  /** The training seed handed to `create` (default 0): what a method that draws (PCGrad's task order) draws from. */
  readonly seed?: number;
  /** `gradients[k][i]`: task k's gradient of shared parameter i. */
  readonly gradients: readonly (readonly (readonly number[])[])[];
  /** The gradient to apply to shared parameter i. */
  readonly aggregated: readonly (readonly number[])[];
}

export interface AggregatorRuntime<P extends AggregationPlan = AggregationPlan> {
  readonly runnable: true;
  /** `seed` is the job's training seed: a method that draws (PCGrad's task order) draws from it, deterministically. */
  create(plan: P, seed: number): CheckpointedAggregator<'on' extends keyof P ? WeighingAggregator : Aggregator>;
  /** At least one hand-worked case, each with a one-line comment of its arithmetic. */
  readonly examples: readonly [AggregatorExample<P>, ...AggregatorExample<P>[]];
  /** Why one task's gradient does not come back unchanged (a method that rescales it even alone); absent for the rest. */
  readonly changesOneTask?: string;
}

export type AggregatorEntry<P extends AggregationPlan> = AggregatorRuntime<P> | NotRunnable;
