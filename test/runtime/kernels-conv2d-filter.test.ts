/**
 * Our wasm Conv2DBackpropFilter (runtime/kernels/wasm-conv2d-filter.ts), both formulations, against the cpu backend's
 * gradient of conv2d with respect to its filter (an independent implementation), up to float32 rounding.
 */
import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { selectBackend } from '../../runtime/backend.js';
import { installWasmConv2DFilterGradient, wasmConv2DFilterGradientMethod } from '../../runtime/kernels/wasm-conv2d-filter.js';
import { Random } from '../../runtime/random.js';
import { assertAllClose } from './helpers/tf.js';

before(async () => {
  await selectBackend('wasm');
  assert.equal(wasmConv2DFilterGradientMethod(), 'im2col');
});

function uniform(shape: number[], seed: number): tf.Tensor {
  const random = new Random(seed);
  return tf.tensor(Float32Array.from({ length: shape.reduce((a, b) => a * b, 1) }, () => 2 * random.next() - 1), shape);
}

interface Case { x: [number, number, number, number]; filter: [number, number, number, number]; stride: number; pad: 'same' | 'valid' }

/** The filter's gradient of Σ conv2d(x, w) · upstream, and the input's (wasm's stock kernel, for completeness). */
async function gradients(backend: 'wasm' | 'cpu', c: Case): Promise<Float32Array[]> {
  await tf.setBackend(backend);
  const out = tf.tidy(() => {
    const x = uniform(c.x, 1) as tf.Tensor4D;
    const w = uniform(c.filter, 2) as tf.Tensor4D;
    const y = tf.conv2d(x, w, c.stride, c.pad);
    const upstream = uniform(y.shape, 3);
    const [dx, dw] = tf.grads((xi: tf.Tensor, wi: tf.Tensor) => tf.sum(tf.mul(tf.conv2d(xi as tf.Tensor4D, wi as tf.Tensor4D, c.stride, c.pad), upstream)))([x, w]);
    return [dw!, dx!];
  });
  const values = out.map((t) => t.dataSync() as Float32Array);
  tf.dispose(out);
  return values;
}

const CASES: Case[] = [
  { x: [1, 3, 3, 1], filter: [2, 2, 1, 1], stride: 1, pad: 'valid' },
  { x: [2, 5, 4, 3], filter: [3, 3, 3, 4], stride: 1, pad: 'same' },
  { x: [3, 7, 6, 2], filter: [3, 2, 2, 5], stride: 2, pad: 'same' },
  { x: [2, 8, 8, 1], filter: [5, 5, 1, 6], stride: 1, pad: 'same' },
  { x: [2, 9, 7, 4], filter: [4, 3, 4, 3], stride: 2, pad: 'valid' },
];

for (const method of ['im2col', 'direct'] as const) {
  test(`the ${method} filter gradient equals the cpu backend's`, async () => {
    installWasmConv2DFilterGradient(method);
    try {
      for (const c of CASES) {
        const [wasmFilter, wasmInput] = await gradients('wasm', c);
        const [cpuFilter, cpuInput] = await gradients('cpu', c);
        assertAllClose(wasmFilter!, cpuFilter!, 1e-5, `${method} ${JSON.stringify(c)} filter gradient`);
        assertAllClose(wasmInput!, cpuInput!, 1e-5, `${JSON.stringify(c)} input gradient`);
      }
    } finally {
      installWasmConv2DFilterGradient('im2col');
    }
  });
}

test('a hand-worked 1×3×3×1 input, 2×2 filter: each filter weight gets the sum of the inputs it met', async () => {
  await tf.setBackend('wasm');
  // x = 1..9 (row-major 3×3), valid 2×2 windows, upstream all ones: dW[i, j] = Σ of the 2×2 block of x starting at (i, j).
  const dw = tf.tidy(() => tf.grad((w: tf.Tensor) => tf.sum(tf.conv2d(tf.tensor4d([1, 2, 3, 4, 5, 6, 7, 8, 9], [1, 3, 3, 1]), w as tf.Tensor4D, 1, 'valid')))(tf.zeros([2, 2, 1, 1])));
  assert.deepEqual(Array.from(dw.dataSync()), [1 + 2 + 4 + 5, 2 + 3 + 5 + 6, 4 + 5 + 7 + 8, 5 + 6 + 8 + 9]);
  dw.dispose();
});
