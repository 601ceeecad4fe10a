/**
 * regression: `units` predicted values per row, the logits themselves. Trains with mse, mae or huber (δ = 1); a row's
 * loss is the mean over its outputs. Labels are floats [n, units]. Metrics: mse, mae (over every output).
 */
import * as tf from '@tensorflow/tfjs';
import * as metrics from '../../metrics.js';
import type { HeadRuntime } from './head.js';

export const regression: HeadRuntime = {
  runnable: true,
  losses: ['mse', 'mae', 'huber'],
  labelValues: (values, rows, units) => tf.tensor2d(values as Float32Array, [rows, units]),
  lossInput: (logits) => logits,
  predictions: (logits, units) => (units === 1 ? logits.reshape([-1]) : logits),
  labels: 'float32',
  metrics: {
    mse: ({ predictions, labels, mask }) => metrics.mse(predictions, labels, mask),
    mae: ({ predictions, labels, mask }) => metrics.mae(predictions, labels, mask),
    auc: null,
    accuracy: null,
    macro_f1: null,
    logloss: null,
  },
};
