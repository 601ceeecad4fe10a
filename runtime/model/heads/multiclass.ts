/**
 * multiclass: k logits per row; class probabilities softmax(logits). Trains with ce. Labels are int32 class indices [n],
 * one-hot for the loss (an out-of-range index, the loader's placeholder for a missing class, one-hots to a zero row).
 * Metrics: accuracy and macro_f1 of the argmax, logloss, auc = mean one-vs-rest AUC over classes.
 */
import * as tf from '@tensorflow/tfjs';
import * as metrics from '../../metrics.js';
import type { HeadRuntime } from './head.js';
import { column, meanOf } from './per-label.js';

export const multiclass: HeadRuntime = {
  runnable: true,
  projection: 'dense',
  losses: ['ce'],
  labelValues: (values, _rows, units) => tf.oneHot(tf.tensor1d(values as Int32Array, 'int32'), units),
  lossInput: (logits) => logits,
  predictions: (logits) => tf.softmax(logits),
  labels: 'int32',
  metrics: {
    accuracy: ({ predictions, labels, mask }, k) => metrics.multiclassAccuracy({ values: predictions, classes: k }, labels, mask),
    macro_f1: ({ predictions, labels, mask }, k) => metrics.multiclassMacroF1({ values: predictions, classes: k }, labels, mask),
    logloss: ({ predictions, labels, mask }, k) => metrics.multiclassLogLoss({ values: predictions, classes: k }, labels, mask),
    auc: ({ predictions, labels, mask }, k) =>
      meanOf(Array.from({ length: k }, (_, c) => metrics.rocAuc(column(predictions, k, c), Float32Array.from(labels, (y) => (y === c ? 1 : 0)), mask))),
    mse: null,
    mae: null,
    pixel_accuracy: null,
    mean_iou: null,
    exact_match: null,
    token_f1: null,
  },
  examples: [
    // -log softmax([1, 2, 3])_0 = log(e + e² + e³) - 1
    {
      loss: 'ce',
      logits: [[1, 2, 3]],
      labels: [0],
      taskLoss: Math.log(Math.exp(1) + Math.exp(2) + Math.exp(3)) - 1,
      predictions: [1, 2, 3].map((z) => Math.exp(z) / (Math.exp(1) + Math.exp(2) + Math.exp(3))),
      metrics: { accuracy: 0 },
    },
    // softmax([0, 0, ln 2]) = [¼, ¼, ½], class 2: -log ½ = log 2; the argmax is right
    {
      loss: 'ce',
      logits: [[0, 0, Math.LN2]],
      labels: [2],
      taskLoss: Math.LN2,
      predictions: [0.25, 0.25, 0.5],
      metrics: { accuracy: 1, logloss: Math.LN2 },
    },
  ],
};
