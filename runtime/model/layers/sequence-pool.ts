/**
 * sequence_pool: a sequence [n, length, width] → one vector per row [n, width], over its tokens only (mask 1):
 * mean (their sum over their count), max (padding never wins; a row without tokens gives 0), or first (the first
 * position, a token whenever the row has one: padding is at the end).
 */
import * as tf from '@tensorflow/tfjs';
import type { LayerPlan } from '../../../job/job.js';
import type { LayerRuntime } from './layer.js';
import { requireSequence } from './sequence.js';

type SequencePoolLayer = Extract<LayerPlan, { kind: 'sequence_pool' }>;

/** Below any activation a layer makes, so a padded position never is the max. */
const NEVER = -1e30;

const pools: Record<SequencePoolLayer['op'], (x: tf.Tensor3D, mask: tf.Tensor3D | null) => tf.Tensor2D> = {
  mean: (x, mask) => (mask === null ? tf.mean(x, 1) : tf.div(tf.sum(tf.mul(x, mask), 1), tf.maximum(tf.sum(mask, 1), 1))),
  max: (x, mask) => {
    if (mask === null) return tf.max(x, 1);
    const best = tf.max(tf.where(tf.cast(tf.broadcastTo(mask, x.shape), 'bool'), x, tf.fill(x.shape, NEVER)), 1);
    return tf.mul(best, tf.minimum(tf.sum(mask, 1), 1)); // a row without tokens: 0, not NEVER
  },
  first: (x) => tf.squeeze(tf.slice(x, [0, 0, 0], [x.shape[0], 1, x.shape[2]]), [1]),
};

export const sequencePool: LayerRuntime<SequencePoolLayer> = {
  runnable: true,
  outputShape(_layer, [input], where) {
    requireSequence(input!, where);
    return [input![1]!];
  },
  build(layer) {
    return ([x], call) => {
      const mask = call.tokenMask?.() ?? null;
      return pools[layer.op](x as tf.Tensor3D, mask === null ? null : (tf.expandDims(mask, 2) as tf.Tensor3D));
    };
  },
  examples: [
    // mean of [1, 2] and [3, 4] (the third position is padding): [2, 3]
    {
      layer: { kind: 'sequence_pool', op: 'mean' },
      params: {},
      inputs: [{ shape: [1, 3, 2], values: [1, 2, 3, 4, 100, 100] }],
      mask: { shape: [1, 3], values: [1, 1, 0] },
      output: { shape: [1, 2], values: [2, 3] },
    },
    // max over the tokens only: [-1, 5] and [-3, 2] give [-1, 5], not the padding's 100s; the second row has no token: 0
    {
      layer: { kind: 'sequence_pool', op: 'max' },
      params: {},
      inputs: [{ shape: [2, 3, 2], values: [-1, 2, -3, 5, 100, 100, 7, 7, 7, 7, 7, 7] }],
      mask: { shape: [2, 3], values: [1, 1, 0, 0, 0, 0] },
      output: { shape: [2, 2], values: [-1, 5, 0, 0] },
    },
    // first: the first position of each row
    {
      layer: { kind: 'sequence_pool', op: 'first' },
      params: {},
      inputs: [{ shape: [2, 2, 1], values: [1, 2, 3, 4] }],
      output: { shape: [2, 1], values: [1, 3] },
    },
    // mean without a mask: every position is a token
    {
      layer: { kind: 'sequence_pool', op: 'mean' },
      params: {},
      inputs: [{ shape: [1, 2, 1], values: [1, 4] }],
      output: { shape: [1, 1], values: [2.5] },
    },
  ],
};
