/**
 * Task weighting: how each task's loss enters the loss that is differentiated. One file per weighting
 * (weightings/<kind>.ts), looked up by `TrainingPlan.weighting.kind` in weightings/index.ts.
 *
 * A weighting gives each task's term of the total; the total is their sum (weightedTotal). The summed step
 * differentiates the total once; a step that needs per-task gradients differentiates each task's term on its own.
 */
import * as tf from '@tensorflow/tfjs';
import type { Job, WeightingPlan } from '../../../job/job.js';
import type { NotRunnable } from '../../not-runnable.js';
import type { Param } from '../../model/types.js';

export interface LossWeighting {
  /** Learnable parameters of the weighting itself (uncertainty's log-variances), each owned by one task; trained with the model. */
  readonly params: readonly Param[];
  /** Task `task`'s term of the total loss, from its (masked, mean) loss. */
  term(task: string, loss: tf.Scalar): tf.Scalar;
  /** Called after each epoch with the mean training loss of every task that trained in it. */
  endEpoch(meanTaskLoss: Readonly<Record<string, number>>): void;
  /** The current weight of each task, for logs. */
  current(): Record<string, number>;
  dispose(): void;
}

export interface WeightingRuntime<P extends WeightingPlan = WeightingPlan> {
  readonly runnable: true;
  create(plan: P, job: Job): LossWeighting;
}

export type WeightingEntry<P extends WeightingPlan> = WeightingRuntime<P> | NotRunnable;

/** `w_t` of every task: TaskPlan.weight. */
export function staticWeights(job: Job): Map<string, number> {
  return new Map(job.tasks.map((t) => [t.name, t.weight]));
}

/** loss · weight; weight 1 needs no multiply (one op fewer per task and step). */
export function weighted(loss: tf.Scalar, weight: number): tf.Scalar {
  return weight === 1 ? loss : tf.mul(loss, weight);
}
