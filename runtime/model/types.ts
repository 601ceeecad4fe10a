/** The built model: named tf.Variables for the job's module graph and task heads, and its forward pass. */
import type * as tf from '@tensorflow/tfjs';
import type { Job, TaskPlan } from '../../job/job.js';

/** Who a parameter belongs to: decides freezing (stages) and per-task learning rates. */
export type ParamOwner =
  | { kind: 'module'; module: string }
  | { kind: 'head'; task: string }
  /**
   * One task's adapters inside a shared module (adapters sharing). They train with that task only, and freezing
   * the module does not freeze them: freezing the backbone and training the adapters is what adapters are for.
   */
  | { kind: 'adapter'; module: string; task: string }
  /** A cross-stitch unit: it mixes all `columns`, so it trains with any of them and is frozen only when all are. */
  | { kind: 'stitch'; columns: readonly string[] }
  /** Learnable loss weights (uncertainty weighting): training state, not part of the saved model. */
  | { kind: 'weighting'; task: string };

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

export interface MtlModel {
  readonly job: Job;
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
   * Dropout is applied only when `training` is true.
   */
  forward(inputs: Readonly<Record<string, tf.Tensor>>, tasks: readonly string[], training: boolean): TaskLogits;
  /** The parameters that `tasks` depend on, minus those of `frozenModules`. */
  paramsFor(tasks: readonly string[], frozenModules?: readonly string[]): Param[];
  /**
   * The loss term that ties parameters together (soft sharing's L2 penalty) for a step that trains
   * `trained`; null when none of them is tied. Added to the step's total loss, inside the gradient tape.
   */
  penalty(trained: readonly Param[]): tf.Scalar | null;
  dispose(): void;
}
