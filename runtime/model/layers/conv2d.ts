/**
 * conv2d: a same-padded convolution of a [height, width, channels] feature map by `filters` kernels of kernel×kernel,
 * plus a bias per filter, then the activation. Parameters `kernel` [k, k, in, filters] (Glorot-uniform over
 * [k·k·in, filters]) and `bias` [filters] (zeros).
 */
import * as tf from '@tensorflow/tfjs';
import type { Activation, LayerPlan } from '../../../job/job.js';
import { activate } from '../dense.js';
import { requireImage } from '../require-image.js';
import type { LayerRuntime } from './layer.js';

type Conv2DLayer = Extract<LayerPlan, { kind: 'conv2d' }>;

export const conv2d: LayerRuntime<Conv2DLayer> = {
  runnable: true,
  outputShape(layer, [input], where) {
    const [height, width] = requireImage(input!, where);
    return [Math.ceil(height / layer.stride), Math.ceil(width / layer.stride), layer.filters];
  },
  build(layer, [input], site) {
    const channels = requireImage(input!, site.where)[2];
    const { kernel: k, filters } = layer;
    const kernel = site.store.add(`${site.prefix}/kernel`, site.owner, site.store.glorot(`${site.prefix}/kernel`, k * k * channels, filters), [k, k, channels, filters]) as tf.Variable<tf.Rank.R4>;
    const bias = site.store.add(`${site.prefix}/bias`, site.owner, new Float32Array(filters), [filters]) as tf.Variable<tf.Rank.R1>;
    // relu and linear run in the convolution's own kernel; the others after it.
    const fused = layer.activation === 'relu' ? 'relu' : 'linear';
    const withInputGradient = convolution(layer.stride, fused, true);
    const onData = convolution(layer.stride, fused, false);
    return ([x], call) => {
      const y = (call.inputIsData ? onData : withInputGradient)(x as tf.Tensor4D, kernel, bias);
      return fused === layer.activation ? y : activate(y as unknown as tf.Tensor2D, layer.activation);
    };
  },
  examples: [
    // 3×3 image 1..9, one 2×2 kernel [[1, 0], [0, -1]], same padding (the kernel's extra row and column fall past the
    // bottom right): out(i, j) = x(i, j) − x(i+1, j+1), with x = 0 outside; bias 0.5; linear
    {
      layer: { kind: 'conv2d', filters: 1, kernel: 2, stride: 1, activation: 'linear' },
      params: { kernel: [1, 0, 0, -1], bias: [0.5] },
      inputs: [{ shape: [1, 3, 3, 1], values: [1, 2, 3, 4, 5, 6, 7, 8, 9] }],
      output: { shape: [1, 3, 3, 1], values: [1 - 5 + 0.5, 2 - 6 + 0.5, 3 + 0.5, 4 - 8 + 0.5, 5 - 9 + 0.5, 6 + 0.5, 7 + 0.5, 8 + 0.5, 9 + 0.5] },
    },
    // 1×2 image of two channels [1, 2] and [3, 4]; a 1×1 kernel of two filters: f0 = c0 + c1, f1 = c0 − 2·c1 − 1; relu
    {
      layer: { kind: 'conv2d', filters: 2, kernel: 1, stride: 1, activation: 'relu' },
      params: { kernel: [1, 1, 1, -2], bias: [0, -1] },
      inputs: [{ shape: [1, 1, 2, 2], values: [1, 2, 3, 4] }],
      output: { shape: [1, 1, 2, 2], values: [3, 0, 7, 0] },
    },
    // 3×3 kernel of ones over a 3×3 image of ones, same padding: each output counts its in-image neighbours; tanh
    {
      layer: { kind: 'conv2d', filters: 1, kernel: 3, stride: 1, activation: 'tanh' },
      params: { kernel: [1, 1, 1, 1, 1, 1, 1, 1, 1].map((v) => v / 9), bias: [0] },
      inputs: [{ shape: [1, 3, 3, 1], values: [1, 1, 1, 1, 1, 1, 1, 1, 1] }],
      output: { shape: [1, 3, 3, 1], values: [4, 6, 4, 6, 9, 6, 4, 6, 4].map((n) => Math.tanh(n / 9)) },
    },
  ],
};

type ConvolutionFn = (x: tf.Tensor4D, kernel: tf.Tensor4D, bias: tf.Tensor1D) => tf.Tensor4D;

/**
 * The convolution, bias and activation as one kernel with its gradient written out (dz = dy · [y > 0] for relu;
 * dx by Conv2DBackpropInput, dW by Conv2DBackpropFilter, db = Σ dz). Without `inputGradient` (the first layer, which
 * reads data) dx is not computed: tfjs evaluates custom gradients eagerly, and that convolution is as costly as the
 * forward one.
 */
function convolution(stride: number, activation: Extract<Activation, 'relu' | 'linear'>, inputGradient: boolean): ConvolutionFn {
  const op = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const [x, kernel, bias, save] = args as [tf.Tensor4D, tf.Tensor4D, tf.Tensor1D, tf.GradSaveFunc];
    const y = tf.fused.conv2d({ x, filter: kernel, strides: stride, pad: 'same', bias, activation });
    save([x, kernel, y]);
    return {
      value: y,
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
        const [sx, sk, sy] = saved as [tf.Tensor4D, tf.Tensor4D, tf.Tensor4D];
        const dz = (activation === 'relu' ? tf.mul(dy, tf.step(sy)) : dy) as tf.Tensor4D;
        const dx = inputGradient ? inputGradientOf(dz, sk, sx.shape, stride) : tf.zerosLike(sx);
        const dk = tf.engine().runKernel('Conv2DBackpropFilter', { x: sx, dy: dz }, { strides: stride, pad: 'same', dataFormat: 'NHWC', dimRoundingMode: undefined, filterShape: sk.shape } as never) as tf.Tensor4D;
        return [dx, dk, tf.sum(dz, [0, 1, 2])];
      },
    };
  });
  return op as unknown as ConvolutionFn;
}

/**
 * The input's gradient. With stride 1 it is a convolution of dz by the kernel turned 180° with its channel axes
 * swapped, padded by what the forward pass's same padding left on the other side: that runs wasm's fast Conv2D
 * (XNNPACK), where its Conv2DBackpropInput is a plain loop several times slower.
 */
function inputGradientOf(dz: tf.Tensor4D, kernel: tf.Tensor4D, inputShape: [number, number, number, number], stride: number): tf.Tensor4D {
  if (stride !== 1) return tf.conv2dTranspose(dz, kernel, inputShape, stride, 'same');
  const k = kernel.shape[0];
  // Same padding puts ⌊(k − 1)/2⌋ before and the rest after; the gradient pads the other way round.
  const before = Math.floor((k - 1) / 2);
  const after = k - 1 - before;
  const turned = tf.transpose(tf.reverse(kernel, [0, 1]), [0, 1, 3, 2]) as tf.Tensor4D;
  return tf.conv2d(dz, turned, 1, [[0, 0], [after, before], [after, before], [0, 0]]);
}
