/**
 * Encoded rows are kept in a compact, fixed layout (a float area and an int area per row) while they
 * wait in the shuffle buffer; a one-hot feature takes one int there (its id), not its full width,
 * and is expanded only when the batch is assembled.
 */
import { isUserError } from '../errors.js';
import type { DatasetChunk } from './dataset-reader.js';

export class RowLayout {
  floats = 0;
  ints = 0;

  /** Reserves `count` floats per row; returns their offset within the row's float area. */
  reserveFloats(count: number): number {
    const offset = this.floats;
    this.floats += count;
    return offset;
  }

  reserveInts(count: number): number {
    const offset = this.ints;
    this.ints += count;
    return offset;
  }
}

/** `capacity` encoded rows; slot s owns floats [s*layout.floats, (s+1)*layout.floats) and likewise ints. */
export class RowStore {
  readonly floats: Float32Array;
  readonly ints: Int32Array;

  constructor(
    readonly capacity: number,
    readonly layout: RowLayout,
    /** Given: the store is a view of another's (see `view`). */
    areas?: { floats: Float32Array; ints: Int32Array },
  ) {
    this.floats = areas?.floats ?? new Float32Array(capacity * layout.floats);
    this.ints = areas?.ints ?? new Int32Array(capacity * layout.ints);
  }

  /** Slots `from` … `from` + count − 1 as a store of their own, sharing this one's memory: its slot 0 is slot `from`. */
  view(from: number, count: number): RowStore {
    const { floats, ints } = this.layout;
    return new RowStore(count, this.layout, {
      floats: this.floats.subarray(from * floats, (from + count) * floats),
      ints: this.ints.subarray(from * ints, (from + count) * ints),
    });
  }

  /** Copies slot `from` of `source` (of the same layout) into slot `to`. */
  copySlot(source: RowStore, from: number, to: number): void {
    const { floats, ints } = this.layout;
    for (let j = 0, a = from * floats, b = to * floats; j < floats; j++) this.floats[b + j] = source.floats[a + j]!;
    for (let j = 0, a = from * ints, b = to * ints; j < ints; j++) this.ints[b + j] = source.ints[a + j]!;
  }
}

/** Encodes one row of the current record batch into a slot's areas (given by their base offsets). */
export interface RowEncoder {
  /** Prepares the views of a new record batch. */
  bind(chunk: DatasetChunk): void;
  encode(row: number, floats: Float32Array, floatBase: number, ints: Int32Array, intBase: number): void;
  /**
   * The same for many rows at once, in one loop over the column: rows[k] (k < count) of the current record batch into
   * slot k of `into`. Returns false, having thrown nothing, when a row would fail: `encode`, row by row, then throws
   * its error at the row where it always has. Encoders without it keep their dataset on the row-by-row path.
   */
  encodeRows?(rows: Int32Array, count: number, into: RowStore): boolean;
}

/** `encodeRows` for an encoder with no loop of its own: `encode` row by row, false at the first row it refuses. */
export function encodeEach(encoder: RowEncoder, rows: Int32Array, count: number, into: RowStore): boolean {
  const { floats, ints } = into.layout;
  try {
    for (let k = 0; k < count; k++) encoder.encode(rows[k]!, into.floats, k * floats, into.ints, k * ints);
  } catch (e) {
    if (isUserError(e)) return false;
    throw e;
  }
  return true;
}
