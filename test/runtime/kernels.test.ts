/**
 * The wasm matmul fix must be invisible except for speed: every product and gradient equals the
 * cpu backend's (an independent implementation) up to float32 rounding.
 */
import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { selectBackend } from '../../runtime/backend.js';
import {
  installWasmMatMulFix,
  isWasmMatMulFixInstalled,
  planMatMul,
  uninstallWasmMatMulFix,
} from '../../runtime/kernels/wasm-matmul.js';
import { Random } from '../../runtime/random.js';

before(async () => {
  await selectBackend('wasm');
  assert.ok(isWasmMatMulFixInstalled());
});

/** Runs `compute` on a backend and returns its outputs as plain arrays; nothing stays allocated. */
async function onBackend(backend: 'wasm' | 'cpu', compute: () => tf.Tensor[]): Promise<Float32Array[]> {
  await tf.setBackend(backend);
  const outputs = tf.tidy(compute);
  const values = outputs.map((t) => t.dataSync() as Float32Array);
  tf.dispose(outputs);
  return values;
}

function normalData(shape: number[], seed: number): { values: Float32Array; shape: number[] } {
  const random = new Random(seed);
  const values = new Float32Array(shape.reduce((a, b) => a * b, 1));
  // Box–Muller from the seeded stream, so both backends get the very same numbers.
  for (let i = 0; i < values.length; i++) {
    values[i] = Math.sqrt(-2 * Math.log(1 - random.next())) * Math.cos(2 * Math.PI * random.next());
  }
  return { values, shape };
}

function tensor(data: { values: Float32Array; shape: number[] }): tf.Tensor {
  return tf.tensor(data.values, data.shape);
}

/** Elementwise |actual - expected| <= 1e-5·max(1, |expected|): float32 sums in another order. */
function assertAllClose(actual: Float32Array, expected: Float32Array, what: string): void {
  assert.equal(actual.length, expected.length, `${what}: length`);
  for (let i = 0; i < expected.length; i++) {
    const tolerance = 1e-5 * Math.max(1, Math.abs(expected[i]!));
    assert.ok(Math.abs(actual[i]! - expected[i]!) <= tolerance, `${what}[${i}]: ${actual[i]} vs ${expected[i]}`);
  }
}

async function compareWithCpu(what: string, compute: () => tf.Tensor[]): Promise<void> {
  const fixed = await onBackend('wasm', compute);
  const reference = await onBackend('cpu', compute);
  fixed.forEach((values, i) => assertAllClose(values, reference[i]!, `${what} output ${i}`));
}

const TRANSPOSE_FORMS: [boolean, boolean][] = [
  [false, false],
  [false, true],
  [true, false],
  [true, true],
];

/** Shapes of a and b as the caller passes them, given the math shapes [..., m, k] and [..., k, n]. */
function operandShapes(aBatch: number[], bBatch: number[], [m, k, n]: number[], ta: boolean, tb: boolean) {
  return {
    a: [...aBatch, ...(ta ? [k!, m!] : [m!, k!])],
    b: [...bBatch, ...(tb ? [n!, k!] : [k!, n!])],
  };
}

test('planMatMul picks the fast form for each batch layout', () => {
  assert.equal(planMatMul([1, 8, 4], [1, 4, 2]), 'single');
  assert.equal(planMatMul([8, 4], [4, 2]), 'single');
  assert.equal(planMatMul([6, 8, 4], [1, 4, 2]), 'fold');
  assert.equal(planMatMul([2, 3, 8, 4], [4, 2]), 'fold');
  assert.equal(planMatMul([4, 64, 64], [4, 64, 64]), 'loop');
  assert.equal(planMatMul([1, 64, 64], [4, 64, 64]), 'loop');
  assert.equal(planMatMul([4, 4, 4], [4, 4, 4]), 'stock');
  assert.equal(planMatMul([4, 64, 64], [4, 64, 64], true), 'stock');
});

for (const [transposeA, transposeB] of TRANSPOSE_FORMS) {
  test(`matMul transposeA=${transposeA} transposeB=${transposeB} equals cpu, 2-D and batched`, async () => {
    // Odd sizes catch off-by-one strides; each batch layout exercises one plan.
    const layouts: { name: string; aBatch: number[]; bBatch: number[]; mkn: number[] }[] = [
      { name: 'single 2-D', aBatch: [], bBatch: [], mkn: [33, 47, 29] },
      { name: 'batched a, shared b (fold)', aBatch: [5], bBatch: [1], mkn: [9, 47, 13] },
      { name: 'rank 3 by rank 2 (fold)', aBatch: [3], bBatch: [], mkn: [7, 11, 5] },
      { name: 'batched both, large (loop)', aBatch: [3], bBatch: [3], mkn: [33, 47, 29] },
      { name: 'shared a, batched b (loop)', aBatch: [1], bBatch: [4], mkn: [40, 41, 42] },
      { name: 'batched both, small (stock)', aBatch: [6], bBatch: [6], mkn: [4, 6, 3] },
      { name: 'rank 4 (loop)', aBatch: [2, 3], bBatch: [2, 3], mkn: [32, 40, 30] },
    ];
    for (const [index, layout] of layouts.entries()) {
      const shapes = operandShapes(layout.aBatch, layout.bBatch, layout.mkn, transposeA, transposeB);
      const a = normalData(shapes.a, 100 + index);
      const b = normalData(shapes.b, 200 + index);
      await compareWithCpu(layout.name, () => [tf.matMul(tensor(a), tensor(b), transposeA, transposeB)]);
    }
  });
}

for (const [transposeA, transposeB] of TRANSPOSE_FORMS) {
  test(`fused matMul with bias and relu, transposeA=${transposeA} transposeB=${transposeB}, equals cpu`, async () => {
    for (const [index, layout] of [
      { aBatch: [1], bBatch: [1], mkn: [33, 47, 29] },
      { aBatch: [4], bBatch: [1], mkn: [10, 20, 30] },
      { aBatch: [3], bBatch: [3], mkn: [33, 47, 29] },
    ].entries()) {
      const shapes = operandShapes(layout.aBatch, layout.bBatch, layout.mkn, transposeA, transposeB);
      const a = normalData(shapes.a, 300 + index);
      const b = normalData(shapes.b, 400 + index);
      const bias = normalData([layout.mkn[2]!], 500 + index);
      await compareWithCpu(`fused ${JSON.stringify(layout)}`, () => [
        tf.fused.matMul({ a: tensor(a), b: tensor(b), transposeA, transposeB, bias: tensor(bias), activation: 'relu' }),
      ]);
    }
  });
}

test('fused matMul with PReLU weights equals cpu when folded and when left to the stock loop', async () => {
  for (const [index, layout] of [
    { aBatch: [4], bBatch: [1], mkn: [10, 20, 30] },
    { aBatch: [3], bBatch: [3], mkn: [33, 47, 29] },
  ].entries()) {
    const shapes = operandShapes(layout.aBatch, layout.bBatch, layout.mkn, false, true);
    const a = normalData(shapes.a, 600 + index);
    const b = normalData(shapes.b, 700 + index);
    const alpha = normalData([layout.mkn[2]!], 800 + index);
    await compareWithCpu(`prelu ${JSON.stringify(layout)}`, () => [
      tf.fused.matMul({
        a: tensor(a),
        b: tensor(b),
        transposeB: true,
        activation: 'prelu',
        preluActivationWeights: tensor(alpha),
      }),
    ]);
  }
});

test('gradients of a small dense network equal cpu', async () => {
  const x = normalData([16, 12], 1);
  const w1 = normalData([12, 24], 2);
  const b1 = normalData([24], 3);
  const w2 = normalData([24, 3], 4);
  const target = normalData([16, 3], 5);
  const loss = (inputs: tf.Tensor[]) => {
    const [xIn, w1In, b1In, w2In] = inputs as [tf.Tensor2D, tf.Tensor2D, tf.Tensor1D, tf.Tensor2D];
    const hidden = tf.relu(tf.add(tf.matMul(xIn, w1In), b1In));
    // The fused form too, as tf.layers.dense computes it.
    const output = tf.fused.matMul({ a: hidden as tf.Tensor2D, b: w2In, activation: 'linear' });
    return tf.losses.meanSquaredError(tensor(target), output) as tf.Scalar;
  };
  await compareWithCpu('dense gradients', () => {
    const inputs = [tensor(x), tensor(w1), tensor(b1), tensor(w2)];
    return [loss(inputs), ...tf.grads((...args: tf.Tensor[]) => loss(args))(inputs)];
  });
});

test('the fix frees every intermediate it makes', async () => {
  await tf.setBackend('wasm');
  const a = tf.tensor(normalData([3, 40, 50], 7).values, [3, 40, 50]);
  const b = tf.tensor(normalData([3, 60, 50], 8).values, [3, 60, 50]);
  const c = tf.tensor(normalData([3, 60, 40], 9).values, [3, 60, 40]);
  const backend = tf.backend() as unknown as { numDataIds(): number };
  const before = backend.numDataIds();
  for (let i = 0; i < 3; i++) tf.matMul(a, b, false, true).dispose();
  tf.dispose(tf.grads((p: tf.Tensor, q: tf.Tensor) => tf.sum(tf.matMul(p, q, true, true)))([a, c]));
  // A shape error is reported with the caller's shapes and leaves nothing behind.
  assert.throws(() => tf.matMul(a, c, true, false), /inner shapes \(40\) and \(60\) of Tensors with shapes 3,40,50 and 3,60,40/);
  assert.equal(backend.numDataIds(), before);
  tf.dispose([a, b, c]);
});

test('install and uninstall swap the kernels and are idempotent', async () => {
  await tf.setBackend('wasm');
  const fixedKernel = tf.getKernel('BatchMatMul', 'wasm')!.kernelFunc;
  installWasmMatMulFix();
  assert.equal(tf.getKernel('BatchMatMul', 'wasm')!.kernelFunc, fixedKernel);
  uninstallWasmMatMulFix();
  uninstallWasmMatMulFix();
  assert.equal(isWasmMatMulFixInstalled(), false);
  const stockKernel = tf.getKernel('BatchMatMul', 'wasm')!.kernelFunc;
  assert.notEqual(stockKernel, fixedKernel);
  // Stock and fixed agree (the stock kernel is correct, only slow).
  const a = normalData([20, 30], 9);
  const b = normalData([40, 30], 10);
  const [stock] = await onBackend('wasm', () => [tf.matMul(tensor(a), tensor(b), false, true)]);
  installWasmMatMulFix();
  assert.equal(tf.getKernel('_FusedMatMul', 'wasm')!.kernelFunc === stockKernel, false);
  const [fixed] = await onBackend('wasm', () => [tf.matMul(tensor(a), tensor(b), false, true)]);
  assertAllClose(fixed!, stock!, 'stock vs fixed');
});
