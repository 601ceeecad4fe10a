/**
 * What a served task outputs, by head kind: its columns (`<task>.<output>`, what `mtl predict` writes) and each row's
 * output (what `predictRows` returns), both from the head's predictions (HeadRuntime.predictions: the numbers
 * evaluation scores), so a prediction served is the number `mtl eval` measured.
 */
import type { HeadKind } from '../../job/job.js';
import { UserError } from '../errors.js';
import { notRunnable, type NotRunnable } from '../not-runnable.js';
import type { OutputColumn } from './package-format.js';

/** One row's output of one task. */
export type TaskOutput =
  /** binary: P(y = 1). */
  | { probability: number }
  /** multiclass: the most probable class (the first on ties), its probability, and every class's (in `classes` order). */
  | { class: string; score: number; probabilities: number[] }
  /** multilabel: each label's probability (in `classes` order). */
  | { probabilities: number[] }
  /** regression with one unit. */
  | { value: number }
  /** regression with several units; an objective head's point. */
  | { values: number[] }
  /** span: the predicted span's first and last token positions (0-based, inclusive). */
  | { start: number; end: number };

/** A batch of one task's predictions: `units` numbers per row, row-major. */
export interface TaskPredictionBatch {
  readonly values: Float32Array;
  readonly rows: number;
  readonly units: number;
  /** The name of each unit (multiclass and multilabel); its index otherwise. */
  readonly classes: readonly string[];
}

export interface OutputKind {
  readonly runnable: true;
  /** Output names, without the task's prefix. */
  outputs(units: number, classes: readonly string[]): { output: string; type: OutputColumn['type'] }[];
  /** The values of each output (in `outputs` order) for the whole batch. */
  columns(batch: TaskPredictionBatch): (Float32Array | string[])[];
  row(batch: TaskPredictionBatch, row: number): TaskOutput;
}

const rowOf = (batch: TaskPredictionBatch, row: number): number[] => Array.from(batch.values.subarray(row * batch.units, (row + 1) * batch.units));

/** The index of the largest value of row `row` (the first of equal ones, as metrics' argmax). */
function argmax(batch: TaskPredictionBatch, row: number): number {
  let best = 0;
  for (let j = 1; j < batch.units; j++) if (batch.values[row * batch.units + j]! > batch.values[row * batch.units + best]!) best = j;
  return best;
}

/** Column `j` of the batch's values. */
const unit = (batch: TaskPredictionBatch, j: number): Float32Array => Float32Array.from({ length: batch.rows }, (_, i) => batch.values[i * batch.units + j]!);

const perUnit = (prefix: string): OutputKind['outputs'] => (units, classes) =>
  Array.from({ length: units }, (_, j) => ({ output: `${prefix}.${classes[j]}`, type: 'float32' as const }));

const values: OutputKind = {
  runnable: true,
  outputs: (units, classes) => (units === 1 ? [{ output: 'value', type: 'float32' }] : perUnit('value')(units, classes)),
  columns: (batch) => Array.from({ length: batch.units }, (_, j) => unit(batch, j)),
  row: (batch, row) => (batch.units === 1 ? { value: batch.values[row]! } : { values: rowOf(batch, row) }),
};

export const outputKinds = {
  binary: {
    runnable: true,
    outputs: () => [{ output: 'probability', type: 'float32' }],
    columns: (batch) => [batch.values.slice(0, batch.rows)],
    row: (batch, row) => ({ probability: batch.values[row]! }),
  },
  multiclass: {
    runnable: true,
    outputs: () => [{ output: 'class', type: 'utf8' }, { output: 'score', type: 'float32' }],
    columns: (batch) => {
      const best = Array.from({ length: batch.rows }, (_, i) => argmax(batch, i));
      return [best.map((j) => batch.classes[j]!), Float32Array.from(best, (j, i) => batch.values[i * batch.units + j]!)];
    },
    row: (batch, row) => {
      const best = argmax(batch, row);
      return { class: batch.classes[best]!, score: batch.values[row * batch.units + best]!, probabilities: rowOf(batch, row) };
    },
  },
  multilabel: {
    runnable: true,
    outputs: perUnit('probability'),
    columns: (batch) => Array.from({ length: batch.units }, (_, j) => unit(batch, j)),
    row: (batch, row) => ({ probabilities: rowOf(batch, row) }),
  },
  regression: values,
  objective: { ...values, row: (batch, row) => ({ values: rowOf(batch, row) }) },
  tagging: notRunnable,
  span: {
    runnable: true,
    outputs: () => [{ output: 'start', type: 'float32' }, { output: 'end', type: 'float32' }],
    columns: (batch) => [unit(batch, 0), unit(batch, 1)],
    row: (batch, row) => ({ start: batch.values[2 * row]!, end: batch.values[2 * row + 1]! }),
  },
  // Per-pixel class probabilities have no column form yet (outputKind says so).
  dense: notRunnable,
} satisfies Record<HeadKind, OutputKind | NotRunnable>;

/**
 * The outputs of a head kind. assertModelRunnable refuses a head the runtime does not run before a model is built; a
 * dense head trains and is scored, but its per-pixel predictions have no output columns yet.
 */
export function outputKind(kind: HeadKind): OutputKind {
  const entry: OutputKind | NotRunnable = outputKinds[kind];
  if (!entry.runnable) {
    throw new UserError(`a ${kind} head's predictions cannot be written or served in this version (mtl predict, mtl export, mtl eval --predictions); mtl eval scores it`);
  }
  return entry;
}

/** A task's output columns, `<task>.<output>`. */
export function outputColumns(task: string, kind: HeadKind, units: number, classes: readonly string[]): OutputColumn[] {
  return outputKind(kind).outputs(units, classes).map(({ output, type }) => ({ name: `${task}.${output}`, type }));
}
