/** A batch group's endless stream of training batches: each pass over the split reshuffles with a new seed. */
import type { Batch, JobData } from '../data/api.js';
import { UserError } from '../errors.js';

export class RestartingBatches {
  private iterator: AsyncIterator<Batch> | null = null;
  private passes = 0;

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
        const options = { batchSize: this.batchSize, shuffle: true, seed: this.seedOfPass(this.passes), epoch: this.passes };
        this.iterator = this.data.batches(this.dataset, 'train', options)[Symbol.asyncIterator]();
        this.passes += 1;
      }
      const result = await this.iterator.next();
      if (!result.done) return result.value;
      this.iterator = null;
    }
    throw new UserError(`dataset '${this.dataset}' has no rows in its training split`);
  }

  /** Ends the current pass early (frees the reader's files). */
  async close(): Promise<void> {
    await this.iterator?.return?.();
    this.iterator = null;
  }
}
