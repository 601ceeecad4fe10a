/** dense: x · kernel + bias, then the activation, then dropout (training only). Reads a vector per row. */
import * as tf from '@tensorflow/tfjs';
import type { LayerPlan } from '../../../job/job.js';
import { dense as denseOp } from '../dense.js';
import { denseParams } from '../params.js';
import { requireVector } from '../require-vector.js';
import type { LayerRuntime } from './layer.js';

type DenseLayer = Extract<LayerPlan, { kind: 'dense' }>;

export const dense: LayerRuntime<DenseLayer> = {
  runnable: true,
  outputShape(layer, [input], where) {
    requireVector(input!, where);
    return [layer.units];
  },
  build(layer, [input], site) {
    const { kernel, bias } = denseParams(site.store, site.prefix, site.owner, input![0]!, layer.units);
    return ([x], call) => {
      const y = denseOp(x as tf.Tensor2D, kernel, bias, layer.activation, call.inputIsData);
      if (!call.training || layer.dropout <= 0) return y;
      return tf.dropout(y, layer.dropout, undefined, call.dropoutSeed());
    };
  },
};
