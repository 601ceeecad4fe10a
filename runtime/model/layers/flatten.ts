/** flatten: each row's tensor as one vector. No parameters. */
import type { LayerPlan } from '../../../job/job.js';
import type { LayerRuntime } from './layer.js';

type FlattenLayer = Extract<LayerPlan, { kind: 'flatten' }>;

export const flatten: LayerRuntime<FlattenLayer> = {
  runnable: true,
  outputShape: (_layer, [input]) => [input!.reduce((a, b) => a * b, 1)],
  build: () => ([x]) => x!.reshape([x!.shape[0]!, -1]),
};
