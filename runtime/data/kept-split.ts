/**
 * One split's batches kept in memory after their first pass: the training loop evaluates the validation split every
 * epoch, and its batches (unshuffled, in file order) are the same each time, so the later passes replay them instead of
 * reading and encoding the files again. Only while they fit in `maxBytes`; past it the split streams every time, as
 * the loader's contract (never the whole file in memory) wants.
 */
import type { Batch, JobData, SplitName } from './api.js';

/** The default cap: a validation split of 256 MiB of encoded batches (census's is 4 MB). */
export const KEPT_SPLIT_BYTES = 256 * 2 ** 20;

export function keepingSplit(data: JobData, split: SplitName, maxBytes = KEPT_SPLIT_BYTES): JobData {
  /** By dataset and batch size: the kept batches, or null once they outgrew the cap. */
  const kept = new Map<string, Batch[] | null>();
  async function* batches(dataset: string, wanted: SplitName, options: Parameters<JobData['batches']>[2]): AsyncGenerator<Batch> {
    const key = `${dataset}\u0000${options.batchSize}`;
    const known = kept.get(key);
    if (wanted !== split || options.shuffle || known === null) {
      yield* data.batches(dataset, wanted, options);
      return;
    }
    if (known !== undefined) {
      yield* known;
      return;
    }
    const taken: Batch[] = [];
    let bytes = 0;
    let whole = false;
    try {
      for await (const batch of data.batches(dataset, wanted, options)) {
        bytes += batchBytes(batch);
        if (bytes <= maxBytes) taken.push(batch);
        yield batch;
      }
      whole = true;
    } finally {
      // A pass left part-way keeps nothing; one past the cap marks the split as streamed for good.
      if (bytes > maxBytes) kept.set(key, null);
      else if (whole) kept.set(key, taken);
    }
  }
  return {
    job: data.job,
    fitted: data.fitted,
    width: (w) => data.width(w),
    batches,
    ...(data.padding ? { padding: () => data.padding!() } : {}),
    ...(data.cutSpans ? { cutSpans: () => data.cutSpans!() } : {}),
  };
}

function batchBytes(batch: Batch): number {
  let bytes = 0;
  for (const input of Object.values(batch.inputs)) bytes += input.data.byteLength;
  for (const label of Object.values(batch.labels)) bytes += label.values.data.byteLength + label.mask.byteLength;
  return bytes;
}
