/** The built model: named tf.Variables for the job's module graph and task heads, and its forward pass. */
import type { GateProbe } from './gates.js';
import type * as tf from '@tensorflow/tfjs';
import type { Job, SharingKind, TaskPlan } from '../../job/job.js';
import type { ModelJob } from './model-job.js';
import type { SourceRef } from './refs.js';
import type { Checkpointed } from '../checkpoint/state.js';
import type { RoutingLog } from './routing.js';

/**
 * Who a parameter belongs to: decides freezing (stages), which steps train it, and per-task learning rates
 * (what serves one task alone learns at that task's rate).
 */
export type ParamOwner =
  | { kind: 'module'; module: string }
  | { kind: 'head'; task: string }
  /**
   * A sharing scheme's own parameter: an adapter of one task inside a shared module, a cross-stitch matrix mixing
   * several columns. `modules` are the modules it belongs to; `task` the one task it serves alone, or null when it
   * serves several. When it trains (and whether freezing its modules freezes it) is the scheme's rule
   * (SharingScheme.trains in schemes/scheme.ts).
   */
  | { kind: 'scheme'; scheme: SharingKind; modules: readonly string[]; task: string | null }
  /** Learnable loss weights (uncertainty weighting): training state, not part of the saved model. */
  | { kind: 'weighting'; task: string }
  /**
   * A statistic a layer of the module keeps (batch normalisation's moving mean and variance): updated by the layer
   * itself in each training forward pass, never by a gradient; saved with the weights and in checkpoints.
   */
  | { kind: 'statistic'; module: string };

export interface Param {
  /** Stable, human-readable name used in saved weights: `trunk/0/kernel`, `head/ctr/bias`. */
  readonly name: string;
  readonly variable: tf.Variable;
  readonly owner: ParamOwner;
}

export interface HeadInfo {
  readonly task: TaskPlan;
  /** Output units of the head's logits (resolved from a possibly symbolic width). */
  readonly units: number;
}

/** Logits per task name, each [batch, units]. */
export type TaskLogits = Map<string, tf.Tensor2D>;

/**
 * Dropout seeds of one training step, by layer application, drawn from the model's dropout stream when first used.
 * Forward passes given the same map apply the same masks: a step that runs one pass per task sees the same network.
 */
export type DropoutSeeds = Map<string, number>;

/**
 * A layer's output given to a forward pass instead of computed: what reads it reads `value` (the step on the shared
 * representation differentiates each task's branch with respect to it).
 */
export interface GivenOutput {
  readonly at: Extract<SourceRef, { kind: 'layer' }>;
  readonly value: tf.Tensor;
}

/**
 * Each task's share of the training losses layers add of their own (moe's load balancing), by task: a layer's loss is
 * split equally among the tasks of its module (`ModulePlan.tasks`), so with unit task weights the total carries it once.
 */
export type AuxiliaryLosses = Map<string, tf.Scalar>;

/** `J`: the job it was built from; a whole job for training, a package's model part for serving (runtime/package/). */
export interface MtlModel<J extends ModelJob = Job> {
  readonly job: J;
  /**
   * In build order: modules in job order (layer by layer, then the module's adapters task by task),
   * then cross-stitch units, then heads in task order.
   */
  readonly params: readonly Param[];
  readonly heads: ReadonlyMap<string, HeadInfo>;
  /**
   * Logits of `tasks` for one batch. Every module is computed at most once per call, however many
   * of the tasks read it, so tasks that share a batch share one backbone pass (a module with adapters
   * once per task that has adapters in it: their outputs differ).
   * Dropout is applied only when `training` is true, with masks seeded by `dropoutSeeds` (default: fresh ones).
   * A training pass given `auxiliary` fills it with each task's share of the layers' own losses (moe's balance loss).
   */
  forward(inputs: Readonly<Record<string, tf.Tensor>>, tasks: readonly string[], training: boolean, dropoutSeeds?: DropoutSeeds, given?: GivenOutput, auxiliary?: AuxiliaryLosses): TaskLogits;
  /** The output of layer `at` as `task` sees it, computed as `forward` would (the shared trunk up to the representation). */
  output(inputs: Readonly<Record<string, tf.Tensor>>, at: Extract<SourceRef, { kind: 'layer' }>, task: string, training: boolean, dropoutSeeds?: DropoutSeeds): tf.Tensor;
  /** The parameters that `tasks` depend on, minus those of `frozenModules`. */
  paramsFor(tasks: readonly string[], frozenModules?: readonly string[]): Param[];
  /**
   * The loss term that ties parameters together (soft sharing's L2 penalty) for a step that trains
   * `trained`; null when none of them is tied. Added to the step's total loss, inside the gradient tape.
   */
  penalty(trained: readonly Param[]): tf.Scalar | null;
  /** The gates of its mixtures of experts, for the expert telemetry (train/experts.ts); empty without any. */
  readonly gates: readonly GateProbe[];
  /** What its moe layers routed and dropped in training passes since it was last taken (routing.ts). */
  readonly routing?: RoutingLog;
  /** The position of its dropout stream, for checkpoints (the weights are `params`). */
  readonly dropout: Checkpointed;
  dispose(): void;
}
