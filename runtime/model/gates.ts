/** What the expert telemetry (train/experts.ts) reads of a gate; apart from schemes/scheme.ts so model types need not import the schemes. */
import type * as tf from '@tensorflow/tfjs';
import type { SourceRef } from './refs.js';

/**
 * A gate whose routing the runtime reports per epoch (train/experts.ts): mmoe's softmax gates today; a scheme with
 * gates (cgc, ple, top-k moe) implements it for each of its gates and returns them from `AttachedScheme.gates`.
 */
export interface GateProbe {
  /** The share, for messages and metrics.jsonl. */
  readonly share: string;
  /** Names the gate in metrics.jsonl (`module`): the gate's module id. */
  readonly gate: string;
  /** The task whose mixture it weighs. */
  readonly task: string;
  /** The experts it weighs, in the order of its outputs. */
  readonly experts: readonly string[];
  /** Its outputs on a batch (not training), from the model's forward pass as `task` sees it (`output`). */
  observe(output: (ref: SourceRef, task: string) => tf.Tensor): GateObservation;
}

/** One batch through a gate. */
export interface GateObservation {
  /** Its distribution over the experts, [n, experts], each row summing to 1. */
  readonly weights: tf.Tensor2D;
  /**
   * Top-k routing: where each row was sent, [n, experts] (1 = an assignment to that expert, capacity drops included),
   * and how many of those assignments capacity dropped. Absent for a dense gate: its load is its mean distribution.
   */
  readonly routing?: { readonly assigned: tf.Tensor2D; readonly dropped: number };
}
