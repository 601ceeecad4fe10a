/**
 * `mtl run FILE --ablate …`: runs each derived job into its own directory under one experiment directory, scores each
 * on the validation and test splits, prints the ablation table (and the acceptance policy's verdict) and writes
 * `experiment.json`, which `mtl report` reads:
 *   { kind: 'ablation', program, variants: [{ name, dir, seconds, parameters }], table: { columns, rows },
 *     acceptance: null | [{ task, variant, baseline, value, drop, maxDrop, pass }] }
 */
import { existsSync, readdirSync } from 'node:fs';
import { readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { DerivedJob } from '../compiler/derive/derive.js';
import type { Job } from '../job/job.js';
import { ablationTable, acceptanceOf, renderAcceptance, renderTable, type AcceptanceResult, type RunResult, type TaskMetric } from './ablation-table.js';
import { fail } from './output.js';

export interface ExperimentOptions {
  /** The experiment directory; each run is a subdirectory named after its job. */
  out: string;
  backend?: string;
  progress: boolean;
  /** Optimizations left out (`--no-opt`). */
  noOpt?: readonly string[];
}

export interface ExperimentResult {
  acceptance: AcceptanceResult[] | null;
}

/** Each task of the program as written, with its metric of record (its first). */
export function taskMetrics(job: Job): TaskMetric[] {
  return job.tasks.flatMap((t) => (t.metrics[0] ? [{ task: t.name, metric: t.metrics[0] }] : []));
}

export async function runExperiment(program: string, written: Job, jobs: readonly DerivedJob[], options: ExperimentOptions): Promise<ExperimentResult> {
  if (existsSync(options.out) && readdirSync(options.out).length > 0) fail(`${options.out} already exists and is not empty; choose another output directory`);
  const { runJob, evalRun } = await import('../runtime/run.js');
  const tasks = taskMetrics(written);
  for (const derived of jobs) for (const note of derived.notes) process.stderr.write(`note: ${derived.name}: ${note}\n`);
  const runs: RunResult[] = [];
  for (const [i, derived] of jobs.entries()) {
    process.stderr.write(`variant ${derived.name} (${i + 1} of ${jobs.length})\n`);
    const dir = join(options.out, derived.name);
    const summary = await runJob(derived.job, { out: dir, backend: options.backend, progress: options.progress, ...(options.noOpt ? { noOpt: options.noOpt } : {}) });
    const test = await evalRun(dir, 'test', { backend: options.backend, log: () => {} });
    const metricOf = (scores: Record<string, Record<string, number | null>> | null) => Object.fromEntries(
      tasks.filter((t) => derived.job.tasks.some((d) => d.name === t.task)).map((t) => [t.task, scores?.[t.task]?.[t.metric] ?? null]),
    );
    runs.push({
      name: derived.name, row: derived.row, seconds: summary.seconds, parameters: await parameterCount(dir),
      scores: { valid: metricOf(summary.valid), test: metricOf(test) },
    });
  }
  const table = ablationTable(tasks, runs);
  const policy = written.training.accept ?? null;
  const acceptance = policy ? acceptanceOf(policy, tasks, runs) : null;
  const experiment = {
    kind: 'ablation', program,
    variants: runs.map((r) => ({ name: r.name, dir: r.name, seconds: r.seconds, parameters: r.parameters })),
    table, acceptance,
  };
  const file = join(options.out, 'experiment.json');
  await writeFile(`${file}.partial-${process.pid}`, `${JSON.stringify(experiment, null, 1)}\n`);
  await rename(`${file}.partial-${process.pid}`, file);

  process.stdout.write(`ablation of ${program} (test split; Δ against each task trained alone, positive is better):\n`);
  process.stdout.write(renderTable(table, tasks));
  if (policy && acceptance) process.stdout.write(renderAcceptance(policy, acceptance, tasks));
  else if (policy) process.stdout.write('acceptance: not evaluated (it needs the variants `single` and `shared`)\n');
  process.stdout.write(`experiment directory: ${options.out}\n`);
  return { acceptance };
}

/** The number of trained parameters of a run, from its weights manifest. */
async function parameterCount(dir: string): Promise<number> {
  const manifest = JSON.parse(await readFile(join(dir, 'weights.json'), 'utf8')) as { weights: { shape: number[] }[] }[];
  return manifest.flatMap((group) => group.weights).reduce((sum, w) => sum + w.shape.reduce((a, b) => a * b, 1), 0);
}
