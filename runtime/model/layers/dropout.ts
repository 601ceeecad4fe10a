/** dropout: while training, each value zeroed with probability `rate` and the rest scaled by 1/(1 − rate); else the identity. */
import * as tf from '@tensorflow/tfjs';
import type { LayerPlan } from '../../../job/job.js';
import type { LayerRuntime } from './layer.js';

type DropoutLayer = Extract<LayerPlan, { kind: 'dropout' }>;

export const dropout: LayerRuntime<DropoutLayer> = {
  runnable: true,
  outputShape: (_layer, [input]) => [...input!],
  build: (layer) => ([x], call) => (call.training && layer.rate > 0 ? tf.dropout(x!, layer.rate, undefined, call.dropoutSeed()) : x!),
  examples: [
    // not training: the identity, whatever the rate
    { layer: { kind: 'dropout', rate: 0.5 }, params: {}, inputs: [{ shape: [1, 2, 1, 2], values: [1, -2, 3, 0.5] }], output: { shape: [1, 2, 1, 2], values: [1, -2, 3, 0.5] } },
  ],
};
