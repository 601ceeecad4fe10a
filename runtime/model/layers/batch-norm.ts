/**
 * batch_norm: each channel (the last axis) normalised, scaled by `gamma` and shifted by `beta`, then the activation.
 * While training it normalises by the batch's own mean and (biased) variance over every other axis, and moves the
 * layer's statistics towards them: moving ← momentum · moving + (1 − momentum) · batch. Otherwise it normalises by the
 * moving statistics, so a row's output does not depend on the rest of its batch. `moving_mean` (zeros at first) and
 * `moving_variance` (ones) are the module's statistics (owner 'statistic'): saved with the weights and in checkpoints,
 * never trained by a gradient. A step that runs several training passes (a gradient method per task, sampled
 * conflicts) moves them once per pass.
 */
import * as tf from '@tensorflow/tfjs';
import type { LayerPlan } from '../../../job/job.js';
import { activate } from '../dense.js';
import type { LayerRuntime } from './layer.js';

type BatchNormLayer = Extract<LayerPlan, { kind: 'batch_norm' }>;

/**
 * γ·(x − μ)/√(σ² + ε) + β by the batch's own μ and σ² over every axis but the last, with the gradient written out:
 * x̂ = (x − μ)·s with s = 1/√(σ² + ε), dβ = Σ dy, dγ = Σ dy·x̂, dx = γ·s·(dy − dβ/N − x̂·dγ/N). tfjs's own
 * gradient of batchNorm tiles its statistics to the input's shape, and Tile on wasm took a third of a cnn step.
 */
function normaliseByBatch(
  x: tf.Tensor,
  gamma: tf.Tensor1D,
  beta: tf.Tensor1D,
  epsilon: number,
  withStatistics: (mean: tf.Tensor1D, variance: tf.Tensor1D) => void,
): tf.Tensor {
  const axes = [...Array(x.rank - 1).keys()];
  const op = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const [input, scale, shift, save] = args as [tf.Tensor, tf.Tensor1D, tf.Tensor1D, tf.GradSaveFunc];
    const { mean, variance } = tf.moments(input, axes) as { mean: tf.Tensor1D; variance: tf.Tensor1D };
    withStatistics(mean, variance);
    // What the gradient reads must be saved: the rest of the forward pass is freed before it runs.
    save([input, scale, mean, tf.rsqrt(tf.add(variance, epsilon))]);
    return {
      value: tf.batchNorm(input, mean, variance, shift, scale, epsilon),
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
        const [sx, sScale, sMean, sInverseStd] = saved as [tf.Tensor, tf.Tensor1D, tf.Tensor1D, tf.Tensor1D];
        const count = sx.size / sx.shape[sx.rank - 1]!;
        const normalised = tf.mul(tf.sub(sx, sMean), sInverseStd);
        const dBeta = tf.sum(dy, axes);
        const dGamma = tf.sum(tf.mul(dy, normalised), axes);
        const centred = tf.sub(tf.sub(dy, tf.div(dBeta, count)), tf.mul(normalised, tf.div(dGamma, count)));
        return [tf.mul(centred, tf.mul(sScale, sInverseStd)), dGamma, dBeta];
      },
    };
  });
  return op(x, gamma, beta);
}

export const batchNorm: LayerRuntime<BatchNormLayer> = {
  runnable: true,
  outputShape: (_layer, [input]) => [...input!],
  build(layer, [input], site) {
    const channels = input![input!.length - 1]!;
    const module = site.owner.kind === 'module' ? site.owner.module : null;
    if (module === null) throw new Error(`${site.where}: a batch_norm layer belongs to a module`);
    const statistic = { kind: 'statistic', module } as const;
    const gamma = site.store.add(`${site.prefix}/gamma`, site.owner, new Float32Array(channels).fill(1), [channels]) as tf.Variable<tf.Rank.R1>;
    const beta = site.store.add(`${site.prefix}/beta`, site.owner, new Float32Array(channels), [channels]) as tf.Variable<tf.Rank.R1>;
    const movingMean = site.store.add(`${site.prefix}/moving_mean`, statistic, new Float32Array(channels), [channels]);
    const movingVariance = site.store.add(`${site.prefix}/moving_variance`, statistic, new Float32Array(channels).fill(1), [channels]);
    const { momentum, epsilon } = layer;
    return ([x], call) => {
      let y: tf.Tensor;
      if (call.training) {
        y = normaliseByBatch(x!, gamma, beta, epsilon, (mean, variance) =>
          // The moving statistics are no path to the loss: nothing differentiates through them.
          tf.tidy(() => {
            movingMean.assign(tf.add(tf.mul(movingMean, momentum), tf.mul(mean, 1 - momentum)));
            movingVariance.assign(tf.add(tf.mul(movingVariance, momentum), tf.mul(variance, 1 - momentum)));
          }),
        );
      } else {
        y = tf.batchNorm(x!, movingMean, movingVariance, beta, gamma, epsilon);
      }
      return layer.activation === 'linear' ? y : activate(y as tf.Tensor2D, layer.activation);
    };
  },
  examples: [
    // not training, by the moving statistics: (x − 1)/√(4 + 0) · 2 + 0.5 per row of one channel: x = 3 → 2.5, x = −1 → −1.5
    {
      layer: { kind: 'batch_norm', momentum: 0.9, epsilon: 0, activation: 'linear' },
      params: { gamma: [2], beta: [0.5], moving_mean: [1], moving_variance: [4] },
      inputs: [{ shape: [2, 1], values: [3, -1] }],
      output: { shape: [2, 1], values: [2.5, -1.5] },
    },
    // a 1×2 feature map of two channels, each by its own statistics, then relu: c0 (x − 0)/1, c1 (x − 10)/√(0.25)·1 − 1
    {
      layer: { kind: 'batch_norm', momentum: 0.9, epsilon: 0, activation: 'relu' },
      params: { gamma: [1, 1], beta: [0, -1], moving_mean: [0, 10], moving_variance: [1, 0.25] },
      inputs: [{ shape: [1, 1, 2, 2], values: [-3, 11, 2, 9] }],
      output: { shape: [1, 1, 2, 2], values: [0, 1, 2, 0] },
    },
  ],
};
