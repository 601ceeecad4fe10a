/**
 * `loadModel(dir)`: a model package (or a finished run directory) ready to predict, with no compiler and no training
 * code. Rows are checked and encoded by the run's own encoders (rows.ts); the backbone runs once per call for all the
 * requested tasks of one input (MtlModel.forward computes each module at most once), and only their heads run.
 *
 * The seam a server's feature cache uses: `shared(encoded)` gives, per row, the output of the one layer every task
 * of an input reads and after which no two of them share anything (model/representation.ts): with hard sharing, the
 * shared trunk's last layer. `heads(encoded, tasks, shared)` then runs from it without the trunk. A model without
 * such a layer has no cache point, and `cache` says why: MMoE mixes the shared experts differently for each task
 * (each task's gate), cross-stitch, soft sharing and adapters give each task a representation of its own.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import type { TensorData } from '../data/api.js';
import type { LookupCache } from '../data/feature-encoders.js';
import { resolveWidth } from '../data/width.js';
import { selectBackend, type BackendChoice } from '../backend.js';
import { UserError } from '../errors.js';
import { buildModel } from '../model/build.js';
import { moduleGraph } from '../model/graph.js';
import { headRuntime } from '../model/heads/index.js';
import { inputTensors } from '../model/input-tensors.js';
import { sharedRepresentation } from '../model/representation.js';
import { assertInputsEncodable } from '../model/support.js';
import type { MtlModel } from '../model/types.js';
import { loadWeights } from '../model/weights.js';
import { packageFromRun, unitNames } from './from-run.js';
import { outputKind, type TaskOutput, type TaskPredictionBatch } from './outputs.js';
import { MANIFEST_FILE, readPackage, type InferenceJob, type ModelPackage, type PackageManifest, type PackageTask } from './package-format.js';
import { columnsOf, describeProblem, InputGroup, jsonCell, type RowChunk, type RowProblem } from './rows.js';

/** Rows checked and encoded: each requested task's input tensor, by input id. */
export interface EncodedRows {
  readonly rows: number;
  readonly tasks: readonly string[];
  readonly inputs: Readonly<Record<string, TensorData>>;
}

/** Per input: the cache point's output for each row (what a feature cache stores, keyed by the row). */
export type SharedRows = Readonly<Record<string, { readonly width: number; readonly rows: readonly Float32Array[] }>>;

/** Where an input's tasks can start from cached features, or why they cannot. */
export type CachePoint = { readonly module: string; readonly layer: number; readonly width: number } | { readonly why: string };

/** One row's outputs, by task. */
export type RowOutputs = Record<string, TaskOutput>;

export interface LoadOptions {
  /** Activate this backend first (`wasm`, `cpu`, …; see runtime/backend.ts); default: the one active now. */
  backend?: string;
}

/** Bad rows: each problem names its row (0-based) and column. */
export class RowsError extends UserError {
  constructor(readonly problems: readonly RowProblem[], where: Pick<RowChunk, 'where'>) {
    const shown = problems.slice(0, 10).map((p) => describeProblem(where, p));
    super(`${shown.join('\n')}${problems.length > 10 ? `\n… and ${problems.length - 10} more bad rows` : ''}`);
  }
}

export interface LoadedModel {
  readonly manifest: PackageManifest;
  readonly tasks: readonly PackageTask[];
  readonly inputSchema: PackageManifest['inputSchema'];
  /** The backend chosen by `options.backend`, or null when the model uses whichever was active. */
  readonly backend: BackendChoice | null;
  /** Per model input: where a feature cache can start its tasks from. */
  readonly cache: Readonly<Record<string, CachePoint>>;
  /** The built model (its `forward` is what every prediction calls). */
  readonly model: MtlModel<InferenceJob>;
  /** Outputs of `tasks` (default all) for each row; a RowsError names every bad row and column. */
  predictRows(rows: readonly Record<string, unknown>[], tasks?: readonly string[]): RowOutputs[];
  /** The rows checked and encoded for `tasks` (default all). */
  encode(rows: readonly Record<string, unknown>[], tasks?: readonly string[]): EncodedRows;
  /** Per input whose tasks have a cache point: each row's features there. */
  shared(encoded: EncodedRows): SharedRows;
  /** Outputs of `tasks` (default the encoded ones); from `shared` where given, without running the trunk again. */
  heads(encoded: EncodedRows, tasks?: readonly string[], shared?: SharedRows): RowOutputs[];
  /** The heads' predictions per task, as evaluation reads them: `units` numbers per row. */
  predictions(encoded: EncodedRows, tasks?: readonly string[], shared?: SharedRows): Map<string, TaskPredictionBatch>;
  /** The input groups of `tasks`: for streaming callers (`mtl predict`) that make their own row chunks. */
  groupsOf(tasks: readonly string[]): InputGroup[];
  dispose(): void;
}

/** The model in `dir`: a package from `mtl export`, or a finished run directory from `mtl run`. */
export async function loadModel(dir: string, options: LoadOptions = {}): Promise<LoadedModel> {
  const pkg = existsSync(join(dir, MANIFEST_FILE)) ? await readPackage(dir) : existsSync(join(dir, 'job.json')) ? await packageFromRun(dir) : null;
  if (!pkg) throw new UserError(`${dir} is neither a model package (no ${MANIFEST_FILE}, from \`mtl export\`) nor a run directory (no job.json, from \`mtl run\`)`);
  return loadPackage(pkg, options);
}

async function servedModel(pkg: ModelPackage, backend: BackendChoice | null): Promise<LoadedModel> {
  const { manifest, model: job, fitted } = pkg;
  assertInputsEncodable(job);
  const model = buildModel(job, (w) => resolveWidth(w, fitted), 0);
  try {
    await loadWeights(model, pkg.weightsDir);
  } catch (e) {
    model.dispose();
    throw e;
  }
  const lookups: LookupCache = new Map();
  const groups = new Map<string, InputGroup>();
  for (const task of job.tasks) {
    let group = groups.get(task.input);
    if (!group) groups.set(task.input, (group = new InputGroup(job, fitted, job.inputs.find((i) => i.id === task.input)!, lookups)));
    group.tasks.push(task.name);
  }
  const graph = moduleGraph(job);
  const cache: Record<string, CachePoint> = {};
  for (const [input, group] of groups) {
    const found = sharedRepresentation(graph, group.tasks);
    if ('why' in found) cache[input] = { why: found.why };
    else {
      const width = job.modules.find((m) => m.id === found.at.module)!.shapes[found.at.layer]!;
      cache[input] = { module: found.at.module, layer: found.at.layer, width: resolveWidth(width[0]!, fitted) };
    }
  }
  const taskNames = job.tasks.map((t) => t.name);

  const requested = (tasks: readonly string[] | undefined): readonly string[] => {
    if (tasks === undefined) return taskNames;
    const unknown = tasks.filter((t) => !taskNames.includes(t));
    if (unknown.length > 0) throw new UserError(`the model has no task ${unknown.map((t) => `\`${t}\``).join(', ')} (its tasks: ${taskNames.join(', ')})`);
    return tasks;
  };
  const groupsOf = (tasks: readonly string[]): InputGroup[] => [...groups.values()].filter((g) => g.tasks.some((t) => tasks.includes(t)));

  const encode = (rows: readonly Record<string, unknown>[], tasks?: readonly string[]): EncodedRows => {
    const wanted = requested(tasks);
    const chosen = groupsOf(wanted);
    const columns = [...new Map(chosen.flatMap((g) => g.columns).map((c) => [c.name, c])).values()];
    const { columns: data, problems } = columnsOf(columns, rows.length, (row, column) => {
      const value = rows[row]![column.name];
      return value === undefined && !(column.name in rows[row]!) ? { problem: 'missing from the row' } : jsonCell[column.type](value);
    });
    const chunk: RowChunk = { length: rows.length, column: (name) => data.get(name)!, where: (row) => `row ${row}` };
    for (const group of chosen) group.checkValues(chunk, problems);
    const bad = problems.filter((p): p is RowProblem => p !== null);
    if (bad.length > 0) throw new RowsError(bad, chunk);
    const all = rows.map((_, i) => i);
    return { rows: rows.length, tasks: wanted, inputs: Object.fromEntries(chosen.map((g) => [g.input.id, g.encode(chunk, all)])) };
  };

  const predictions = (encoded: EncodedRows, tasks?: readonly string[], shared?: SharedRows): Map<string, TaskPredictionBatch> => {
    const wanted = tasks === undefined ? encoded.tasks : requested(tasks);
    const out = new Map<string, TaskPredictionBatch>();
    tf.tidy(() => {
      for (const group of groupsOf(wanted)) {
        const tasksHere = group.tasks.filter((t) => wanted.includes(t));
        const data = encoded.inputs[group.input.id];
        if (!data) throw new Error(`the rows were not encoded for input '${group.input.id}' (encode them for tasks ${tasksHere.join(', ')})`);
        const point = cache[group.input.id]!;
        const features = shared?.[group.input.id];
        const given = features && 'module' in point ? { at: { kind: 'layer', module: point.module, layer: point.layer } as const, value: stacked(features) } : undefined;
        const logits = model.forward(inputTensors({ [group.input.id]: data }), tasksHere, false, undefined, given);
        for (const task of tasksHere) {
          const head = model.heads.get(task)!;
          const values = (headRuntime(head).predictions(logits.get(task)!, head.units, head.task.head).dataSync() as Float32Array).slice();
          out.set(task, { values, rows: encoded.rows, units: head.units, classes: unitNames(task, head.units, fitted) });
        }
      }
    });
    return out;
  };

  const heads = (encoded: EncodedRows, tasks?: readonly string[], shared?: SharedRows): RowOutputs[] => {
    const batches = predictions(encoded, tasks, shared);
    const rows: RowOutputs[] = Array.from({ length: encoded.rows }, () => ({}));
    for (const [task, batch] of batches) {
      const kind = outputKind(model.heads.get(task)!.task.head.kind);
      rows.forEach((row, i) => (row[task] = kind.row(batch, i)));
    }
    return rows;
  };

  const shared = (encoded: EncodedRows): SharedRows => {
    const out: Record<string, { width: number; rows: Float32Array[] }> = {};
    for (const group of groupsOf(encoded.tasks)) {
      const point = cache[group.input.id]!;
      if (!('module' in point)) continue;
      const values = tf.tidy(() => {
        const at = { kind: 'layer', module: point.module, layer: point.layer } as const;
        return model.output(inputTensors({ [group.input.id]: encoded.inputs[group.input.id]! }), at, group.tasks[0]!, false).dataSync() as Float32Array;
      });
      out[group.input.id] = { width: point.width, rows: Array.from({ length: encoded.rows }, (_, i) => values.slice(i * point.width, (i + 1) * point.width)) };
    }
    return out;
  };

  return {
    manifest,
    tasks: manifest.tasks,
    inputSchema: manifest.inputSchema,
    backend,
    cache,
    model,
    predictRows: (rows, tasks) => heads(encode(rows, tasks), tasks),
    encode,
    shared,
    heads,
    predictions,
    groupsOf: (tasks) => groupsOf(requested(tasks)),
    dispose: () => model.dispose(),
  };
}

function stacked(features: { width: number; rows: readonly Float32Array[] }): tf.Tensor2D {
  const values = new Float32Array(features.rows.length * features.width);
  features.rows.forEach((row, i) => values.set(row, i * features.width));
  return tf.tensor2d(values, [features.rows.length, features.width]);
}

/** A package already in memory (`mtl export` computes its validation distributions with it). */
export async function loadPackage(pkg: ModelPackage, options: LoadOptions = {}): Promise<LoadedModel> {
  const backend = options.backend === undefined ? null : await selectBackend(options.backend);
  return servedModel(pkg, backend);
}
