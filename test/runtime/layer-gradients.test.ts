/**
 * The gradients the cnn layers write out themselves (conv2d: fused forward, the input's gradient as a turned-kernel
 * convolution; batch_norm: the closed form) against tfjs's automatic gradients of the plain ops, on the cpu backend.
 */
import { before, describe, it } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import type { LayerPlan } from '../../job/job.js';
import { layerKinds } from '../../runtime/model/layers/index.js';
import type { LayerRuntime } from '../../runtime/model/layers/layer.js';
import { activate } from '../../runtime/model/dense.js';
import { paramStore } from '../../runtime/model/params.js';
import { Random } from '../../runtime/random.js';
import { assertAllClose, useCpu } from './helpers/tf.js';

function uniform(shape: number[], seed: number): tf.Tensor {
  const random = new Random(seed);
  return tf.tensor(Float32Array.from({ length: shape.reduce((a, b) => a * b, 1) }, () => 2 * random.next() - 1), shape);
}

/** The layer's output, and the gradients of Σ output · upstream by its input and each of its parameters, in order. */
function gradientsOf(layer: LayerPlan, inputShape: number[], reference: (x: tf.Tensor, params: tf.Tensor[]) => tf.Tensor): void {
  const store = paramStore(new Random(4));
  const entry = layerKinds[layer.kind] as unknown as LayerRuntime;
  const fn = entry.build(layer, [inputShape.slice(1)], { where: 'test', prefix: 'm/0', owner: { kind: 'module', module: 'm' }, store });
  const trained = store.params.filter((p) => p.owner.kind === 'module').map((p) => p.variable);
  // Parameters away from their initial values, so a gradient that ignores one shows.
  trained.forEach((v, i) => v.assign(uniform(v.shape, 10 + i)));
  const x = uniform(inputShape, 1);
  const upstream = tf.tidy(() => uniform(fn([x], { training: true, inputIsData: false, dropoutSeed: () => 0 }).shape, 2));
  // The layer reads its variables through a closure: their gradients come from variableGrads, the input's from grad.
  const mine = tf.variableGrads(() => tf.sum(tf.mul(fn([x], { training: true, inputIsData: false, dropoutSeed: () => 0 }), upstream)) as tf.Scalar, trained);
  const theirs = tf.variableGrads(() => tf.sum(tf.mul(reference(x, trained), upstream)) as tf.Scalar, trained);
  trained.forEach((v) => assertAllClose(mine.grads[v.name]!.dataSync(), theirs.grads[v.name]!.dataSync(), 1e-4, `gradient of ${v.name}`));
  const dxMine = tf.grad((input: tf.Tensor) => tf.sum(tf.mul(fn([input], { training: true, inputIsData: false, dropoutSeed: () => 0 }), upstream)))(x);
  const dxTheirs = tf.grad((input: tf.Tensor) => tf.sum(tf.mul(reference(input, trained), upstream)))(x);
  assertAllClose(dxMine.dataSync(), dxTheirs.dataSync(), 1e-4, 'gradient of the input');
  store.params.forEach((p) => p.variable.dispose());
}

describe('gradients the cnn layers write themselves', () => {
  before(useCpu);

  for (const [kernel, activation] of [[5, 'relu'], [3, 'linear'], [2, 'tanh'], [4, 'relu']] as const) {
    it(`conv2d, kernel ${kernel}, ${activation}`, () => {
      tf.tidy(() =>
        gradientsOf({ kind: 'conv2d', filters: 3, kernel, stride: 1, activation }, [2, 7, 6, 2], (x, [k, b]) =>
          activate(tf.add(tf.conv2d(x as tf.Tensor4D, k as tf.Tensor4D, 1, 'same'), b!) as unknown as tf.Tensor2D, activation)),
      );
    });
  }

  it('conv2d with stride 2', () => {
    tf.tidy(() => gradientsOf({ kind: 'conv2d', filters: 2, kernel: 3, stride: 2, activation: 'relu' }, [2, 7, 6, 3], (x, [k, b]) => tf.relu(tf.add(tf.conv2d(x as tf.Tensor4D, k as tf.Tensor4D, 2, 'same'), b!))));
  });

  for (const shape of [[6, 3], [3, 4, 5, 2]]) {
    it(`batch_norm while training, input [${shape.join(', ')}]`, () => {
      tf.tidy(() =>
        gradientsOf({ kind: 'batch_norm', momentum: 0.9, epsilon: 1e-3, activation: 'linear' }, shape, (x, [gamma, beta]) => {
          const { mean, variance } = tf.moments(x, [...Array(x.rank - 1).keys()]);
          return tf.batchNorm(x, mean, variance, beta!, gamma!, 1e-3);
        }),
      );
    });
  }
});
