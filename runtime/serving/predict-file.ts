/**
 * Batch prediction (`mtl predict`): an Arrow or CSV file streamed in batches of `batchSize` rows (never the whole file
 * in memory), each batch checked, encoded by the run's encoders and run once through the backbone for all requested
 * tasks, and its outputs appended to an Arrow file with the kept columns.
 *
 * A bad row (a value of the wrong type, a number a feature cannot take) stops the prediction with an error naming it
 * and its column, and no output is left behind; with `skipBad` it is written, with its reason and values, to a side
 * file `<OUT>.rejected.jsonl` instead, and counted. A missing column is the file's problem, not a row's: an error.
 */
import { createWriteStream } from 'node:fs';
import { rename, rm } from 'node:fs/promises';
import { basename, resolve } from 'node:path';
import { DataType, makeVector, type Data, type Field, type Schema } from 'apache-arrow';
import type { ColumnType } from '../../job/job.js';
import { openArrowFile } from '../data/arrow-file.js';
import { cellReader } from '../data/columns.js';
import { readCsvRecords } from '../data/csv-import.js';
import { displayPath } from '../data/display-path.js';
import { schemaProblems } from '../data/schema-check.js';
import { UserError } from '../errors.js';
import type { EncodedRows, LoadedModel } from './load.js';
import { keptColumn, PredictionFile, type KeptType } from './prediction-file.js';
import { columnsOf, csvCell, describeProblem, type RowChunk, type RowProblem } from './rows.js';

export interface PredictFileOptions {
  /** An Arrow IPC file, or a CSV file (`.csv`, `.csv.gz`, with a header). */
  input: string;
  /** The Arrow file to write. */
  output: string;
  /** Default: every task. */
  tasks?: readonly string[];
  /** Input columns copied to the output, before the predictions (ids). */
  keep?: readonly string[];
  /** Write bad rows to `<output>.rejected.jsonl` and go on, instead of stopping at the first. */
  skipBad?: boolean;
  /** Rows per batch (default: the job's batch size). */
  batchSize?: number;
  /** Told the rows read so far, after each batch. */
  onProgress?: (rows: number) => void;
}

export interface PredictFileResult {
  rows: number;
  written: number;
  rejected: number;
  /** The side file of rejected rows; null when none was rejected. */
  rejectedFile: string | null;
}

type Cell = number | string | boolean | null;

/** A batch of input rows: the model's columns as Arrow data, problems found while reading, and what else a row has. */
interface SourceChunk extends RowChunk {
  readonly problems: (RowProblem | null)[];
  /** The values of a kept column for `rows`. */
  kept(name: string, rows: readonly number[]): Cell[];
  /** A row's values of the columns read, for the side file of rejected rows (a list column's as an array). */
  values(row: number): Record<string, Cell | Cell[]>;
}

interface Source {
  readonly keptTypes: readonly { name: string; type: KeptType }[];
  chunks(): AsyncGenerator<SourceChunk>;
}

const isCsv = (file: string) => /\.csv(\.gz)?$/i.test(file);

/** `<output without .arrow>.rejected.jsonl` */
export function rejectedFileOf(output: string): string {
  return `${output.replace(/\.arrow$/i, '')}.rejected.jsonl`;
}

export async function predictFile(model: LoadedModel, options: PredictFileOptions): Promise<PredictFileResult> {
  const tasks = options.tasks ?? model.tasks.map((t) => t.name);
  const groups = model.groupsOf(tasks);
  const columns = [...new Map(groups.flatMap((g) => g.columns).map((c) => [c.name, c])).values()];
  const keep = options.keep ?? [];
  const batchSize = options.batchSize ?? model.manifest.batchSize;
  if (!(Number.isInteger(batchSize) && batchSize >= 1)) throw new UserError(`the batch size is a whole number of at least 1, not ${batchSize}`);
  if (resolve(options.input) === resolve(options.output)) throw new UserError(`the output ${options.output} is the input: write the predictions to another file`);
  const source = isCsv(options.input) ? await csvSource(options.input, columns, keep, batchSize) : await arrowSource(options.input, columns, keep, batchSize);
  const served = model.tasks.filter((t) => tasks.includes(t.name));
  const out = await PredictionFile.create(options.output, source.keptTypes, served);
  const rejectedPath = rejectedFileOf(options.output);
  const rejectedPartial = `${rejectedPath}.partial-${process.pid}`;
  const rejectedStream = options.skipBad ? createWriteStream(rejectedPartial) : null;
  const result: PredictFileResult = { rows: 0, written: 0, rejected: 0, rejectedFile: null };
  try {
    for await (const chunk of source.chunks()) {
      const problems = chunk.problems;
      for (const group of groups) group.checkValues(chunk, problems);
      const good: number[] = [];
      for (let row = 0; row < chunk.length; row++) {
        const problem = problems[row];
        if (!problem) good.push(row);
        else if (!rejectedStream) throw new UserError(`${describeProblem(chunk, problem)}\n(give --skip-bad to write bad rows to ${basename(rejectedPath)} and go on)`);
        else {
          result.rejected++;
          rejectedStream.write(`${JSON.stringify({ where: chunk.where(row), column: problem.column, reason: problem.message, values: chunk.values(row) })}\n`);
        }
      }
      result.rows += chunk.length;
      if (good.length > 0) {
        const encoded: EncodedRows = { rows: good.length, tasks, inputs: Object.fromEntries(groups.map((g) => [g.input.id, g.encode(chunk, good)])) };
        const kept = source.keptTypes.map(({ name, type }) => keptColumn(type, chunk.kept(name, good)));
        await out.write(kept, model.predictions(encoded, tasks));
        result.written += good.length;
      }
      options.onProgress?.(result.rows);
    }
    await out.close();
    await rm(rejectedPath, { force: true });
    if (rejectedStream) {
      await new Promise<void>((done, fail) => rejectedStream.end((e?: Error | null) => (e ? fail(e) : done())));
      if (result.rejected > 0) {
        await rename(rejectedPartial, rejectedPath);
        result.rejectedFile = rejectedPath;
      } else await rm(rejectedPartial, { force: true });
    }
    return result;
  } catch (error) {
    await out.abort();
    if (rejectedStream) {
      rejectedStream.destroy();
      await rm(rejectedPartial, { force: true });
    }
    throw error;
  }
}

// ---------------------------------------------------------------- Arrow input

/** How a kept column of this Arrow type is written, or null for a type that is not a number, a string or a boolean. */
function keptTypeOf(type: DataType): KeptType | null {
  if (DataType.isInt(type) || DataType.isFloat(type)) return 'number';
  if (DataType.isUtf8(type) || (DataType.isDictionary(type) && DataType.isUtf8(type.dictionary))) return 'string';
  if (DataType.isBool(type)) return 'bool';
  return null;
}

function keptFields(schema: Schema, keep: readonly string[], display: string): { name: string; type: KeptType }[] {
  return keep.map((name) => {
    const field: Field | undefined = schema.fields.find((f) => f.name === name);
    if (!field) throw new UserError(`--keep: ${display} has no column "${name}"`);
    const type = keptTypeOf(field.type);
    if (type === null) throw new UserError(`--keep: column "${name}" of ${display} is ${String(field.type)}; only numbers, strings and booleans can be kept`);
    return { name, type };
  });
}

async function arrowSource(file: string, columns: readonly { name: string; type: ColumnType }[], keep: readonly string[], batchSize: number): Promise<Source> {
  const display = displayPath(resolve(file));
  // Read as the loader reads: a record batch whose metadata is garbage is refused (apache-arrow's own file reader spins
  // on it forever), and batches reuse two buffers. What a chunk gives (encoded rows, kept cells, rejected rows' values)
  // is copied before the next chunk is asked for, which is all the reused buffers need.
  const reader = await openArrowFile(resolve(file), display, { readAhead: true, reuseBuffers: true });
  const problems = schemaProblems(reader.schema, columns as { name: string; type: ColumnType }[], display);
  if (problems.length > 0) {
    await reader.close();
    throw new UserError(`${problems.join('\n')}\n(the model reads ${columns.map((c) => `${c.name}: ${c.type}`).join(', ')})`);
  }
  let keptTypes: { name: string; type: KeptType }[];
  try {
    keptTypes = keptFields(reader.schema, keep, display);
  } catch (e) {
    await reader.close();
    throw e;
  }
  const index = new Map(reader.schema.fields.map((f, i) => [f.name, i]));
  const read = [...new Set([...columns.map((c) => c.name), ...keep])];
  async function* chunks(): AsyncGenerator<SourceChunk> {
    let fileRow = 0;
    for await (const batch of reader.batches()) {
      for (let start = 0; start < batch.numRows; start += batchSize) {
        const slice = batch.slice(start, Math.min(batch.numRows, start + batchSize));
        const first = fileRow + start;
        const data = (name: string): Data => slice.data.children[index.get(name)!]!;
        // Only for kept columns (never lists) and rejected rows, so made when first asked.
        const readers = new Map<string, (row: number) => Cell | Cell[]>();
        const reader = (name: string) => readers.get(name) ?? readers.set(name, valueReader(data(name))).get(name)!;
        yield {
          length: slice.numRows,
          column: data,
          where: (row) => `row ${first + row} of ${display}`,
          problems: new Array(slice.numRows).fill(null),
          kept: (name, rows) => rows.map((row) => reader(name)(row) as Cell),
          values: (row) => Object.fromEntries(read.map((name) => [name, reader(name)(row)])),
        };
      }
      fileRow += batch.numRows;
    }
  }
  return { keptTypes, chunks };
}

/** A cell's value as a rejected row shows it: a list column's (tokens, pixels) as an array. */
function valueReader(data: Data): (row: number) => Cell | Cell[] {
  if (!DataType.isList(data.type)) return cellReader(data);
  const lists = makeVector(data);
  return (row) => {
    const list = lists.get(row) as Iterable<Cell> | null;
    return list === null ? null : Array.from(list);
  };
}

// ---------------------------------------------------------------- CSV input

async function csvSource(file: string, columns: readonly { name: string; type: ColumnType }[], keep: readonly string[], batchSize: number): Promise<Source> {
  const display = displayPath(resolve(file));
  const records = readCsvRecords(resolve(file), display, { delimiter: ',', trim: false }, true);
  const first = await records.next();
  if (first.done) throw new UserError(`${display} is empty: it needs a header naming its columns`);
  const header = first.value.fields;
  const index = new Map(header.map((name, i) => [name, i]));
  const missing = columns.filter((c) => !index.has(c.name));
  if (missing.length > 0) {
    await records.return(undefined);
    throw new UserError(`${display} has no column ${missing.map((c) => `"${c.name}"`).join(', ')} (its header names: ${header.join(', ')}; the model reads ${columns.map((c) => c.name).join(', ')})`);
  }
  const absentKept = keep.filter((name) => !index.has(name));
  if (absentKept.length > 0) {
    await records.return(undefined);
    throw new UserError(`--keep: ${display} has no column ${absentKept.map((n) => `"${n}"`).join(', ')}`);
  }
  const typed = new Map(columns.map((c) => [c.name, c.type]));
  // A kept column the model reads keeps its type; any other is kept as its text.
  const keptTypes = keep.map((name) => ({ name, type: keptCsvType(typed.get(name)) }));
  const read = [...new Set([...columns.map((c) => c.name), ...keep])];
  const text = (fields: readonly string[], name: string): string | null => {
    const value = fields[index.get(name)!];
    return value === undefined || value === '' ? null : value;
  };
  async function* chunks(): AsyncGenerator<SourceChunk> {
    let pending: { fields: string[]; line: number }[] = [];
    const chunkOf = (records: { fields: string[]; line: number }[]): SourceChunk => {
      const { columns: data, problems } = columnsOf(columns, records.length, (row, column) => csvCell[column.type](text(records[row]!.fields, column.name)));
      const cell = (row: number, name: string): Cell => {
        const value = text(records[row]!.fields, name);
        const type = typed.get(name);
        if (value === null || type === undefined) return value;
        const parsed = csvCell[type](value);
        return 'value' in parsed ? (parsed.value as Cell) : value;
      };
      return {
        length: records.length,
        column: (name) => data.get(name)!,
        where: (row) => `line ${records[row]!.line} of ${display}`,
        problems,
        kept: (name, rows) => rows.map((row) => cell(row, name)),
        values: (row) => Object.fromEntries(read.map((name) => [name, text(records[row]!.fields, name)])),
      };
    };
    for await (const record of records) {
      pending.push(record);
      if (pending.length === batchSize) {
        yield chunkOf(pending);
        pending = [];
      }
    }
    if (pending.length > 0) yield chunkOf(pending);
  }
  return { keptTypes, chunks };
}

function keptCsvType(type: ColumnType | undefined): KeptType {
  return type === 'float' || type === 'int' ? 'number' : type === 'bool' ? 'bool' : 'string';
}
