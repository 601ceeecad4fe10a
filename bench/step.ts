/**
 * The runtime's training step against the same model hand-written in plain tfjs, on wasm (with the
 * matmul fix that selectBackend('wasm') installs).
 *
 * Model: batch 256, input 100, shared dense 256 (ReLU) → dense 256 (ReLU), two regression heads
 * (MSE), Adam at lr 0.001. Every side uploads the batch from typed arrays every step and reads the loss
 * back, as a training loop must: the reference, the runtime as `mtl run` trains (the fused dense step) and the
 * runtime with `--no-opt fused-dense-step` (tfjs ops). Steps alternate between them one by one, so drift in
 * the machine's speed hits all alike. The runtime must be no slower than 1.1x the reference.
 *
 * Run alone: npx tsx bench/step.ts
 */
import { pathToFileURL } from 'node:url';
import * as tf from '@tensorflow/tfjs';
import type { Job } from '../job/job.js';
import { selectBackend } from '../runtime/backend.js';
import type { Batch } from '../runtime/data/api.js';
import { buildModel } from '../runtime/model/build.js';
import { fusedAdamPays } from '../runtime/kernels/fused-adam.js';
import { makeOptimizer, type Optimizer } from '../runtime/train/optimizer.js';
import { makeTrainStep } from '../runtime/train/step.js';

export const BATCH = 256;
export const INPUT = 100;
export const HIDDEN = 256;
export const LR = 0.001;
export const WARMUP_STEPS = 20;
export const MEASURED_STEPS = 200;
export const MAX_RATIO = 1.1;

export interface StepBenchResult {
  backend: string;
  referenceMs: number;
  runtimeMs: number;
  /** runtime / reference: below 1 the runtime is faster. */
  ratio: number;
  ok: boolean;
}

export function benchJob(): Job {
  const adam = { kind: 'adam', lr: { kind: 'constant', lr: LR }, beta1: 0.9, beta2: 0.999, epsilon: 1e-7, weightDecay: 0, clipNorm: null, normalizeTaskGradients: false } as const;
  const head = (name: string) => ({
    name,
    dataset: 'd',
    input: 'x',
    from: { module: 'trunk', layer: 1 },
    target: { col: name },
    targetType: 'float' as const,
    head: { kind: 'regression' as const, units: 1, classes: 'index' as const },
    loss: 'mse' as const,
    metrics: ['mse' as const],
    weight: 1,
  });
  return {
    format: 'mtl-job',
    version: 3,
    source: { file: 'bench.mtl', sha256: '0'.repeat(64) },
    root: '.',
    datasets: [],
    features: [],
    inputs: [{ id: 'x', dataset: 'd', features: [], kind: 'vector', shape: [INPUT] }],
    modules: [
      {
        id: 'trunk',
        backbone: null,
        share: null,
        from: [{ input: 'x' }],
        layers: [
          { kind: 'dense', units: HIDDEN, activation: 'relu', dropout: 0 },
          { kind: 'dense', units: HIDDEN, activation: 'relu', dropout: 0 },
        ],
        shapes: [[HIDDEN], [HIDDEN]],
        tasks: ['a', 'b'],
        sharing: { kind: 'hard' },
      },
    ],
    tasks: [head('a'), head('b')],
    batchGroups: [{ dataset: 'd', input: 'x', tasks: ['a', 'b'] }],
    training: {
      optimizer: adam,
      taskLr: {},
      batchSize: BATCH,
      seed: 1,
      sampling: { kind: 'uniform' },
      weighting: { kind: 'equal' },
      aggregation: { kind: 'sum' },
      stages: [{ tasks: ['a', 'b'], frozen: [], epochs: 1, steps: null }],
      selection: { kind: 'best', metric: 'loss', task: 'mean', mode: 'min', objectives: ['a', 'b'].map((task) => ({ task, metric: 'loss', mode: 'min' })), patience: null },
      evalEvery: 1,
      conflictsEvery: 0,
      shuffleBuffer: 1,
    },
  };
}

export function randomBatch(): Batch {
  let state = 12345;
  const uniform = () => ((state = (Math.imul(state, 1103515245) + 12345) >>> 0) / 2 ** 32) * 2 - 1;
  const ones = new Float32Array(BATCH).fill(1);
  return {
    dataset: 'd',
    size: BATCH,
    inputs: { x: { data: Float32Array.from({ length: BATCH * INPUT }, uniform), shape: [BATCH, INPUT] } },
    labels: {
      a: { values: { data: Float32Array.from({ length: BATCH }, uniform), shape: [BATCH] }, mask: ones },
      b: { values: { data: Float32Array.from({ length: BATCH }, uniform), shape: [BATCH] }, mask: ones },
    },
  };
}

/** The reference: the same model as a tfjs user would write it, with tf.train.adam. */
function referenceStep(batch: Batch): () => number {
  const glorot = (fanIn: number, fanOut: number) => tf.variable(tf.randomUniform([fanIn, fanOut], -Math.sqrt(6 / (fanIn + fanOut)), Math.sqrt(6 / (fanIn + fanOut)), 'float32', 1));
  const w1 = glorot(INPUT, HIDDEN);
  const b1 = tf.variable(tf.zeros([HIDDEN]));
  const w2 = glorot(HIDDEN, HIDDEN);
  const b2 = tf.variable(tf.zeros([HIDDEN]));
  const wa = glorot(HIDDEN, 1);
  const ba = tf.variable(tf.zeros([1]));
  const wb = glorot(HIDDEN, 1);
  const bb = tf.variable(tf.zeros([1]));
  const optimizer = tf.train.adam(LR, 0.9, 0.999, 1e-7);
  return () => {
    const cost = tf.tidy(() => {
      const x = tf.tensor2d(batch.inputs['x']!.data as Float32Array, [BATCH, INPUT]);
      const ya = tf.tensor2d(batch.labels['a']!.values.data as Float32Array, [BATCH, 1]);
      const yb = tf.tensor2d(batch.labels['b']!.values.data as Float32Array, [BATCH, 1]);
      return optimizer.minimize(() => {
        const h1 = tf.relu(tf.add(tf.matMul(x, w1), b1));
        const h2 = tf.relu(tf.add(tf.matMul(h1, w2), b2));
        const lossA = tf.losses.meanSquaredError(ya, tf.add(tf.matMul(h2, wa), ba));
        const lossB = tf.losses.meanSquaredError(yb, tf.add(tf.matMul(h2, wb), bb));
        return tf.add(lossA, lossB) as tf.Scalar;
      }, true)!;
    });
    const loss = cost.dataSync()[0]!;
    cost.dispose();
    return loss;
  };
}

/**
 * The runtime's step on the bench job, as `mtl run` builds it (`dense`: with the fused dense step, as `mtl run` does unless
 * `--no-opt fused-dense-step`); each call trains one step on `batch` and returns its loss.
 */
export function runtimeStepper(batch: Batch, dense = true): { step: () => number; dispose: () => void; optimizerMs: number[] } {
  const job = benchJob();
  const model = buildModel(job, (w) => w as number, 1);
  const adam = makeOptimizer(job.training.optimizer);
  // The optimizer's own time in each step (wasm and cpu kernels run synchronously, so the clock sees their work).
  const optimizerMs: number[] = [];
  const optimizer: Optimizer = {
    ...adam,
    apply: (gradients, lr) => {
      const start = performance.now();
      adam.apply(gradients, lr);
      optimizerMs.push(performance.now() - start);
    },
  };
  const step = makeTrainStep(model, optimizer, { learningRate: () => LR, denseStep: dense, onDenseUpdate: (ms) => optimizerMs.push(ms) });
  return {
    optimizerMs,
    step: () => step(batch),
    dispose: () => {
      adam.dispose();
      model.dispose();
    },
  };
}

export function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

export async function benchStep(log: (line: string) => void = console.log): Promise<StepBenchResult> {
  const backend = await selectBackend('wasm');
  const batch = randomBatch();
  const runtime = runtimeStepper(batch);
  const unfused = runtimeStepper(batch, false);
  const sides: [string, () => number][] = [
    ['plain tfjs (reference)', referenceStep(batch)],
    ['mtl runtime', runtime.step],
    ['mtl, no fused-dense-step', unfused.step],
  ];
  for (let i = 0; i < WARMUP_STEPS; i++) for (const [, step] of sides) step();
  // Steps alternate one by one (the order rotating every step), so a burst of load from other processes hits every
  // side alike.
  const times = sides.map(() => [] as number[]);
  for (let i = 0; i < MEASURED_STEPS; i++) {
    for (let j = 0; j < sides.length; j++) {
      const side = (i + j) % sides.length;
      const start = performance.now();
      sides[side]![1]();
      times[side]!.push(performance.now() - start);
    }
  }
  const [referenceMs, runtimeMs, unfusedMs] = times.map(median) as [number, number, number];
  const ratio = runtimeMs / referenceMs;
  const result = { backend: backend.name, referenceMs, runtimeMs, ratio, ok: ratio <= MAX_RATIO };
  log(`training step, batch ${BATCH}, ${INPUT} → ${HIDDEN} → ${HIDDEN} → 2 regression heads, Adam; backend ${backend.name}`);
  log(`${'implementation'.padEnd(28)}${'median ms/step'.padStart(16)}`);
  sides.forEach(([name], k) => log(`${name.padEnd(28)}${[referenceMs, runtimeMs, unfusedMs][k]!.toFixed(2).padStart(16)}`));
  log(`ratio runtime/reference ${ratio.toFixed(3)} (must be <= ${MAX_RATIO}): ${result.ok ? 'ok' : 'TOO SLOW'}`);
  const share = (stepper: typeof runtime, ms: number, how: string) => {
    const optimizerMs = median(stepper.optimizerMs.slice(WARMUP_STEPS));
    log(`the optimizer's share of the runtime's step${how}: ${optimizerMs.toFixed(2)} ms of ${ms.toFixed(2)} (${((100 * optimizerMs) / ms).toFixed(0)}%)`);
  };
  share(runtime, runtimeMs, ' (fused dense step: one SIMD Adam pass per parameter)');
  share(unfused, unfusedMs, ` (no fused-dense-step: Adam as ${fusedAdamPays(backend.name) ? 'fused-adam' : 'tensor ops'})`);
  runtime.dispose();
  unfused.dispose();
  return result;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const result = await benchStep();
  if (!result.ok) process.exitCode = 1;
}
