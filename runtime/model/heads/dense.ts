/**
 * dense: a class per pixel. Its projection (`pixels`, heads/projections.ts) is a 1×1 convolution of the feature map
 * [h, w, c] to `classes` logits per pixel, upsampled bilinearly to the input image's height and width when the map is
 * smaller; a row's logits are [H·W·classes], pixel by pixel (row-major), each pixel's classes together.
 * Trains with ce: each pixel's softmax cross-entropy, averaged over the batch's labelled pixels. Labels are int32 class
 * indices [n, H·W]; an unlabelled pixel (null, -1 or 255 in the target column) has mask 0 and counts nowhere.
 * Metrics over every labelled pixel of the split: pixel_accuracy (the argmax class, the first on ties, is the label)
 * and mean_iou (metrics.meanIoU: intersection and union counted over the whole split, averaged over the classes that
 * occur in the labels or the predictions).
 */
import * as tf from '@tensorflow/tfjs';
import * as metrics from '../../metrics.js';
import type { HeadRuntime } from './head.js';

/** [n, pixels·k] → [n, pixels, k]: each pixel's k logits on the last axis. */
const perPixel = (logits: tf.Tensor2D, k: number): tf.Tensor3D => logits.reshape([logits.shape[0], -1, k]);

const ln2 = Math.LN2;
const ln3 = Math.log(3);
const ln4over3 = Math.log(4 / 3);

export const dense: HeadRuntime = {
  runnable: true,
  projection: 'pixels',
  losses: ['ce'],
  // One-hot per pixel, [n, pixels, k], as the loss reads the logits.
  labelValues: (values, rows, units) => tf.oneHot(tf.tensor1d(values as Int32Array, 'int32'), units).reshape([rows, -1, units]),
  lossInput: (logits, units) => perPixel(logits, units),
  predictions: (logits, units) => tf.softmax(perPixel(logits, units)).reshape([logits.shape[0], -1]),
  labels: 'int32',
  metrics: {
    pixel_accuracy: ({ predictions, labels, mask }, k) => metrics.multiclassAccuracy({ values: predictions, classes: k }, labels, mask),
    mean_iou: ({ predictions, labels, mask }, k) => metrics.meanIoU({ values: predictions, classes: k }, labels, mask),
    auc: null,
    accuracy: null,
    macro_f1: null,
    logloss: null,
    mse: null,
    mae: null,
    exact_match: null,
    token_f1: null,
  },
  examples: [
    // A 2×2 image, 2 classes, labels [0, 0, 0, 1]; pixel logits [0, 0], [ln 3, 0], [0, ln 3], [0, ln 3] give p(class 0)
    // ½, ¾, ¼, ¼: loss (ln 2 + ln 4/3 + ln 4 + ln 4/3)/4. Argmax [0 (tie: first), 0, 1, 1]: 3 of 4 pixels right;
    // IoU class 0 = |{0, 1}| / |{0, 1, 2}| = 2/3, class 1 = |{3}| / |{2, 3}| = 1/2, mean 7/12
    {
      loss: 'ce',
      units: 2,
      logits: [[0, 0, ln3, 0, 0, ln3, 0, ln3]],
      labels: [0, 0, 0, 1],
      mask: [1, 1, 1, 1],
      taskLoss: (ln2 + ln4over3 + 2 * ln2 + ln4over3) / 4,
      predictions: [0.5, 0.5, 0.75, 0.25, 0.25, 0.75, 0.25, 0.75],
      metrics: { pixel_accuracy: 3 / 4, mean_iou: 7 / 12 },
    },
    // The same with pixel 2 unlabelled (255 or -1 in the column: mask 0): loss (ln 2 + 2·ln 4/3)/3 over the 3 labelled
    // pixels; all 3 right, IoU 1 for both classes
    {
      loss: 'ce',
      units: 2,
      logits: [[0, 0, ln3, 0, 0, ln3, 0, ln3]],
      labels: [0, 0, 0, 1],
      mask: [1, 1, 0, 1],
      taskLoss: (ln2 + 2 * ln4over3) / 3,
      predictions: [0.5, 0.5, 0.75, 0.25, 0.25, 0.75, 0.25, 0.75],
      metrics: { pixel_accuracy: 1, mean_iou: 1 },
    },
    // Two rows of 1×2 pixels, 3 classes; class 2 is in neither labels nor predictions, so mean_iou skips it.
    // Pixel logits [ln 2, 0, 0] give p = [½, ¼, ¼]. Row 0: label 0 on [ln 2, 0, 0]: ln 2; label 1 on [0, ln 2, 0]: ln 2.
    // Row 1: label 0 on [0, ln 2, 0]: -ln ¼ = 2 ln 2; label 0 on [ln 2, 0, 0]: ln 2. Mean 5 ln 2 / 4.
    // Argmax [0, 1, 1, 0] against [0, 1, 0, 0]: 3 of 4; IoU class 0 = 2/3, class 1 = 1/2, mean 7/12 (not over 3 classes)
    {
      loss: 'ce',
      units: 3,
      logits: [[ln2, 0, 0, 0, ln2, 0], [0, ln2, 0, ln2, 0, 0]],
      labels: [0, 1, 0, 0],
      mask: [1, 1, 1, 1],
      taskLoss: (5 * ln2) / 4,
      predictions: [0.5, 0.25, 0.25, 0.25, 0.5, 0.25, 0.25, 0.5, 0.25, 0.5, 0.25, 0.25],
      metrics: { pixel_accuracy: 3 / 4, mean_iou: 7 / 12 },
    },
  ],
};
