/** A batch's typed arrays as tensors: inputs, and per task the label values with their mask. */
import * as tf from '@tensorflow/tfjs';
import type { Batch, LabelData } from '../data/api.js';
import { headRuntime } from '../model/heads/index.js';
import { inputTensors as inputsOf } from '../model/input-tensors.js';
import type { HeadInfo } from '../model/types.js';

export interface TaskLabels {
  /** As the head's loss reads them (heads/<kind>.ts): binary [n]; regression [n, units]; multilabel [n, k]; multiclass one-hot [n, k]; dense one-hot [n, pixels, k]. */
  values: tf.Tensor;
  /** [n] per row, or [n, e] per label entry (a dense head's pixels); null when every row (or entry) is labelled. */
  mask: tf.Tensor | null;
  /** How many mask entries are 1: the loss divides by max(1, count). */
  count: number;
  /** Whether `mask` (when not null) is per label entry rather than per row. */
  elementwise: boolean;
}

/** A batch's inputs as tensors (those in `needed`, when given). */
export function inputTensors(batch: Batch, needed?: ReadonlySet<string>): Record<string, tf.Tensor> {
  return inputsOf(batch.inputs, needed);
}

/** @param batchRows the batch's rows; a per-token head's rows are its token positions, as many as its mask has */
export function labelTensors(head: HeadInfo, label: LabelData, batchRows: number): TaskLabels {
  const { mask } = label;
  const rows = headRuntime(head).perToken ? mask.length : batchRows;
  let count = 0;
  for (let i = 0; i < mask.length; i++) count += mask[i]!;
  const elementwise = mask.length !== rows;
  const fullyLabelled = count === mask.length;
  const values = sanitized(label);
  const valueTensor = headRuntime(head).labelValues(values, rows, head.units);
  return {
    values: valueTensor,
    mask: fullyLabelled ? null : elementwise ? tf.tensor2d(mask, [rows, mask.length / rows]) : tf.tensor1d(mask),
    count,
    elementwise,
  };
}

/**
 * Values with every masked entry set to 0. A masked row's loss is multiplied by 0, but a NaN label
 * (how a loader may encode null) would still turn 0 · NaN into NaN, in the loss and its gradient.
 */
function sanitized(label: LabelData): Float32Array | Int32Array {
  const values = label.values.data;
  const { mask } = label;
  const perEntry = values.length / mask.length;
  let copy: Float32Array | Int32Array | null = null;
  for (let i = 0; i < values.length; i++) {
    if (mask[Math.floor(i / perEntry)] === 0 && values[i] !== 0) {
      copy ??= values.slice();
      copy[i] = 0;
    }
  }
  return copy ?? values;
}
