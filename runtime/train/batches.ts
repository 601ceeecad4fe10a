/**
 * A batch group's endless stream of training batches: each pass over the split reshuffles with a new seed. Its
 * position (passes begun, batches taken from the current one) is what a checkpoint saves: a pass's order depends on
 * its seed alone, so `resume` reopens the pass and skips the batches already taken.
 */
import type { Batch, JobData } from '../data/api.js';
import { UserError } from '../errors.js';

export class RestartingBatches {
  private iterator: AsyncIterator<Batch> | null = null;
  private passes = 0;
  private taken = 0;

  /** @param seedOfPass the shuffle seed of each pass over the split (0, 1, 2, ...) */
  constructor(
    private readonly data: JobData,
    private readonly dataset: string,
    private readonly batchSize: number,
    private readonly seedOfPass: (pass: number) => number,
  ) {}

  async next(): Promise<Batch> {
    for (let attempt = 0; attempt < 2; attempt++) {
      if (this.iterator === null) {
        // The training step copies what it reads from a batch before it returns (a test poisons the arrays to check).
        const options = { batchSize: this.batchSize, shuffle: true, seed: this.seedOfPass(this.passes), epoch: this.passes, keep: true, reuseArrays: true };
        this.iterator = this.data.batches(this.dataset, 'train', options)[Symbol.asyncIterator]();
        this.passes += 1;
        this.taken = 0;
      }
      const result = await this.iterator.next();
      if (!result.done) {
        this.taken += 1;
        return result.value;
      }
      this.iterator = null;
    }
    throw new UserError(`dataset '${this.dataset}' has no rows in its training split`);
  }

  position(): { passes: number; taken: number } {
    return { passes: this.passes, taken: this.iterator === null ? 0 : this.taken };
  }

  /** Continues from a `position()` of a stream of the same data, batch size and seeds. */
  async resume(at: { passes: number; taken: number }): Promise<void> {
    await this.close();
    if (at.taken === 0) {
      this.passes = at.passes;
      return;
    }
    this.passes = at.passes - 1;
    for (let i = 0; i < at.taken; i++) await this.next();
    if (this.passes !== at.passes) throw new Error(`resuming dataset '${this.dataset}': its pass ${at.passes} has fewer than ${at.taken} batches`);
  }

  /** Ends the current pass early (frees the reader's files). */
  async close(): Promise<void> {
    await this.iterator?.return?.();
    this.iterator = null;
  }
}
