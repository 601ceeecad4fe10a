/** One dense layer: x · kernel + bias, then the activation. */
import * as tf from '@tensorflow/tfjs';
import type { Activation } from '../../job/job.js';
import { embeddingBagForward, embeddingBagKernelGradient, lookupLayoutOf, termsOf, type LookupLayout } from '../kernels/embedding-bag.js';

/** Activations the fused matMul kernel applies in the same pass (forward only; tfjs unfuses under a gradient tape). */
const FUSABLE = new Set<Activation>(['relu', 'sigmoid', 'linear']);

export function dense(x: tf.Tensor2D, kernel: tf.Tensor2D, bias: tf.Tensor1D, activation: Activation, xIsData = false): tf.Tensor2D {
  const layout = lookupLayoutOf(x);
  if (layout) return activation === 'relu' ? denseOnLookup(layout, true)(x, kernel, bias) : activate(denseOnLookup(layout, false)(x, kernel, bias), activation);
  if (activation === 'relu') return xIsData ? denseReluOnData(x, kernel, bias) : denseRelu(x, kernel, bias);
  if (FUSABLE.has(activation)) {
    return tf.fused.matMul({ a: x, b: kernel, bias, activation: activation as 'relu' | 'sigmoid' | 'linear' }) as tf.Tensor2D;
  }
  return activate(tf.fused.matMul({ a: x, b: kernel, bias }) as tf.Tensor2D, activation);
}

type DenseFn = (x: tf.Tensor2D, kernel: tf.Tensor2D, bias: tf.Tensor1D) => tf.Tensor2D;

/**
 * Dense (+ ReLU) as one op with its own gradient. Under a gradient tape tfjs runs fused.matMul as three
 * kernels (matMul, add, relu) to keep its relu gradient; this runs the fused kernel and writes the
 * gradient out: dz = dy · [y > 0] (dy when linear), dx = dz · Wᵀ, dW = xᵀ · dz, db = Σ_rows dz.
 * Without `inputGradient` (x is a batch of data, which nothing differentiates) dx is not computed:
 * tfjs's custom gradients are evaluated eagerly, so skipping it saves a whole matrix product.
 */
function fusedDenseWith(activation: 'relu' | 'linear', inputGradient: boolean): DenseFn {
  const op = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const [x, kernel, bias, save] = args as [tf.Tensor2D, tf.Tensor2D, tf.Tensor1D, tf.GradSaveFunc];
    const attrs = { transposeA: false, transposeB: false, activation };
    const y = tf.engine().runKernel('_FusedMatMul', { a: x, b: kernel, bias }, attrs) as tf.Tensor2D;
    save([x, kernel, y]);
    return {
      value: y,
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
        const [sx, sk, sy] = saved as [tf.Tensor2D, tf.Tensor2D, tf.Tensor2D];
        const dz = activation === 'relu' ? tf.mul(dy, tf.step(sy)) : dy;
        const dx = inputGradient ? tf.matMul(dz, sk, false, true) : tf.zerosLike(sx);
        return [dx, tf.matMul(sx, dz, true, false), tf.sum(dz, 0)];
      },
    };
  });
  return op as unknown as DenseFn;
}
const denseRelu = fusedDenseWith('relu', true);
const denseReluOnData = fusedDenseWith('relu', false);
const linearOnData = fusedDenseWith('linear', false);

/**
 * Dense (+ ReLU) over a lookup-encoded batch (kernels/embedding-bag.ts): the kernel rows the ids select, added, as one
 * op each way; x is data, so it gets no gradient (zeros, as the fused dense op on data gives).
 */
function denseOnLookup(layout: LookupLayout, relu: boolean): DenseFn {
  const op = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const [x, kernel, bias, save] = args as [tf.Tensor2D, tf.Tensor2D, tf.Tensor1D, tf.GradSaveFunc];
    if (kernel.shape[0] !== layout.width) throw new Error(`a lookup input stands for ${layout.width} one-hot columns, but the dense layer's kernel has ${kernel.shape[0]} rows`);
    const [batch, units] = [x.shape[0], bias.shape[0]];
    const xs = x.dataSync() as Float32Array;
    // The batch's terms (its kernel rows and weights), worked out once for the forward pass and its gradient.
    const terms = termsOf(layout, xs, batch, units);
    const values = embeddingBagForward(layout, xs, batch, kernel.dataSync() as Float32Array, bias.dataSync() as Float32Array, relu, terms);
    const y = tf.tensor2d(values, [batch, units]);
    save([x, y]);
    return {
      value: y,
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
        const [sx, sy] = saved as [tf.Tensor2D, tf.Tensor2D];
        const dz = relu ? tf.mul(dy, tf.step(sy)) : dy;
        const dKernel = embeddingBagKernelGradient(layout, xs, batch, dz.dataSync() as Float32Array, units, terms);
        return [tf.zerosLike(sx), tf.tensor2d(dKernel, [layout.width, units]), tf.sum(dz, 0)];
      },
    };
  });
  return op as unknown as DenseFn;
}

/** x · kernel + bias, no activation; on data (`xIsData`) its gradient skips dx, as denseReluOnData's does. */
export function denseLinear(x: tf.Tensor2D, kernel: tf.Tensor2D, bias: tf.Tensor1D, xIsData: boolean): tf.Tensor2D {
  const layout = lookupLayoutOf(x);
  if (layout) return denseOnLookup(layout, false)(x, kernel, bias);
  return xIsData ? linearOnData(x, kernel, bias) : (tf.fused.matMul({ a: x, b: kernel, bias }) as tf.Tensor2D);
}

export function activate(x: tf.Tensor2D, activation: Activation): tf.Tensor2D {
  switch (activation) {
    case 'linear':
      return x;
    case 'relu':
      return tf.relu(x);
    case 'sigmoid':
      return tf.sigmoid(x);
    case 'tanh':
      return tf.tanh(x);
    case 'softmax':
      return tf.softmax(x);
    case 'gelu':
      // The exact form, x·Φ(x); tfjs has no gelu op, but erf has a gradient.
      return tf.mul(tf.mul(x, 0.5), tf.add(1, tf.erf(tf.mul(x, Math.SQRT1_2))));
  }
}
