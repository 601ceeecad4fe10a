/** What a head's logits mean: the predictions that metrics read. */
import * as tf from '@tensorflow/tfjs';
import type { HeadInfo } from './types.js';

/**
 * binary: P(y = 1) [n]; multiclass: class probabilities [n, k]; multilabel: P(y_j = 1) [n, k];
 * regression: the predicted values [n] (or [n, k] for several outputs).
 */
export function predictions(head: HeadInfo, logits: tf.Tensor2D): tf.Tensor {
  switch (head.task.head.kind) {
    case 'binary':
      return tf.sigmoid(logits).reshape([-1]);
    case 'multiclass':
      return tf.softmax(logits);
    case 'multilabel':
      return tf.sigmoid(logits);
    default:
      return head.units === 1 ? logits.reshape([-1]) : logits;
  }
}
