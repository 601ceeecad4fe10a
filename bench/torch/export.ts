/**
 * The rows of a job's splits as mtl encodes them, written for bench/torch/*.py: per split, the input as raw float32
 * [rows, width] and each task's label as float32 [rows], little-endian, row-major, in file order; `header.json` says
 * the width, the row counts and the files. numpy reads each with `numpy.fromfile(path, dtype='<f4')`.
 *
 * The rows come from mtl's own loader (`openJobData`: the job's split, features fitted on its training split), so
 * PyTorch trains on exactly what `mtl run` trains on. Only jobs of one input and float labels (binary, regression)
 * can be written this way, with every row labelled for every task.
 */
import { createWriteStream, type WriteStream } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { endianness } from 'node:os';
import * as path from 'node:path';
import { finished } from 'node:stream/promises';
import type { Job } from '../../job/job.js';
import type { Batch, SplitName } from '../../runtime/data/api.js';
import { openJobData } from '../../runtime/data/loader.js';
import { oneHotRows } from '../../runtime/kernels/embedding-bag.js';

export const HEADER_FILE = 'header.json';

export interface SplitFiles {
  rows: number;
  /** float32 [rows, width]. */
  x: string;
  /** By task: float32 [rows]. */
  labels: Record<string, string>;
}

export interface ExportHeader {
  format: 'mtl-rows';
  dtype: 'float32';
  byteOrder: 'little';
  width: number;
  tasks: string[];
  splits: Partial<Record<SplitName, SplitFiles>>;
}

/** Rows per batch read from the loader: any size gives the same bytes, in file order. */
const READ_BATCH = 4096;

/** Writes `splits` of the job's one input into `dir`; returns the header it wrote. */
export async function exportJobRows(job: Job, dir: string, splits: readonly SplitName[]): Promise<ExportHeader> {
  if (job.batchGroups.length !== 1) throw new Error(`the job reads ${job.batchGroups.length} inputs; the export writes a job of one`);
  const group = job.batchGroups[0]!;
  const data = await openJobData(job);
  const input = job.inputs.find((i) => i.id === group.input)!;
  if (input.kind !== 'vector') throw new Error(`input ${input.id} is a ${input.kind}; the export writes vectors`);
  const width = input.shape.reduce<number>((product, w) => product * data.width(w), 1);
  const header: ExportHeader = { format: 'mtl-rows', dtype: 'float32', byteOrder: 'little', width, tasks: [...group.tasks], splits: {} };
  for (const split of splits) {
    header.splits[split] = await exportSplit(dir, split, group.input, group.tasks, data.batches(group.dataset, split, { batchSize: READ_BATCH, shuffle: false, seed: 0 }));
  }
  await writeHeader(dir, header);
  return header;
}

/** Writes one split's batches (`input` and each task's labels) into `dir`, as `${split}.x.f32` and `${split}.${task}.f32`. */
export async function exportSplit(dir: string, split: SplitName, input: string, tasks: readonly string[], batches: AsyncIterable<Batch> | Iterable<Batch>): Promise<SplitFiles> {
  if (endianness() !== 'LE') throw new Error('the exported rows are raw little-endian float32: this machine is big-endian');
  await mkdir(dir, { recursive: true });
  const files: SplitFiles = { rows: 0, x: `${split}.x.f32`, labels: Object.fromEntries(tasks.map((t) => [t, `${split}.${t}.f32`])) };
  const x = open(dir, files.x);
  const labels = tasks.map((t) => [t, open(dir, files.labels[t]!)] as const);
  for await (const batch of batches) {
    files.rows += batch.size;
    // PyTorch reads the one-hot vector, not the kernel rows a lookup input (the onehot-lookup pass) carries.
    const data = batch.inputs[input]!;
    await write(x, data.lookup ? oneHotRows(data.lookup, data.data, batch.size) : data.data);
    for (const [task, stream] of labels) await write(stream, labelsOf(batch, task, split));
  }
  await Promise.all([x, ...labels.map(([, s]) => s)].map(close));
  return files;
}

export async function writeHeader(dir: string, header: ExportHeader): Promise<void> {
  await writeFile(path.join(dir, HEADER_FILE), `${JSON.stringify(header, null, 1)}\n`);
}

function labelsOf(batch: Batch, task: string, split: SplitName): Float32Array {
  const label = batch.labels[task]!;
  if (!(label.values.data instanceof Float32Array) || label.values.shape.length !== 1) {
    throw new Error(`task ${task}'s labels are not one float per row; the export writes binary and regression tasks`);
  }
  // PyTorch's side has no mask: an unlabelled row would train there as a 0 label.
  if (label.mask.some((m) => m !== 1)) throw new Error(`task ${task} has unlabelled rows in the ${split} split; the export needs every row labelled`);
  return label.values.data;
}

function open(dir: string, file: string): WriteStream {
  return createWriteStream(path.join(dir, file));
}

function write(stream: WriteStream, values: Float32Array | Int32Array): Promise<void> {
  const bytes = Buffer.from(values.buffer, values.byteOffset, values.byteLength);
  return new Promise((resolve, reject) => stream.write(bytes, (error) => (error ? reject(error) : resolve())));
}

function close(stream: WriteStream): Promise<void> {
  stream.end();
  return finished(stream);
}
