/** The built model: named tf.Variables for the job's module graph and task heads, and its forward pass. */
import type * as tf from '@tensorflow/tfjs';
import type { Job, TaskPlan } from '../../compiler/job/job.js';

/** Who a parameter belongs to: decides freezing (stages) and per-task learning rates. */
export type ParamOwner =
  | { kind: 'module'; module: string }
  | { kind: 'head'; task: string }
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
  /** In build order: modules in job order (layer by layer), then heads in task order. */
  readonly params: readonly Param[];
  readonly heads: ReadonlyMap<string, HeadInfo>;
  /**
   * Logits of `tasks` for one batch. Every module is computed at most once per call, however many
   * of the tasks read it, so tasks that share a batch share one backbone pass.
   * Dropout is applied only when `training` is true.
   */
  forward(inputs: Readonly<Record<string, tf.Tensor>>, tasks: readonly string[], training: boolean): TaskLogits;
  /** The parameters that `tasks` depend on, minus those of `frozenModules`. */
  paramsFor(tasks: readonly string[], frozenModules?: readonly string[]): Param[];
  dispose(): void;
}
