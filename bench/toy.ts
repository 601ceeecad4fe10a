/**
 * `npm run bench:toy`: the two-objective toy problem of Liu et al. 2021 (CAGrad) as Navon et al. 2022 (Nash-MTL)
 * run it, from their five start points, under plain summed descent and each gradient aggregation. The problem is the
 * program bench/toy/toy.mtl; for each start point and method this script writes the point into its `init:` and the
 * method into its `aggregation:` line (text substitution, nothing else changes), compiles it, and trains it in
 * process through the runtime's library API (`train`, with the model built here so the point can be read after each
 * epoch of 100 steps). It prints where each run ends, f1 and f2 there, and whether it reached the Pareto set, and
 * writes the table, the trajectories (JSON) and one SVG of them (Vega-Lite, a panel per method) to bench/out/toy/.
 *
 * Reached: the end point lies within DISTANCE_TOLERANCE of the Pareto set, computed here from the objectives'
 * formulas (below): for x2 < 0 both objectives are c2(x2)·q_i(x1, x2), and a point is Pareto stationary when
 * λ∇f1 + (1 − λ)∇f2 = 0 for some λ in [0, 1], which gives x1 = 14λ − 7 and one equation in x2, solved by bisection.
 * The table also gives the norm of the min-norm element of the convex hull of {∇f1, ∇f2} at the end point (0 exactly
 * on the set). Nash-MTL's and CAGrad's plots draw the set as the segment x2 = −8.3552; it bends slightly with x1.
 *
 * Options: --steps N (default: the program's 35,000), --backend NAME (default cpu: faster than wasm on a 2-vector),
 * --replot (no training: the table and SVG again from the last run's trajectories.json), --methods a,b (train only
 * the methods whose `aggregation:` starts with one of these names, e.g. `nash_mtl`; the other methods' rows are kept
 * from the saved trajectories.json when it holds runs of the same step count, and the output says so).
 *
 * Time: the 30 runs of 35,000 steps took 47 min on the shared 2-core machine (190 to 980 steps/s with the load of
 * other processes; a step with a per-task aggregation costs two backward passes and the aggregation, each a few dozen
 * TensorFlow.js kernel calls, which is where the time goes: data, evaluation and metrics are negligible once an
 * epoch is 100 steps).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs';
import { compile } from '../compiler/index.js';
import type { Job } from '../job/job.js';
import { selectBackend } from '../runtime/backend.js';
import { openJobData } from '../runtime/data/index.js';
import { buildModel } from '../runtime/model/build.js';
import { train } from '../runtime/train/train.js';
import { toyObjectives } from '../runtime/train/toy-objectives.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const PROGRAM = path.join(here, '..', '..', 'bench', 'toy', 'toy.mtl');
const OUT = path.join(here, '..', '..', 'bench', 'out', 'toy');

/** Nash-MTL's start points (experiments/toy/trainer.py). */
const START_POINTS: readonly (readonly [number, number])[] = [[-8.5, 7.5], [0, 0], [9, 9], [-7.5, -0.5], [9, -1]];

/**
 * The methods compared, as the `aggregation:` each run writes. `cagrad`'s c is 0.5, CAGrad's own toy.py (Nash-MTL's
 * toy runs its default 0.4).
 */
const METHODS: readonly string[] = ['sum()', 'pcgrad()', 'cagrad(c: 0.5)', 'mgda()', 'imtl_g()', 'nash_mtl()', 'upgrad()'];

const DISTANCE_TOLERANCE = 0.05;

interface RunResult {
  method: string;
  start: readonly [number, number];
  end: [number, number];
  f1: number;
  f2: number;
  distance: number;
  minNorm: number;
  reached: boolean;
  steps: number;
  seconds: number;
  /** The point after each epoch (every 100 steps), the start first. */
  trajectory: [number, number][];
}

function argValue(name: string): string | undefined {
  const at = process.argv.indexOf(name);
  return at >= 0 ? process.argv[at + 1] : undefined;
}

/** The program with one start point and one method written in (and a training length, when asked). */
function programText(source: string, start: readonly [number, number], method: string, steps: number | undefined): string {
  const replace = (text: string, pattern: RegExp, by: string) => {
    if (!pattern.test(text)) throw new Error(`bench/toy/toy.mtl has no ${pattern}: the bench writes its runs into that line`);
    return text.replace(pattern, by);
  };
  let text = replace(source, /init: \[[^\]]*\]/, `init: [${start.join(', ')}]`);
  text = replace(text, /aggregation: [^\n]*/, `aggregation: ${method}`);
  if (steps !== undefined) text = replace(replace(text, /steps: \d+/, `steps: ${steps}`), /eval_every: \d+/, `eval_every: ${steps}`);
  return text;
}

function compileRun(text: string): Job {
  const { value, diagnostics } = compile({ file: PROGRAM, text });
  if (!value) throw new Error(`bench/toy/toy.mtl does not compile:\n${diagnostics.map((d) => `${d.code} ${d.message}`).join('\n')}`);
  return value;
}

/** f1, f2 and their gradients at a point, through the runtime's objectives (unscaled: Pareto optimality ignores scale). */
function objectivesAt([x1, x2]: readonly [number, number]): { f: [number, number]; grads: [number[], number[]] } {
  return tf.tidy(() => {
    const point = tf.tensor2d([[x1, x2]]);
    const at = (name: 'toy_f1' | 'toy_f2') => {
      const { value, grad } = tf.valueAndGrad((p: tf.Tensor) => toyObjectives[name](p).sum() as tf.Scalar)(point);
      return { f: value.dataSync()[0]!, g: Array.from(grad.dataSync()) };
    };
    const a = at('toy_f1');
    const b = at('toy_f2');
    return { f: [a.f, b.f], grads: [a.g, b.g] };
  });
}

/** ‖the min-norm element of the segment between two vectors‖ (MGDA's two-task closed form). */
function minNormOfHull(g1: number[], g2: number[]): number {
  const dot = (a: number[], b: number[]) => a.reduce((s, v, i) => s + v * b[i]!, 0);
  const diff = g1.map((v, i) => v - g2[i]!);
  const dd = dot(diff, diff);
  const t = dd === 0 ? 0 : Math.min(1, Math.max(0, dot(g2.map((v) => -v), diff) / dd));
  const d = g2.map((v, i) => v + t * diff[i]!);
  return Math.sqrt(dot(d, d));
}

/**
 * The Pareto set, sampled: for x2 < 0, f_i = c2·q_i with c2 = tanh(−x2/2), q_i = ((x1 ∓ 7)² + 0.1(x2 + 8)²)/10 − 20.
 * λ∂f1/∂x1 + (1 − λ)∂f2/∂x1 = 0 gives x1 = 14λ − 7; then λq1 + (1 − λ)q2 = 19.6λ(1 − λ) + 0.01(x2 + 8)² − 20 =: Q, and
 * the x2-equation is c2'·Q + c2·0.02(x2 + 8) = 0, c2' = −½ sech²(x2/2), with one root in [−9, −8] (bisection).
 */
function paretoSet(samples = 2001): [number, number][] {
  const points: [number, number][] = [];
  for (let i = 0; i < samples; i++) {
    const lambda = i / (samples - 1);
    const equation = (x2: number) => {
      const q = 19.6 * lambda * (1 - lambda) + 0.01 * (x2 + 8) ** 2 - 20;
      const sech = 1 / Math.cosh(x2 / 2);
      return -0.5 * sech * sech * q + Math.tanh(-x2 / 2) * 0.02 * (x2 + 8);
    };
    let [low, high] = [-9, -8];
    if (!(equation(low) < 0 && equation(high) > 0)) throw new Error(`no Pareto point for λ = ${lambda} in x2 ∈ [−9, −8]`);
    for (let k = 0; k < 60; k++) {
      const mid = (low + high) / 2;
      if (equation(mid) < 0) low = mid;
      else high = mid;
    }
    points.push([14 * lambda - 7, (low + high) / 2]);
  }
  return points;
}

async function runOne(source: string, start: readonly [number, number], method: string, steps: number | undefined, pareto: [number, number][]): Promise<RunResult> {
  const job = compileRun(programText(source, start, method, steps));
  const data = await openJobData(job);
  const model = buildModel(job, (w) => data.width(w), job.training.seed);
  const point = model.params.find((p) => p.name.endsWith('/point'));
  if (!point) throw new Error(`the toy model has no point parameter (it has ${model.params.map((p) => p.name).join(', ')})`);
  const read = (): [number, number] => {
    const [x1, x2] = point.variable.dataSync();
    return [x1!, x2!];
  };
  const trajectory: [number, number][] = [read()];
  try {
    const result = await train(job, data, { model, progress: false, log: () => {}, onEpoch: () => trajectory.push(read()) });
    const end = read();
    const { f, grads } = objectivesAt(end);
    const distance = Math.min(...pareto.map(([a, b]) => Math.hypot(a - end[0], b - end[1])));
    return {
      method, start, end, f1: f[0], f2: f[1], distance, minNorm: minNormOfHull(grads[0], grads[1]),
      reached: distance <= DISTANCE_TOLERANCE, steps: result.steps, seconds: result.seconds, trajectory,
    };
  } finally {
    model.dispose();
  }
}

async function trajectoriesSvg(results: readonly RunResult[], pareto: [number, number][]): Promise<string> {
  const [vega, vegaLite] = await Promise.all([import('vega'), import('vega-lite')]);
  // One data set for the facets (a layer's own data would not be faceted), each layer picking its rows by `layer`.
  const label = (start: readonly number[]) => `(${start.join(', ')})`;
  const values = [
    ...METHODS.flatMap((method) => pareto.filter((_, i) => i % 20 === 0).map(([x1, x2], step) => ({ layer: 'front', method, start: '', step, x1, x2 }))),
    ...results.flatMap((r) => r.trajectory.map(([x1, x2], step) => ({ layer: 'trajectory', method: r.method, start: label(r.start), step, x1, x2 }))),
    ...results.map((r) => ({ layer: 'start', method: r.method, start: label(r.start), step: 0, x1: r.start[0], x2: r.start[1] })),
  ];
  const scale = { domain: [-10, 10] };
  const x = { field: 'x1', type: 'quantitative', scale };
  const y = { field: 'x2', type: 'quantitative', scale };
  const only = (layer: string) => [{ filter: `datum.layer === '${layer}'` }];
  const spec = vegaLite.compile({
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: 'toy problem (CAGrad / Nash-MTL): trajectories of x = (x1, x2) by start point; grey: the Pareto set',
    data: { values },
    facet: { field: 'method', type: 'nominal', title: null, sort: [...METHODS] },
    columns: 3,
    spec: {
      width: 220,
      height: 220,
      layer: [
        { transform: only('front'), mark: { type: 'line', color: '#aaa', strokeWidth: 6 }, encoding: { x, y, order: { field: 'step' } } },
        { transform: only('trajectory'), mark: { type: 'line', strokeWidth: 1.5 }, encoding: { x, y, color: { field: 'start', type: 'nominal', title: 'start point' }, order: { field: 'step' } } },
        { transform: only('start'), mark: { type: 'point', filled: true, size: 40 }, encoding: { x, y, color: { field: 'start', type: 'nominal' } } },
      ],
    },
  } as unknown as Parameters<typeof vegaLite.compile>[0]).spec;
  const view = new vega.View(vega.parse(spec), { renderer: 'none' });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}

function table(results: readonly RunResult[], steps: number): string {
  const header = ['start', 'method', 'end x1', 'end x2', 'f1', 'f2', 'dist to set', '‖min-norm‖', 'reached', 's'];
  const lines = results.map((r) => [
    `(${r.start.join(', ')})`, r.method, r.end[0].toFixed(3), r.end[1].toFixed(3), r.f1.toFixed(3), r.f2.toFixed(3),
    r.distance.toFixed(3), r.minNorm.toExponential(1), r.reached ? 'yes' : 'no', r.seconds.toFixed(0),
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...lines.map((l) => l[i]!.length)));
  const row = (cells: string[]) => cells.map((c, i) => c.padEnd(widths[i]!)).join('  ');
  return [
    `toy problem: ${steps} Adam steps (lr 1e-3), f1 weighted 0.1 as in Nash-MTL; reached = end point within ${DISTANCE_TOLERANCE} of the Pareto set`,
    `(f1, f2 unscaled; ‖min-norm‖: the min-norm element of the convex hull of {∇f1, ∇f2} at the end point, 0 on the set)`,
    row(header),
    ...lines.map(row),
  ].join('\n');
}

async function main(): Promise<void> {
  const stepsArg = argValue('--steps');
  const steps = stepsArg === undefined ? undefined : Number(stepsArg);
  if (steps !== undefined && !(Number.isInteger(steps) && steps > 0)) throw new Error(`--steps takes a positive integer, got ${stepsArg}`);
  const saved = path.join(OUT, 'trajectories.json');
  const pareto = paretoSet();
  const results: RunResult[] = [];
  if (process.argv.includes('--replot')) {
    results.push(...(JSON.parse(fs.readFileSync(saved, 'utf8')) as { results: RunResult[] }).results);
  } else {
    const only = argValue('--methods')?.split(',');
    const methods = only ? METHODS.filter((m) => only.some((name) => m.startsWith(name))) : METHODS;
    if (only && methods.length === 0) throw new Error(`--methods matches none of ${METHODS.join(' ')}`);
    if (only && fs.existsSync(saved)) {
      // The other methods' runs, kept from the last full run when it took the same number of steps.
      const kept = (JSON.parse(fs.readFileSync(saved, 'utf8')) as { results: RunResult[] }).results.filter((r) => !methods.includes(r.method));
      const wanted = steps ?? kept[0]?.steps;
      results.push(...kept.filter((r) => r.steps === wanted));
      process.stderr.write(`kept ${results.length} runs of other methods from ${path.relative(process.cwd(), saved)}\n`);
    }
    const backend = await selectBackend(argValue('--backend') ?? 'cpu');
    process.stderr.write(`backend: ${backend.name}\n`);
    const source = fs.readFileSync(PROGRAM, 'utf8');
    for (const start of START_POINTS) {
      for (const method of methods) {
        const result = await runOne(source, start, method, steps, pareto);
        results.push(result);
        process.stderr.write(`(${start.join(', ')}) ${method}: end (${result.end.map((v) => v.toFixed(3)).join(', ')}), ${result.reached ? 'reached' : 'did not reach'} the Pareto set, ${(result.steps / result.seconds).toFixed(0)} steps/s\n`);
      }
    }
  }
  // In the table's order: by start point, then as METHODS lists them.
  const startIndex = (r: RunResult) => START_POINTS.findIndex((p) => p[0] === r.start[0] && p[1] === r.start[1]);
  results.sort((a, b) => startIndex(a) - startIndex(b) || METHODS.indexOf(a.method) - METHODS.indexOf(b.method));
  const text = table(results, results[0]!.steps);
  fs.mkdirSync(OUT, { recursive: true });
  fs.writeFileSync(path.join(OUT, 'table.txt'), `${text}\n`);
  fs.writeFileSync(saved, `${JSON.stringify({ pareto, results }, null, 1)}\n`);
  fs.writeFileSync(path.join(OUT, 'trajectories.svg'), await trajectoriesSvg(results, pareto));
  process.stdout.write(`${text}\nwritten to ${path.relative(process.cwd(), OUT)}/ (table.txt, trajectories.json, trajectories.svg)\n`);
}

await main();
