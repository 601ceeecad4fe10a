/**
 * `mtl export RUN_DIR -o DIR`: a finished run as a model package (docs/model-package.md). What the run directory
 * holds is taken as it is (serving/from-run.ts); what only a pass over data gives is computed here: the distribution
 * of each output column's predictions over the validation split, through the package's own loaded model, so it is
 * what a server of this package would have predicted. Where the layers allow, a tf.LayersModel is written too.
 *
 * Written to `DIR.partial` and renamed into place when complete; an existing DIR is refused unless `force`, and then
 * replaced only once the new package is whole.
 */
import { existsSync } from 'node:fs';
import { copyFile, mkdir, readdir, rename, rm, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import type { Job } from '../../job/job.js';
import type { FittedFeatures } from '../data/api.js';
import { openJobData } from '../data/loader.js';
import { resolveWidth } from '../data/width.js';
import { UserError } from '../errors.js';
import { MANIFEST_FILE as WEIGHTS_MANIFEST, WEIGHTS_FILE, saveNamedWeights } from '../model/weights.js';
import { packageFromRun, readRunJob } from '../serving/from-run.js';
import { loadPackage, type LoadedModel } from '../serving/load.js';
import { outputKind } from '../serving/outputs.js';
import { FITTED_FILE, LAYERS_MODEL_DIR, MANIFEST_FILE, MODEL_FILE, type Distribution, type ModelPackage, type PackageManifest } from '../serving/package-format.js';
import { classDistribution, numericDistribution } from './distribution.js';
import { layersModel, saveLayersModel } from './layers-model.js';
import { mergeLora } from './merge-lora.js';

export interface ExportOptions {
  /** Replace an existing package at the output directory. */
  force?: boolean;
  /** The package's name (default: the program's file name). */
  name?: string;
  /** The backend the validation predictions are computed on (default: the one active). */
  backend?: string;
  /** Merge each task's LoRA updates into dense layers of its own (export/merge-lora.ts): the package has no LoRA left. */
  mergeLora?: boolean;
  log?: (line: string) => void;
}

export async function exportModel(runDir: string, out: string, options: ExportOptions = {}): Promise<PackageManifest> {
  const target = resolve(out);
  if (existsSync(target) && !options.force) throw new UserError(`${out} already exists; choose another directory, or give --force to replace it`);
  const partial = `${target}.partial`;
  await rm(partial, { recursive: true, force: true });
  await mkdir(partial, { recursive: true });
  let loaded: LoadedModel | null = null;
  try {
    let pkg = await packageFromRun(runDir, options.name);
    if (options.mergeLora) pkg = await mergedPackage(pkg, partial, options);
    loaded = await loadPackage(pkg, options.backend === undefined ? {} : { backend: options.backend });
    const { job } = await readRunJob(runDir);
    const distributions = await validationDistributions(loaded, job, pkg.fitted);
    const layers = layersModel(loaded.model, (input) => resolveWidth(job.inputs.find((i) => i.id === input)!.shape[0]!, pkg.fitted));
    if ('model' in layers) {
      await saveLayersModel(layers.model, join(partial, LAYERS_MODEL_DIR));
      layers.model.dispose();
    }
    const manifest: PackageManifest = {
      ...pkg.manifest,
      backend: loaded.backend?.name ?? tf.getBackend(),
      validation: { ...pkg.manifest.validation, distributions },
      layersModel: 'model' in layers ? { path: `${LAYERS_MODEL_DIR}/model.json` } : { why: layers.why },
    };
    await writeFile(join(partial, MODEL_FILE), `${JSON.stringify(pkg.model, null, 1)}\n`);
    await writeFile(join(partial, FITTED_FILE), `${JSON.stringify(pkg.fitted, null, 1)}\n`);
    if (pkg.weightsDir !== partial) for (const file of [WEIGHTS_MANIFEST, WEIGHTS_FILE]) await copyFile(join(runDir, file), join(partial, file));
    await writeFile(join(partial, MANIFEST_FILE), `${JSON.stringify(manifest, null, 1)}\n`);
    await publish(partial, target);
    options.log?.(`exported ${runDir} to ${out}: ${manifest.name} ${manifest.id}, ${manifest.tasks.length} tasks${'why' in manifest.layersModel ? ` (no tf.LayersModel: ${manifest.layersModel.why})` : ', with a tf.LayersModel'}`);
    return manifest;
  } catch (error) {
    await rm(partial, { recursive: true, force: true });
    throw error;
  } finally {
    loaded?.dispose();
  }
}

/** The package with its LoRA merged per task, its merged weights written to `dir` (the package being written). */
async function mergedPackage(pkg: ModelPackage, dir: string, options: ExportOptions): Promise<ModelPackage> {
  const original = await loadPackage(pkg, options.backend === undefined ? {} : { backend: options.backend });
  try {
    const weights = new Map(original.model.params.map((p) => [p.name, p.variable as tf.Tensor]));
    const merged = mergeLora(pkg.model, weights);
    try {
      await saveNamedWeights([...merged.weights].map(([name, tensor]) => ({ name, tensor })), dir);
    } finally {
      for (const [name, tensor] of merged.weights) if (weights.get(name) !== tensor) tensor.dispose();
    }
    options.log?.(`merged the LoRA updates into each task's layers: ${merged.merged.join(', ')}`);
    return { ...pkg, model: merged.job, weightsDir: dir };
  } finally {
    original.dispose();
  }
}

/** Per output column, the distribution of its values over the validation split (in file order, as `mtl eval` reads it). */
async function validationDistributions(loaded: LoadedModel, job: Job, fitted: FittedFeatures): Promise<Record<string, Distribution>> {
  const data = await openJobData(job, { fitted }).catch((e: unknown) => {
    if (e instanceof UserError) throw new UserError(`export records the model's predictions on the run's validation split, and its data cannot be read:\n${e.message}`);
    throw e;
  });
  const numbers = new Map<string, Float32Array[]>();
  const classes = new Map<string, string[]>();
  for (const group of job.batchGroups) {
    for await (const batch of data.batches(group.dataset, 'valid', { batchSize: job.training.batchSize, shuffle: false, seed: 0 })) {
      const predictions = loaded.predictions({ rows: batch.size, tasks: group.tasks, inputs: batch.inputs }, group.tasks);
      for (const task of loaded.tasks.filter((t) => group.tasks.includes(t.name))) {
        const columns = outputKind(task.head).columns(predictions.get(task.name)!);
        task.outputs.forEach((output, i) => {
          const values = columns[i]!;
          if (values instanceof Float32Array) (numbers.get(output.name) ?? numbers.set(output.name, []).get(output.name)!).push(values);
          else (classes.get(output.name) ?? classes.set(output.name, []).get(output.name)!).push(...values);
        });
      }
    }
  }
  const distributions: Record<string, Distribution> = {};
  for (const task of loaded.tasks) {
    for (const output of task.outputs) {
      const chunks = numbers.get(output.name);
      if (chunks) {
        const all = new Float32Array(chunks.reduce((n, c) => n + c.length, 0));
        chunks.reduce((offset, c) => (all.set(c, offset), offset + c.length), 0);
        const probability = task.head !== 'regression' && task.head !== 'objective';
        distributions[output.name] = numericDistribution(all, probability ? [0, 1] : undefined);
      } else distributions[output.name] = classDistribution(classes.get(output.name) ?? []);
    }
  }
  return distributions;
}

/** Moves the finished package into place; an old one there is removed only after the new one is in. */
async function publish(partial: string, target: string): Promise<void> {
  if (!existsSync(target)) return rename(partial, target);
  const isPackage = existsSync(join(target, MANIFEST_FILE)) || (await readdir(target)).length === 0;
  if (!isPackage) throw new UserError(`${target} exists and is not a model package: --force replaces only a package`);
  const old = `${target}.old-${process.pid}`;
  await rename(target, old);
  await rename(partial, target);
  await rm(old, { recursive: true, force: true });
}
