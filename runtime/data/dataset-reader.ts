/** Streaming a dataset's rows, record batch by record batch, across its files, with each row's split. */
import * as path from 'node:path';
import type { Data } from 'apache-arrow';
import type { DatasetPlan, Job } from '../../job/job.js';
import { UserError, isUserError } from '../errors.js';
import { openArrowFile } from './arrow-file.js';
import { displayPath } from './display-path.js';
import { schemaProblems } from './schema-check.js';
import { assignByColumn, assignByRatio } from './split.js';

export interface DatasetFile {
  absolute: string;
  /** How messages name it. */
  display: string;
}

/** One record batch of a dataset. Row numbers below are 0-based. */
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
    return { absolute, display: displayPath(absolute) };
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

/** Every record batch of the dataset, in file order. Stops reading (and closes the file) when the consumer stops. */
export async function* readDataset(plan: DatasetPlan, files: readonly DatasetFile[]): AsyncGenerator<DatasetChunk> {
  let rowStart = 0;
  for (const file of files) {
    const reader = await openArrowFile(file.absolute, file.display);
    const columnIndex = new Map<string, number>();
    reader.schema.fields.forEach((field, i) => columnIndex.has(field.name) || columnIndex.set(field.name, i));
    let fileRowStart = 0;
    for await (const batch of reader.batches()) {
      const length = batch.numRows;
      if (length === 0) continue;
      const children = batch.data.children;
      const column = (name: string): Data => {
        const index = columnIndex.get(name);
        if (index === undefined) throw new UserError(`${file.display} has no column "${name}"`);
        return children[index]!;
      };
      const split = new Uint8Array(length);
      if (plan.split.kind === 'ratio') assignByRatio(plan.split, rowStart, split);
      else assignByColumn(plan.split, column(plan.split.column), split);
      yield { dataset: plan.name, file: file.display, fileRowStart, rowStart, length, split, column };
      fileRowStart += length;
      rowStart += length;
    }
  }
}
