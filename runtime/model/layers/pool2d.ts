/** pool2d: the max or mean of each size×size window of a feature map, windows moved by their size. No parameters. */
import * as tf from '@tensorflow/tfjs';
import type { LayerPlan } from '../../../job/job.js';
import { requireImage } from '../require-image.js';
import type { LayerRuntime } from './layer.js';

type Pool2DLayer = Extract<LayerPlan, { kind: 'pool2d' }>;

export const pool2d: LayerRuntime<Pool2DLayer> = {
  runnable: true,
  outputShape(layer, [input], where) {
    const [height, width, channels] = requireImage(input!, where);
    return [Math.floor(height / layer.size), Math.floor(width / layer.size), channels];
  },
  build: (layer) => ([x]) => {
    const pool = layer.op === 'max' ? tf.maxPool : tf.avgPool;
    return pool(x as tf.Tensor4D, layer.size, layer.size, 'valid');
  },
  examples: [
    // 4×4 image 1..16, 2×2 max: the bottom-right of each window
    {
      layer: { kind: 'pool2d', op: 'max', size: 2 },
      params: {},
      inputs: [{ shape: [1, 4, 4, 1], values: Array.from({ length: 16 }, (_, i) => i + 1) }],
      output: { shape: [1, 2, 2, 1], values: [6, 8, 14, 16] },
    },
    // 3×3 image 1..9, 2×2 mean: the last row and column are dropped; (1 + 2 + 4 + 5)/4 = 3
    {
      layer: { kind: 'pool2d', op: 'mean', size: 2 },
      params: {},
      inputs: [{ shape: [1, 3, 3, 1], values: [1, 2, 3, 4, 5, 6, 7, 8, 9] }],
      output: { shape: [1, 1, 1, 1], values: [3] },
    },
    // two channels pooled apart: max of [1, -1, 5, 0] and of [-2, -3, -4, -5]
    {
      layer: { kind: 'pool2d', op: 'max', size: 2 },
      params: {},
      inputs: [{ shape: [1, 2, 2, 2], values: [1, -2, -1, -3, 5, -4, 0, -5] }],
      output: { shape: [1, 1, 1, 2], values: [5, -2] },
    },
  ],
};
