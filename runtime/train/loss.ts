/**
 * Masked per-task losses. The loss of a task is sum(mask · rowLoss) / max(1, sum(mask)): a row
 * without a label for the task contributes nothing, and its gradient is exactly zero.
 */
import * as tf from '@tensorflow/tfjs';
import type { LossKind } from '../../job/job.js';
import { headRuntime } from '../model/heads/index.js';
import type { AuxiliaryLosses, HeadInfo } from '../model/types.js';
import type { TaskLabels } from './labels.js';
import { toyObjectives } from './toy-objectives.js';

/** The loss of each label entry, by loss kind, from the logits as the head's loss reads them and the label values. */
const entryLosses: Record<LossKind, (x: tf.Tensor, values: tf.Tensor) => tf.Tensor> = {
  // softplus(x) - x·y is -[y·log σ(x) + (1-y)·log(1-σ(x))], stable for large |x|, and its
  // gradient σ(x) - y is right everywhere (the relu/abs form gets x = 0 wrong).
  bce: (x, values) => tf.sub(tf.softplus(x), tf.mul(x, values)),
  // -log softmax at the labelled class, over the last axis (a dense head's [n, pixels, k] too); a zero one-hot row
  // (missing class) gives 0. Labels of one axis less are class indices, one-hot over the last axis here (a span head's
  // positions, whose count is the batch's length).
  ce: (x, values) => {
    const oneHot = values.rank === x.rank - 1 ? tf.oneHot(values, x.shape[x.rank - 1]!) : values;
    return tf.neg(tf.sum(tf.mul(oneHot, tf.logSoftmax(x)), -1));
  },
  mse: (x, values) => tf.squaredDifference(x, values),
  mae: (x, values) => tf.abs(tf.sub(x, values)),
  // δ = 1: quadratic within 1 of the target, linear beyond.
  huber: (x, values) => {
    const error = tf.abs(tf.sub(x, values));
    const quadratic = tf.minimum(error, 1);
    return tf.add(tf.mul(tf.square(quadratic), 0.5), tf.sub(error, quadratic));
  },
  // Objectives of the point each row reaches (an objective head): no label.
  toy_f1: (x) => toyObjectives.toy_f1(x),
  toy_f2: (x) => toyObjectives.toy_f2(x),
};

/** [n] for binary (whose loss reads [n] logits), objectives and multiclass, [n, k] for multilabel and regression, [n, pixels] for dense. */
function entryLoss(head: HeadInfo, logits: tf.Tensor2D, values: tf.Tensor): tf.Tensor {
  return entryLosses[head.task.loss](headRuntime(head).lossInput(logits, head.units), values);
}

/**
 * The masked sum of the batch's loss and how many entries it covers; the task's loss is
 * sum / max(1, count). Kept apart so evaluation can add sums over a whole split.
 */
export function maskedLossSum(head: HeadInfo, logits: tf.Tensor2D, labels: TaskLabels): { sum: tf.Scalar; count: number } {
  const entries = entryLoss(head, logits, labels.values);
  // Masked per entry (a dense head's pixels), the loss is a mean over entries even when all are labelled: evaluation
  // adds these sums and counts over batches, so every batch must count in the same unit.
  if (labels.elementwise) {
    return { sum: tf.sum(labels.mask === null ? entries : tf.mul(entries, labels.mask)), count: labels.count };
  }
  // Several outputs per row (multilabel, vector regression): the row's loss is their mean.
  const rowLoss = entries.rank === 1 ? entries : entries.shape[1] === 1 ? entries.reshape([-1]) : tf.mean(entries, 1);
  if (labels.mask === null) return { sum: tf.sum(rowLoss), count: rowLoss.shape[0]! };
  return { sum: tf.sum(tf.mul(rowLoss, labels.mask)), count: labels.count };
}

export function taskLoss(head: HeadInfo, logits: tf.Tensor2D, labels: TaskLabels): tf.Scalar {
  const { sum, count } = maskedLossSum(head, logits, labels);
  return tf.div(sum, Math.max(1, count));
}

/** The task losses with each task's share of the layers' own losses (moe's balance loss) added: what training minimises. */
export function withAuxiliary<L extends ReadonlyMap<string, tf.Scalar>>(byTask: L, auxiliary: AuxiliaryLosses): L | Map<string, tf.Scalar> {
  if (auxiliary.size === 0) return byTask;
  return new Map([...byTask].map(([task, loss]) => [task, auxiliary.has(task) ? (tf.add(loss, auxiliary.get(task)!) as tf.Scalar) : loss]));
}
