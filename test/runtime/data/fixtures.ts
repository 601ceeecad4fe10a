/** Small Arrow files in a temporary directory, and jobs over them, for the data-layer tests. */
import * as fs from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { Bool, Field, Float64, Int32, List, Utf8, Dictionary, tableFromArrays, tableToIPC, vectorFromArray, Table, type DataType, type Vector } from 'apache-arrow';
import {
  JOB_FORMAT,
  JOB_VERSION,
  type ColumnPlan,
  type DatasetPlan,
  type FeaturePlan,
  type InputPlan,
  type Job,
  type SplitPlan,
  type TaskPlan,
  type TrainingPlan,
} from '../../../job/job.js';
import type { Batch, JobData, SplitName } from '../../../runtime/data/api.js';

export async function temporaryDirectory(): Promise<{ dir: string; remove: () => Promise<void> }> {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'mtl-data-test-'));
  return { dir, remove: () => fs.rm(dir, { recursive: true, force: true }) };
}

export type ColumnValues = Float64Array | Int32Array | (number | null)[] | (string | null)[] | (boolean | null)[] | (string[] | null)[] | ((number | null)[] | null)[];

/** Arrow types the test columns are written with, by mtl column type. */
export const arrowTypes = {
  float: () => new Float64(),
  int: () => new Int32(),
  string: () => new Dictionary(new Utf8(), new Int32()),
  plainString: () => new Utf8(),
  bool: () => new Bool(),
  listString: () => new List(new Field('item', new Utf8(), true)),
  listInt: () => new List(new Field('item', new Int32(), true)),
  listFloat: () => new List(new Field('item', new Float64(), true)),
};

/** Writes an Arrow IPC file (or stream, with layout 'stream') of the given columns; returns its path. */
export async function writeArrow(
  file: string,
  columns: Record<string, { values: ColumnValues; type: DataType } | Float64Array | Int32Array>,
  layout: 'file' | 'stream' = 'file',
): Promise<string> {
  const vectors: Record<string, Vector> = {};
  for (const [name, column] of Object.entries(columns)) {
    vectors[name] = ArrayBuffer.isView(column) ? (vectorFromArray(column) as Vector) : vectorFromArray(column.values as never, column.type);
  }
  await fs.writeFile(file, tableToIPC(new Table(vectors), layout));
  return file;
}

/** A table split into record batches of `rowsPerBatch` rows (to exercise batch boundaries). */
export async function writeArrowInBatches(file: string, columns: Record<string, Float64Array>, rowsPerBatch: number): Promise<string> {
  const n = Object.values(columns)[0]!.length;
  let table: Table | null = null;
  for (let start = 0; start < n; start += rowsPerBatch) {
    const part: Record<string, Float64Array> = {};
    for (const [name, values] of Object.entries(columns)) part[name] = values.slice(start, start + rowsPerBatch);
    const piece = tableFromArrays(part);
    table = table ? table.concat(piece) : piece;
  }
  await fs.writeFile(file, tableToIPC(table!, 'file'));
  return file;
}

export const defaultTraining: TrainingPlan = {
  optimizer: { kind: 'adam', lr: { kind: 'constant', lr: 0.001 }, beta1: 0.9, beta2: 0.999, epsilon: 1e-7, weightDecay: 0, clipNorm: null, normalizeTaskGradients: false },
  taskLr: {},
  batchSize: 4,
  seed: 1,
  sampling: { kind: 'uniform' },
  weighting: { kind: 'equal' },
  aggregation: { kind: 'sum' },
  stages: [{ tasks: [], frozen: [], epochs: 1, steps: null }],
  selection: { kind: 'best', metric: 'loss', task: 'mean', mode: 'min', objectives: [], patience: null },
  evalEvery: 1,
  conflictsEvery: 0,
  shuffleBuffer: 16,
};

export interface JobParts {
  root: string;
  files: string[];
  columns: ColumnPlan[];
  split: SplitPlan;
  features: Omit<FeaturePlan, 'dataset'>[];
  input: Omit<InputPlan, 'dataset' | 'id'> & { id?: string };
  tasks: Omit<TaskPlan, 'dataset' | 'input' | 'from' | 'loss' | 'metrics' | 'weight'>[];
  shuffleBuffer?: number;
}

/** A one-dataset job ("d") with one input ("x") read by every task. */
export function makeJob(parts: JobParts): Job {
  const dataset: DatasetPlan = { name: 'd', files: parts.files, columns: parts.columns, split: parts.split };
  const input: InputPlan = { id: parts.input.id ?? 'x', dataset: 'd', features: parts.input.features, kind: parts.input.kind, shape: parts.input.shape };
  return {
    format: JOB_FORMAT,
    version: JOB_VERSION,
    source: { file: 'test.mtl', sha256: '' },
    root: parts.root,
    datasets: [dataset],
    features: parts.features.map((f) => ({ ...f, dataset: 'd' })),
    inputs: [input],
    modules: [],
    tasks: parts.tasks.map((t) => ({ ...t, dataset: 'd', input: input.id, from: { input: input.id }, loss: 'bce', metrics: [], weight: 1 })),
    batchGroups: [{ dataset: 'd', input: input.id, tasks: parts.tasks.map((t) => t.name) }],
    training: { ...defaultTraining, shuffleBuffer: parts.shuffleBuffer ?? defaultTraining.shuffleBuffer },
  };
}

/** Every row of the split: all batches, in order. */
export async function collect(data: JobData, split: SplitName, options: { batchSize?: number; shuffle?: boolean; seed?: number; epoch?: number } = {}): Promise<Batch[]> {
  const batches: Batch[] = [];
  for await (const batch of data.batches('d', split, { batchSize: options.batchSize ?? 1000, shuffle: options.shuffle ?? false, seed: options.seed ?? 0, epoch: options.epoch })) {
    batches.push(batch);
  }
  return batches;
}

/** Column `k` of a [n, width] input, as plain numbers, over all batches. */
export function inputColumn(batches: Batch[], input: string, k: number): number[] {
  const out: number[] = [];
  for (const b of batches) {
    const t = b.inputs[input]!;
    const width = t.shape[1]!;
    for (let i = 0; i < b.size; i++) out.push(t.data[i * width + k]!);
  }
  return out;
}

/** Rows of a [n, width] input as arrays. */
export function inputRows(batches: Batch[], input: string): number[][] {
  const out: number[][] = [];
  for (const b of batches) {
    const t = b.inputs[input]!;
    const width = t.shape.slice(1).reduce((a, c) => a * c, 1);
    for (let i = 0; i < b.size; i++) out.push(Array.from(t.data.subarray(i * width, (i + 1) * width)));
  }
  return out;
}

/** A promise's rejection message (fails if it resolves or rejects with something not a UserError). */
export async function userErrorOf(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
  } catch (e) {
    if ((e as Error).name !== 'UserError') throw e;
    return (e as Error).message;
  }
  throw new Error('expected a UserError, but it resolved');
}
