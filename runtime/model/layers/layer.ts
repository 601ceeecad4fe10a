/**
 * What the runtime knows of a layer kind: what it reads, the shape it makes of what it reads, its parameters and its
 * computation. One file per kind, looked up by `layer.kind` in layers/index.ts. Each kind states hand-worked
 * `examples`, which test/runtime/kinds/layers.test.ts runs through `outputShape`, `build` and the computation.
 */
import type * as tf from '@tensorflow/tfjs';
import type { LayerPlan, Width } from '../../../job/job.js';
import type { ModelJob } from '../model-job.js';
import type { NotRunnable } from '../../not-runnable.js';
import type { ParamStore } from '../params.js';
import type { SourceRef } from '../refs.js';
import type { ParamOwner } from '../types.js';
import type { RoutingLog } from '../routing.js';

/** Where a layer sits, for its parameters and messages. */
export interface LayerSite {
  /** `module 'trunk' layer 0 (dense)`. */
  readonly where: string;
  /** Its parameters are named `${prefix}/…`: `trunk/0`. */
  readonly prefix: string;
  readonly owner: ParamOwner;
  readonly store: ParamStore;
  /** Resolves a width the training split decides (an embedding's vocabulary); absent where every width is a number. */
  readonly width?: (w: Width) => number;
  /** Where a layer that routes rows (moe) counts what it routed and dropped, for the expert telemetry. */
  readonly routing?: RoutingLog;
}

/** How one application of a layer runs. */
export interface LayerCall {
  readonly training: boolean;
  /** What it reads is a batch of data, which nothing differentiates (a first layer reading model inputs). */
  readonly inputIsData: boolean;
  /** The seed of this application's dropout mask; draw it only when dropout applies. */
  dropoutSeed(): number;
  /**
   * The batch's token mask [n, length] (1 = a token, 0 = padding: the token input's ids ≠ 0), for layers over token
   * sequences; absent or null when every position is a token.
   */
  tokenMask?(): tf.Tensor2D | null;
  /**
   * Receives a training loss of the layer's own (moe's load balancing): the forward pass adds it to the losses of the
   * tasks that read the layer. Absent where nothing trains on it.
   */
  auxiliaryLoss?(loss: tf.Scalar): void;
}

/** A built layer: its output from the outputs of what it reads, in the order `sources` (or the module) gives them. */
export type LayerFn = (inputs: readonly tf.Tensor[], call: LayerCall) => tf.Tensor;

export interface LayerRuntime<L extends LayerPlan = LayerPlan> {
  readonly runnable: true;
  /**
   * What the layer reads when it names that itself (a mixture: its experts' and its gate's outputs). Without it the
   * layer reads the module's input at its position: the layer before, or the module's source.
   */
  sources?(layer: L, job: ModelJob, readBy: string): SourceRef[];
  /**
   * Its per-row output shape from the shapes it reads; a UserError for a shape it cannot read (with `where`).
   * The job says the same shape (the compiler infers them): the build checks that they agree.
   */
  outputShape(layer: L, inputs: readonly (readonly number[])[], where: string): number[];
  /** Creates its parameters (in build order) and returns its computation. */
  build(layer: L, inputs: readonly (readonly number[])[], site: LayerSite): LayerFn;
  /** At least one hand-worked case, each with a one-line comment of its arithmetic. */
  readonly examples: readonly [LayerExample<L>, ...LayerExample<L>[]];
}

/** A batch of values, row-major, with its shape (batch first). */
export interface ExampleTensor {
  readonly shape: readonly number[];
  readonly values: readonly number[];
}

/** A case worked by hand, stated beside the implementation: the layer, its parameters' values, what it reads → its output. */
export interface LayerExample<L extends LayerPlan = LayerPlan> {
  readonly layer: L;
  /** Every parameter it creates, by name under its prefix (`kernel` for `trunk/0/kernel`), row-major. */
  readonly params: Readonly<Record<string, readonly number[]>>;
  /** What it reads, in the order `sources` (or the module) gives them. */
  readonly inputs: readonly ExampleTensor[];
  /** Its output, not training (no dropout). */
  readonly output: ExampleTensor;
  /** The token mask [n, length] of the batch, for a layer over sequences; every position a token when absent. */
  readonly mask?: ExampleTensor;
}

export type LayerEntry<L extends LayerPlan> = LayerRuntime<L> | NotRunnable;
