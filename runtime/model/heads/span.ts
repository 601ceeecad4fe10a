/**
 * span: an answer span [start, end] over the tokens of a sequence. Its projection (`positions`, heads/projections.ts)
 * reads [n, length, width] and gives each position a start logit, an end logit and the sequence's mask (1 for a token,
 * 0 for padding), so a row's logits are [length·3], position by position: the loss and the decoding read the mask
 * from them, and padding gets no probability whatever its logits.
 * Labels are int32 [n, 2], [start, end] token positions (0-based, inclusive); an unlabelled row has mask 0.
 * ce: per row, the softmax cross-entropy of the start over the row's tokens plus that of the end, halved; the mean over
 * labelled rows. Predictions [n, 2]: the [s, e] with s ≤ e, both tokens, e − s < the plan's `maxLength`, of the largest
 * start logit[s] + end logit[e] (the first in row-major (s, e) order on ties; [0, 0] for a row without tokens).
 * Metrics: exact_match and token_f1 (metrics.spanExactMatch, metrics.spanTokenF1).
 */
import * as tf from '@tensorflow/tfjs';
import type { HeadPlan } from '../../../job/job.js';
import * as metrics from '../../metrics.js';
import type { HeadRuntime } from './head.js';

/** A padded position's start and end logit in the loss: its softmax probability is exactly 0 in float32, and finite (−∞ would give 0·∞ = NaN). */
const NO_PROBABILITY = -1e9;

/** A row's logits [length·3] → its start and end logits [n, length] each, and its token mask [n, length] as booleans. */
function positions(logits: tf.Tensor2D): { start: tf.Tensor2D; end: tf.Tensor2D; isToken: tf.Tensor2D } {
  const [start, end, token] = tf.unstack(logits.reshape([logits.shape[0], -1, 3]), 2) as [tf.Tensor2D, tf.Tensor2D, tf.Tensor2D];
  // A cast, not a comparison: the loss is differentiated through this (to nothing), and comparisons have no gradient.
  return { start, end, isToken: tf.cast(token, 'bool') };
}

function maxLengthOf(plan: HeadPlan): number {
  if (plan.maxLength === undefined) throw new Error('a span head\'s plan has no maxLength (the longest span it predicts)');
  return plan.maxLength;
}

const ln2 = Math.LN2;
const ln3 = Math.log(3);
const e = Math.E;
/** −log softmax([5, 0, 0]) at its 5. */
const a = Math.log(Math.exp(5) + 2) - 5;

export const span: HeadRuntime = {
  runnable: true,
  projection: 'positions',
  losses: ['ce'],
  labelValues: (values, rows) => tf.tensor2d(values as Int32Array, [rows, 2], 'int32'),
  // [n, 2, length]: the start's logits, then the end's; ce one-hots the labels over the last axis.
  lossInput: (logits) => {
    const { start, end, isToken } = positions(logits);
    const scores = tf.stack([start, end], 1);
    return tf.where(tf.stack([isToken, isToken], 1), scores, tf.fill(scores.shape, NO_PROBABILITY));
  },
  predictions: (logits, _units, plan) => {
    const { start, end, isToken } = positions(logits);
    const [rows, length] = start.shape;
    // [n, s, e]: start[s] + end[e], where s ≤ e < s + maxLength and both are tokens.
    const pairs = tf.add(start.expandDims(2), end.expandDims(1));
    const offsets = tf.sub(tf.range(0, length, 1, 'int32').expandDims(0), tf.range(0, length, 1, 'int32').expandDims(1));
    const inBand = tf.logicalAnd(tf.greaterEqual(offsets, 0), tf.less(offsets, maxLengthOf(plan)));
    const allowed = tf.logicalAnd(tf.logicalAnd(isToken.expandDims(2), isToken.expandDims(1)), inBand.expandDims(0));
    const best = tf.argMax(tf.where(allowed, pairs, tf.fill(pairs.shape, -Infinity)).reshape([rows, length * length]), 1).toFloat();
    return tf.stack([tf.floor(tf.div(best, length)), tf.mod(best, length)], 1);
  },
  labels: 'int32',
  metrics: {
    exact_match: ({ predictions, labels, mask }) => metrics.spanExactMatch(predictions, labels, mask),
    token_f1: ({ predictions, labels, mask }) => metrics.spanTokenF1(predictions, labels, mask),
    auc: null,
    accuracy: null,
    macro_f1: null,
    logloss: null,
    mse: null,
    mae: null,
    pixel_accuracy: null,
    mean_iou: null,
  },
  examples: [
    // Two rows of 3 positions (start, end, token); row 1's last is padding, with logits 50 that would win unmasked.
    // Row 0 [0, 2]: start softmax([ln 2, 0, 0])_0 = ½, end softmax([0, 0, ln 2])_2 = ½: (ln 2 + ln 2)/2.
    // Row 1 [1, 1]: start softmax([0, 0])_1 = ½, end softmax([0, ln 3])_1 = ¾: (ln 2 + ln 4/3)/2. Mean of the two rows.
    // Decoding: row 0 (0, 2) at 2 ln 2; row 1 (0, 1) and (1, 1) tie at ln 3, the first wins: (0, 1), not the padding's (2, 2).
    // Exact: row 0 only, ½; F1: row 0 1, row 1 overlap 1 of 2 predicted and 1 labelled: 2/3; mean 5/6
    {
      loss: 'ce',
      units: 2,
      head: { maxLength: 30 },
      logits: [
        [ln2, 0, 1, 0, 0, 1, 0, ln2, 1],
        [0, 0, 1, 0, ln3, 1, 50, 50, 0],
      ],
      labels: [0, 2, 1, 1],
      taskLoss: (ln2 + (ln2 + Math.log(4 / 3)) / 2) / 2,
      predictions: [0, 2, 0, 1],
      metrics: { exact_match: 1 / 2, token_f1: 5 / 6 },
    },
    // maxLength 2, one row of 4 tokens each. Row 0: start [0, 0, 0, 3], end [2, 0, 0, 0]: the separate argmaxes (3, 0)
    // are no span (s > e): (3, 3) at 3. Row 1: start [2, 0, 1, 0], end [0, 0, 0, 2]: (0, 3) at 4 covers 4 tokens, over
    // maxLength: (2, 3) at 3. Labels [3, 3], [0, 3]: exact ½; F1 1 and 2·2/(2 + 4) = 2/3, mean 5/6.
    // Loss row 0: start −log(e³/(3 + e³)), end −log(1/(e² + 3)); row 1: start −log(e²/(e² + e + 2)), end −log(e²/(e² + 3))
    {
      loss: 'ce',
      units: 2,
      head: { maxLength: 2 },
      logits: [
        [0, 2, 1, 0, 0, 1, 0, 0, 1, 3, 0, 1],
        [2, 0, 1, 0, 0, 1, 1, 0, 1, 0, 2, 1],
      ],
      labels: [3, 3, 0, 3],
      taskLoss: ((Math.log(3 + e ** 3) - 3 + Math.log(e ** 2 + 3)) / 2 + (Math.log(e ** 2 + e + 2) - 2 + Math.log(e ** 2 + 3) - 2) / 2) / 2,
      predictions: [3, 3, 2, 3],
      metrics: { exact_match: 1 / 2, token_f1: 5 / 6 },
    },
    // Four rows of 3 tokens; a = −log softmax([5, 0, 0])_0 = log(e⁵ + 2) − 5, and at a 0 instead a + 5.
    // Row 0 predicts (0, 0), label [0, 0]: exact, F1 1; loss a. Row 1 predicts (1, 2), label [1, 1]: overlap 1 of 2 and
    // 1: F1 2/3; loss (a + a + 5)/2. Row 2 predicts (0, 1), label [2, 2]: no overlap, F1 0; loss a + 5. Row 3 is
    // unlabelled (mask 0). Exact 1/3; F1 (1 + 2/3 + 0)/3 = 5/9; loss (3a + 7.5)/3
    {
      loss: 'ce',
      units: 2,
      head: { maxLength: 30 },
      logits: [
        [5, 5, 1, 0, 0, 1, 0, 0, 1],
        [0, 0, 1, 5, 0, 1, 0, 5, 1],
        [5, 0, 1, 0, 5, 1, 0, 0, 1],
        [0, 0, 1, 0, 0, 1, 9, 9, 1],
      ],
      labels: [0, 0, 1, 1, 2, 2, 0, 0],
      mask: [1, 1, 1, 0],
      taskLoss: a + 2.5,
      predictions: [0, 0, 1, 2, 0, 1, 2, 2],
      metrics: { exact_match: 1 / 3, token_f1: 5 / 9 },
    },
  ],
};
