/**
 * `mtl run FILE --from RUN_DIR`: a new program's model started from a finished run. Every parameter of the model whose
 * name is among the run's saved weights (the selected ones, weights.bin) is loaded, and stays fixed: the steps train only
 * what was not loaded (a new task's head and tower, adapters, LoRA updates), unless `unfreeze` names it. A parameter
 * with the name but another shape is an error naming both shapes. The run's fitted feature statistics and class
 * names are used for the features and tasks the two have in common, so loaded weights see their inputs encoded
 * exactly as they were trained on.
 *
 * What stays fixed is kept beside the run (`from.json` in its directory), so a resumed run keeps it fixed too.
 */
import { existsSync, readFileSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import type { Job } from '../../job/job.js';
import type { FittedFeatures, JobData } from '../data/api.js';
import { loadFitted } from '../data/fitted-io.js';
import { openJobData } from '../data/loader.js';
import { UserError } from '../errors.js';
import { buildModel } from '../model/build.js';
import { readSavedWeights } from '../model/weights.js';
import type { MtlModel, Param } from '../model/types.js';

export const FROM_FILE = 'from.json';

/** What `--from` did, recorded in the run's summary (`from`) and in `from.json`. */
export interface FromRun {
  /** The run directory the weights came from. */
  run: string;
  /** The prefixes given to `--unfreeze`. */
  unfreeze: string[];
  /** Parameters loaded from the run, in model order. */
  loaded: string[];
  /** Of them, those that stay fixed (not unfrozen). */
  fixed: string[];
  /** Parameters that train: not loaded, or unfrozen. */
  trains: string[];
  /** Saved parameters the model does not have (a task the program dropped): not used. */
  unused: string[];
}

/** What `mtl run --from` asks for. */
export interface FromOptions {
  run: string;
  /** Loaded parameters that train anyway: a name, or a prefix of names (`trunk` for `trunk/0/kernel`, …). */
  unfreeze: string[];
}

/**
 * The data and model a run trains: as they are without `--from`; started from `given`'s run (its fitted statistics,
 * its weights, what stays fixed written to `dir`/from.json); or, resuming, with what from.json keeps fixed.
 */
export async function startFrom(
  job: Job, data: JobData, dir: string, given: FromOptions | undefined, resuming: boolean, log: (line: string) => void,
): Promise<{ job: Job; data: JobData; model?: MtlModel; from: FromRun | null }> {
  if (resuming) {
    // The job a resumed run saved already has the stages `withTraining` left.
    const saved = readFromFile(dir);
    return saved ? { job, data, from: saved, model: withFixed(buildModel(job, (w) => data.width(w), job.training.seed), saved.fixed) } : { job, data, from: null };
  }
  if (!given) return { job, data, from: null };
  const { fitted, taken } = await fittedFromRun(data.fitted, given.run);
  const used = taken > 0 ? await openJobData(job, { fitted }) : data;
  if (taken > 0) log(`from ${given.run}: ${taken} fitted statistics or class lists differ from this program's data; the run's are used`);
  const model = buildModel(job, (w) => used.width(w), job.training.seed);
  let from: FromRun;
  try {
    from = await loadFromRun(model, given.run, given.unfreeze);
  } catch (error) {
    model.dispose();
    throw error;
  }
  log(`from ${given.run}: loaded ${from.loaded.length} parameters (${summarize(from.loaded)}); ${from.fixed.length} stay fixed`);
  log(`trains ${from.trains.length} parameters: ${summarize(from.trains)}`);
  if (from.unused.length > 0) log(`not in this program's model, not used: ${summarize(from.unused)}`);
  const fixed = withFixed(model, from.fixed);
  let trained: Job;
  try {
    trained = withTraining(job, fixed, given.run);
  } catch (error) {
    model.dispose();
    throw error;
  }
  await writeFromFile(dir, from);
  return { job: trained, data: used, model: fixed, from };
}

/**
 * `job` whose stages leave out the tasks with nothing left to train (each parameter they read was loaded and stays
 * fixed): their losses would move nothing. They are still evaluated. A stage left with no task is an error.
 */
function withTraining(job: Job, model: MtlModel, run: string): Job {
  const stages = job.training.stages.map((stage, index) => {
    const tasks = stage.tasks.filter((task) => model.paramsFor([task], stage.frozen).length > 0);
    if (tasks.length === 0) {
      throw new UserError(
        `nothing trains${job.training.stages.length > 1 ? ` in training stage ${index + 1}` : ''}: every parameter its tasks (${stage.tasks.join(', ')}) read was loaded from ${run} and stays fixed; add a task, or name what should train with --unfreeze`,
      );
    }
    return { ...stage, tasks };
  });
  return { ...job, training: { ...job.training, stages } };
}

/** Refuses, before any data is read, a `--from` that is not a finished run directory. */
export function assertFinishedRun(run: string): void {
  for (const file of ['weights.json', 'weights.bin', 'features.json']) {
    if (!existsSync(join(run, file))) throw new UserError(`--from ${run}: ${join(run, file)} does not exist; give a finished run directory (from \`mtl run\`)`);
  }
}

/** Loads into `model` every parameter of `run`'s saved weights with its name; a name with another shape is an error. */
export async function loadFromRun(model: MtlModel, run: string, unfreeze: readonly string[]): Promise<FromRun> {
  const saved = await readSavedWeights(run);
  try {
    const mismatched = model.params.flatMap((p) => {
      const found = saved[p.name];
      return found && !tf.util.arraysEqual(found.shape, p.variable.shape) ? [`parameter \`${p.name}\` has shape [${found.shape.join(', ')}] in ${run}, but this program's model needs [${p.variable.shape.join(', ')}]`] : [];
    });
    if (mismatched.length > 0) {
      throw new UserError(`${mismatched.join('\n')}\nchange the program so that what it keeps from the run has the run's shapes, or rename what it changes (a task, backbone or share) so that it trains anew`);
    }
    const loaded = model.params.filter((p) => saved[p.name] !== undefined);
    const unfrozen = (p: Param) => unfreeze.some((prefix) => p.name === prefix || p.name.startsWith(`${prefix}/`));
    for (const prefix of unfreeze) {
      if (!loaded.some((p) => p.name === prefix || p.name.startsWith(`${prefix}/`))) {
        throw new UserError(`--unfreeze ${prefix}: no parameter loaded from ${run} is named ${prefix} or starts with ${prefix}/ (loaded: ${summarize(loaded.map((p) => p.name))})`);
      }
    }
    for (const p of loaded) p.variable.assign(saved[p.name]!);
    const names = new Set(model.params.map((p) => p.name));
    return {
      run,
      unfreeze: [...unfreeze],
      loaded: loaded.map((p) => p.name),
      fixed: loaded.filter((p) => !unfrozen(p)).map((p) => p.name),
      trains: model.params.filter((p) => saved[p.name] === undefined || unfrozen(p)).filter((p) => p.owner.kind !== 'statistic').map((p) => p.name),
      unused: Object.keys(saved).filter((name) => !names.has(name)),
    };
  } finally {
    Object.values(saved).forEach((t) => t.dispose());
  }
}

/** `model` whose steps never train the parameters named in `fixed` (what `--from` loaded). */
export function withFixed(model: MtlModel, fixed: readonly string[]): MtlModel {
  const kept = new Set(fixed);
  return { ...model, paramsFor: (tasks, frozen) => model.paramsFor(tasks, frozen).filter((p) => !kept.has(p.name)) };
}

/**
 * `fitted` (this program's, fitted on its data) with the run's statistics for the features it has too, and the run's
 * class names for its tasks: the loaded weights were trained on inputs and classes encoded by those.
 */
export async function fittedFromRun(fitted: FittedFeatures, run: string): Promise<{ fitted: FittedFeatures; taken: number }> {
  const file = join(run, 'features.json');
  if (!existsSync(file)) throw new UserError(`${file} does not exist: is ${run} a finished run directory (from \`mtl run\`)?`);
  const old = await loadFitted(file);
  const features = { ...fitted.features };
  const classes = { ...fitted.classes };
  let taken = 0;
  for (const id of Object.keys(features)) {
    if (old.features[id] && JSON.stringify(old.features[id]) !== JSON.stringify(features[id])) {
      features[id] = old.features[id]!;
      taken++;
    }
  }
  for (const task of Object.keys(classes)) {
    if (old.classes[task] && JSON.stringify(old.classes[task]) !== JSON.stringify(classes[task])) {
      classes[task] = old.classes[task]!;
      taken++;
    }
  }
  return { fitted: { ...fitted, features, classes }, taken };
}

export async function writeFromFile(dir: string, from: FromRun): Promise<void> {
  await writeFile(join(dir, FROM_FILE), `${JSON.stringify(from, null, 1)}\n`);
}

/** The `from.json` of a run directory, when it was started with `--from`. */
export function readFromFile(dir: string): FromRun | null {
  const file = join(dir, FROM_FILE);
  return existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as FromRun) : null;
}

/** A list of names, shortened past 6. */
export function summarize(names: readonly string[]): string {
  if (names.length === 0) return 'none';
  return names.length <= 6 ? names.join(', ') : `${names.slice(0, 6).join(', ')} and ${names.length - 6} more`;
}
