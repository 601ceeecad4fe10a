/**
 * regression: `units` predicted values per row, the logits themselves. Trains with mse, mae or huber (δ = 1); a row's
 * loss is the mean over its outputs. Labels are floats [n, units]. Metrics: mse, mae (over every output).
 */
import * as tf from '@tensorflow/tfjs';
import * as metrics from '../../metrics.js';
import type { HeadRuntime } from './head.js';

export const regression: HeadRuntime = {
  runnable: true,
  projection: 'dense',
  losses: ['mse', 'mae', 'huber'],
  labelValues: (values, rows, units) => tf.tensor2d(values as Float32Array, [rows, units]),
  lossInput: (logits) => logits,
  predictions: (logits, units) => (units === 1 ? logits.reshape([-1]) : logits),
  product: (factors) => factors.reduce((a, b) => tf.mul(a, b)),
  labels: 'float32',
  metrics: {
    mse: ({ predictions, labels, mask }) => metrics.mse(predictions, labels, mask),
    mae: ({ predictions, labels, mask }) => metrics.mae(predictions, labels, mask),
    auc: null,
    accuracy: null,
    macro_f1: null,
    logloss: null,
    pixel_accuracy: null,
    mean_iou: null,
    exact_match: null,
    token_f1: null,
  },
  examples: [
    // errors [0.5, 3]: mse (0.25 + 9) / 2, mae (0.5 + 3) / 2
    { loss: 'mse', logits: [[0.5], [3]], labels: [0, 0], taskLoss: (0.25 + 9) / 2, predictions: [0.5, 3], metrics: { mse: 4.625, mae: 1.75 } },
    { loss: 'mae', logits: [[0.5], [3]], labels: [0, 0], taskLoss: (0.5 + 3) / 2, predictions: [0.5, 3], metrics: { mae: 1.75 } },
    // huber (δ = 1): ½·0.5² within 1, 3 - ½ beyond
    { loss: 'huber', logits: [[0.5], [3]], labels: [0, 0], taskLoss: (0.5 * 0.25 + (3 - 0.5)) / 2, predictions: [0.5, 3], metrics: {} },
    // two outputs: the row's loss is their mean, (1 + 4) / 2; mse over every output the same
    { loss: 'mse', logits: [[1, 2]], labels: [0, 0], taskLoss: 2.5, predictions: [1, 2], metrics: { mse: 2.5, mae: 1.5 } },
  ],
};
