/** flatten: each row's tensor as one vector. No parameters. */
import type { LayerPlan } from '../../../job/job.js';
import type { LayerRuntime } from './layer.js';

type FlattenLayer = Extract<LayerPlan, { kind: 'flatten' }>;

export const flatten: LayerRuntime<FlattenLayer> = {
  runnable: true,
  outputShape: (_layer, [input]) => [input!.reduce((a, b) => a * b, 1)],
  build: () => ([x]) => x!.reshape([x!.shape[0]!, -1]),
  examples: [
    // each row's [2, 2] becomes [4], values in row-major order
    { layer: { kind: 'flatten' }, params: {}, inputs: [{ shape: [2, 2, 2], values: [1, 2, 3, 4, 5, 6, 7, 8] }], output: { shape: [2, 4], values: [1, 2, 3, 4, 5, 6, 7, 8] } },
  ],
};
