/**
 * One pass of the model over a micro-batch: the rows of every request in it, each encoded for its own tasks, run
 * together per model input for the union of their tasks, then split back per request. The backbone runs once for all
 * those tasks (MtlModel.forward computes each module once), and not at all for rows whose shared features the cache
 * holds: those start from the cached features and run only the heads.
 *
 * `backboneOnce: false` runs the model once per task instead, for the benchmark's comparison only.
 */
import type { TensorData } from '../runtime/data/api.js';
import type { EncodedRows, LoadedModel, SharedRows } from '../runtime/serving/load.js';
import type { TaskPredictionBatch } from '../runtime/serving/outputs.js';
import { featureKey, type FeatureCache } from './feature-cache.js';

export interface PassRequest {
  readonly rows: readonly Readonly<Record<string, unknown>>[];
  readonly tasks: readonly string[];
  readonly encoded: EncodedRows;
}

/** Per request, its tasks' predictions for its rows. */
export type PassResult = Map<string, TaskPredictionBatch>;

export interface PassContext {
  readonly model: LoadedModel;
  readonly version: string;
  readonly cache: FeatureCache | null;
  readonly backboneOnce: boolean;
  /** Told the rows of each backbone pass (for the batch-size histogram). */
  readonly onPass?: (rows: number) => void;
}

const rowWidth = (data: TensorData): number => data.shape.slice(1).reduce((a, b) => a * b, 1);

function concatenated(parts: readonly TensorData[]): TensorData {
  if (parts.length === 1) return parts[0]!;
  const rows = parts.reduce((n, p) => n + p.shape[0]!, 0);
  const data = parts[0]!.data instanceof Int32Array ? new Int32Array(rows * rowWidth(parts[0]!)) : new Float32Array(rows * rowWidth(parts[0]!));
  let offset = 0;
  for (const p of parts) {
    data.set(p.data, offset);
    offset += p.data.length;
  }
  return { data, shape: [rows, ...parts[0]!.shape.slice(1)], ...(parts[0]!.lookup ? { lookup: parts[0]!.lookup } : {}) };
}

function rowsOf(data: TensorData, rows: readonly number[]): TensorData {
  const width = rowWidth(data);
  const out = data.data instanceof Int32Array ? new Int32Array(rows.length * width) : new Float32Array(rows.length * width);
  rows.forEach((row, i) => out.set(data.data.subarray(row * width, (row + 1) * width), i * width));
  return { data: out, shape: [rows.length, ...data.shape.slice(1)], ...(data.lookup ? { lookup: data.lookup } : {}) };
}

function sliced(batch: TaskPredictionBatch, from: number, rows: number): TaskPredictionBatch {
  return { ...batch, rows, values: batch.values.slice(from * batch.units, (from + rows) * batch.units) };
}

export function runPass(context: PassContext, requests: readonly PassRequest[]): PassResult[] {
  const { model } = context;
  const results: PassResult[] = requests.map(() => new Map());
  const taskOrder = model.tasks.map((t) => t.name);
  for (const group of model.groupsOf(taskOrder)) {
    const input = group.input.id;
    const members = requests.map((r, i) => ({ r, i })).filter(({ r }) => r.tasks.some((t) => group.tasks.includes(t)));
    if (members.length === 0) continue;
    const tasks = taskOrder.filter((t) => group.tasks.includes(t) && members.some(({ r }) => r.tasks.includes(t)));
    const rows = members.flatMap(({ r }) => r.rows);
    const encoded: EncodedRows = { rows: rows.length, tasks, inputs: { [input]: concatenated(members.map(({ r }) => r.encoded.inputs[input]!)) } };
    const predictions = predict(context, encoded, rows, group.columns.map((c) => c.name));
    let offset = 0;
    for (const { r, i } of members) {
      for (const task of r.tasks) if (predictions.has(task)) results[i]!.set(task, sliced(predictions.get(task)!, offset, r.rows.length));
      offset += r.rows.length;
    }
  }
  return results;
}

/** One input's rows, for `encoded.tasks`: the backbone once (for the rows the cache misses), then the heads. */
function predict(context: PassContext, encoded: EncodedRows, rows: readonly Readonly<Record<string, unknown>>[], columns: readonly string[]): Map<string, TaskPredictionBatch> {
  const { model, cache } = context;
  const input = Object.keys(encoded.inputs)[0]!;
  if (!context.backboneOnce) {
    const out = new Map<string, TaskPredictionBatch>();
    for (const task of encoded.tasks) {
      context.onPass?.(encoded.rows);
      out.set(task, model.predictions(encoded, [task]).get(task)!);
    }
    return out;
  }
  const point = model.cache[input];
  if (!cache || !point || !('module' in point)) {
    context.onPass?.(encoded.rows);
    return model.predictions(encoded, encoded.tasks);
  }
  const keys = rows.map((row) => featureKey(context.version, input, columns, row));
  const features: (Float32Array | undefined)[] = keys.map((key) => cache.get(key));
  const missing = features.flatMap((f, i) => (f === undefined ? [i] : []));
  if (missing.length > 0) {
    context.onPass?.(missing.length);
    const some: EncodedRows = { rows: missing.length, tasks: encoded.tasks, inputs: { [input]: rowsOf(encoded.inputs[input]!, missing) } };
    const computed = model.shared(some)[input]!.rows;
    missing.forEach((row, i) => {
      features[row] = computed[i]!;
      cache.set(keys[row]!, computed[i]!);
    });
  }
  const shared: SharedRows = { [input]: { width: point.width, rows: features as Float32Array[] } };
  return model.predictions(encoded, encoded.tasks, shared);
}
