/**
 * binary: one logit per row; P(y = 1) = σ(logit). Trains with bce. Labels are 0/1 floats [n].
 * Metrics: auc, accuracy (p > 0.5), macro_f1 over {0, 1}, logloss.
 */
import * as tf from '@tensorflow/tfjs';
import * as metrics from '../../metrics.js';
import type { HeadRuntime } from './head.js';

export const binary: HeadRuntime = {
  runnable: true,
  losses: ['bce'],
  labelValues: (values) => tf.tensor1d(values as Float32Array),
  lossInput: (logits) => logits.reshape([-1]),
  predictions: (logits) => tf.sigmoid(logits).reshape([-1]),
  labels: 'float32',
  metrics: {
    auc: ({ predictions, labels, mask }) => metrics.rocAuc(predictions, labels, mask),
    accuracy: ({ predictions, labels, mask }) => metrics.binaryAccuracy(predictions, labels, mask),
    macro_f1: ({ predictions, labels, mask }) => metrics.binaryMacroF1(predictions, labels, mask),
    logloss: ({ predictions, labels, mask }) => metrics.binaryLogLoss(predictions, labels, mask),
    mse: null,
    mae: null,
  },
};
