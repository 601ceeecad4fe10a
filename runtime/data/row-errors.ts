/** Messages that point at one value of one file: file, column, row (0-based, within the file). */
import { UserError } from '../errors.js';
import type { TaskPlan } from '../../job/job.js';
import type { DatasetChunk } from './dataset-reader.js';
import { exprColumns } from './expr.js';

export function whereIs(chunk: DatasetChunk, column: string, row: number): string {
  return `column "${column}", row ${chunk.fileRowStart + row} of ${chunk.file}`;
}

export function describeValue(value: unknown): string {
  return typeof value === 'string' ? JSON.stringify(value) : String(value);
}

/** A null, NaN or infinite value where a feature needs a finite number. */
export function nonFiniteFeatureError(chunk: DatasetChunk, column: string, row: number, value: number | null, feature: string): UserError {
  const what = value === null ? 'is null' : `holds ${String(value)}`;
  return new UserError(`${chunk.file}: column "${column}" ${what} at row ${chunk.fileRowStart + row} (0-based); feature ${feature} needs a finite number in every row`);
}

export function listLengthError(chunk: DatasetChunk, column: string, row: number, found: number | null, expected: number, feature: string): UserError {
  const what = found === null ? 'is null' : `holds ${found} values`;
  return new UserError(`${chunk.file}: column "${column}" ${what} at row ${chunk.fileRowStart + row} (0-based); feature ${feature} needs exactly ${expected}`);
}

/** "target of task T has <found>, <expectation> (column "c", row 7 of f.arrow)" */
export function targetProblem(task: TaskPlan, chunk: DatasetChunk, row: number, found: string, expectation: string): UserError {
  const columns = exprColumns(task.target).map((c) => `"${c}"`);
  const where = `${columns.length === 1 ? 'column' : 'columns'} ${columns.join(', ')}, row ${chunk.fileRowStart + row} of ${chunk.file}`;
  return new UserError(`target of task ${task.name} has ${found}, ${expectation} (${where})`);
}

export function targetError(task: TaskPlan, chunk: DatasetChunk, row: number, value: unknown, expectation: string): UserError {
  return targetProblem(task, chunk, row, `value ${describeValue(value)}`, expectation);
}

export function indexRange(units: number): string {
  return units === 1 ? '0' : `0 to ${units - 1}`;
}
