/**
 * Kernel benchmark: what the wasm matmul fix buys.
 *
 * 1. GFLOP/s of a 256x512 by 512x512 matMul in its four transpose forms on wasm (stock kernels),
 *    wasm (fixed kernels) and cpu.
 * 2. One training step of the reference two-task model (the benchmark 1): batch 256,
 *    input 100 -> dense 256 ReLU -> dense 256 ReLU shared, two regression heads 256 -> 1, MSE losses
 *    summed, Adam; plain tfjs (tf.variable + optimizer.minimize). Median ms/step after warm-up on
 *    each backend, and the loss after K steps, which must agree between stock and fixed wasm.
 *
 * Run alone: npx tsx bench/kernels.ts
 */
import * as tf from '@tensorflow/tfjs';
import { pathToFileURL } from 'node:url';
import { selectBackend } from '../runtime/backend.js';
import { Random } from '../runtime/random.js';

/** The three configurations compared; 'wasm-stock' is wasm with the matmul fix uninstalled. */
export type KernelConfiguration = 'wasm-stock' | 'wasm-fixed' | 'cpu';
const CONFIGURATIONS: readonly KernelConfiguration[] = ['wasm-stock', 'wasm-fixed', 'cpu'];

export interface MatMulResult {
  configuration: KernelConfiguration;
  transposeA: boolean;
  transposeB: boolean;
  msPerCall: number;
  gflops: number;
}

export interface TrainingStepResult {
  configuration: KernelConfiguration;
  msPerStep: number;
  /** The summed loss returned by the last of `lossSteps` steps from the same initial state. */
  lossAfterSteps: number;
}

export interface KernelBenchReport {
  matMul: MatMulResult[];
  trainingStep: TrainingStepResult[];
  /** Stock wasm ms/step over fixed wasm ms/step. */
  fixSpeedup: number;
  /** |loss(stock) - loss(fixed)| after `lossSteps` steps. */
  lossDifference: number;
  lossSteps: number;
  /** Speedup at least REQUIRED_SPEEDUP and losses within LOSS_TOLERANCE. */
  passed: boolean;
}

export interface KernelBenchOptions {
  /** Where the tables go; console.log by default. */
  log?: (line: string) => void;
  /** Timed training steps per configuration (after warm-up); cpu uses a third of them, at least 3. */
  steps?: number;
  /** Steps from the initial state before comparing losses. */
  lossSteps?: number;
}

const REQUIRED_SPEEDUP = 4;
const LOSS_TOLERANCE = 1e-6;
const MATMUL_SHAPE = { m: 256, k: 512, n: 512 };
const MODEL = { batch: 256, input: 100, hidden: 256, seed: 1234 };

export async function benchKernels(options: KernelBenchOptions = {}): Promise<KernelBenchReport> {
  const log = options.log ?? ((line: string) => console.log(line));
  const steps = options.steps ?? 30;
  const lossSteps = options.lossSteps ?? 20;

  const matMul: MatMulResult[] = [];
  for (const configuration of CONFIGURATIONS) {
    await useConfiguration(configuration);
    matMul.push(...benchMatMulForms(configuration));
  }
  log(`matMul ${MATMUL_SHAPE.m}x${MATMUL_SHAPE.k} · ${MATMUL_SHAPE.k}x${MATMUL_SHAPE.n}, GFLOP/s (ms per call)`);
  log(formatTable(['form', ...CONFIGURATIONS], formRows(matMul)));
  log('');

  const trainingStep: TrainingStepResult[] = [];
  for (const configuration of CONFIGURATIONS) {
    await useConfiguration(configuration);
    const timedSteps = configuration === 'cpu' ? Math.max(3, Math.round(steps / 3)) : steps;
    trainingStep.push(benchTrainingStep(configuration, timedSteps, lossSteps));
  }
  const msOf = (c: KernelConfiguration) => trainingStep.find((r) => r.configuration === c)!.msPerStep;
  const lossOf = (c: KernelConfiguration) => trainingStep.find((r) => r.configuration === c)!.lossAfterSteps;
  const fixSpeedup = msOf('wasm-stock') / msOf('wasm-fixed');
  const lossDifference = Math.abs(lossOf('wasm-stock') - lossOf('wasm-fixed'));
  log(
    `training step: batch ${MODEL.batch}, ${MODEL.input} -> ${MODEL.hidden} relu -> ${MODEL.hidden} relu, ` +
      `2 heads ${MODEL.hidden} -> 1, MSE summed, Adam (median of timed steps after warm-up)`,
  );
  log(
    formatTable(
      ['backend', 'ms/step', 'vs wasm-fixed', `loss after ${lossSteps} steps`],
      trainingStep.map((r) => [
        r.configuration,
        r.msPerStep.toFixed(1),
        `${(r.msPerStep / msOf('wasm-fixed')).toFixed(2)}x`,
        r.lossAfterSteps.toPrecision(10),
      ]),
    ),
  );
  const speedupOk = fixSpeedup >= REQUIRED_SPEEDUP;
  const lossOk = lossDifference <= LOSS_TOLERANCE;
  log(`fix speedup over stock wasm: ${fixSpeedup.toFixed(2)}x (required >= ${REQUIRED_SPEEDUP}x): ${speedupOk ? 'ok' : 'FAILED'}`);
  log(`|loss stock - loss fixed| = ${lossDifference.toExponential(2)} (required <= ${LOSS_TOLERANCE}): ${lossOk ? 'ok' : 'FAILED'}`);
  return { matMul, trainingStep, fixSpeedup, lossDifference, lossSteps, passed: speedupOk && lossOk };
}

async function useConfiguration(configuration: KernelConfiguration): Promise<void> {
  if (configuration === 'cpu') await selectBackend('cpu');
  else await selectBackend('wasm', { matmulFix: configuration === 'wasm-fixed' });
}

// ---------------------------------------------------------------- matMul

function benchMatMulForms(configuration: KernelConfiguration): MatMulResult[] {
  const { m, k, n } = MATMUL_SHAPE;
  const random = new Random(7);
  const results: MatMulResult[] = [];
  for (const [transposeA, transposeB] of [
    [false, false],
    [false, true],
    [true, false],
    [true, true],
  ] as const) {
    const a = tf.tensor(uniformValues(random, m * k), transposeA ? [k, m] : [m, k]);
    const b = tf.tensor(uniformValues(random, k * n), transposeB ? [n, k] : [k, n]);
    const runs = configuration === 'cpu' ? 3 : 10;
    const msPerCall = medianMs(() => {
      const product = tf.matMul(a, b, transposeA, transposeB);
      product.dataSync();
      product.dispose();
    }, 2, runs);
    results.push({ configuration, transposeA, transposeB, msPerCall, gflops: (2 * m * k * n) / msPerCall / 1e6 });
    tf.dispose([a, b]);
  }
  return results;
}

function formRows(results: MatMulResult[]): string[][] {
  const forms = results.filter((r) => r.configuration === CONFIGURATIONS[0]);
  return forms.map(({ transposeA, transposeB }) => {
    const name = `matMul(a${transposeA ? 'ᵀ' : ''}, b${transposeB ? 'ᵀ' : ''})`;
    const cells = CONFIGURATIONS.map((configuration) => {
      const r = results.find((x) => x.configuration === configuration && x.transposeA === transposeA && x.transposeB === transposeB)!;
      return `${r.gflops.toFixed(2)} (${r.msPerCall.toFixed(1)} ms)`;
    });
    return [name, ...cells];
  });
}

// ---------------------------------------------------------------- training step

interface ReferenceModel {
  step(): tf.Scalar;
  dispose(): void;
}

/** The reference model with its own variables, data and Adam state, identical for a given seed. */
function buildReferenceModel(seed: number): ReferenceModel {
  const random = new Random(seed);
  const { batch, input, hidden } = MODEL;
  const glorot = (fanIn: number, fanOut: number) => {
    const limit = Math.sqrt(6 / (fanIn + fanOut));
    return tf.variable(tf.tensor(uniformValues(random, fanIn * fanOut, limit), [fanIn, fanOut]));
  };
  const zeros = (size: number) => tf.variable(tf.zeros([size]));
  const w1 = glorot(input, hidden);
  const b1 = zeros(hidden);
  const w2 = glorot(hidden, hidden);
  const b2 = zeros(hidden);
  const wHeadA = glorot(hidden, 1);
  const bHeadA = zeros(1);
  const wHeadB = glorot(hidden, 1);
  const bHeadB = zeros(1);
  const x = tf.tensor(uniformValues(random, batch * input), [batch, input]) as tf.Tensor2D;
  const targetA = tf.tensor(uniformValues(random, batch), [batch, 1]);
  const targetB = tf.tensor(uniformValues(random, batch), [batch, 1]);
  const optimizer = tf.train.adam(1e-3);

  const loss = (): tf.Scalar => {
    // tf.fused.matMul is what tf.layers.dense computes with, so both wasm matmul kernels are exercised.
    const h1 = tf.fused.matMul({ a: x, b: w1, bias: b1, activation: 'relu' });
    const h2 = tf.fused.matMul({ a: h1, b: w2, bias: b2, activation: 'relu' });
    const outA = tf.fused.matMul({ a: h2, b: wHeadA, bias: bHeadA });
    const outB = tf.fused.matMul({ a: h2, b: wHeadB, bias: bHeadB });
    return tf.add(tf.losses.meanSquaredError(targetA, outA), tf.losses.meanSquaredError(targetB, outB)) as tf.Scalar;
  };
  return {
    step: () => optimizer.minimize(loss, true)!,
    dispose: () => {
      tf.dispose([w1, b1, w2, b2, wHeadA, bHeadA, wHeadB, bHeadB, x, targetA, targetB]);
      optimizer.dispose();
    },
  };
}

function benchTrainingStep(configuration: KernelConfiguration, timedSteps: number, lossSteps: number): TrainingStepResult {
  // Loss first, from a fresh model, so every configuration starts from the same state.
  const lossModel = buildReferenceModel(MODEL.seed);
  let lossAfterSteps = Number.NaN;
  for (let i = 0; i < lossSteps; i++) {
    const value = lossModel.step();
    lossAfterSteps = value.dataSync()[0]!;
    value.dispose();
  }
  lossModel.dispose();

  const model = buildReferenceModel(MODEL.seed);
  const msPerStep = medianMs(() => {
    const value = model.step();
    value.dataSync();
    value.dispose();
  }, 3, timedSteps);
  model.dispose();
  return { configuration, msPerStep, lossAfterSteps };
}

// ---------------------------------------------------------------- helpers

export function medianMs(run: () => void, warmup: number, runs: number): number {
  for (let i = 0; i < warmup; i++) run();
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const start = performance.now();
    run();
    times.push(performance.now() - start);
  }
  times.sort((p, q) => p - q);
  const middle = Math.floor(times.length / 2);
  return times.length % 2 === 1 ? times[middle]! : (times[middle - 1]! + times[middle]!) / 2;
}

function uniformValues(random: Random, size: number, limit = 1): Float32Array {
  const values = new Float32Array(size);
  for (let i = 0; i < size; i++) values[i] = (2 * random.next() - 1) * limit;
  return values;
}

function formatTable(header: string[], rows: string[][]): string {
  const widths = header.map((h, c) => Math.max(h.length, ...rows.map((r) => r[c]!.length)));
  const line = (cells: string[]) => cells.map((cell, c) => cell.padEnd(widths[c]!)).join('  ').trimEnd();
  return [line(header), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)].join('\n');
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const report = await benchKernels();
  if (!report.passed) process.exitCode = 1;
}
