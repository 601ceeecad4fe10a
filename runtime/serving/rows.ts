/**
 * Rows to serve, checked against the input schema and encoded exactly as training encoded them: whatever they come
 * from (objects, CSV records, Arrow record batches), they become Arrow columns, and the run's own feature encoders
 * (data/feature-encoders.ts) encode them, so a row served and the same row evaluated give the model the same numbers.
 *
 * A bad row is found before encoding, with the column and what was wrong: a missing column, a value of the wrong
 * type, or a number a numeric feature cannot take (null, NaN, infinite; a list of the wrong length). An unseen or
 * null category is not an error: it one-hot encodes to zeros, as it did in training.
 */
import { Float64, type Data, type DataType } from 'apache-arrow';
import type { ColumnType, FeaturePlan, InputPlan } from '../../job/job.js';
import type { TensorData } from '../data/api.js';
import { allValid, boolColumn, listColumn, numericColumn, setNull, utf8Column } from '../data/arrow-build.js';
import { BatchAssembler } from '../data/batch-assembler.js';
import { isPresent, listView, numericView } from '../data/columns.js';
import { parseBoolText, parseFloatText, parseIntText } from '../data/csv-values.js';
import { createInputEncoding, type InputEncoding } from '../data/dataset-encoding.js';
import type { DatasetChunk } from '../data/dataset-reader.js';
import type { LookupCache } from '../data/feature-encoders.js';
import { featureKind, numericFeatureLength } from '../data/feature-kinds.js';
import { describeValue } from '../data/row-errors.js';
import { RowStore } from '../data/row-layout.js';
import type { FittedFeatures } from '../data/api.js';
import type { InferenceJob } from './package-format.js';

/** What is wrong with one row: the first problem found in it. */
export interface RowProblem {
  readonly row: number;
  readonly column: string;
  /** "expected a number, found "abc"" */
  readonly message: string;
}

/** A batch of rows as Arrow columns (those the model reads, by name), with how messages name each row. */
export interface RowChunk {
  readonly length: number;
  column(name: string): Data;
  /** "row 3", "line 5 of rows.csv", "row 7 of rows.arrow" (0-based rows, as the loader's messages). */
  where(row: number): string;
}

export function describeProblem(chunk: Pick<RowChunk, 'where'>, problem: RowProblem): string {
  return `${chunk.where(problem.row)}: column \`${problem.column}\`: ${problem.message}`;
}

// ---------------------------------------------------------------- values to Arrow columns

/** A cell as its column's type wants it, or what is wrong with it. */
type Cell = { value: unknown } | { problem: string };

const found = (value: unknown): string => (value === undefined ? 'nothing' : Array.isArray(value) ? `a list of ${value.length}` : describeValue(value));

/** Checks of values given as JavaScript values (a JSON request's rows). */
export const jsonCell: Readonly<Record<ColumnType, (value: unknown) => Cell>> = {
  float: (v) => (v === null || typeof v === 'number' ? { value: v } : { problem: `expected a number, found ${found(v)}` }),
  int: (v) => (v === null || (typeof v === 'number' && Number.isInteger(v)) ? { value: v } : { problem: `expected a whole number, found ${found(v)}` }),
  string: (v) => (v === null || typeof v === 'string' ? { value: v } : { problem: `expected a string, found ${found(v)}` }),
  bool: (v) => (v === null || typeof v === 'boolean' ? { value: v } : { problem: `expected true or false, found ${found(v)}` }),
  'list<float>': (v) => (v === null || (Array.isArray(v) && v.every((x) => typeof x === 'number')) ? { value: v } : { problem: `expected a list of numbers, found ${found(v)}` }),
  'list<int>': (v) => (v === null || (Array.isArray(v) && v.every((x) => Number.isInteger(x))) ? { value: v } : { problem: `expected a list of whole numbers, found ${found(v)}` }),
  'list<string>': (v) => (v === null || (Array.isArray(v) && v.every((x) => x === null || typeof x === 'string')) ? { value: v } : { problem: `expected a list of strings, found ${found(v)}` }),
  'list<bool>': () => ({ problem: 'list<bool> columns cannot be served yet' }),
};

/** Checks of CSV texts (`null` for a text that means no value), read as `mtl data import` reads them. */
export const csvCell: Readonly<Record<ColumnType, (text: string | null) => Cell>> = {
  float: (t) => parsed(t, parseFloatText, 'a number'),
  int: (t) => parsed(t, parseIntText, 'a whole number'),
  string: (t) => ({ value: t }),
  bool: (t) => parsed(t, parseBoolText, 'true or false'),
  'list<float>': () => ({ problem: 'list columns cannot be read from CSV' }),
  'list<int>': () => ({ problem: 'list columns cannot be read from CSV' }),
  'list<string>': () => ({ problem: 'list columns cannot be read from CSV' }),
  'list<bool>': () => ({ problem: 'list columns cannot be read from CSV' }),
};

function parsed(text: string | null, parse: (t: string) => number | boolean | undefined, what: string): Cell {
  if (text === null) return { value: null };
  const value = parse(text);
  return value === undefined ? { problem: `expected ${what}, found ${describeValue(text)}` } : { value };
}

/** The Arrow column of `values` (already checked against `type`; null = no value). */
function arrowColumn(type: ColumnType, values: readonly unknown[]): Data {
  const n = values.length;
  const validity = allValid(n);
  values.forEach((v, i) => v === null && setNull(validity, i));
  switch (type) {
    case 'float':
    case 'int':
      return numericColumn(new Float64(), Float64Array.from(values, (v) => (v === null ? 0 : (v as number))), validity);
    case 'bool':
      return boolColumn(Uint8Array.from(values, (v) => (v === true ? 1 : 0)), validity);
    case 'string':
      return utf8Column(values as (string | null)[]);
    case 'list<float>':
    case 'list<int>':
    case 'list<string>':
    case 'list<bool>': {
      const offsets = new Int32Array(n + 1);
      values.forEach((v, i) => (offsets[i + 1] = offsets[i]! + ((v as unknown[] | null)?.length ?? 0)));
      const items = values.flatMap((v) => (v as unknown[] | null) ?? []);
      // Tokens (a list of strings) as text; the lists of numbers as float64.
      const child = type === 'list<string>' ? utf8Column(items as (string | null)[]) : numericColumn(new Float64(), Float64Array.from(items as number[]));
      return listColumn<DataType>(child, offsets, validity);
    }
  }
}

/**
 * Arrow columns of `columns` for `length` rows whose cells `cellAt` checks, and each row's first problem (a missing
 * column is the cell's problem: `cellAt` says so). A row with a problem gets a null in every column.
 */
export function columnsOf(columns: readonly { name: string; type: ColumnType }[], length: number, cellAt: (row: number, column: { name: string; type: ColumnType }) => Cell): { columns: Map<string, Data>; problems: (RowProblem | null)[] } {
  const problems: (RowProblem | null)[] = new Array(length).fill(null);
  const values = columns.map(() => new Array<unknown>(length).fill(null));
  for (let row = 0; row < length; row++) {
    for (const [c, column] of columns.entries()) {
      const cell = cellAt(row, column);
      if ('problem' in cell) {
        problems[row] = { row, column: column.name, message: cell.problem };
        break;
      }
      values[c]![row] = cell.value;
    }
    if (problems[row]) for (const v of values) v[row] = null;
  }
  return { columns: new Map(columns.map((column, c) => [column.name, arrowColumn(column.type, values[c]!)])), problems };
}

// ---------------------------------------------------------------- one input's encoding

/** The tasks that read one model input, with how that input is encoded from a row. */
export class InputGroup {
  readonly input: InputPlan;
  readonly tasks: string[] = [];
  /** The columns this input's features read, with their types. */
  readonly columns: { name: string; type: ColumnType }[];
  private readonly encoding: InputEncoding;
  private readonly numeric: { feature: FeaturePlan; length: number | null }[];

  constructor(model: InferenceJob, fitted: FittedFeatures, input: InputPlan, lookups: LookupCache) {
    this.input = input;
    const dataset = model.datasets.find((d) => d.name === input.dataset)!;
    const features = input.features.map((id) => model.features.find((f) => f.id === id)!);
    this.columns = dataset.columns.filter((c) => features.some((f) => f.column === c.name));
    this.encoding = createInputEncoding(model, fitted, dataset, lookups, [input]);
    this.numeric = features
      .filter((f) => featureKind(f.transform) === 'numeric' || featureKind(f.transform) === 'image')
      .map((feature) => ({ feature, length: this.columns.find((c) => c.name === feature.column)!.type.startsWith('list<') ? numericFeatureLength(dataset, feature) : null }));
  }

  /** Marks rows (not yet marked) whose numbers a numeric feature cannot take. */
  checkValues(chunk: RowChunk, problems: (RowProblem | null)[]): void {
    for (const { feature, length } of this.numeric) {
      const data = chunk.column(feature.column);
      const list = length === null ? null : listView(data);
      const { values, validity } = numericView(list ? list.items : data);
      for (let row = 0; row < chunk.length; row++) {
        if (problems[row]) continue;
        const mark = (message: string) => (problems[row] = { row, column: feature.column, message });
        if (list === null) {
          if (!isPresent(validity, row)) mark(`expected a number, found null`);
          else if (!Number.isFinite(values[row]!)) mark(`expected a finite number, found ${values[row]}`);
          continue;
        }
        if (!isPresent(list.validity, row)) {
          mark(`expected a list of ${length} numbers, found null`);
          continue;
        }
        const from = list.offsets[row]!;
        const count = list.offsets[row + 1]! - from;
        if (count !== length) mark(`expected a list of ${length} numbers, found a list of ${count}`);
        else for (let j = from; j < from + count; j++) if (!isPresent(validity, j) || !Number.isFinite(values[j]!)) {
          mark(`expected a list of finite numbers, found ${isPresent(validity, j) ? values[j] : 'null'} at position ${j - from}`);
          break;
        }
      }
    }
  }

  /** The input tensor of `rows` (indices into the chunk, which has passed `checkValues`), encoded as training did. */
  encode(chunk: RowChunk, rows: readonly number[]): TensorData {
    const { layout, featureEncoders, tensors } = this.encoding;
    const asDataset: DatasetChunk = { dataset: this.input.dataset, file: 'the rows', fileRowStart: 0, rowStart: 0, length: chunk.length, split: new Uint8Array(chunk.length), column: (name) => chunk.column(name) };
    const store = new RowStore(Math.max(1, rows.length), layout);
    const assembler = new BatchAssembler(this.input.dataset, tensors, layout, Math.max(1, rows.length));
    const encoders = [...featureEncoders.values()];
    for (const encoder of encoders) encoder.bind(asDataset);
    rows.forEach((row, slot) => {
      for (const encoder of encoders) encoder.encode(row, store.floats, slot * layout.floats, store.ints, slot * layout.ints);
      assembler.append(store, slot);
    });
    return assembler.take().inputs[this.input.id]!;
  }
}
