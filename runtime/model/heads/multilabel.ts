/**
 * multilabel: k logits per row, P(y_j = 1) = σ(logit_j). Trains with bce (the row's loss is the mean over its labels).
 * Labels are 0/1 floats [n, k], masked per row or per label.
 * Metrics are means over labels: auc, logloss, accuracy; macro_f1 is the mean F1 of each label's positive class.
 */
import * as tf from '@tensorflow/tfjs';
import * as metrics from '../../metrics.js';
import type { HeadRuntime, SplitMetric, TaskPredictions } from './head.js';
import { column, meanOf } from './per-label.js';

/** A per-label metric, averaged over the labels that define it. */
function perLabel(f: (p: Float32Array, y: Float32Array, m: Float32Array) => number | null): SplitMetric {
  return ({ predictions, labels, mask }: TaskPredictions, k: number) => {
    const labelMask = (c: number) => (mask.length === labels.length ? column(mask, k, c) : mask);
    return meanOf(Array.from({ length: k }, (_, c) => f(column(predictions, k, c), column(labels, k, c), labelMask(c))));
  };
}

export const multilabel: HeadRuntime = {
  runnable: true,
  projection: 'dense',
  losses: ['bce'],
  labelValues: (values, rows, units) => tf.tensor2d(values as Float32Array, [rows, units]),
  lossInput: (logits) => logits,
  predictions: (logits) => tf.sigmoid(logits),
  labels: 'float32',
  metrics: {
    auc: perLabel(metrics.rocAuc),
    accuracy: perLabel(metrics.binaryAccuracy),
    logloss: perLabel(metrics.binaryLogLoss),
    macro_f1: perLabel(positiveF1),
    mse: null,
    mae: null,
    pixel_accuracy: null,
    mean_iou: null,
    exact_match: null,
    token_f1: null,
  },
  examples: [
    // the mean of the per-label sigmoid cross-entropies: (-log σ(0) - log(1 - σ(1))) / 2 = (log 2 + log(1 + e)) / 2
    {
      loss: 'bce',
      logits: [[0, 1]],
      labels: [1, 0],
      taskLoss: (Math.LN2 + Math.log(1 + Math.E)) / 2,
      predictions: [0.5, 1 / (1 + Math.exp(-1))],
      metrics: { logloss: (Math.LN2 + Math.log(1 + Math.E)) / 2, accuracy: 0 },
    },
  ],
};

/** F1 of the positive class at p > 0.5; null when the label is never positive nor predicted positive. */
function positiveF1(probabilities: Float32Array, labels: Float32Array, mask: Float32Array): number | null {
  let truePositive = 0;
  let falsePositive = 0;
  let falseNegative = 0;
  for (let i = 0; i < labels.length; i++) {
    if (mask[i] === 0) continue;
    if (Number.isNaN(probabilities[i]!)) return null;
    const predicted = probabilities[i]! > metrics.BINARY_THRESHOLD;
    const actual = labels[i] === 1;
    if (predicted && actual) truePositive++;
    else if (predicted) falsePositive++;
    else if (actual) falseNegative++;
  }
  const denominator = 2 * truePositive + falsePositive + falseNegative;
  return denominator === 0 ? null : (2 * truePositive) / denominator;
}
