import { before, describe, it } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import type { Activation } from '../../job/job.js';
import { activate, dense } from '../../runtime/model/dense.js';
import { assertAllClose, useCpu } from './helpers/tf.js';

describe('dense layers: values and gradients equal the plain tfjs ops', () => {
  before(useCpu);

  const x = () => tf.tensor2d([[1, -2, 0.5], [0.3, 0.1, -1], [-0.5, 2, 1], [0, 0, 0]]);
  const kernel = () => tf.tensor2d([[0.2, -0.5], [0.1, 0.4], [-0.3, 0.6]]);
  const bias = () => tf.tensor1d([0.05, -0.1]);
  const target = tf.tensor2d([[1, 0], [0, 1], [0.5, 0.5], [1, 1]]);

  for (const activation of ['relu', 'tanh', 'sigmoid', 'gelu', 'linear', 'softmax'] as Activation[]) {
    for (const xIsData of [false, true]) {
      it(`${activation}${xIsData ? ' on a data batch' : ''}`, () => {
        tf.tidy(() => {
          const loss = (f: (a: tf.Tensor2D, k: tf.Tensor2D, b: tf.Tensor1D) => tf.Tensor2D) => (a: tf.Tensor, k: tf.Tensor, b: tf.Tensor) =>
            tf.sum(tf.square(tf.sub(f(a as tf.Tensor2D, k as tf.Tensor2D, b as tf.Tensor1D), target))) as tf.Scalar;
          const ours = loss((a, k, b) => dense(a, k, b, activation, xIsData));
          const plain = loss((a, k, b) => activate(tf.add(tf.matMul(a, k), b), activation));
          const args = [x(), kernel(), bias()];
          assertAllClose(ours(...(args as [tf.Tensor, tf.Tensor, tf.Tensor])).dataSync(), plain(...(args as [tf.Tensor, tf.Tensor, tf.Tensor])).dataSync());
          const oursGrads = tf.grads(ours)(args);
          const plainGrads = tf.grads(plain)(args);
          // A data batch gets no input gradient (nothing differentiates data): only the parameters' are compared.
          for (let i = xIsData ? 1 : 0; i < 3; i++) assertAllClose(oursGrads[i]!.dataSync(), plainGrads[i]!.dataSync(), 1e-5, ['x', 'kernel', 'bias'][i]);
        });
      });
    }
  }
});
