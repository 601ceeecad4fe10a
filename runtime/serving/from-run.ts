/**
 * A run directory seen as a model package (serving/package-format.ts): the model part of its job, its fitted
 * features, its input schema and tasks, its validation metrics. `mtl export` writes this (with the validation
 * predictions' distributions, which only a pass over the data gives); `loadModel` and `mtl predict` also take a run
 * directory as it is. Reads no training code: the job comes in through `parseJob`, the contract's one door.
 */
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { basename, join, resolve } from 'node:path';
import type { ColumnPlan, Job } from '../../job/job.js';
import { JobError, parseJob } from '../../job/parse.js';
import type { FittedFeatures } from '../data/api.js';
import { loadFitted } from '../data/fitted-io.js';
import { resolveWidth } from '../data/width.js';
import { UserError } from '../errors.js';
import { outputColumns } from './outputs.js';
import { PACKAGE_FORMAT, PACKAGE_VERSION, type InferenceJob, type ModelPackage, type PackageManifest, type PackageTask } from './package-format.js';

/** The mtl version, from the package.json two folders above this file (in dist/ and in the source tree). */
export async function mtlVersion(): Promise<string> {
  try {
    const meta = JSON.parse(await readFile(new URL('../../../package.json', import.meta.url), 'utf8')) as { version?: unknown };
    return typeof meta.version === 'string' ? meta.version : 'unknown';
  } catch {
    return 'unknown';
  }
}

async function readRunFile(runDir: string, file: string): Promise<string> {
  try {
    return await readFile(join(runDir, file), 'utf8');
  } catch {
    throw new UserError(`${join(runDir, file)} does not exist or cannot be read: is ${runDir} a finished run directory (from \`mtl run\`)?`);
  }
}

function parseJson(text: string, path: string): unknown {
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new UserError(`${path} is not valid JSON (${(e as Error).message})`);
  }
}

/** The model part of `job`: what its tasks read, and the columns its features read (no files, splits or training plan). */
export function inferenceJob(job: Job, fitted: FittedFeatures): { model: InferenceJob; fitted: FittedFeatures } {
  const inputIds = new Set(job.tasks.map((t) => t.input));
  for (const module of job.modules) for (const ref of module.from) if ('input' in ref) inputIds.add(ref.input);
  const inputs = job.inputs.filter((i) => inputIds.has(i.id));
  const featureIds = new Set(inputs.flatMap((i) => i.features));
  const features = job.features.filter((f) => featureIds.has(f.id));
  const datasets = job.datasets
    .filter((d) => inputs.some((i) => i.dataset === d.name))
    .map((d) => ({ name: d.name, columns: d.columns.filter((c) => features.some((f) => f.dataset === d.name && f.column === c.name)) }));
  const kept: FittedFeatures = {
    features: Object.fromEntries(Object.entries(fitted.features).filter(([id]) => featureIds.has(id))),
    classes: fitted.classes,
    rows: fitted.rows,
  };
  return { model: { jobVersion: job.version, datasets, features, inputs, modules: job.modules, tasks: job.tasks }, fitted: kept };
}

/** The columns a row must have, with their types: every column the model's features read. */
export function inputSchema(model: InferenceJob): { columns: ColumnPlan[] } {
  const columns = new Map<string, ColumnPlan>();
  for (const dataset of model.datasets) {
    for (const column of dataset.columns) {
      const seen = columns.get(column.name);
      if (seen && seen.type !== column.type) {
        throw new UserError(`column "${column.name}" is ${seen.type} in one dataset of the model and ${column.type} in dataset ${dataset.name}: a served row has one type per column`);
      }
      columns.set(column.name, column);
    }
  }
  return { columns: [...columns.values()] };
}

/** The name of each unit of a task's head: its classes when it has names, else its index. */
export function unitNames(task: string, units: number, fitted: FittedFeatures): string[] {
  return fitted.classes[task] ?? Array.from({ length: units }, (_, j) => String(j));
}

export function packageTasks(model: InferenceJob, fitted: FittedFeatures): PackageTask[] {
  return model.tasks.map((task) => {
    const units = resolveWidth(task.head.units, fitted);
    const names = unitNames(task.name, units, fitted);
    const input = model.inputs.find((i) => i.id === task.input)!;
    const columns = [...new Set(input.features.map((id) => model.features.find((f) => f.id === id)!.column))];
    return {
      name: task.name,
      head: task.head.kind,
      units,
      target: task.target,
      input: task.input,
      columns,
      classes: task.head.kind === 'multiclass' || task.head.kind === 'multilabel' ? names : null,
      outputs: outputColumns(task.name, task.head.kind, units, names),
    };
  });
}

/** Unique per export: when, and a hash of what it holds. */
export function versionId(created: Date, contents: readonly (string | Uint8Array)[]): string {
  const hash = createHash('sha256');
  for (const part of contents) hash.update(part);
  return `${created.toISOString().replace(/[-:.]/g, '')}-${hash.digest('hex').slice(0, 12)}`;
}

interface RunSummaryFile {
  bestEpoch?: number | null;
  valid?: Record<string, Record<string, number | null>> | null;
  backend?: { name?: string };
}

/** The run's job, through `parseJob` (its problems as a UserError), and its text. */
export async function readRunJob(runDir: string): Promise<{ job: Job; text: string }> {
  const text = await readRunFile(runDir, 'job.json');
  try {
    return { job: parseJob(parseJson(text, join(runDir, 'job.json')), join(runDir, 'job.json')), text };
  } catch (e) {
    if (e instanceof JobError) throw new UserError(e.message);
    throw e;
  }
}

/** The run in `runDir` as a package whose validation distributions are still to be computed (`mtl export` does). */
export async function packageFromRun(runDir: string, name?: string): Promise<ModelPackage> {
  const { job, text: jobText } = await readRunJob(runDir);
  const summary = parseJson(await readRunFile(runDir, 'summary.json'), join(runDir, 'summary.json')) as RunSummaryFile;
  const { model, fitted } = inferenceJob(job, await loadFitted(join(runDir, 'features.json')));
  const created = new Date();
  const weights = await readFile(join(runDir, 'weights.bin')).catch(() => {
    throw new UserError(`${join(runDir, 'weights.bin')} does not exist: is ${runDir} a finished run directory (from \`mtl run\`)?`);
  });
  const manifest: PackageManifest = {
    format: PACKAGE_FORMAT,
    version: PACKAGE_VERSION,
    name: name ?? basename(job.source.file).replace(/\.mtl$/, ''),
    id: versionId(created, [JSON.stringify(model), JSON.stringify(fitted), weights]),
    created: created.toISOString(),
    mtl: await mtlVersion(),
    source: {
      run: resolve(runDir),
      program: job.source.file,
      programSha256: job.source.sha256,
      jobSha256: createHash('sha256').update(jobText).digest('hex'),
    },
    backend: summary.backend?.name ?? 'unknown',
    batchSize: job.training.batchSize,
    inputSchema: inputSchema(model),
    tasks: packageTasks(model, fitted),
    validation: { split: 'valid', epoch: summary.bestEpoch ?? null, metrics: summary.valid ?? {}, distributions: {} },
    layersModel: { why: 'a run directory holds no tf.LayersModel; `mtl export` writes one' },
  };
  return { manifest, model, fitted, weightsDir: runDir };
}
