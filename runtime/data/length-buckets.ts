/**
 * Length bucketing for token sequences: rows leaving the shuffle buffer gather in a pool of POOL_BATCHES batches; a
 * full pool is sorted by sequence length, cut into batches, and those leave in a seeded random order. Each batch then
 * holds sentences of about one length, so cutting it to its longest sequence leaves little padding, while the order of
 * batches (and which rows meet in a pool) stays random. Deterministic for a stream's seed, like the shuffle.
 */
import type { Random } from '../random.js';
import type { Batch } from './api.js';
import { sequenceLength, type BatchAssembler } from './batch-assembler.js';
import type { TokenSlots } from './dataset-encoding.js';
import { RowStore, type RowLayout } from './row-layout.js';

/** Pool size in batches: large enough that most batches hold one length, small enough to stay a shuffle. */
export const POOL_BATCHES = 32;

export class LengthBuckets {
  private readonly pool: RowStore;
  private readonly lengths: Int32Array;
  private filled = 0;

  constructor(
    private readonly layout: RowLayout,
    private readonly assembler: BatchAssembler,
    /** Where each token input's ids sit in a stored row: a row's length is its longest. */
    private readonly tokenSlots: readonly TokenSlots[],
    private readonly random: Random,
  ) {
    this.pool = new RowStore(assembler.capacity * POOL_BATCHES, layout);
    this.lengths = new Int32Array(this.pool.capacity);
  }

  /** Takes a copy of the row in `store`'s `slot`; the batches of a pool that this fills. */
  *append(store: RowStore, slot: number): Generator<Batch> {
    const { floats, ints } = this.layout;
    this.pool.floats.set(store.floats.subarray(slot * floats, (slot + 1) * floats), this.filled * floats);
    this.pool.ints.set(store.ints.subarray(slot * ints, (slot + 1) * ints), this.filled * ints);
    let length = 0;
    for (const s of this.tokenSlots) length = Math.max(length, sequenceLength(store.ints, slot * ints + s.offset, s.positions, s.idsPerToken));
    this.lengths[this.filled++] = length;
    if (this.filled === this.pool.capacity) yield* this.drain();
  }

  /** The batches of what the pool still holds. */
  *finish(): Generator<Batch> {
    yield* this.drain();
  }

  private *drain(): Generator<Batch> {
    const order = Array.from({ length: this.filled }, (_, i) => i).sort((a, b) => this.lengths[a]! - this.lengths[b]! || a - b);
    const size = this.assembler.capacity;
    const starts = this.random.shuffle(Array.from({ length: Math.ceil(order.length / size) }, (_, k) => k * size));
    for (const start of starts) {
      for (const slot of order.slice(start, start + size)) this.assembler.append(this.pool, slot);
      yield this.assembler.take();
    }
    this.filled = 0;
  }
}
