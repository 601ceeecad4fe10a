/**
 * A run from start to end, and evaluation of a finished run.
 *
 * runJob writes the run directory:
 *   job.json        the job as executed
 *   features.json   what the loader fitted on the training split (FittedFeatures)
 *   metrics.jsonl   one line per evaluated epoch and task: { epoch, split: 'valid', task, loss, <metric>... }; per epoch
 *                   and task its mean training loss { kind: 'train', epoch, task, loss }; per sampled step and pair of tasks { kind: 'conflict', step, epoch, tasks: [a, b], cosine }; per epoch of an
 *                   adaptive weighting { kind: 'weights', epoch, weights: { task: w } } (uncertainty's with
 *                   log_variance: { task: s })
 *   weights.bin, weights.json   the selected weights, in TensorFlow.js's weights-manifest format
 *   summary.json    best epoch, its validation metrics, the Pareto epochs on the selection's objectives, gradient
 *                   conflicts per pair of tasks, an adaptive weighting's last weights, backend, steps, seconds (all,
 *                   and of training alone)
 *   curves.svg      learning curves: training loss and every validation measure per epoch and task
 *   graph.dot       the compiled program's graph, when the caller gives it (`mtl run` does; `mtl report` draws it)
 * Everything is written to `<out>.partial-<pid>` and renamed to `out` only at the end, so a failed
 * run leaves nothing that looks complete.
 */
import { existsSync } from 'node:fs';
import { mkdir, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import type { Job, SelectionPlan } from '../job/job.js';
import { JobError, parseJob } from '../job/parse.js';
import { selectBackend } from './backend.js';
import type { SplitName } from './data/api.js';
import { loadFitted, openJobData, saveFitted } from './data/loader.js';
import { UserError } from './errors.js';
import { curvesSvg, type CurvePoint } from './report/curves.js';
import type { EpochRecord, WeightsRecord } from './train/train.js';
import type { ConflictSummary } from './train/conflicts.js';
import type { ParetoEpoch } from './train/selection.js';
import { buildModel } from './model/build.js';
import { assertRunnable } from './model/support.js';
import { loadWeights, saveWeights } from './model/weights.js';
import { evaluate, type SplitScores } from './train/evaluate.js';
import { train } from './train/train.js';

export interface RunOptions {
  /** The run directory to create. */
  out: string;
  /** A backend request (see runtime/backend.ts); default: the fastest that loads. */
  backend?: string;
  log?: (line: string) => void;
  /** A live progress bar while training (default true; only on a terminal, else one line per epoch). */
  progress?: boolean;
  /** Replace an existing run directory at `out` (only once the new run is complete). */
  overwrite?: boolean;
  /** The program's graph as Graphviz DOT, kept as graph.dot (the runtime cannot draw it: only the compiler knows the IR). */
  graph?: string;
}

export interface RunSummary {
  /** The epoch whose weights were saved; null when no evaluation produced a selection score. */
  bestEpoch: number | null;
  /** The job's selection plan, with the best evaluation's score. */
  selection: SelectionPlan & { score: number | null };
  /** The evaluated epochs no other epoch beats on every task's selection metric (`selection.objectives`). */
  paretoEpochs: ParetoEpoch[];
  /** Validation scores of the saved weights, per task. */
  valid: SplitScores | null;
  epochs: number;
  steps: number;
  stoppedEarly: boolean;
  /** Per pair of tasks: the sampled steps, their mean gradient cosine and the share of them below 0. */
  conflicts: ConflictSummary[];
  /** An adaptive weighting's task weights (and what else it learns) after the last epoch; null for fixed weights. */
  taskWeights: WeightsRecord | null;
  backend: { name: string; reason: string };
  /** Wall time of the whole run: data, training, evaluation, files. */
  seconds: number;
  /** Of it, the training steps alone, summed over epochs (what methods differ by). */
  trainSeconds: number;
}

/** `parseJob`, with its error as a UserError (the CLI prints it without a stack trace). */
function readableJob(value: unknown, origin: string): Job {
  try {
    return parseJob(value, origin);
  } catch (e) {
    if (e instanceof JobError) throw new UserError(e.message);
    throw e;
  }
}

export async function runJob(given: Job, options: RunOptions): Promise<RunSummary> {
  const started = performance.now();
  const job = readableJob(given, 'the job');
  const log = options.log ?? ((line: string) => process.stderr.write(`${line}\n`));
  const out = resolve(options.out);
  if (!options.overwrite && (await isNonEmptyDirectory(out))) {
    throw new UserError(`${options.out} already exists and is not empty; choose another output directory or overwrite it`);
  }
  // What the runtime cannot run fails now, before the data is read.
  assertRunnable(job);
  const backend = await selectBackend(options.backend);
  log(`backend: ${backend.name} (${backend.reason})`);
  const data = await openJobData(job);

  await mkdir(dirname(out), { recursive: true });
  const partial = join(dirname(out), `${basename(out)}.partial-${process.pid}`);
  await rm(partial, { recursive: true, force: true });
  await mkdir(partial);
  try {
    await writeFile(join(partial, 'job.json'), `${JSON.stringify(job, null, 1)}\n`);
    if (options.graph !== undefined) await writeFile(join(partial, 'graph.dot'), options.graph);
    await saveFitted(join(partial, 'features.json'), data.fitted);
    const result = await train(job, data, { out: partial, log, ...(options.progress === undefined ? {} : { progress: options.progress }) });
    try {
      await saveWeights(result.model, partial);
    } finally {
      result.model.dispose();
    }
    const lastValid = [...result.history].reverse().find((h) => h.valid)?.valid ?? null;
    const summary: RunSummary = {
      bestEpoch: result.best.epoch,
      selection: { ...job.training.selection, score: result.best.score },
      paretoEpochs: result.paretoEpochs,
      valid: result.best.scores ?? lastValid,
      epochs: result.history.length,
      steps: result.steps,
      stoppedEarly: result.stoppedEarly,
      conflicts: result.conflicts,
      taskWeights: result.taskWeights,
      backend,
      seconds: (performance.now() - started) / 1000,
      trainSeconds: result.history.reduce((sum, h) => sum + h.trainSeconds, 0),
    };
    await writeFile(join(partial, 'summary.json'), `${JSON.stringify(summary, null, 1)}\n`);
    await writeFile(join(partial, 'curves.svg'), await curvesSvg(historyPoints(result.history), `${job.source.file}: learning curves`));
    await publish(partial, out);
    log(`run written to ${options.out} (best epoch ${summary.bestEpoch ?? '-'}, ${summary.seconds.toFixed(1)} s)`);
    return summary;
  } catch (error) {
    await rm(partial, { recursive: true, force: true });
    throw error;
  }
}

/** Moves the finished run into place; an old run there is removed only after the new one is in. */
async function publish(partial: string, out: string): Promise<void> {
  if (!existsSync(out)) return rename(partial, out);
  const old = `${out}.old-${process.pid}`;
  await rename(out, old);
  await rename(partial, out);
  await rm(old, { recursive: true, force: true });
}

async function isNonEmptyDirectory(path: string): Promise<boolean> {
  try {
    return (await readdir(path)).length > 0;
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return false;
    if (code === 'ENOTDIR') throw new UserError(`${path} exists and is a file, not a directory`);
    throw e;
  }
}

export interface EvalOptions {
  backend?: string;
  log?: (line: string) => void;
}

/** Evaluates a finished run's saved weights on a split ('test' by default) and prints each task's metrics. */
export async function evalRun(runDir: string, split: SplitName = 'test', options: EvalOptions = {}): Promise<SplitScores> {
  const log = options.log ?? ((line: string) => process.stdout.write(`${line}\n`));
  const job = await readJob(runDir);
  const fitted = await loadFitted(join(runDir, 'features.json'));
  const backend = await selectBackend(options.backend);
  log(`backend: ${backend.name} (${backend.reason})`);
  const data = await openJobData(job, { fitted });
  const model = buildModel(job, (w) => data.width(w), job.training.seed);
  try {
    await loadWeights(model, runDir);
    const scores = await evaluate(model, data, split);
    for (const [task, values] of Object.entries(scores)) {
      log(`${split} ${task}: ${Object.entries(values).map(([k, v]) => `${k}=${v === null ? '-' : v.toPrecision(4)}`).join(' ')}`);
    }
    return scores;
  } finally {
    model.dispose();
  }
}

async function readJob(runDir: string): Promise<Job> {
  const file = join(runDir, 'job.json');
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch {
    throw new UserError(`${file} does not exist or cannot be read: is ${runDir} a run directory?`);
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (e) {
    throw new UserError(`${file} is not valid JSON (${(e as Error).message})`);
  }
  return readableJob(value, file);
}

/** Training loss and validation measures per epoch and task, for the curves. */
function historyPoints(history: readonly EpochRecord[]): CurvePoint[] {
  const points: CurvePoint[] = [];
  for (const record of history) {
    for (const [task, value] of Object.entries(record.taskTrainLoss)) {
      if (Number.isFinite(value)) points.push({ epoch: record.epoch, task, measure: 'train loss', value });
    }
    for (const [task, scores] of Object.entries(record.valid ?? {})) {
      for (const [measure, value] of Object.entries(scores)) {
        if (typeof value === 'number' && Number.isFinite(value)) points.push({ epoch: record.epoch, task, measure: measure === 'loss' ? 'valid loss' : measure, value });
      }
    }
  }
  return points;
}
