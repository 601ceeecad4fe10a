/**
 * `npm run bench:mmoe`: the census MMoE's training step (examples/census/census-mmoe.mtl: eight experts of 16 units,
 * a softmax gate per task) with its experts' first layers computed as one wide product (fused) and one product per
 * expert (unfused), against the hard-shared main job (examples/census/census.mtl) for reference, on wasm. Batch as
 * the programs say (1024 and 512 rows), inputs as wide as census group 1's (503 columns: 7 numbers and 31 one-hot
 * groups; each vocabulary set to 16). The three steps alternate one by one (in rotated order), so a burst of load
 * from other processes hits all alike; printed are median ms per step, rows per second and the ratios. Then where an
 * unfused and a fused MMoE step spend their time, kernel by kernel (tf.profile).
 *
 *   --steps N     measured steps of each (default 60)
 *   --backend B   wasm (default) or cpu
 */
import * as path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { compile, render, type Job } from '../compiler/index.js';
import { selectBackend, type BackendRequest } from '../runtime/backend.js';
import type { Width } from '../job/job.js';
import type { Batch } from '../runtime/data/api.js';
import { buildModel } from '../runtime/model/build.js';
import { mmoeUnfused } from '../runtime/model/schemes/mmoe.js';
import type { MtlModel } from '../runtime/model/types.js';
import { makeOptimizer } from '../runtime/train/optimizer.js';
import { makeTrainStep, type TrainStep } from '../runtime/train/step.js';
import { logKernelProfile } from './kernel-profile.js';

const CENSUS = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', '..', 'examples', 'census');
const VOCABULARY = 16;
const WARMUP_STEPS = 5;

function compiled(file: string): Job {
  const result = compile(path.join(CENSUS, file));
  if (!result.ok || !result.value) throw new Error(render(result));
  return result.value;
}

function randomBatch(job: Job, width: number): Batch {
  let state = 12345;
  const next = () => (state = (Math.imul(state, 1103515245) + 12345) >>> 0) / 2 ** 32;
  const rows = job.training.batchSize;
  const input = job.inputs[0]!;
  const labels = Object.fromEntries(job.tasks.map((t) => [t.name, {
    values: { data: Float32Array.from({ length: rows }, () => (next() < 0.3 ? 1 : 0)), shape: [rows] },
    mask: new Float32Array(rows).fill(1),
  }]));
  return { dataset: input.dataset, size: rows, inputs: { [input.id]: { data: Float32Array.from({ length: rows * width }, () => 2 * next() - 1), shape: [rows, width] } }, labels };
}

interface Variant {
  name: string;
  model: MtlModel;
  step: TrainStep;
  batch: Batch;
  times: number[];
}

/** Every vocabulary VOCABULARY long; sums added. */
const widthOf = (w: Width): number => (typeof w === 'number' ? w : 'sum' in w ? w.sum.reduce<number>((n, part) => n + widthOf(part), 0) : VOCABULARY);

function variant(name: string, job: Job, fuseExperts: boolean): Variant {
  const model = buildModel(job, widthOf, 1, fuseExperts ? {} : { schemes: { mmoe: mmoeUnfused } });
  const width = widthOf(job.inputs[0]!.shape[0]!);
  const step = makeTrainStep(model, makeOptimizer(job.training.optimizer), { learningRate: () => 0.001 });
  return { name, model, step, batch: randomBatch(job, width), times: [] };
}

const median = (values: readonly number[]): number => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
};

export async function benchMmoeStep(options: { steps?: number; backend?: BackendRequest } = {}, log: (line: string) => void = console.log): Promise<void> {
  const steps = options.steps ?? 60;
  const backend = await selectBackend(options.backend ?? 'wasm');
  const mmoeJob = compiled('census-mmoe.mtl');
  const variants = [variant('hard (census.mtl)', compiled('census.mtl'), true), variant('mmoe unfused', mmoeJob, false), variant('mmoe fused', mmoeJob, true)];
  for (const v of variants) for (let i = 0; i < WARMUP_STEPS; i++) v.step(v.batch);
  for (let i = 0; i < steps; i++) {
    for (let j = 0; j < variants.length; j++) {
      const v = variants[(i + j) % variants.length]!;
      const start = performance.now();
      v.step(v.batch);
      v.times.push(performance.now() - start);
    }
  }
  const [hard, unfused, fused] = variants.map((v) => ({ ...v, ms: median(v.times) }));
  log(`census training steps, ${steps} each, alternating; backend ${backend.name}; input width ${variants[1]!.batch.inputs[mmoeJob.inputs[0]!.id]!.shape[1]}`);
  log(`${'model'.padEnd(20)}${'batch'.padStart(7)}${'median ms/step'.padStart(16)}${'steps/s'.padStart(9)}${'rows/s'.padStart(9)}`);
  for (const v of [hard!, unfused!, fused!]) {
    log(`${v.name.padEnd(20)}${String(v.batch.size).padStart(7)}${v.ms.toFixed(1).padStart(16)}${(1000 / v.ms).toFixed(1).padStart(9)}${((v.batch.size * 1000) / v.ms).toFixed(0).padStart(9)}`);
  }
  const rowsPerSecond = (v: { ms: number; batch: Batch }) => (v.batch.size * 1000) / v.ms;
  log(`fused / unfused MMoE speed (steps/s): ${(unfused!.ms / fused!.ms).toFixed(2)}x`);
  log(`MMoE rows/s as a share of hard sharing's: unfused ${(rowsPerSecond(unfused!) / rowsPerSecond(hard!)).toFixed(2)}, fused ${(rowsPerSecond(fused!) / rowsPerSecond(hard!)).toFixed(2)}`);
  for (const v of variants.slice(1)) await logKernelProfile(`one ${v.name} step by kernel`, () => v.step(v.batch), log, 10);
  for (const v of variants) v.model.dispose();
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const { values } = parseArgs({ options: { steps: { type: 'string' }, backend: { type: 'string' } } });
  await benchMmoeStep({ ...(values.steps ? { steps: Number(values.steps) } : {}), ...(values.backend ? { backend: values.backend as BackendRequest } : {}) });
}
