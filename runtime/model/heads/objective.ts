/**
 * objective: no parameters; its logits are the point that reaches it, [n, 2], and its loss is an analytic objective
 * of that point (train/toy-objectives.ts), so there is no label to read: the job gives its task the constant 0, which
 * `labelValues` hands over and the loss ignores. No metrics: the validation loss is the objective's value.
 */
import * as tf from '@tensorflow/tfjs';
import type { HeadRuntime } from './head.js';

const t1 = Math.tanh(1);
const t2 = Math.tanh(2);
const t4 = Math.tanh(4);

export const objective: HeadRuntime = {
  runnable: true,
  projection: 'none',
  losses: ['toy_f1', 'toy_f2'],
  labelValues: (values) => tf.tensor1d(values as Float32Array),
  lossInput: (logits) => logits,
  predictions: (logits) => logits,
  labels: 'float32',
  metrics: { auc: null, accuracy: null, macro_f1: null, logloss: null, mse: null, mae: null, pixel_accuracy: null, mean_iou: null, exact_match: null, token_f1: null },
  examples: [
    // (7, −8): c1 = 0, c2 = tanh 4; f1 = tanh 4·((0² + 0.1·0²)/10 − 20) = −20·tanh 4
    { loss: 'toy_f1', logits: [[7, -8]], labels: [0], taskLoss: -20 * t4, predictions: [7, -8], metrics: {} },
    // (7, −8): f2 = tanh 4·((14² + 0)/10 − 20) = −0.4·tanh 4
    { loss: 'toy_f2', logits: [[7, -8]], labels: [0], taskLoss: -0.4 * t4, predictions: [7, -8], metrics: {} },
    // (−7, 2): c1 = tanh 1, c2 = 0; |(7 − 7)/2 − tanh(−2)| = tanh 2: f1 = tanh 1·(log tanh 2 + 6); the mean with (7, −8)'s row
    { loss: 'toy_f1', logits: [[-7, 2], [7, -8]], labels: [0, 0], taskLoss: (t1 * (Math.log(t2) + 6) - 20 * t4) / 2, predictions: [-7, 2, 7, -8], metrics: {} },
    // (−7, 2): |(7 + 3)/2 + tanh(−2) + 2| = 7 − tanh 2: f2 = tanh 1·(log(7 − tanh 2) + 6)
    { loss: 'toy_f2', logits: [[-7, 2]], labels: [0], taskLoss: t1 * (Math.log(7 - t2) + 6), predictions: [-7, 2], metrics: {} },
    // (0, 0): c1 = c2 = 0, both parts vanish
    { loss: 'toy_f1', logits: [[0, 0]], labels: [0], taskLoss: 0, predictions: [0, 0], metrics: {} },
  ],
};
