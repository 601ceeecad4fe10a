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
 *   checkpoints/    the last checkpoints (runtime/checkpoint/): every `checkpointEvery` steps and each epoch's end
 *   from.json       with `from`: the run it started from, what it loaded and what stays fixed (train/from-run.ts)
 *
 * Everything is written to `<out>.partial` and renamed to `out` only at the end, so a failed run leaves nothing that
 * looks complete. The partial directory's name is fixed, not per process, so that a run killed at any moment (SIGKILL,
 * a crash, a lost machine) leaves its checkpoints where `mtl run --resume <out>` finds them; `writer.pid` in it names
 * the process writing it, and a second run refuses it while that process lives. A run that stops with a checkpoint
 * written (Ctrl-C, divergence, an error) keeps the partial directory; one that stops before its first checkpoint
 * removes it. A resume truncates metrics.jsonl to the length its checkpoint recorded, so the rows after it are not
 * written twice, and continues bit for bit on the backend the run used (the checkpoint names it).
 */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { mkdir, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { basename, dirname, join, relative, resolve } from 'node:path';
import type { Job, SelectionPlan } from '../job/job.js';
import { JobError, parseJob } from '../job/parse.js';
import { selectBackend } from './backend.js';
import type { Batch, FittedFeatures, PaddingCount, SpanCount, SplitName } from './data/api.js';
import { inferenceJob, packageTasks, unitNames } from './serving/from-run.js';
import { PredictionFile } from './serving/prediction-file.js';
import { loadFitted, openJobData, saveFitted } from './data/loader.js';
import { isUserError, UserError } from './errors.js';
import { syncPath, type WriteHook } from './checkpoint/file.js';
import { field, type StateValue } from './checkpoint/state.js';
import { checkpointWriter, latestCheckpoint, listCheckpoints } from './checkpoint/store.js';
import { curvesSvg, type CurvePoint } from './report/curves.js';
import type { EpochRecord, WeightsRecord } from './train/train.js';
import type { ConflictSummary } from './train/conflicts.js';
import type { GateRecord } from './train/experts.js';
import type { ParetoEpoch } from './train/selection.js';
import { buildModel } from './model/build.js';
import { assertRunnable } from './train/support.js';
import { loadWeights, saveWeights } from './model/weights.js';
import { evaluate, undefinedAucWarnings, type SplitScores } from './train/evaluate.js';
import { train, TrainingStopped } from './train/train.js';
import { assertFinishedRun, startFrom, type FromOptions } from './train/from-run.js';

export interface RunOptions {
  /** The run directory to create. */
  out: string;
  /** A backend request (see runtime/backend.ts); default: the fastest that loads. */
  backend?: string;
  log?: (line: string) => void;
  /** A live progress bar while training (default true; only on a terminal, else one line per epoch). */
  progress?: boolean;
  /** Replace an existing run directory at `out` (only once the new run is complete), and an interrupted one beside it. */
  overwrite?: boolean;
  /** The program's graph as Graphviz DOT, kept as graph.dot (the runtime cannot draw it: only the compiler knows the IR). */
  graph?: string;
  /** Steps between checkpoints (default CHECKPOINT_EVERY); each epoch's end writes one too. */
  checkpointEvery?: number;
  /** How many of the newest checkpoints to keep besides the best epoch's (default KEEP_CHECKPOINTS). */
  keepCheckpoints?: number;
  /** Told of every checkpoint written: its file, size and how long the write took. */
  onCheckpoint?: (written: { file: string; bytes: number; seconds: number }) => void;
  /** Once aborted (Ctrl-C), training stops after its current step and writes a checkpoint. */
  signal?: AbortSignal;
  /** Called half-way through writing each checkpoint's temporary file: tests kill the process there. */
  checkpointMidWrite?: WriteHook;
  /** Start from a finished run's weights, training only what they lack (train/from-run.ts). */
  from?: FromOptions;
  /**
   * Optimizations left out (`--no-opt`, shared/optimizations.ts), for comparison: 'fused-adam' and 'fused-dense-step' here, 'onehot-lookup'
   * by feeding one-hot vectors whatever the job's inputs allow (the compiler's pass also leaves it out).
   */
  noOpt?: readonly string[];
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
  /** Each gate of a mixture of experts over the validation split, with the saved weights; empty without gates. */
  experts: GateRecord[];
  backend: { name: string; reason: string };
  /** Wall time of the whole run: data, training, evaluation, files. */
  seconds: number;
  /** Of it, the training steps alone, summed over epochs (what methods differ by). */
  trainSeconds: number;
  /**
   * Token inputs: the positions of the training batches this process assembled, the tokens among them, and the share
   * that is padding (each batch is cut to its longest sentence, and batches are bucketed by length); null without them.
   */
  padding: { positions: number; tokens: number; share: number } | null;
  /**
   * Span tasks whose span ends past the tokens kept (the tokens transform's max_length) in some training rows, which are
   * unlabelled: the rows of the training batches this process assembled with a span, and those cut; absent when none is.
   */
  cutSpans?: Record<string, SpanCount>;
  /** With `--from`: the run it started from, what it loaded and kept fixed, what trained; null otherwise. */
  from: { run: string; unfreeze: string[]; loaded: number; fixed: number; trains: string[] } | null;
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
  const job = withoutLeftOutOptimizations(readableJob(given, 'the job'), options.noOpt ?? []);
  const out = resolve(options.out);
  if (!options.overwrite && (await isNonEmptyDirectory(out))) {
    throw new UserError(`${options.out} already exists and is not empty; choose another output directory or overwrite it`);
  }
  // What the runtime cannot run fails now, before the data is read.
  assertRunnable(job);
  if (options.from) assertFinishedRun(options.from.run);
  const partial = partialOf(out);
  if (existsSync(partial)) {
    refuseIfLive(partial);
    const last = listCheckpoints(partial).pop();
    if (last && !options.overwrite) {
      throw new UserError(`${partial} holds an interrupted run (its last checkpoint is step ${last.step}): resume it with \`mtl run --resume ${options.out}\`, or delete it to start again`);
    }
    await rm(partial, { recursive: true, force: true });
  }
  return execute(job, options, out, null);
}

/** The job without the hints of the optimizations `--no-opt` leaves out; the run then saves the job it ran. */
function withoutLeftOutOptimizations(job: Job, noOpt: readonly string[]): Job {
  if (!noOpt.includes('onehot-lookup')) return job;
  return { ...job, inputs: job.inputs.map(({ lookup: _, ...input }) => input) };
}

/**
 * Continues the interrupted run whose directory is `runDir` (the `--out` it was given, or its `.partial` directory)
 * from its newest whole checkpoint, and finishes it as runJob would have.
 */
export async function resumeRun(runDir: string, options: Omit<RunOptions, 'out' | 'overwrite'>): Promise<RunSummary> {
  const given = resolve(runDir);
  const out = given.endsWith(PARTIAL) ? given.slice(0, -PARTIAL.length) : given;
  const partial = partialOf(out);
  if (!existsSync(partial)) {
    if (existsSync(join(out, 'summary.json'))) throw new UserError(`${runDir} is a finished run: there is nothing to resume`);
    throw new UserError(`${runDir} has no interrupted run to resume (no ${basename(partial)} beside it)`);
  }
  refuseIfLive(partial);
  const job = await readJob(partial);
  const latest = latestCheckpoint(partial);
  if (!latest) throw new UserError(`${partial} has no checkpoint to resume from (the run stopped before its first); run it again from the start`);
  const log = options.log ?? ((line: string) => process.stderr.write(`${line}\n`));
  for (const why of latest.skipped) log(`skipped a checkpoint: ${why}`);
  const state = latest.checkpoint.state;
  if (field<string>(state, 'job') !== jobDigest(job)) throw new UserError(`${latest.name.file} was written for another job than ${join(partial, 'job.json')}`);
  const backend = field<string>(state, 'backend');
  if (options.backend && options.backend !== backend) log(`the run trained on ${backend}: resuming on ${options.backend} continues it, but not bit for bit`);
  log(`resuming ${runDir} from ${shown(latest.name.file)}`);
  return execute(job, { ...options, backend: options.backend ?? backend, log, out }, out, { state, file: latest.name.file });
}

/** The default number of steps between checkpoints (each epoch's end writes one too). */
export const CHECKPOINT_EVERY = 1000;
/** How many of the newest checkpoints rotation keeps, besides the best epoch's. */
export const KEEP_CHECKPOINTS = 2;

async function execute(given: Job, options: RunOptions, out: string, resume: { state: StateValue; file: string } | null): Promise<RunSummary> {
  let job = given;
  const started = performance.now();
  const log = options.log ?? ((line: string) => process.stderr.write(`${line}\n`));
  const backend = await selectBackend(options.backend);
  log(`backend: ${backend.name} (${backend.reason})`);
  const partial = partialOf(out);
  const fitted = resume ? await loadFitted(join(partial, 'features.json')) : undefined;
  const opened = await openJobData(job, fitted ? { fitted } : {});

  await mkdir(dirname(out), { recursive: true });
  await mkdir(partial, { recursive: true });
  const lock = join(partial, LOCK);
  await writeFile(lock, `${process.pid}\n`);
  let lastCheckpoint = resume?.file ?? null;
  try {
    const begun = await startFrom(job, opened, partial, options.from, resume !== null, log);
    const { data, model, from } = begun;
    job = begun.job;
    if (!resume) {
      await writeFile(join(partial, 'job.json'), `${JSON.stringify(job, null, 1)}\n`);
      if (options.graph !== undefined) await writeFile(join(partial, 'graph.dot'), options.graph);
      await saveFitted(join(partial, 'features.json'), data.fitted);
      // The files a resume reads, on disk before the first checkpoint refers to them.
      for (const file of ['job.json', 'features.json']) syncPath(join(partial, file));
      syncPath(partial);
    }
    const digest = jobDigest(job);
    const writer = checkpointWriter(partial, options.keepCheckpoints ?? KEEP_CHECKPOINTS, options.checkpointMidWrite);
    const checkpoints = {
      every: options.checkpointEvery ?? CHECKPOINT_EVERY,
      // What resumes it: the job, and the backend whose arithmetic it continues.
      writer: { write: (state: StateValue, step: number, epoch: number | null, bestEpoch: number | null) => writer.write({ job: digest, backend: backend.name, ...(state as object) }, step, epoch, bestEpoch) },
      last: () => lastCheckpoint,
      onWrite: (written: { file: string; bytes: number; seconds: number }) => {
        lastCheckpoint = written.file;
        options.onCheckpoint?.(written);
      },
    };
    const result = await train(job, data, {
      out: partial,
      log,
      ...(model ? { model } : {}),
      checkpoints,
      ...(resume ? { resume: resume.state } : {}),
      ...(options.signal ? { signal: options.signal } : {}),
      ...(options.progress === undefined ? {} : { progress: options.progress }),
      ...(options.noOpt ? { noOpt: options.noOpt } : {}),
    });
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
      experts: result.experts,
      backend,
      seconds: (performance.now() - started) / 1000,
      trainSeconds: result.history.reduce((sum, h) => sum + h.trainSeconds, 0),
      padding: paddingSummary(data.padding?.() ?? null),
      ...cutSpansSummary(data.cutSpans?.() ?? {}),
      from: from ? { run: from.run, unfreeze: from.unfreeze, loaded: from.loaded.length, fixed: from.fixed.length, trains: from.trains } : null,
    };
    if (summary.padding) log(`padding: ${(100 * summary.padding.share).toFixed(1)}% of the training batches' token positions (${summary.padding.tokens} tokens in ${summary.padding.positions})`);
    for (const [task, { rows, cut }] of Object.entries(summary.cutSpans ?? {})) {
      log(`warning: task ${task}: ${cut} of ${rows} training rows (${((100 * cut) / rows).toFixed(1)}%, over the epochs) have a span ending past the tokens kept by max_length: they were unlabelled; raise max_length of tokens to keep them`);
    }
    await writeFile(join(partial, 'summary.json'), `${JSON.stringify(summary, null, 1)}\n`);
    await writeFile(join(partial, 'curves.svg'), await curvesSvg(historyPoints(result.history), `${job.source.file}: learning curves`));
    await rm(lock, { force: true });
    await publish(partial, out);
    log(`run written to ${options.out} (best epoch ${summary.bestEpoch ?? '-'}, ${summary.seconds.toFixed(1)} s)`);
    return summary;
  } catch (error) {
    await rm(lock, { force: true });
    // A run with a checkpoint stays where `--resume` finds it; one without has nothing worth keeping.
    if (lastCheckpoint === null) await rm(partial, { recursive: true, force: true });
    const where = lastCheckpoint === null ? null : shown(lastCheckpoint);
    if (error instanceof TrainingStopped && error.reason === 'diverged') {
      const kept = where === null ? 'it stopped before its first checkpoint' : `the last good checkpoint is ${where}`;
      throw new UserError(
        `${error.message}\n${kept}; lower the learning rate or clip the gradients (\`adam(clip_norm: 1.0)\`) and run again: training is deterministic, so resuming would diverge again`,
        error.exitCode,
      );
    }
    if (where === null) throw error;
    if (error instanceof TrainingStopped) {
      throw new UserError(`${error.message}; checkpoint ${where}\nresume with: mtl run --resume ${options.out}`, error.exitCode);
    }
    if (isUserError(error)) throw new UserError(`${error.message}\nthe run's last checkpoint is ${where}; resume with: mtl run --resume ${options.out}`, error.exitCode);
    throw error;
  }
}

const PARTIAL = '.partial';
/** The file holding the pid of the process writing a partial run directory. */
const LOCK = 'writer.pid';

/** Where a run is written until it is complete: beside `out`, found again by `--resume`. */
function partialOf(out: string): string {
  return `${out}${PARTIAL}`;
}

/** Refuses a partial run directory that a live process is still writing. */
function refuseIfLive(partial: string): void {
  let pid: number;
  try {
    pid = Number.parseInt(readFileSync(join(partial, LOCK), 'utf8'), 10);
  } catch {
    return;
  }
  if (!Number.isInteger(pid) || pid === process.pid) return;
  try {
    process.kill(pid, 0);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ESRCH') return;
  }
  throw new UserError(`${partial} is being written by another mtl process (pid ${pid}); wait for it, or stop it first`);
}

/** A path as the user can type it: relative to the working directory when below it. */
function shown(path: string): string {
  const rel = relative(process.cwd(), path);
  return rel.startsWith('..') ? path : rel;
}

function jobDigest(job: Job): string {
  return createHash('sha256').update(JSON.stringify(job)).digest('hex');
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
  /** Also write each row's predictions to this Arrow file, as `mtl predict` writes them (the split's rows, in file order). */
  predictions?: string;
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
    const written = options.predictions === undefined ? null : await predictionWriter(job, data.fitted, options.predictions);
    let scores: SplitScores;
    try {
      scores = await evaluate(model, data, split, written ? { onPredictions: written.add } : {});
      await written?.close();
    } catch (error) {
      await written?.abort();
      throw error;
    }
    for (const warning of undefinedAucWarnings(scores, split)) log(warning);
    for (const [task, values] of Object.entries(scores)) {
      log(`${split} ${task}: ${Object.entries(values).map(([k, v]) => `${k}=${v === null ? '-' : v.toPrecision(4)}`).join(' ')}`);
    }
    return scores;
  } finally {
    model.dispose();
  }
}

/** Writes evaluation's predictions batch by batch, in order, to an Arrow file of `mtl predict`'s columns. */
async function predictionWriter(job: Job, fitted: FittedFeatures, path: string) {
  if (job.batchGroups.length !== 1) {
    throw new UserError(`--predictions writes one row per row of one input, but this job's tasks read ${job.batchGroups.length} (${job.batchGroups.map((g) => `${g.dataset}/${g.input}`).join(', ')})`);
  }
  const tasks = packageTasks(inferenceJob(job, fitted).model, fitted);
  const file = await PredictionFile.create(path, [], tasks);
  let writes = Promise.resolve();
  return {
    add: (batch: Batch, predictions: ReadonlyMap<string, Float32Array>) => {
      const batches = new Map(tasks.map((t) => [t.name, { values: predictions.get(t.name)!, rows: batch.size, units: t.units, classes: unitNames(t.name, t.units, fitted) }]));
      writes = writes.then(() => file.write([], batches));
    },
    close: async () => {
      await writes;
      await file.close();
    },
    abort: async () => {
      await writes.catch(() => undefined);
      await file.abort();
    },
  };
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

function cutSpansSummary(counts: Record<string, SpanCount>): Pick<RunSummary, 'cutSpans'> {
  const cut = Object.entries(counts).filter(([, count]) => count.cut > 0);
  return cut.length === 0 ? {} : { cutSpans: Object.fromEntries(cut) };
}

function paddingSummary(count: PaddingCount | null): RunSummary['padding'] {
  return count === null ? null : { ...count, share: (count.positions - count.tokens) / count.positions };
}
