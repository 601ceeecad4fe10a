/**
 * A moe layer's two ways of computing its output on wasm: each expert on the rows it kept, gathered and put back
 * (`mixSelected`, what the layer runs), or every expert on every row with the weights of the rows it did not take set to
 * zero (`mixAll`). Forward and backward of one training step at census-moe.mtl's size (a batch of 512 rows of 128,
 * 8 experts of one dense relu layer of 64 units, top-2, capacity 1.25), the two alternating step by step so a burst of
 * load hits both alike; prints each one's median ms and their ratio.
 *
 * Run alone: npx tsx bench/moe-mixing.ts [--experts 8] [--units 64] [--top-k 2]
 */
import * as tf from '@tensorflow/tfjs';
import { selectBackend } from '../runtime/backend.js';
import { mixAll, mixSelected, route } from '../runtime/model/layers/moe.js';

const arg = (name: string, fallback: number) => {
  const at = process.argv.indexOf(`--${name}`);
  return at >= 0 ? Number(process.argv[at + 1]) : fallback;
};
const ROWS = 512;
const WIDTH = 128;
const EXPERTS = arg('experts', 8);
const UNITS = arg('units', 64);
const TOP_K = arg('top-k', 2);
const CAPACITY = 1.25;
const STEPS = 30;

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

async function main(): Promise<void> {
  const backend = await selectBackend('wasm');
  let seed = 7;
  const next = () => (seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 2 ** 32 - 0.5;
  const variable = (shape: number[]) => tf.variable(tf.tensor(Float32Array.from({ length: shape.reduce((a, b) => a * b) }, next), shape));
  const router = variable([WIDTH, EXPERTS]);
  const kernels = Array.from({ length: EXPERTS }, () => variable([WIDTH, UNITS]));
  const x = tf.tensor2d(Float32Array.from({ length: ROWS * WIDTH }, next), [ROWS, WIDTH]);
  const expert = (e: number, rows: tf.Tensor2D) => tf.relu(tf.matMul(rows, kernels[e]!)) as tf.Tensor2D;
  const ways = {
    gathered: (probs: tf.Tensor2D, routing: ReturnType<typeof route>) => mixSelected(x, probs, routing, TOP_K, UNITS, expert),
    dense: (probs: tf.Tensor2D, routing: ReturnType<typeof route>) => mixAll(x, probs, routing, TOP_K, expert),
  };
  const step = (way: keyof typeof ways): number => {
    const start = performance.now();
    tf.tidy(() => {
      const { grads } = tf.variableGrads(() => {
        const probs = tf.softmax(tf.matMul(x, router)) as tf.Tensor2D;
        const routing = route(probs.dataSync() as Float32Array, ROWS, EXPERTS, TOP_K, CAPACITY);
        return tf.sum(ways[way](probs, routing)) as tf.Scalar;
      }, [router, ...kernels]);
      Object.values(grads).forEach((g) => g.dataSync());
    });
    return performance.now() - start;
  };
  for (let i = 0; i < 3; i++) (['gathered', 'dense'] as const).forEach(step);
  const times: Record<keyof typeof ways, number[]> = { gathered: [], dense: [] };
  for (let i = 0; i < STEPS; i++) for (const way of i % 2 ? (['dense', 'gathered'] as const) : (['gathered', 'dense'] as const)) times[way].push(step(way));
  const gathered = median(times.gathered);
  const dense = median(times.dense);
  process.stdout.write(
    `moe mixing on ${backend.name}: batch ${ROWS}×${WIDTH}, ${EXPERTS} experts of ${UNITS} units, top-${TOP_K}, capacity ${CAPACITY}, ${STEPS} alternating steps each\n` +
      `  gathered (each expert on its rows)  ${gathered.toFixed(2)} ms/step\n` +
      `  dense (every expert, masked)        ${dense.toFixed(2)} ms/step\n` +
      `  dense / gathered                    ${(dense / gathered).toFixed(2)}\n`,
  );
}

await main();
