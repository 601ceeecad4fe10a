/** Building Arrow columns straight from typed arrays (for the CSV importer, converters, tests and benchmarks). */
import {
  Bool,
  Dictionary,
  Field,
  FixedSizeList,
  List,
  RecordBatch,
  Schema,
  Struct,
  Utf8,
  makeData,
  vectorFromArray,
  type Data,
  type DataType,
  type Float,
  type Int,
  type Vector,
} from 'apache-arrow';

/** A validity bitmap (bit set = value present) with room for `length` rows, all present. */
export function allValid(length: number): Uint8Array {
  return new Uint8Array((length + 7) >> 3).fill(0xff);
}

export function setNull(bitmap: Uint8Array, row: number): void {
  bitmap[row >> 3]! &= ~(1 << (row & 7));
}

function countNulls(bitmap: Uint8Array | null, length: number): number {
  if (!bitmap) return 0;
  let nulls = 0;
  for (let i = 0; i < length; i++) if (((bitmap[i >> 3]! >> (i & 7)) & 1) === 0) nulls++;
  return nulls;
}

/** A fixed-width numeric column (Int or Float type) over `values`; `validity` null means no nulls. */
export function numericColumn<T extends Int | Float>(type: T, values: T['TArray'], validity: Uint8Array | null = null): Data<T> {
  const nullCount = countNulls(validity, values.length);
  return makeData({ type, length: values.length, nullCount, nullBitmap: nullCount > 0 ? validity : null, data: values } as never) as unknown as Data<T>;
}

/** A plain Utf8 column. */
export function utf8Column(values: readonly (string | null)[]): Data<Utf8> {
  return vectorFromArray(values as (string | null)[], new Utf8()).data[0]!;
}

/** Dictionary values, to be shared (as the same object) by every batch that uses them. */
export function dictionaryValues(values: readonly string[]): Vector<Utf8> {
  return vectorFromArray(values as string[], new Utf8());
}

/** A dictionary-encoded column: `indices` point into `dictionary`. */
export function dictionaryColumn<T extends Dictionary>(
  type: T,
  indices: T['indices']['TArray'],
  dictionary: Vector<T['dictionary']>,
  validity: Uint8Array | null = null,
): Data<T> {
  const nullCount = countNulls(validity, indices.length);
  return makeData({
    type,
    length: indices.length,
    nullCount,
    nullBitmap: nullCount > 0 ? validity : null,
    data: indices,
    dictionary,
  } as never) as unknown as Data<T>;
}

/** A list column: row i holds child[offsets[i] .. offsets[i+1]). */
export function listColumn<T extends DataType>(child: Data<T>, offsets: Int32Array, validity: Uint8Array | null = null): Data<List<T>> {
  const length = offsets.length - 1;
  const nullCount = countNulls(validity, length);
  const type = new List(new Field('item', child.type, true));
  return makeData({ type, length, nullCount, nullBitmap: nullCount > 0 ? validity : null, valueOffsets: offsets, child });
}

/** A fixed-size list column: row i holds child[i·size .. (i+1)·size) (images, as one flat list of pixels per row). */
export function fixedSizeListColumn<T extends DataType>(child: Data<T>, size: number): Data<FixedSizeList<T>> {
  if (child.length % size !== 0) throw new Error(`fixedSizeListColumn: ${child.length} items do not make rows of ${size}`);
  const type = new FixedSizeList(size, new Field('item', child.type, false));
  return makeData({ type, length: child.length / size, nullCount: 0, child });
}

/** A record batch of `columns` (all of one length) under `schema`. */
export function recordBatch(schema: Schema, columns: Data[]): RecordBatch {
  const length = columns.length > 0 ? columns[0]!.length : 0;
  const struct = makeData({ type: new Struct(schema.fields), length, nullCount: 0, children: columns });
  return new RecordBatch(schema, struct);
}

/** A schema whose fields take their types from `columns`. */
export function schemaOf(names: readonly string[], columns: readonly Data[]): Schema {
  return new Schema(names.map((name, i) => new Field(name, columns[i]!.type, true)));
}

/** A Bool column from one byte per row (0 or 1), packed into Arrow's bitmap. */
export function boolColumn(bytes: Uint8Array, validity: Uint8Array | null = null): Data<Bool> {
  const length = bytes.length;
  const packed = new Uint8Array((length + 7) >> 3);
  for (let i = 0; i < length; i++) if (bytes[i]) packed[i >> 3]! |= 1 << (i & 7);
  const nullCount = countNulls(validity, length);
  return makeData({ type: new Bool(), length, nullCount, nullBitmap: nullCount > 0 ? validity : null, data: packed });
}
