/**
 * point: one learned vector, `init` at the start, given to every row whatever the row's input (each row gets the
 * same point, so a task's mean loss over the batch is its loss at the point). It turns an optimisation benchmark's
 * variable into a model parameter, `<prefix>/point`, for the trainer's optimizers and aggregators.
 */
import * as tf from '@tensorflow/tfjs';
import type { LayerPlan } from '../../../job/job.js';
import type { LayerRuntime } from './layer.js';

type PointLayer = Extract<LayerPlan, { kind: 'point' }>;

export const point: LayerRuntime<PointLayer> = {
  runnable: true,
  outputShape: (layer) => [layer.init.length],
  build(layer, _inputs, site) {
    const value = site.store.add(`${site.prefix}/point`, site.owner, Float32Array.from(layer.init), [layer.init.length]);
    // Only the batch size is read from the input; the tile's gradient sums the rows' gradients into the point.
    return ([x]) => tf.tile(value.expandDims(0), [x!.shape[0]!, 1]);
  },
  examples: [
    // every row of a 2-row batch gets the point, whatever its values
    { layer: { kind: 'point', init: [-8.5, 7.5] }, params: { point: [1.5, -2] }, inputs: [{ shape: [2, 1], values: [3, -4] }], output: { shape: [2, 2], values: [1.5, -2, 1.5, -2] } },
    // a point of three numbers, read by a 1-row batch of two columns
    { layer: { kind: 'point', init: [0, 0, 0] }, params: { point: [1, 2, 3] }, inputs: [{ shape: [1, 2], values: [9, 9] }], output: { shape: [1, 3], values: [1, 2, 3] } },
  ],
};
