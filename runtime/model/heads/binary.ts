/**
 * binary: one logit per row; P(y = 1) = σ(logit). Trains with bce. Labels are 0/1 floats [n].
 * Metrics: auc, accuracy (p > 0.5), macro_f1 over {0, 1}, logloss.
 */
import * as tf from '@tensorflow/tfjs';
import * as metrics from '../../metrics.js';
import type { HeadRuntime } from './head.js';

/** The least 1 − p a product of probabilities keeps (float32's spacing just below 1 is 6e-8). */
const PRODUCT_FLOOR = 1e-7;

export const binary: HeadRuntime = {
  runnable: true,
  projection: 'dense',
  losses: ['bce'],
  labelValues: (values) => tf.tensor1d(values as Float32Array),
  lossInput: (logits) => logits.reshape([-1]),
  predictions: (logits) => tf.sigmoid(logits).reshape([-1]),
  // p = Π σ(aᵢ); its logit log p − log(1 − p), with log p = −Σ softplus(−aᵢ) exact for small p, and 1 − p kept above
  // float32's resolution at 1 so that a product near 1 has a finite logit (σ of it gives p back within rounding).
  product: (factors) => {
    const logP = tf.neg(tf.addN(factors.map((a) => tf.softplus(tf.neg(a)))));
    const logNotP = tf.log(tf.maximum(tf.sub(1, tf.exp(logP)), PRODUCT_FLOOR));
    return tf.sub(logP, logNotP) as tf.Tensor2D;
  },
  labels: 'float32',
  metrics: {
    auc: ({ predictions, labels, mask }) => metrics.rocAuc(predictions, labels, mask),
    accuracy: ({ predictions, labels, mask }) => metrics.binaryAccuracy(predictions, labels, mask),
    macro_f1: ({ predictions, labels, mask }) => metrics.binaryMacroF1(predictions, labels, mask),
    logloss: ({ predictions, labels, mask }) => metrics.binaryLogLoss(predictions, labels, mask),
    mse: null,
    mae: null,
    pixel_accuracy: null,
    mean_iou: null,
    exact_match: null,
    token_f1: null,
  },
  examples: [
    // -log σ(-0.25) = log(1 + e^0.25), -log(1 - σ(2)) = log(1 + e^2), meaned; both rows wrong: accuracy and auc 0
    {
      loss: 'bce',
      logits: [[-0.25], [2]],
      labels: [1, 0],
      taskLoss: (Math.log(1 + Math.exp(0.25)) + Math.log(1 + Math.exp(2))) / 2,
      predictions: [1 / (1 + Math.exp(0.25)), 1 / (1 + Math.exp(-2))],
      metrics: { accuracy: 0, auc: 0, logloss: (Math.log(1 + Math.exp(0.25)) + Math.log(1 + Math.exp(2))) / 2 },
    },
    // the masked row is left out of the mean: log(1 + e^0.25); one class left: auc undefined
    {
      loss: 'bce',
      logits: [[-0.25], [2]],
      labels: [1, 0],
      mask: [1, 0],
      taskLoss: Math.log(1 + Math.exp(0.25)),
      predictions: [1 / (1 + Math.exp(0.25)), 1 / (1 + Math.exp(-2))],
      metrics: { accuracy: 0, auc: null },
    },
    // no labelled row: 0, not NaN (the divisor is max(1, Σ mask))
    { loss: 'bce', logits: [[-0.25], [2]], labels: [1, 0], mask: [0, 0], taskLoss: 0, predictions: [1 / (1 + Math.exp(0.25)), 1 / (1 + Math.exp(-2))], metrics: {} },
    // σ(0) = ½ is not > ½: row 1 predicts 0 (right), row 2 σ(3) → 1 (right); loss (log 2 + log(1 + e^-3)) / 2
    {
      loss: 'bce',
      logits: [[0], [3]],
      labels: [0, 1],
      taskLoss: (Math.LN2 + Math.log(1 + Math.exp(-3))) / 2,
      predictions: [0.5, 1 / (1 + Math.exp(-3))],
      metrics: { accuracy: 1, auc: 1 },
    },
  ],
};
