/**
 * dense: x · kernel + bias, then the activation, then dropout (training only). Reads a vector per row, or a sequence
 * of vectors ([length, width] per row), to each position of which it applies alike.
 */
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
    if (input!.length === 2) return [input![0]!, layer.units];
    requireVector(input!, where);
    return [layer.units];
  },
  build(layer, [input], site) {
    const { kernel, bias } = denseParams(site.store, site.prefix, site.owner, input![input!.length - 1]!, layer.units);
    return ([x], call) => {
      const y = x!.rank === 3
        ? tf.reshape(denseOp(tf.reshape(x!, [-1, x!.shape[2]!]) as tf.Tensor2D, kernel, bias, layer.activation, call.inputIsData), [x!.shape[0]!, x!.shape[1]!, layer.units])
        : denseOp(x as tf.Tensor2D, kernel, bias, layer.activation, call.inputIsData);
      if (!call.training || layer.dropout <= 0) return y;
      return tf.dropout(y, layer.dropout, undefined, call.dropoutSeed());
    };
  },
  examples: [
    // relu([1·1 + 2·0.5, 1·(-1) + 2·1 + 0.5]) = [2, 1.5]; relu([-1, 1 + 0.5]) = [0, 1.5]
    {
      layer: { kind: 'dense', units: 2, activation: 'relu', dropout: 0 },
      params: { kernel: [1, -1, 0.5, 1], bias: [0, 0.5] },
      inputs: [{ shape: [2, 2], values: [1, 2, -1, 0] }],
      output: { shape: [2, 2], values: [2, 1.5, 0, 1.5] },
    },
    // σ(1 + 2 - 1) = σ(2), σ(0 + 0 - 1) = σ(-1); dropout applies in training only
    {
      layer: { kind: 'dense', units: 1, activation: 'sigmoid', dropout: 0.5 },
      params: { kernel: [1, 1], bias: [-1] },
      inputs: [{ shape: [2, 2], values: [1, 2, 0, 0] }],
      output: { shape: [2, 1], values: [1 / (1 + Math.exp(-2)), 1 / (1 + Math.exp(1))] },
    },
    // softmax([0, ln 3]) = [1/4, 3/4]
    {
      layer: { kind: 'dense', units: 2, activation: 'softmax', dropout: 0 },
      params: { kernel: [1, 0, 0, 1], bias: [0, 0] },
      inputs: [{ shape: [1, 2], values: [0, Math.log(3)] }],
      output: { shape: [1, 2], values: [0.25, 0.75] },
    },
    // on a sequence, each position alike: relu(1·2 - 1) = 1, relu(0 - 1) = 0, relu(3·2 - 1) = 5
    {
      layer: { kind: 'dense', units: 1, activation: 'relu', dropout: 0 },
      params: { kernel: [2], bias: [-1] },
      inputs: [{ shape: [1, 3, 1], values: [1, 0, 3] }],
      output: { shape: [1, 3, 1], values: [1, 0, 5] },
    },
    // tanh([0.5·1 + 0, 0.5·2 - 1]) = [tanh 0.5, 0]
    {
      layer: { kind: 'dense', units: 2, activation: 'tanh', dropout: 0 },
      params: { kernel: [1, 2], bias: [0, -1] },
      inputs: [{ shape: [1, 1], values: [0.5] }],
      output: { shape: [1, 2], values: [Math.tanh(0.5), Math.tanh(0)] },
    },
  ],
};
