/**
 * `npm run bench:census-balancing`: the loss weightings and gradient aggregations side by side on census-income,
 * task group 1 (income, never married) plus education level, through one hard-shared MLP
 * (examples/census/census-balancing.mtl).
 *
 * Each method is the program with its `weighting:` and `aggregation:` lines (and `seed:`) rewritten in the text, then
 * compiled and run exactly as `mtl run` runs it (runJob, into a temporary directory), and its selected weights
 * evaluated on the test split (evalRun). Seeds are the outer loop and methods the inner one, so the methods alternate
 * in time and a busy spell of the machine spreads over all of them; one untimed epoch of the first method runs before
 * them, so the first timed run does not pay for the backend's warm-up. Every run samples gradient conflicts every 25
 * steps (`conflicts_every: 25`), `sum` runs too, so each row has its conflict summary; for those it costs one
 * per-task differentiation every 25 steps.
 *
 * Printed (and written to bench/out/census-balancing.md): per task, the test metric (the task's first metric) as
 * mean ± std over the seeds; Δm, the mean over tasks of the relative change against equal weighting, signed so that
 * better is positive (Maninis et al. 2019), in %; the training time per epoch relative to equal weighting's; and,
 * per pair of tasks, the mean gradient cosine and the share of sampled steps where it was negative.
 *
 *   --seeds 1,2,3          training seeds (default 1,2,3)
 *   --epochs N             epochs per run (default: the program's)
 *   --methods a,b          only these methods (names of the first column)
 *   --backend NAME         as `mtl run --backend`
 */
import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import { readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { compileProgram, hasErrors, renderFrames, type Job } from '../compiler/index.js';
import { evalRun, runJob, type RunSummary } from '../runtime/index.js';
import { metrics as metricTable } from '../stdlib/heads.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, '..', '..');
const PROGRAM = path.join(root, 'examples', 'census', 'census-balancing.mtl');

/** Each method: its name in the table and its two lines of the `train` block. */
const METHODS: readonly { name: string; weighting: string; aggregation: string }[] = [
  { name: 'equal', weighting: 'equal()', aggregation: 'sum()' },
  { name: 'uncertainty', weighting: 'uncertainty()', aggregation: 'sum()' },
  { name: 'dwa', weighting: 'dwa()', aggregation: 'sum()' },
  { name: 'gradnorm', weighting: 'gradnorm()', aggregation: 'sum()' },
  { name: 'rlw', weighting: 'rlw()', aggregation: 'sum()' },
  { name: 'db_mtl', weighting: 'db_mtl()', aggregation: 'sum()' },
  { name: 'pcgrad', weighting: 'equal()', aggregation: 'pcgrad()' },
  { name: 'cagrad', weighting: 'equal()', aggregation: 'cagrad()' },
  { name: 'mgda_ub', weighting: 'equal()', aggregation: 'mgda(on: representation)' },
  { name: 'aligned_mtl', weighting: 'equal()', aggregation: 'aligned_mtl()' },
  { name: 'nash_mtl', weighting: 'equal()', aggregation: 'nash_mtl()' },
  { name: 'upgrad', weighting: 'equal()', aggregation: 'upgrad()' },
];

interface Outcome {
  method: string;
  seed: number;
  /** Each task's test value of its first metric. */
  test: Record<string, number>;
  secondsPerEpoch: number;
  conflicts: RunSummary['conflicts'];
}

/** The program with its training lines set; fails when a line to set is missing (the program changed). */
export function programFor(text: string, method: { weighting: string; aggregation: string }, seed: number, epochs?: number): string {
  const set = (source: string, key: string, value: string): string => {
    const pattern = new RegExp(`^(\\s*)${key}:.*$`, 'm');
    if (!pattern.test(source)) throw new Error(`${PROGRAM} has no \`${key}:\` line to set`);
    return source.replace(pattern, `$1${key}: ${value}`);
  };
  let out = set(set(set(text, 'weighting', method.weighting), 'aggregation', method.aggregation), 'seed', String(seed));
  if (epochs !== undefined) out = set(out, 'epochs', String(epochs));
  return out.replace(/^(\s*)aggregation:.*$/m, (line, indent: string) => `${line}\n${indent}conflicts_every: 25`);
}

function compileFor(text: string): Job {
  const result = compileProgram({ file: PROGRAM, text });
  if (hasErrors(result.diagnostics) || !result.job) {
    throw new Error(`the program does not compile:\n${renderFrames(result.diagnostics, result.loaded.sources)}`);
  }
  return result.job;
}

async function runOne(job: Job, backend: string | undefined): Promise<{ summary: RunSummary; test: Record<string, number> }> {
  const dir = await mkdtemp(path.join(tmpdir(), 'mtl-balancing-'));
  try {
    const out = path.join(dir, 'run');
    const quiet = () => {};
    const summary = await runJob(job, { out, progress: false, log: quiet, ...(backend ? { backend } : {}) });
    const scores = await evalRun(out, 'test', { log: quiet, ...(backend ? { backend } : {}) });
    const test: Record<string, number> = {};
    for (const task of job.tasks) {
      const value = scores[task.name]?.[task.metrics[0]!];
      if (typeof value !== 'number') throw new Error(`no test ${task.metrics[0]} for ${task.name}`);
      test[task.name] = value;
    }
    return { summary, test };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

const mean = (xs: readonly number[]): number => xs.reduce((s, x) => s + x, 0) / xs.length;
const std = (xs: readonly number[]): number => {
  if (xs.length < 2) return 0;
  const m = mean(xs);
  return Math.sqrt(xs.reduce((s, x) => s + (x - m) ** 2, 0) / (xs.length - 1));
};

/** The table, as Markdown: one row per method. */
export function table(outcomes: readonly Outcome[], job: Job): string {
  const tasks = job.tasks.map((t) => ({ name: t.name, metric: t.metrics[0]!, lower: metricTable[t.metrics[0]!].lowerIsBetter }));
  const methods = [...new Set(outcomes.map((o) => o.method))];
  const of = (method: string) => outcomes.filter((o) => o.method === method);
  const baseline = of('equal');
  const baseMean = Object.fromEntries(tasks.map((t) => [t.name, baseline.length ? mean(baseline.map((o) => o.test[t.name]!)) : NaN]));
  const baseEpoch = baseline.length ? mean(baseline.map((o) => o.secondsPerEpoch)) : NaN;
  const pairs = [...new Set(outcomes.flatMap((o) => o.conflicts.map((c) => c.tasks.join(' · '))))];
  const header = [
    'method', ...tasks.map((t) => `${t.name} ${t.metric}`), 'Δm vs equal', 'time/epoch vs equal',
    ...pairs.map((p) => `${p}: cos, % < 0`),
  ];
  const rows = methods.map((method) => {
    const runs = of(method);
    const cells = tasks.map((t) => {
      const values = runs.map((o) => o.test[t.name]!);
      return `${mean(values).toFixed(4)} ± ${std(values).toFixed(4)}`;
    });
    const deltas = runs.map((o) => mean(tasks.map((t) => (t.lower ? -1 : 1) * (o.test[t.name]! - baseMean[t.name]!) / baseMean[t.name]!)));
    const percent = 100 * mean(deltas);
    // -0.00% for a rounding of a tiny negative is noise: equal weighting against itself reads +0.00%.
    const delta = `${percent >= -0.005 ? '+' : '-'}${Math.abs(percent).toFixed(2)}%`;
    const time = `${(mean(runs.map((o) => o.secondsPerEpoch)) / baseEpoch).toFixed(2)}x`;
    const conflictCells = pairs.map((pair) => {
      const found = runs.flatMap((o) => o.conflicts.filter((c) => c.tasks.join(' · ') === pair));
      if (found.length === 0) return '-';
      const cos = mean(found.map((c) => c.meanCosine));
      return `${cos.toFixed(3)}, ${(100 * mean(found.map((c) => c.negativeShare))).toFixed(0)}%`;
    });
    return [method, ...cells, delta, time, ...conflictCells];
  });
  const line = (cells: readonly string[]) => `| ${cells.join(' | ')} |`;
  return [line(header), line(header.map(() => '---')), ...rows.map(line)].join('\n');
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: { seeds: { type: 'string', default: '1,2,3' }, epochs: { type: 'string' }, methods: { type: 'string' }, backend: { type: 'string' } },
  });
  const seeds = values.seeds!.split(',').map(Number);
  const epochs = values.epochs === undefined ? undefined : Number(values.epochs);
  const wanted = values.methods?.split(',');
  const methods = wanted ? METHODS.filter((m) => wanted.includes(m.name)) : METHODS;
  if (wanted && methods.length !== wanted.length) throw new Error(`unknown method in --methods; known: ${METHODS.map((m) => m.name).join(', ')}`);
  const text = readFileSync(PROGRAM, 'utf8');
  // Every program compiles before the first run starts: a typo fails in seconds, not after an hour.
  const jobs = new Map(seeds.flatMap((seed) => methods.map((m) => [`${m.name}/${seed}`, compileFor(programFor(text, m, seed, epochs))] as const)));
  // Warm-up, untimed: the backend's first kernels compile during the first run of the process.
  await runOne(compileFor(programFor(text, methods[0]!, seeds[0]!, 1)), values.backend);
  const outcomes: Outcome[] = [];
  const started = performance.now();
  for (const seed of seeds) {
    for (const method of methods) {
      const job = jobs.get(`${method.name}/${seed}`)!;
      const { summary, test } = await runOne(job, values.backend);
      outcomes.push({ method: method.name, seed, test, secondsPerEpoch: summary.trainSeconds / summary.epochs, conflicts: summary.conflicts });
      const minutes = ((performance.now() - started) / 60000).toFixed(1);
      console.error(`[${minutes} min] seed ${seed} ${method.name}: ${Object.entries(test).map(([t, v]) => `${t} ${v.toFixed(4)}`).join(', ')}; ` +
        `${summary.epochs} epochs, ${(summary.trainSeconds / summary.epochs).toFixed(1)} s/epoch (${summary.backend.name})`);
    }
  }
  const anyJob = jobs.values().next().value!;
  const report = [
    `census-income, ${anyJob.tasks.map((t) => t.name).join(' + ')}, hard sharing (examples/census/census-balancing.mtl); ` +
      `seeds ${seeds.join(', ')}; ${epochs ?? 'the program\'s'} epochs; test split, selected weights; backend ${outcomes.length ? 'as logged above' : '-'}`,
    '',
    table(outcomes, anyJob),
    '',
  ].join('\n');
  console.log(`\n${report}`);
  const outDir = path.join(root, 'bench', 'out');
  await mkdir(outDir, { recursive: true });
  await writeFile(path.join(outDir, 'census-balancing.md'), report);
  console.log(`written to ${path.relative(process.cwd(), path.join(outDir, 'census-balancing.md'))}`);
}

try {
  await main();
} catch (error) {
  console.error(error instanceof Error ? error.message : error);
  process.exitCode = 1;
}
