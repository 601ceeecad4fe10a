/**
 * Encoded rows are kept in a compact, fixed layout (a float area and an int area per row) while they
 * wait in the shuffle buffer; a one-hot feature takes one int there (its id), not its full width,
 * and is expanded only when the batch is assembled.
 */
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
  ) {
    this.floats = new Float32Array(capacity * layout.floats);
    this.ints = new Int32Array(capacity * layout.ints);
  }
}

/** Encodes one row of the current record batch into a slot's areas (given by their base offsets). */
export interface RowEncoder {
  /** Prepares the views of a new record batch. */
  bind(chunk: DatasetChunk): void;
  encode(row: number, floats: Float32Array, floatBase: number, ints: Int32Array, intBase: number): void;
}
