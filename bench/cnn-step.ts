/**
 * The MultiMNIST CNN's training step (examples/multimnist/multimnist.mtl: two conv blocks with batch normalisation,
 * the shared dense layer, a tower and a head per digit) on a batch of 256 images, on wasm: ms per step and images per
 * second, with our Conv2DBackpropFilter as im2col and as a direct loop (the two alternate step by step, so a burst
 * of load hits both alike), then where a step's time goes, kernel by kernel (tf.profile).
 *
 * Run alone: npx tsx bench/cnn-step.ts
 */
import * as path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { compile, render } from '../compiler/index.js';
import { selectBackend } from '../runtime/backend.js';
import type { Batch } from '../runtime/data/api.js';
import { installWasmConv2DFilterGradient, type FilterGradientMethod } from '../runtime/kernels/wasm-conv2d-filter.js';
import { buildModel } from '../runtime/model/build.js';
import { makeOptimizer } from '../runtime/train/optimizer.js';
import { makeTrainStep } from '../runtime/train/step.js';
import { logKernelProfile } from './kernel-profile.js';

const BATCH = 256;
const WARMUP_STEPS = 3;
const MEASURED_STEPS = 10;
const PROGRAM = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', '..', 'examples', 'multimnist', 'multimnist.mtl');

function randomBatch(): Batch {
  let state = 12345;
  const next = () => (state = (Math.imul(state, 1103515245) + 12345) >>> 0) / 2 ** 32;
  const labels = () => ({ values: { data: Int32Array.from({ length: BATCH }, () => Math.floor(next() * 10)), shape: [BATCH] }, mask: new Float32Array(BATCH).fill(1) });
  return {
    dataset: 'multimnist',
    size: BATCH,
    inputs: { 'multimnist.image': { data: Float32Array.from({ length: BATCH * 784 }, () => 2 * next() - 1), shape: [BATCH, 28, 28, 1] } },
    labels: { left_digit: labels(), right_digit: labels() },
  };
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

export async function benchCnnStep(log: (line: string) => void = console.log): Promise<void> {
  const backend = await selectBackend('wasm');
  const compiled = compile(PROGRAM);
  if (!compiled.ok || !compiled.value) throw new Error(render(compiled));
  const job = compiled.value;
  const batch = randomBatch();
  const inputId = job.inputs[0]!.id;
  batch.inputs = { [inputId]: batch.inputs['multimnist.image']! };
  const model = buildModel(job, (w) => w as number, 1);
  const step = makeTrainStep(model, makeOptimizer(job.training.optimizer), { learningRate: () => 0.002 });
  const methods: FilterGradientMethod[] = ['im2col', 'direct'];
  const times: Record<FilterGradientMethod, number[]> = { im2col: [], direct: [] };
  for (const method of methods) {
    installWasmConv2DFilterGradient(method);
    for (let i = 0; i < WARMUP_STEPS; i++) step(batch);
  }
  for (let i = 0; i < MEASURED_STEPS; i++) {
    for (const method of i % 2 === 0 ? methods : [...methods].reverse()) {
      installWasmConv2DFilterGradient(method);
      const start = performance.now();
      step(batch);
      times[method].push(performance.now() - start);
    }
  }
  log(`MultiMNIST CNN training step, batch ${BATCH} (28×28×1), ${model.params.length} parameter tensors; backend ${backend.name}`);
  log(`${'Conv2DBackpropFilter'.padEnd(24)}${'median ms/step'.padStart(16)}${'images/s'.padStart(12)}`);
  for (const method of methods) {
    const ms = median(times[method]);
    log(`${method.padEnd(24)}${ms.toFixed(1).padStart(16)}${((BATCH * 1000) / ms).toFixed(0).padStart(12)}`);
  }
  log(`direct / im2col: ${(median(times.direct) / median(times.im2col)).toFixed(2)}`);

  installWasmConv2DFilterGradient('im2col');
  await logKernelProfile('one step by kernel, im2col', () => step(batch), log);
  model.dispose();
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) await benchCnnStep();
