/**
 * Task weighting: how each task's loss enters the loss that is differentiated. One file per weighting
 * (weightings/<kind>.ts), looked up by `TrainingPlan.weighting.kind` in weightings/index.ts.
 *
 * A weighting gives each task's term of the total; the total is their sum (weightedTotal). The summed step
 * differentiates the total once; a step that needs per-task gradients differentiates each task's term on its own.
 *
 * What holds for every weighting, checked for every runnable entry with its `examples` by
 * test/runtime/kinds/weightings.test.ts: as created (its parameters at their initial values), non-negative task losses
 * give a non-negative total. (A learned parameter may take it below zero: uncertainty's + s_t.)
 */
import * as tf from '@tensorflow/tfjs';
import type { HeadKind, Job, WeightingPlan } from '../../../job/job.js';
import type { NotRunnable } from '../../not-runnable.js';
import type { TaskGradients } from '../aggregators/aggregator.js';
import type { Param } from '../../model/types.js';
import type { Checkpointed } from '../../checkpoint/state.js';

export interface LossWeighting {
  /** Learnable parameters of the weighting itself (uncertainty's log-variances), each owned by one task; trained with the model. */
  readonly params: readonly Param[];
  /** Task `task`'s term of the total loss, from its (masked, mean) loss. */
  term(task: string, loss: tf.Scalar): tf.Scalar;
  /** Called after each epoch with the mean training loss of every task that trained in it. */
  endEpoch(meanTaskLoss: Readonly<Record<string, number>>): void;
  /** Called before each step's terms with the tasks the step trains (rlw draws its weights here). */
  beginStep?(tasks: readonly string[]): void;
  /** Called after each step's update with the step's (unweighted) task losses (famo updates its logits here). */
  endStep?(taskLoss: Readonly<Record<string, number>>): void;
  /**
   * The summed step's total, for a weighting whose terms are not independent (famo's c needs every task's loss);
   * without it the total is the sum of the terms. The per-task step always differentiates `term`.
   */
  total?(taskLosses: ReadonlyMap<string, tf.Scalar>): tf.Scalar;
  /**
   * For a weighting that balances the task gradients too (db_mtl): each task's gradient of the shared parameters, of its
   * term, rescaled before the job's aggregation combines them (`sum` adds them). It makes every step per-task. Called
   * inside the step's tidy scope; state it keeps across steps it keeps and frees itself.
   */
  balance?(gradients: TaskGradients): tf.Tensor[][];
  /**
   * What it carries from step to step (histories, running averages, its own optimizer's moments, random streams), for
   * checkpoints: restored on a weighting created afresh from the same job, it continues exactly. `stateless(why)` for
   * one that carries nothing; its `params` are saved with the model's.
   */
  readonly state: Checkpointed;
  /** The current weight of each task, for logs. */
  current(): Record<string, number>;
  /** What it learns besides the weights, per task, by name (uncertainty's `log_variance`): logged beside them. */
  learned?(): Record<string, Record<string, number>>;
  dispose(): void;
}

/** A case worked by hand, stated beside the implementation. */
export interface WeightingExample<P extends WeightingPlan = WeightingPlan> {
  readonly plan: P;
  /** Each task's static weight (TaskPlan.weight), in task order. */
  readonly weights: Readonly<Record<string, number>>;
  /** Each task's head kind (with its default loss) where it matters (uncertainty's by_head form); default regression. */
  readonly heads?: Readonly<Record<string, HeadKind>>;
  /** The weighting's parameters set by name before the step (uncertainty's `weighting/log_variance/<task>`); the rest keep their initial values. */
  readonly params?: Readonly<Record<string, number>>;
  /** The mean task losses of the epochs already ended, oldest first (what `endEpoch` got). */
  readonly history?: readonly Readonly<Record<string, number>>[];
  /** The task losses of the steps already taken, oldest first (what `endStep` got); each step calls `beginStep` first. */
  readonly steps?: readonly Readonly<Record<string, number>>[];
  /** The step's task losses (its `beginStep` is called with their tasks). */
  readonly losses: Readonly<Record<string, number>>;
  /**
   * For a weighting with `balance`: the task gradients of the shared parameters (`[task][param]` vectors) handed to it
   * at each step, oldest first, and what its last call returns; `current` is read after it.
   */
  readonly balance?: {
    readonly steps: readonly (readonly (readonly (readonly number[])[])[])[];
    /** Each step's task losses, handed to `endStep` after its balance (gradnorm moves its weights there). */
    readonly losses?: readonly Readonly<Record<string, number>>[];
    readonly balanced: readonly (readonly (readonly number[])[])[];
  };
  /** The total loss (weightedTotal) and every task's current weight. */
  readonly total: number;
  readonly current: Readonly<Record<string, number>>;
  /** What `learned` gives then, when the weighting has it. */
  readonly learned?: Readonly<Record<string, Readonly<Record<string, number>>>>;
}

export interface WeightingRuntime<P extends WeightingPlan = WeightingPlan> {
  readonly runnable: true;
  create(plan: P, job: Job): LossWeighting;
  /**
   * Whether its weights (and `learned` values) change with training and are worth a `weights` row of metrics.jsonl per
   * epoch and the end of `mtl run`'s output: not for fixed weights, nor for weights drawn afresh every step (rlw).
   */
  readonly logsWeights: boolean;
  /** Why non-negative losses may give a negative total as created (famo's log-losses); checked otherwise. */
  readonly negativeTotal?: string;
  /** At least one hand-worked case, each with a one-line comment of its arithmetic. */
  readonly examples: readonly [WeightingExample<P>, ...WeightingExample<P>[]];
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
