/** Streaming a dataset's rows, record batch by record batch, across its files, with each row's split. */
import * as path from 'node:path';
import { DataType, type Data } from 'apache-arrow';
import type { DatasetPlan, Job } from '../../job/job.js';
import { UserError, isUserError } from '../errors.js';
import { openArrowFile } from './arrow-file.js';
import { displayPath } from './display-path.js';
import { schemaProblems } from './schema-check.js';
import { assignByColumn, assignByRatio, fileSplitId } from './split.js';

export interface DatasetFile {
  /** As the job names it, relative to its root. */
  name: string;
  absolute: string;
  /** How messages name it. */
  display: string;
}

/**
 * One record batch of a dataset. Row numbers below are 0-based. Its columns view memory that the next record batch
 * but one is read into once the consumer asks for the next chunk (arrow-file.ts reuses its buffers): copy what must
 * outlive that.
 */
export interface DatasetChunk {
  readonly dataset: string;
  readonly file: string;
  /** Row number, within its file, of the chunk's first row. */
  readonly fileRowStart: number;
  /** Row number, within the dataset (all files in order), of the chunk's first row. */
  readonly rowStart: number;
  readonly length: number;
  /** Split id (see split.ts) of each row. */
  readonly split: Uint8Array;
  column(name: string): Data;
}

export function datasetFiles(job: Job, plan: DatasetPlan): DatasetFile[] {
  return plan.files.map((file) => {
    const absolute = path.resolve(job.root, file);
    return { name: file, absolute, display: displayPath(absolute) };
  });
}

/** Problems with a dataset's files (missing, not Arrow, columns missing or mistyped), one message each. */
export async function datasetFileProblems(plan: DatasetPlan, files: readonly DatasetFile[]): Promise<string[]> {
  if (files.length === 0) return [`dataset ${plan.name} has no files`];
  const problems: string[] = [];
  for (const file of files) {
    try {
      const reader = await openArrowFile(file.absolute, file.display);
      await reader.close();
      problems.push(...schemaProblems(reader.schema, plan.columns, file.display));
    } catch (e) {
      if (!isUserError(e)) throw e;
      problems.push(e.message);
    }
  }
  return problems;
}

/** A dictionary index past the end of its dictionary: the file is corrupt (the reader would read it as undefined). */
function checkDictionaryIndices(data: Data, column: string, display: string, fileRowStart: number): void {
  if (!DataType.isDictionary(data.type) || !data.dictionary) return;
  const size = data.dictionary.length;
  const indices = data.values as ArrayLike<number | bigint>;
  if (!(indices instanceof BigInt64Array || indices instanceof BigUint64Array)) {
    // The common case, indices in a number array: one comparison per row, and the slow path only when one is out of range.
    const numbers = indices as ArrayLike<number>;
    let inRange = true;
    for (let i = 0; i < data.length; i++) {
      const code = numbers[i]!;
      if (code < 0 || code >= size) {
        inRange = false;
        break;
      }
    }
    if (inRange) return;
  }
  for (let i = 0; i < data.length; i++) {
    const code = Number(indices[i]!);
    if ((code < 0 || code >= size) && data.getValid(i)) {
      throw new UserError(
        `${display} is corrupt: column "${column}" has dictionary index ${code} at row ${fileRowStart + i} (0-based), but its dictionary holds ${size} ${size === 1 ? 'value' : 'values'} (indices 0 to ${size - 1})`,
      );
    }
  }
}

/** Every record batch of the dataset, in file order. Stops reading (and closes the file) when the consumer stops. */
export async function* readDataset(plan: DatasetPlan, files: readonly DatasetFile[]): AsyncGenerator<DatasetChunk> {
  let rowStart = 0;
  for (const file of files) {
    const reader = await openArrowFile(file.absolute, file.display, { readAhead: true, reuseBuffers: true });
    const columnIndex = new Map<string, number>();
    reader.schema.fields.forEach((field, i) => columnIndex.has(field.name) || columnIndex.set(field.name, i));
    let fileRowStart = 0;
    for await (const batch of reader.batches()) {
      const length = batch.numRows;
      if (length === 0) continue;
      const children = batch.data.children;
      const checked = new Set<string>();
      const column = (name: string): Data => {
        const index = columnIndex.get(name);
        if (index === undefined) throw new UserError(`${file.display} has no column "${name}"`);
        const data = children[index]!;
        if (!checked.has(name)) {
          checked.add(name);
          checkDictionaryIndices(data, name, file.display, fileRowStart);
        }
        return data;
      };
      const split = new Uint8Array(length);
      if (plan.split.kind === 'ratio') assignByRatio(plan.split, rowStart, split);
      else if (plan.split.kind === 'files') split.fill(fileSplitId(plan.split, file.name));
      else assignByColumn(plan.split, column(plan.split.column), split);
      yield { dataset: plan.name, file: file.display, fileRowStart, rowStart, length, split, column };
      fileRowStart += length;
      rowStart += length;
    }
  }
}
