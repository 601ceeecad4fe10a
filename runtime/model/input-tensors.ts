/** A batch's encoded inputs as tensors: what training, evaluation and serving feed to `MtlModel.forward`. */
import * as tf from '@tensorflow/tfjs';
import type { TensorData } from '../data/api.js';
import { markLookup } from '../kernels/embedding-bag.js';

export function inputTensors(inputs: Readonly<Record<string, TensorData>>, needed?: ReadonlySet<string>): Record<string, tf.Tensor> {
  const tensors: Record<string, tf.Tensor> = {};
  for (const [id, data] of Object.entries(inputs)) {
    if (!needed || needed.has(id)) tensors[id] = toTensor(data);
  }
  return tensors;
}

export function toTensor(data: TensorData): tf.Tensor {
  const tensor = tf.tensor(data.data, data.shape, data.data instanceof Int32Array ? 'int32' : 'float32');
  return data.lookup ? markLookup(tensor, data.lookup) : tensor;
}
