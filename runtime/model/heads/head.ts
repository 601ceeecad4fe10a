/**
 * What the runtime knows of a head kind: the losses it trains with, how a batch's labels become tensors, how the loss
 * reads its logits, what its predictions are (the metrics read them), and what each metric means for it. One file per
 * kind, looked up by `TaskPlan.head.kind` in heads/index.ts. Each kind states hand-worked `examples`, which
 * test/runtime/kinds/heads.test.ts runs through the task loss, the predictions and the metrics.
 */
import type * as tf from '@tensorflow/tfjs';
import type { HeadPlan, LossKind, MetricKind } from '../../../job/job.js';
import type { NotRunnable } from '../../not-runnable.js';

/** A task's predictions and labels over a whole split, row-major. */
export interface TaskPredictions {
  /** What the head's `predictions` give, for every row of the split. */
  predictions: Float32Array;
  /** As the loader gives them: float [n] or [n, k]; int32 class indices [n] for multiclass. */
  labels: Float32Array | Int32Array;
  /** [n], or [n, k] for a multilabel task masked per label. */
  mask: Float32Array;
}

/** A metric over a whole split; `units` is the head's width. Null where it is undefined (one class only, no labelled row). */
export type SplitMetric = (all: TaskPredictions, units: number) => number | null;

export interface HeadRuntime {
  readonly runnable: true;
  /**
   * How its logits come from what reaches it (heads/projections.ts): a dense layer of its own, that input itself (no
   * parameters), a 1×1 convolution of a feature map upsampled to its input image's resolution (`pixels`), or a dense
   * layer per position of a sequence with the sequence's mask beside its logits (`positions`, a span head's).
   */
  readonly projection: 'dense' | 'none' | 'pixels' | 'positions';
  /**
   * Its rows are token positions (tagging): it reads a sequence [n, length, width] per batch, and its logits, labels
   * and mask are [n·length, …]. Absent: a row is a batch row, and it reads a vector per row.
   */
  readonly perToken?: true;
  /** The losses it trains with; the first is what the others are compared with in messages. */
  readonly losses: readonly LossKind[];
  /** A batch's label values (masked entries already zero) as the loss reads them. */
  labelValues(values: Float32Array | Int32Array, rows: number, units: number): tf.Tensor;
  /** The logits [n, units] (a dense head's [n, pixels·units]) as its loss reads them. */
  lossInput(logits: tf.Tensor2D, units: number): tf.Tensor;
  /** What its logits mean, for metrics; `plan` is the task's head (a span head's longest span). */
  predictions(logits: tf.Tensor2D, units: number, plan: HeadPlan): tf.Tensor;
  /**
   * The logits of a product of predictions of this kind (a `product` task's, ESMM's pCTCVR) from its factors' logits
   * [n, 1] each, so that its loss, predictions and metrics are this kind's; absent where predictions do not multiply.
   */
  product?(factors: readonly tf.Tensor2D[]): tf.Tensor2D;
  /** The type of its labels as the loader gives them. */
  readonly labels: 'float32' | 'int32';
  /** Every metric the job may ask for: null where the metric does not apply to the head (it reports null). */
  readonly metrics: Readonly<Record<MetricKind, SplitMetric | null>>;
  /** At least one hand-worked case, each with a one-line comment of its arithmetic. */
  readonly examples: readonly [HeadExample, ...HeadExample[]];
}

/** A case worked by hand, stated beside the implementation: logits and labels → the task's loss, predictions, metrics. */
export interface HeadExample {
  readonly loss: LossKind;
  /** The head's units when a row has several logits per unit (a dense head: pixels × classes); the row's width when absent. */
  readonly units?: number;
  /** What the head's plan says besides its kind and units (a span head's `maxLength`). */
  readonly head?: Pick<HeadPlan, 'maxLength'>;
  /** [n][units]. */
  readonly logits: readonly (readonly number[])[];
  /** As the loader gives them, row-major: floats, or class indices for int32 labels. */
  readonly labels: readonly number[];
  /** 1 for a labelled row (or label entry); every row labelled when absent. */
  readonly mask?: readonly number[];
  /** The masked mean loss (train/loss.ts). */
  readonly taskLoss: number;
  /** `predictions(logits)`, row-major. */
  readonly predictions: readonly number[];
  /** Metrics over these rows; null where a metric is undefined on them. */
  readonly metrics: Partial<Readonly<Record<MetricKind, number | null>>>;
}

export type HeadEntry = HeadRuntime | NotRunnable;
