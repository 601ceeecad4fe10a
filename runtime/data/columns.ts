/**
 * Views of one record batch's column as plain typed arrays, so the hot loops index arrays instead of
 * calling `Vector.get` per value. A view is built once per record batch and column.
 */
import { DataType, Precision, type Data, type Vector } from 'apache-arrow';

export type NumericArray =
  | Float64Array
  | Float32Array
  | Int8Array
  | Int16Array
  | Int32Array
  | Uint8Array
  | Uint16Array
  | Uint32Array;

/** Arrow's validity bitmap of a column: bit (offset + row) set = value present; `bits` null = no nulls. */
export interface Validity {
  bits: Uint8Array | null;
  offset: number;
}

export function validityOf(data: Data): Validity {
  const bits = data.nullCount > 0 && data.nullBitmap && data.nullBitmap.length > 0 ? data.nullBitmap : null;
  return { bits, offset: data.offset };
}

export function isPresent(validity: Validity, row: number): boolean {
  const bits = validity.bits;
  if (bits === null) return true;
  const k = validity.offset + row;
  return ((bits[k >> 3]! >> (k & 7)) & 1) === 1;
}

// ---------------------------------------------------------------- numbers

export interface NumericView {
  values: NumericArray;
  validity: Validity;
}

function halfToFloat(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exponent = (h >> 10) & 0x1f;
  const fraction = h & 0x3ff;
  if (exponent === 0) return sign * 2 ** -14 * (fraction / 1024);
  if (exponent === 31) return fraction ? NaN : sign * Infinity;
  return sign * 2 ** (exponent - 15) * (1 + fraction / 1024);
}

function bitsToBytes(bits: Uint8Array, offset: number, length: number): Uint8Array {
  const out = new Uint8Array(length);
  for (let i = 0; i < length; i++) {
    const k = offset + i;
    out[i] = (bits[k >> 3]! >> (k & 7)) & 1;
  }
  return out;
}

/** Numbers of an Int, Float or Bool column (booleans as 0/1); 64-bit integers become float64. */
export function numericView(data: Data): NumericView {
  const type = data.type;
  const validity = validityOf(data);
  if (DataType.isFloat(type)) {
    if (type.precision !== Precision.HALF) return { values: data.values as Float32Array | Float64Array, validity };
    const half = data.values as Uint16Array;
    const values = new Float32Array(data.length);
    for (let i = 0; i < values.length; i++) values[i] = halfToFloat(half[i]!);
    return { values, validity };
  }
  if (DataType.isInt(type)) {
    if (type.bitWidth !== 64) return { values: data.values as NumericArray, validity };
    const wide = data.values as BigInt64Array | BigUint64Array;
    const values = new Float64Array(data.length);
    for (let i = 0; i < values.length; i++) values[i] = Number(wide[i]!);
    return { values, validity };
  }
  if (DataType.isBool(type)) return { values: bitsToBytes(data.values as Uint8Array, data.offset, data.length), validity };
  throw new Error(`numericView: column of type ${String(type)} is not numeric`);
}

// ---------------------------------------------------------------- categories

/** Arrow's own dictionary indices when there is no null to mark (no copy), else an Int32Array with -1 for nulls. */
export type CategoryCodes = Int8Array | Int16Array | Int32Array | Uint8Array | Uint16Array | Uint32Array;

/** Each row's category as a code into `dictionary`; -1 where the row is null. */
export interface CategoricalView {
  codes: CategoryCodes;
  /** Stable for all batches that share an Arrow dictionary, so per-dictionary lookup tables can be cached on it. */
  dictionary: readonly string[];
}

const decodedChunks = new WeakMap<Data, (string | null)[]>();
const decodedDictionaries = new WeakMap<Vector, (string | null)[]>();

/** The strings of a Utf8 column, null where absent. */
export function decodeUtf8(data: Data): (string | null)[] {
  const offsets = data.valueOffsets as Int32Array;
  const bytes = data.values as Uint8Array;
  const buffer = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const validity = validityOf(data);
  const out = new Array<string | null>(data.length);
  for (let i = 0; i < data.length; i++) {
    out[i] = isPresent(validity, i) ? buffer.toString('utf8', offsets[i]!, offsets[i + 1]!) : null;
  }
  return out;
}

function decodeDictionary(dictionary: Vector): (string | null)[] {
  let strings = decodedDictionaries.get(dictionary);
  if (strings) return strings;
  strings = [];
  for (const chunk of dictionary.data) {
    let decoded = decodedChunks.get(chunk);
    if (!decoded) decodedChunks.set(chunk, (decoded = decodeUtf8(chunk)));
    for (const s of decoded) strings.push(s);
  }
  decodedDictionaries.set(dictionary, strings);
  return strings;
}

/** Interns values into codes: a batch-local dictionary for columns that carry none. */
function internValues(length: number, valueAt: (row: number) => string | null): CategoricalView {
  const codes = new Int32Array(length);
  const index = new Map<string, number>();
  const dictionary: string[] = [];
  for (let i = 0; i < length; i++) {
    const value = valueAt(i);
    if (value === null) {
      codes[i] = -1;
      continue;
    }
    let code = index.get(value);
    if (code === undefined) {
      code = dictionary.length;
      index.set(value, code);
      dictionary.push(value);
    }
    codes[i] = code;
  }
  return { codes, dictionary };
}

/** Categories of a string (Utf8 or dictionary) column; integers, floats and booleans are categorized by their text. */
export function categoricalView(data: Data): CategoricalView {
  const type = data.type;
  if (DataType.isDictionary(type)) {
    const strings = decodeDictionary(data.dictionary!);
    const validity = validityOf(data);
    const wide = (type.indices.bitWidth as number) === 64;
    if (!wide && validity.bits === null && !strings.includes(null)) {
      return { codes: data.values as CategoryCodes, dictionary: strings as string[] };
    }
    const indices = data.values as ArrayLike<number | bigint>;
    const codes = new Int32Array(data.length);
    for (let i = 0; i < data.length; i++) {
      const code = wide ? Number(indices[i]!) : (indices[i] as number);
      codes[i] = isPresent(validity, i) && strings[code] != null ? code : -1;
    }
    return { codes, dictionary: strings as string[] };
  }
  if (DataType.isUtf8(type)) {
    const strings = decodeUtf8(data);
    return internValues(data.length, (i) => strings[i]!);
  }
  if (DataType.isBool(type)) {
    const { values, validity } = numericView(data);
    return internValues(data.length, (i) => (isPresent(validity, i) ? (values[i] ? 'true' : 'false') : null));
  }
  const { values, validity } = numericView(data);
  return internValues(data.length, (i) => (isPresent(validity, i) ? String(values[i]) : null));
}

// ---------------------------------------------------------------- lists

/** Row i of a list column holds items offsets[i] .. offsets[i+1] of `items` (a column of its own). */
export interface ListView {
  offsets: Int32Array;
  validity: Validity;
  items: Data;
}

export function listView(data: Data): ListView {
  const type = data.type;
  const items = data.children[0]!;
  if (DataType.isFixedSizeList(type)) {
    // Arrow slices a fixed-size list's child along with it, so offsets start at 0.
    const offsets = new Int32Array(data.length + 1);
    for (let i = 0; i <= data.length; i++) offsets[i] = i * type.listSize;
    return { offsets, validity: validityOf(data), items };
  }
  if (DataType.isList(type)) return { offsets: data.valueOffsets as Int32Array, validity: validityOf(data), items };
  throw new Error(`listView: column of type ${String(type)} is not a list`);
}

// ---------------------------------------------------------------- single values

export type CellValue = number | string | boolean | null;

/** A reader of one row's value (for label expressions): numbers, strings, or booleans for Bool columns. */
export function cellReader(data: Data): (row: number) => CellValue {
  const type = data.type;
  if (DataType.isBool(type)) {
    const { values, validity } = numericView(data);
    return (row) => (isPresent(validity, row) ? values[row] === 1 : null);
  }
  if (DataType.isInt(type) || DataType.isFloat(type)) {
    const { values, validity } = numericView(data);
    return (row) => (isPresent(validity, row) ? values[row]! : null);
  }
  if (DataType.isUtf8(type) || DataType.isDictionary(type)) {
    const { codes, dictionary } = categoricalView(data);
    return (row) => {
      const code = codes[row]!;
      return code < 0 ? null : dictionary[code]!;
    };
  }
  throw new Error(`cellReader: column of type ${String(type)} has no scalar values`);
}
