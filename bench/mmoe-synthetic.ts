/**
 * `npm run bench:mmoe-synthetic`: the synthetic experiment of the MMoE paper (Ma et al., KDD 2018, section 4):
 * how shared-bottom, MMoE, cross-stitch and soft sharing fare as two regression tasks grow less related.
 *
 * Data, per task correlation p: orthogonal unit vectors u1, u2 in R^d (Gram–Schmidt on two Gaussian draws);
 * w1 = c·u1, w2 = c·(p·u1 + sqrt(1 − p²)·u2); x ~ N(0, I_d); y_k = w_kᵀx + Σ_{i=1..m} sin(α_i·w_kᵀx + β_i) + ε,
 * ε ~ N(0, 0.01) (variance 0.01). The paper leaves c, m, α and β open: here d = 100, c = 1, m = 10, α_i = i, β_i = i².
 * Each p's rows are drawn from a seeded stream (the same data for every scheme and training seed), written as CSV and
 * converted to Arrow by `mtl data import`'s own code (importCsv), into bench/out/mmoe-synthetic/data/. The empirical
 * Pearson correlation of the two labels is printed beside each p (it is lower than p: the sines are not linear).
 *
 * Each scheme is a program generated from one line of SCHEMES (a new scheme is one more line), compiled and run in
 * this process through the runtime's API (runJob, then evalRun on the test split), each run into its own directory
 * under bench/out/mmoe-synthetic/runs/ with its metrics.jsonl (the training loss per epoch and task: the loss curves).
 * Seeds are the outer loop, then p, then the scheme, so the schemes alternate in time. Printed (and written to
 * bench/out/mmoe-synthetic.md): the test MSE per task, mean ± std over the seeds, per scheme and p.
 *
 *   --seeds 1,2,3          training seeds (default 1,2,3)
 *   --ps 1,0.9,0.5,0       task correlations (default 1.0, 0.9, 0.5, 0.0)
 *   --schemes a,b          only these schemes (names of the first column)
 *   --rows N               rows per p (default 12000: 10,000 train, 1,000 valid, 1,000 test)
 *   --epochs N             epochs per run (default 8)
 *   --backend NAME         as `mtl run --backend`
 */
import { mkdir, rm, writeFile } from 'node:fs/promises';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { compileProgram, hasErrors, renderFrames, type Job } from '../compiler/index.js';
import { importCsv } from '../runtime/data/csv-import.js';
import { Random } from '../runtime/random.js';
import { evalRun, runJob } from '../runtime/index.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const OUT = path.resolve(here, '..', '..', 'bench', 'out', 'mmoe-synthetic');
const D = 100;
const C = 1;
const M = 10;
const alpha = (i: number) => i;
const beta = (i: number) => i * i;
const NOISE_VARIANCE = 0.01;
const DATA_SEED = 2018;
const TASKS = ['y1', 'y2'] as const;

/**
 * Each scheme: its name in the table, its backbone and its share line (over tasks y1 and y2). Sizes as in the paper's
 * synthetic models: 8 experts of 16 units against a 128-unit shared bottom; the per-task columns of cross-stitch and
 * soft sharing 64 wide each; every task has a tower of 8 units.
 */
const SCHEMES: readonly { name: string; backbone: string; share: string }[] = [
  { name: 'shared-bottom', backbone: 'mlp(units: [128])', share: 'hard(backbone: net, tasks: [y1, y2])' },
  { name: 'mmoe', backbone: 'mlp(units: [16])', share: 'mmoe(expert: net, experts: 8, tasks: [y1, y2])' },
  { name: 'cross-stitch', backbone: 'mlp(units: [64])', share: 'cross_stitch(backbone: net, tasks: [y1, y2])' },
  { name: 'soft', backbone: 'mlp(units: [64])', share: 'soft(backbone: net, tasks: [y1, y2])' },
  // PLE, once `ple` runs (another part of issue 13 adds it): uncomment.
  // { name: 'ple', backbone: 'mlp(units: [16])', share: 'ple(expert: net, shared_experts: 4, task_experts: 2, levels: 2, tasks: [y1, y2])' },
];

/** One p's rows: [x (d values), y1, y2] per row, from the data stream seeded by DATA_SEED and p. */
export function syntheticRows(p: number, rows: number, seed = DATA_SEED): { x: Float64Array; y: [Float64Array, Float64Array] } {
  const random = new Random(seed).fork(`p=${p}`);
  const normal = () => {
    // Box–Muller on two uniforms in (0, 1].
    const u = 1 - random.next();
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * random.next());
  };
  const draw = () => Float64Array.from({ length: D }, normal);
  const dot = (a: ArrayLike<number>, b: ArrayLike<number>, offset = 0) => {
    let s = 0;
    for (let i = 0; i < D; i++) s += a[i]! * b[offset + i]!;
    return s;
  };
  const unit = (v: Float64Array) => v.map((e) => e / Math.sqrt(dot(v, v)));
  const u1 = unit(draw());
  const raw = draw();
  const u2 = unit(raw.map((e, i) => e - dot(raw, u1) * u1[i]!));
  const w = [u1.map((e) => C * e), u1.map((e, i) => C * (p * e + Math.sqrt(1 - p * p) * u2[i]!))];
  const x = new Float64Array(rows * D);
  const y: [Float64Array, Float64Array] = [new Float64Array(rows), new Float64Array(rows)];
  for (let r = 0; r < rows; r++) {
    for (let i = 0; i < D; i++) x[r * D + i] = normal();
    for (let k = 0; k < 2; k++) {
      const z = dot(w[k]!, x, r * D);
      let sines = 0;
      for (let i = 1; i <= M; i++) sines += Math.sin(alpha(i) * z + beta(i));
      y[k]![r] = z + sines + Math.sqrt(NOISE_VARIANCE) * normal();
    }
  }
  return { x, y };
}

export function pearson(a: ArrayLike<number>, b: ArrayLike<number>): number {
  const n = a.length;
  let [ma, mb] = [0, 0];
  for (let i = 0; i < n; i++) [ma, mb] = [ma + a[i]! / n, mb + b[i]! / n];
  let [sab, saa, sbb] = [0, 0, 0];
  for (let i = 0; i < n; i++) {
    const [da, db] = [a[i]! - ma, b[i]! - mb];
    [sab, saa, sbb] = [sab + da * db, saa + da * da, sbb + db * db];
  }
  return sab / Math.sqrt(saa * sbb);
}

/** Writes one p's data as CSV and converts it with `mtl data import`'s code; returns the Arrow file and the labels' correlation. */
async function writeData(p: number, rows: number): Promise<{ arrow: string; correlation: number }> {
  const { x, y } = syntheticRows(p, rows);
  const dir = path.join(OUT, 'data');
  await mkdir(dir, { recursive: true });
  const csv = path.join(dir, `p${p}.csv`);
  const lines = [[...Array.from({ length: D }, (_, i) => `x${i}`), ...TASKS].join(',')];
  for (let r = 0; r < rows; r++) lines.push([...x.subarray(r * D, (r + 1) * D), y[0][r], y[1][r]].map((v) => v!.toPrecision(7)).join(','));
  await writeFile(csv, `${lines.join('\n')}\n`);
  const arrow = path.join(dir, `p${p}.arrow`);
  await importCsv({ input: csv, output: arrow, columns: [...Array.from({ length: D }, (_, i) => `x${i}`), ...TASKS].map((name) => ({ name, type: 'float' as const })) });
  await rm(csv);
  return { arrow, correlation: pearson(y[0], y[1]) };
}

/** The program of one scheme on one p's data. */
export function programFor(scheme: { backbone: string; share: string }, arrow: string, rows: number, seed: number, epochs: number): string {
  const xs = Array.from({ length: D }, (_, i) => `x${i}`);
  const test = 1000 / rows;
  return `// generated by bench/mmoe-synthetic.ts
dataset synthetic {
  files: "${path.basename(arrow)}"
  columns: { ${[...xs.map((c) => `${c}: float`), ...TASKS.map((t) => `${t}: float`)].join(', ')} }
  split: ratio(train: ${1 - 2 * test}, valid: ${test}, test: ${test}, seed: 17)
}
features inputs { dataset: synthetic, transforms: [raw(${xs.join(', ')})] }
backbone net = ${scheme.backbone}
${TASKS.map((t) => `task ${t} { features: inputs, target: ${t}, head: regression, tower: mlp(units: [8]) }`).join('\n')}
share shared = ${scheme.share}
train {
  optimizer: adam(lr: 0.001)
  batch_size: 256
  epochs: ${epochs}
  seed: ${seed}
  select: best(metric: mse)
}
`;
}

function compileFor(file: string, text: string): Job {
  const result = compileProgram({ file, text });
  if (hasErrors(result.diagnostics) || !result.job) throw new Error(`the program does not compile:\n${renderFrames(result.diagnostics, result.loaded.sources)}`);
  return result.job;
}

const mean = (xs: readonly number[]): number => xs.reduce((s, x) => s + x, 0) / xs.length;
const std = (xs: readonly number[]): number => (xs.length < 2 ? 0 : Math.sqrt(xs.reduce((s, x) => s + (x - mean(xs)) ** 2, 0) / (xs.length - 1)));

interface Outcome { scheme: string; p: number; seed: number; mse: Record<string, number>; seconds: number }

function table(outcomes: readonly Outcome[], ps: readonly number[], correlations: ReadonlyMap<number, number>, schemes: readonly string[]): string {
  const header = ['scheme', ...ps.flatMap((p) => TASKS.map((t) => `p=${p.toFixed(1)} (r=${correlations.get(p)!.toFixed(2)}) ${t}`))];
  const rows = schemes.map((scheme) => [scheme, ...ps.flatMap((p) => TASKS.map((t) => {
    const values = outcomes.filter((o) => o.scheme === scheme && o.p === p).map((o) => o.mse[t]!);
    return values.length ? `${mean(values).toFixed(3)} ± ${std(values).toFixed(3)}` : '-';
  }))]);
  const line = (cells: readonly string[]) => `| ${cells.join(' | ')} |`;
  return [line(header), line(header.map(() => '---')), ...rows.map(line)].join('\n');
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      seeds: { type: 'string', default: '1,2,3' }, ps: { type: 'string', default: '1,0.9,0.5,0' }, schemes: { type: 'string' },
      rows: { type: 'string', default: '12000' }, epochs: { type: 'string', default: '8' }, backend: { type: 'string' },
    },
  });
  const seeds = values.seeds!.split(',').map(Number);
  const ps = values.ps!.split(',').map(Number);
  const rows = Number(values.rows);
  const epochs = Number(values.epochs);
  const wanted = values.schemes?.split(',');
  const schemes = wanted ? SCHEMES.filter((s) => wanted.includes(s.name)) : SCHEMES;
  if (wanted && schemes.length !== wanted.length) throw new Error(`unknown scheme in --schemes; known: ${SCHEMES.map((s) => s.name).join(', ')}`);
  console.log(`MMoE synthetic data (Ma et al. 2018, section 4): d = ${D}, c = ${C}, m = ${M}, α_i = i, β_i = i², ε ~ N(0, ${NOISE_VARIANCE}); ` +
    `${rows} rows per p (${rows - 2000} train, 1000 valid, 1000 test), data seed ${DATA_SEED}`);
  const data = new Map<number, { arrow: string; correlation: number }>();
  for (const p of ps) {
    data.set(p, await writeData(p, rows));
    console.log(`p = ${p.toFixed(1)}: Pearson correlation of y1 and y2 over the ${rows} rows = ${data.get(p)!.correlation.toFixed(3)}`);
  }
  // Every program compiles before the first run: a typo fails in seconds.
  const jobs = new Map<string, Job>();
  for (const seed of seeds) for (const p of ps) for (const scheme of schemes) {
    const arrow = data.get(p)!.arrow;
    const file = path.join(path.dirname(arrow), `${scheme.name}-p${p}-s${seed}.mtl`);
    const text = programFor(scheme, arrow, rows, seed, epochs);
    await writeFile(file, text);
    jobs.set(`${scheme.name}/${p}/${seed}`, compileFor(file, text));
  }
  const outcomes: Outcome[] = [];
  const started = performance.now();
  const quiet = () => {};
  const backend = values.backend ? { backend: values.backend } : {};
  for (const seed of seeds) for (const p of ps) for (const scheme of schemes) {
    const out = path.join(OUT, 'runs', `${scheme.name}-p${p}-s${seed}`);
    await rm(out, { recursive: true, force: true });
    const summary = await runJob(jobs.get(`${scheme.name}/${p}/${seed}`)!, { out, progress: false, log: quiet, ...backend });
    const scores = await evalRun(out, 'test', { log: quiet, ...backend });
    const mse = Object.fromEntries(TASKS.map((t) => [t, scores[t]!['mse']!]));
    outcomes.push({ scheme: scheme.name, p, seed, mse, seconds: summary.trainSeconds });
    console.error(`[${((performance.now() - started) / 60000).toFixed(1)} min] seed ${seed} p ${p} ${scheme.name}: ` +
      `test mse ${TASKS.map((t) => `${t} ${mse[t]!.toFixed(3)}`).join(', ')}; ${summary.trainSeconds.toFixed(1)} s (${summary.backend.name})`);
  }
  const report = [
    `MMoE synthetic experiment: test MSE per task, mean ± std over seeds ${seeds.join(', ')}; r is the labels' empirical Pearson correlation; ` +
      `${epochs} epochs of ${rows - 2000} rows, batch 256, Adam 0.001, weights of the best validation epoch`,
    '',
    table(outcomes, ps, new Map([...data].map(([p, d]) => [p, d.correlation])), schemes.map((s) => s.name)),
    '',
    `runs (metrics.jsonl with the training loss per epoch and task) in ${path.relative(process.cwd(), path.join(OUT, 'runs'))}; ` +
      `${((performance.now() - started) / 60000).toFixed(1)} min of training`,
  ].join('\n');
  console.log(`\n${report}`);
  await writeFile(path.join(OUT, '..', 'mmoe-synthetic.md'), `${report}\n`);
}

try {
  await main();
} catch (error) {
  console.error(error instanceof Error ? error.message : error);
  process.exitCode = 1;
}
