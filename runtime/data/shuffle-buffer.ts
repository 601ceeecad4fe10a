/**
 * The shuffle buffers of the loader (loader.ts): ShuffleBuffer holds the rows it buffers, RowNumberShuffle holds row
 * numbers of a store that has every row of the pass (the kept rows of a split). Both draw the same numbers from the
 * same Random at the same points, so for the same rows in the same order they give the same batches, row for row.
 *
 * ShuffleBuffer is the shuffle buffer of a pass that reads the files. Rows enter in file order; once the buffer is full,
 * each incoming row evicts a random buffered row into the batch (or, for token sequences, into the length buckets).
 * Without a Random, rows go to batches in file order.
 *
 * A plain class, not part of the loader's async generator: the per-row work runs in ordinary loops that V8 optimizes
 * well, and the batches they complete wait in `ready` until the generator yields them.
 */
import type { Random } from '../random.js';
import type { Batch } from './api.js';
import type { BatchAssembler } from './batch-assembler.js';
import type { LengthBuckets } from './length-buckets.js';
import { RowStore, type RowLayout } from './row-layout.js';

export class ShuffleBuffer {
  /** Where the buffered rows are encoded: place p of the buffer holds the row in slot place[p]. */
  readonly store: RowStore;
  private readonly place: Int32Array;
  /**
   * A row leaving for a batch stays in its slot until the batch is taken (the assembler reads it then), and the row
   * that replaces it takes one of a batch's spare slots: spares[i] is the slot of the batch's row i below
   * assembler.size, a free slot from there on. Length buckets copy a leaving row at once, so they need none.
   */
  private readonly spares: Int32Array | null;
  private filled = 0;
  /** Batches completed and not yet handed out (gathered when handed out, where their rows stay put until then). */
  private readonly ready: ReadyBatch[] = [];

  constructor(
    layout: RowLayout,
    private readonly assembler: BatchAssembler,
    private readonly random: Random | null,
    private readonly capacity: number,
    private readonly buckets: LengthBuckets | null,
  ) {
    this.spares = random !== null && buckets === null ? Int32Array.from({ length: assembler.capacity }, (_, i) => capacity + i) : null;
    this.store = new RowStore(capacity + (this.spares?.length ?? 0), layout);
    this.place = Int32Array.from({ length: capacity }, (_, p) => p);
  }

  /**
   * The slot the next incoming row is to be encoded into. A full buffer first sends a random row on its way; a full
   * unshuffled batch is taken first (its last row was encoded by now).
   */
  admit(): number {
    const { random, place, assembler } = this;
    if (random === null) {
      if (this.filled === this.capacity) {
        for (let p = 0; p < this.filled; p++) assembler.append(this.store, place[p]!);
        this.filled = 0;
        this.ready.push(assembler.take());
      }
      return place[this.filled++]!;
    }
    if (this.filled < this.capacity) return place[this.filled++]!;
    const p = random.int(this.capacity);
    const leaving = place[p]!;
    if (this.buckets) {
      for (const batch of this.buckets.append(this.store, leaving)) this.ready.push(batch);
      return leaving;
    }
    const spares = this.spares!;
    place[p] = spares[assembler.size]!;
    spares[assembler.size] = leaving;
    assembler.append(this.store, leaving);
    if (assembler.full) this.ready.push(assembler.take());
    return place[p]!;
  }

  /** Admits slots 0 … count − 1 of `staged` (rows encoded a block at a time), copying each into its slot. */
  admitStaged(staged: RowStore, count: number): void {
    for (let k = 0; k < count; k++) this.store.copySlot(staged, k, this.admit());
  }

  /**
   * Takes over from a RowNumberShuffle mid-pass (the kept rows outgrew their store): its buffered rows, `filled` row
   * numbers of `rows`, are copied into this buffer's places, the unfinished batch's rows into spare slots.
   */
  adopt(rows: RowStore, buffered: Int32Array, filled: number): void {
    const { assembler, place } = this;
    if (this.random === null) {
      // Unshuffled, the rows of the unfinished batch wait in the buffer's places, not in the assembler.
      const pending = assembler.release();
      pending.forEach((row, p) => this.store.copySlot(rows, row, place[p]!));
      this.filled = pending.length;
      return;
    }
    for (let p = 0; p < filled; p++) this.store.copySlot(rows, buffered[p]!, place[p]!);
    this.filled = filled;
    assembler.moveRows(this.store, this.spares!);
  }

  /** What is left leaves, in random order (in file order without shuffling). */
  finish(): void {
    const { random, place, assembler } = this;
    const order = Array.from({ length: this.filled }, (_, p) => p);
    random?.shuffle(order);
    for (const p of order) {
      if (this.buckets) for (const batch of this.buckets.append(this.store, place[p]!)) this.ready.push(batch);
      else {
        assembler.append(this.store, place[p]!);
        if (assembler.full) this.ready.push(assembler.takeLater());
      }
    }
    this.filled = 0;
    if (this.buckets) for (const batch of this.buckets.finish()) this.ready.push(batch);
    if (assembler.size > 0) this.ready.push(assembler.takeLater());
  }

  /** The ready batches, handed out once. */
  drain(): Generator<Batch> {
    return handOut(this.ready);
  }
}

/**
 * The same shuffle over row numbers of `rows`, a store that holds every row of the pass in file order: no row is copied
 * until its batch is gathered. Rows are admitted in order, 0, 1, 2, …; a row may be admitted just before it is encoded
 * (the batches an admission completes hold earlier rows only).
 */
export class RowNumberShuffle {
  private readonly buffered: Int32Array;
  private filled = 0;
  /** Gathered when handed out: the rows they hold stay where they are. */
  private readonly ready: ReadyBatch[] = [];

  constructor(
    private readonly rows: RowStore,
    private readonly assembler: BatchAssembler,
    private readonly random: Random | null,
    private readonly capacity: number,
  ) {
    this.buffered = new Int32Array(random === null ? 0 : capacity);
  }

  /** Admits rows `from` … `from` + count − 1. */
  admit(from: number, count: number): void {
    const { rows, assembler, random, capacity, buffered } = this;
    for (let row = from; row < from + count; row++) {
      if (random === null) {
        // A full batch is taken when the next row comes (or at the end): the row admitted last may not be encoded yet.
        if (assembler.full) this.ready.push(assembler.takeLater());
        assembler.append(rows, row);
      } else if (this.filled < capacity) {
        buffered[this.filled++] = row;
      } else {
        const p = random.int(capacity);
        assembler.append(rows, buffered[p]!);
        if (assembler.full) this.ready.push(assembler.takeLater());
        buffered[p] = row;
      }
    }
  }

  /** Hands the pass over to `buffer`, which goes on from here with the same draws. */
  handOver(buffer: ShuffleBuffer): void {
    buffer.adopt(this.rows, this.buffered, this.filled);
    this.filled = 0;
  }

  /** What is left leaves, in random order. */
  finish(): void {
    const { rows, assembler, random, buffered } = this;
    if (random !== null) {
      for (const p of random.shuffle(Array.from({ length: this.filled }, (_, p) => p))) {
        assembler.append(rows, buffered[p]!);
        if (assembler.full) this.ready.push(assembler.takeLater());
      }
      this.filled = 0;
    }
    if (assembler.size > 0) this.ready.push(assembler.takeLater());
  }

  /** The ready batches, handed out once. */
  drain(): Generator<Batch> {
    return handOut(this.ready);
  }
}

/**
 * A completed batch, or one to gather when it is handed out (BatchAssembler.takeLater): then its buffer can be one the
 * consumer gave back (`BatchOptions.reuseArrays`) when it asked for it, so a pass needs a buffer or two, not one per
 * batch an admission completes.
 */
type ReadyBatch = Batch | (() => Batch);

/** Yields the batches of `ready`, then empties it. */
function* handOut(ready: ReadyBatch[]): Generator<Batch> {
  for (const batch of ready) yield typeof batch === 'function' ? batch() : batch;
  ready.length = 0;
}
