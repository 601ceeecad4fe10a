/**
 * `mtl data import`: CSV (optionally gzip-compressed) to an Arrow IPC file, streamed.
 *
 * Two passes over the input, neither holding the file in memory: the first checks every value
 * against its declared type, infers the types not declared (int, then float, then string), and
 * collects each string column's distinct values; the second writes record batches of `batchRows`
 * rows. String columns are dictionary-encoded with the narrowest index type that fits (Int8 up to
 * 128 values), which keeps files small; a column with more than 65,536 distinct values is plain Utf8.
 * The file is written under a temporary name and renamed when complete, so a failed import leaves
 * nothing that looks finished.
 */
import * as fs from 'node:fs';
import * as fsp from 'node:fs/promises';
import * as path from 'node:path';
import { pipeline, type Readable } from 'node:stream';
import * as zlib from 'node:zlib';
import { parse } from 'csv-parse';
import {
  Dictionary,
  Field,
  Float64,
  Int16,
  Int32,
  Int8,
  Schema,
  Utf8,
  Bool,
  type Data,
  type DataType,
  type Vector,
} from 'apache-arrow';
import { UserError, isUserError } from '../errors.js';
import { allValid, boolColumn, dictionaryColumn, dictionaryValues, numericColumn, recordBatch, setNull, utf8Column } from './arrow-build.js';
import { ArrowFileSink } from './arrow-sink.js';
import type { CsvColumnSpec } from './column-spec.js';
import { TypeGuess, parseBoolText, parseFloatText, parseIntText, type CsvColumnType } from './csv-values.js';
import { displayPath } from './display-path.js';

export { parseColumnSpec, type CsvColumnSpec } from './column-spec.js';
export type { CsvColumnType } from './csv-values.js';

export interface ImportCsvOptions {
  /** A .csv file, gzip-compressed or not (detected from its first bytes). */
  input: string;
  /** The Arrow IPC file to write. */
  output: string;
  /**
   * With a header: types (and optionally names to match) for some columns, e.g. from `parseColumnSpec`.
   * Without a header: one entry per column, in order, giving its name and/or type.
   * Columns without a type get an inferred one.
   */
  columns?: CsvColumnSpec[];
  /** Whether the first line names the columns (default true). */
  header?: boolean;
  /** Field separator (default ","; may be several characters). */
  delimiter?: string;
  /** Texts that mean "no value" (default [""]); given, they replace the default. */
  nullValues?: string[];
  /** Strip whitespace around fields (default false). */
  trim?: boolean;
  /** Rows per record batch (default 65,536). */
  batchRows?: number;
}

export interface ImportCsvResult {
  output: string;
  rows: number;
  columns: { name: string; type: CsvColumnType; encoding: 'dictionary' | 'plain' }[];
  bytes: number;
}

const DICTIONARY_CAP = 65536;
const DEFAULT_BATCH_ROWS = 65536;

export interface CsvRecord {
  fields: string[];
  line: number;
}

function csvReadError(display: string, e: unknown): UserError {
  if (isUserError(e)) return e;
  const err = e as NodeJS.ErrnoException;
  if (err.code === 'ENOENT') return new UserError(`${display} does not exist`);
  if (err.code === 'EISDIR') return new UserError(`${display} is a directory, not a CSV file`);
  if (err.code === 'Z_DATA_ERROR' || err.code === 'Z_BUF_ERROR') return new UserError(`${display} is not a valid gzip file (${err.message})`);
  if (typeof err.code === 'string' && err.code.startsWith('CSV_')) return new UserError(`${display}: ${err.message}`);
  return new UserError(`${display} cannot be read (${err.message})`);
}

async function isGzip(file: string): Promise<boolean> {
  const handle = await fsp.open(file, 'r');
  try {
    const head = new Uint8Array(2);
    const { bytesRead } = await handle.read(head, 0, 2, 0);
    return bytesRead === 2 && head[0] === 0x1f && head[1] === 0x8b;
  } finally {
    await handle.close();
  }
}

/**
 * The records of a CSV file, streamed, with the line each ends on when `lines` is set
 * (csv-parse's line tracking costs a fifth of its time, so only the checking pass asks for it).
 */
export async function* readCsvRecords(file: string, display: string, options: { delimiter: string; trim: boolean }, lines: boolean): AsyncGenerator<CsvRecord> {
  let gzip: boolean;
  try {
    gzip = await isGzip(file);
  } catch (e) {
    throw csvReadError(display, e);
  }
  const parser = parse({ delimiter: options.delimiter, trim: options.trim, bom: true, info: lines, skip_empty_lines: true });
  const stages: NodeJS.ReadWriteStream[] = gzip ? [zlib.createGunzip()] : [];
  const source: Readable = fs.createReadStream(file);
  pipeline([source, ...stages, parser], () => undefined); // errors reach us through the parser's iterator
  try {
    if (lines) {
      for await (const item of parser as AsyncIterable<{ record: string[]; info: { lines: number } }>) yield { fields: item.record, line: item.info.lines };
    } else {
      for await (const fields of parser as AsyncIterable<string[]>) yield { fields, line: 0 };
    }
  } catch (e) {
    throw csvReadError(display, e);
  } finally {
    parser.destroy();
  }
}

interface ColumnDecl {
  name: string;
  declared: CsvColumnType | undefined;
}

/** Names and declared types of the columns, from the header (if any) and the --columns spec. */
function declareColumns(header: string[] | null, fieldCount: number, spec: readonly CsvColumnSpec[] | undefined, display: string): ColumnDecl[] {
  if (header) {
    const names = header.map((n, i) => (n === '' ? `column_${i + 1}` : n));
    const duplicate = names.find((n, i) => names.indexOf(n) !== i);
    if (duplicate !== undefined) throw new UserError(`${display}: the header names column "${duplicate}" twice`);
    const columns: ColumnDecl[] = names.map((name) => ({ name, declared: undefined }));
    (spec ?? []).forEach((entry, position) => {
      const index = entry.name !== undefined ? names.indexOf(entry.name) : position;
      if (index < 0 || index >= columns.length) {
        const what = entry.name !== undefined ? `column "${entry.name}"` : `column ${position + 1}`;
        throw new UserError(`--columns names ${what}, but the header of ${display} has no such column (it has: ${names.join(', ')})`);
      }
      columns[index]!.declared = entry.type;
    });
    return columns;
  }
  if (spec && spec.length !== fieldCount) {
    throw new UserError(`--columns describes ${spec.length} columns, but the lines of ${display} have ${fieldCount} fields`);
  }
  return Array.from({ length: fieldCount }, (_, i) => ({ name: spec?.[i]?.name ?? `column_${i + 1}`, declared: spec?.[i]?.type }));
}

function valueError(display: string, line: number, column: string, type: CsvColumnType, text: string): UserError {
  return new UserError(`${display}, line ${line}: column "${column}" should hold ${type} values but has ${JSON.stringify(text)}`);
}

function isValidText(type: CsvColumnType, text: string): boolean {
  switch (type) {
    case 'float':
      return parseFloatText(text) !== undefined;
    case 'int':
      return parseIntText(text) !== undefined;
    case 'bool':
      return parseBoolText(text) !== undefined;
    case 'string':
      return true;
  }
}

interface ColumnProfile {
  name: string;
  type: CsvColumnType;
  /** Distinct texts of a string column in order of first appearance; null when there are too many. */
  dictionary: string[] | null;
}

interface Profile {
  columns: ColumnProfile[];
  rows: number;
}

/** Pass 1: checks declared types, infers the others, collects string columns' distinct values. */
async function profileCsv(records: AsyncIterable<CsvRecord>, options: Required<Pick<ImportCsvOptions, 'header' | 'nullValues'>> & { columns?: CsvColumnSpec[] }, display: string): Promise<Profile> {
  const nulls = new Set(options.nullValues);
  let columns: ColumnDecl[] | null = null;
  let guesses: TypeGuess[] = [];
  let distinct: (Map<string, number> | null)[] = [];
  let rows = 0;
  for await (const { fields, line } of records) {
    if (columns === null) {
      columns = declareColumns(options.header ? fields : null, fields.length, options.columns, display);
      guesses = columns.map(() => new TypeGuess());
      distinct = columns.map((c) => (c.declared === undefined || c.declared === 'string' ? new Map() : null));
      if (options.header) continue;
    }
    rows++;
    for (let c = 0; c < columns.length; c++) {
      const text = fields[c]!;
      if (nulls.has(text)) continue;
      const { declared, name } = columns[c]!;
      if (declared === undefined) guesses[c]!.observe(text);
      else if (!isValidText(declared, text)) throw valueError(display, line, name, declared, text);
      const seen = distinct[c];
      if (seen && !seen.has(text)) {
        if (seen.size >= DICTIONARY_CAP) distinct[c] = null;
        else seen.set(text, seen.size);
      }
    }
  }
  if (columns === null) {
    if (options.header || !options.columns) throw new UserError(`${display} is empty`);
    columns = declareColumns(null, options.columns.length, options.columns, display);
    guesses = columns.map(() => new TypeGuess());
    distinct = columns.map(() => new Map());
  }
  return {
    rows,
    columns: columns.map((c, i) => {
      const type = c.declared ?? guesses[i]!.type;
      const seen = distinct[i];
      return { name: c.name, type, dictionary: type === 'string' && seen ? [...seen.keys()] : null };
    }),
  };
}

// ---------------------------------------------------------------- pass 2: column builders

interface ColumnBuilder {
  readonly type: DataType;
  add(row: number, text: string | null, line: number): void;
  /** The column of rows added since the last call. */
  finish(rows: number): Data;
}

abstract class NullableBuilder {
  protected validity: Uint8Array | null = null;
  constructor(protected readonly capacity: number) {}
  protected markNull(row: number): void {
    this.validity ??= allValid(this.capacity);
    setNull(this.validity, row);
  }
  protected takeValidity(): Uint8Array | null {
    const v = this.validity;
    this.validity = null;
    return v;
  }
}

class NumberBuilder extends NullableBuilder implements ColumnBuilder {
  readonly type: Float64 | Int32;
  private values: Float64Array | Int32Array;

  constructor(
    capacity: number,
    private readonly kind: 'float' | 'int',
    private readonly name: string,
    private readonly display: string,
  ) {
    super(capacity);
    this.type = kind === 'float' ? new Float64() : new Int32();
    this.values = this.allocate();
  }

  private allocate(): Float64Array | Int32Array {
    return this.kind === 'float' ? new Float64Array(this.capacity) : new Int32Array(this.capacity);
  }

  add(row: number, text: string | null, line: number): void {
    if (text === null) {
      this.markNull(row);
      this.values[row] = 0;
      return;
    }
    const value = this.kind === 'float' ? parseFloatText(text) : parseIntText(text);
    if (value === undefined) throw valueError(this.display, line, this.name, this.kind, text);
    this.values[row] = value;
  }

  finish(rows: number): Data {
    const values = rows === this.capacity ? this.values : this.values.slice(0, rows);
    this.values = this.allocate();
    return numericColumn(this.type, values as never, this.takeValidity());
  }
}

class BoolBuilder extends NullableBuilder implements ColumnBuilder {
  readonly type = new Bool();
  private bytes: Uint8Array;

  constructor(
    capacity: number,
    private readonly name: string,
    private readonly display: string,
  ) {
    super(capacity);
    this.bytes = new Uint8Array(capacity);
  }

  add(row: number, text: string | null, line: number): void {
    if (text === null) {
      this.markNull(row);
      this.bytes[row] = 0;
      return;
    }
    const value = parseBoolText(text);
    if (value === undefined) throw valueError(this.display, line, this.name, 'bool', text);
    this.bytes[row] = value ? 1 : 0;
  }

  finish(rows: number): Data {
    const bytes = this.bytes.slice(0, rows);
    this.bytes = new Uint8Array(this.capacity);
    return boolColumn(bytes, this.takeValidity());
  }
}

class DictionaryBuilder extends NullableBuilder implements ColumnBuilder {
  readonly type: Dictionary<Utf8, Int8 | Int16 | Int32>;
  private readonly index = new Map<string, number>();
  private readonly values: Vector<Utf8>;
  private indices: Int8Array | Int16Array | Int32Array;

  constructor(capacity: number, dictionary: readonly string[], id: number) {
    super(capacity);
    const indexType = dictionary.length <= 128 ? new Int8() : dictionary.length <= 32768 ? new Int16() : new Int32();
    this.type = new Dictionary(new Utf8(), indexType, id);
    dictionary.forEach((text, i) => this.index.set(text, i));
    this.values = dictionaryValues(dictionary);
    this.indices = this.allocate();
  }

  private allocate(): Int8Array | Int16Array | Int32Array {
    const bits = this.type.indices.bitWidth;
    return bits === 8 ? new Int8Array(this.capacity) : bits === 16 ? new Int16Array(this.capacity) : new Int32Array(this.capacity);
  }

  add(row: number, text: string | null): void {
    if (text === null) {
      this.markNull(row);
      this.indices[row] = 0;
      return;
    }
    const code = this.index.get(text);
    if (code === undefined) throw new Error(`csv import: "${text}" was not seen in the first pass`);
    this.indices[row] = code;
  }

  finish(rows: number): Data {
    const indices = this.indices.slice(0, rows);
    this.indices = this.allocate();
    // Every batch shares one dictionary Vector, so the writer stores the dictionary once.
    return dictionaryColumn(this.type, indices as never, this.values, this.takeValidity());
  }
}

class StringBuilder implements ColumnBuilder {
  readonly type = new Utf8();
  private values: (string | null)[] = [];

  add(row: number, text: string | null): void {
    this.values[row] = text;
  }

  finish(rows: number): Data {
    const values = this.values.slice(0, rows);
    this.values = [];
    return utf8Column(values);
  }
}

function columnBuilder(column: ColumnProfile, id: number, capacity: number, display: string): ColumnBuilder {
  switch (column.type) {
    case 'float':
    case 'int':
      return new NumberBuilder(capacity, column.type, column.name, display);
    case 'bool':
      return new BoolBuilder(capacity, column.name, display);
    case 'string':
      return column.dictionary ? new DictionaryBuilder(capacity, column.dictionary, id) : new StringBuilder();
  }
}

/** Converts a CSV file to an Arrow IPC file (see the module comment). */
export async function importCsv(options: ImportCsvOptions): Promise<ImportCsvResult> {
  const input = path.resolve(options.input);
  const output = path.resolve(options.output);
  const display = displayPath(input);
  const header = options.header ?? true;
  const nullValues = options.nullValues ?? [''];
  const parsing = { delimiter: options.delimiter ?? ',', trim: options.trim ?? false };
  const batchRows = Math.max(1, Math.floor(options.batchRows ?? DEFAULT_BATCH_ROWS));
  if (parsing.delimiter === '') throw new UserError('the CSV delimiter cannot be empty');

  const profile = await profileCsv(readCsvRecords(input, display, parsing, true), { header, nullValues, columns: options.columns }, display);
  const builders = profile.columns.map((column, id) => columnBuilder(column, id, batchRows, display));
  const schema = new Schema(profile.columns.map((column, i) => new Field(column.name, builders[i]!.type, true)));
  const nulls = new Set(nullValues);

  const temporary = path.join(path.dirname(output), `.${path.basename(output)}.${process.pid}.tmp`);
  let sink: ArrowFileSink;
  try {
    await fsp.mkdir(path.dirname(output), { recursive: true });
    sink = await ArrowFileSink.create(temporary, 'file');
  } catch (e) {
    throw new UserError(`${displayPath(output)} cannot be written (${(e as Error).message})`);
  }
  let bytes: number;
  try {
    let row = 0;
    let first = header;
    const flush = async () => {
      await sink.write(recordBatch(schema, builders.map((b) => b.finish(row))));
      row = 0;
    };
    // Pass 1 has checked every value, so this pass needs no line numbers.
    for await (const { fields, line } of readCsvRecords(input, display, parsing, false)) {
      if (first) {
        first = false;
        continue;
      }
      for (let c = 0; c < builders.length; c++) {
        const text = fields[c]!;
        builders[c]!.add(row, nulls.has(text) ? null : text, line);
      }
      if (++row === batchRows) await flush();
    }
    if (row > 0 || profile.rows === 0) await flush();
    bytes = await sink.close();
  } catch (e) {
    await sink.abort();
    await fsp.rm(temporary, { force: true });
    throw e;
  }
  await fsp.rename(temporary, output);
  return {
    output,
    rows: profile.rows,
    columns: profile.columns.map((c) => ({ name: c.name, type: c.type, encoding: c.dictionary ? 'dictionary' : 'plain' })),
    bytes,
  };
}
