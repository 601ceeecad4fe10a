/**
 * The data loader: `openJobData` checks every file of the job, fits the features on the training
 * splits (or takes them from a saved run), and streams encoded batches.
 *
 * Shuffling uses a seeded buffer (as tf.data does), not a full permutation: rows enter a buffer of
 * `job.training.shuffleBuffer` rows in file order, and each incoming row evicts a random buffered row
 * into the batch. The order is deterministic for a (seed, epoch) pair. Rows far apart in the files
 * stay roughly apart, so files should not be sorted by label.
 */
import type { Job, Width } from '../../job/job.js';
import { UserError } from '../errors.js';
import type { Batch, BatchOptions, FittedFeatures, JobData, OpenJobDataOptions, PaddingCount, SpanCount, SplitName } from './api.js';
import { BatchAssembler, BatchBuffers } from './batch-assembler.js';
import { LengthBuckets } from './length-buckets.js';
import { PAD_ID } from './vocab.js';
import { createDatasetEncoding } from './dataset-encoding.js';
import { datasetFileProblems, datasetFiles, readDataset, type DatasetFile } from './dataset-reader.js';
import type { LookupCache } from './feature-encoders.js';
import { fitJob } from './fit.js';
import { classCountProblems, emptySplitProblems, fittedMismatchProblems } from './fitted-check.js';
import { RowStore } from './row-layout.js';
import { combineSeeds, hashString } from './rng.js';
import { Random } from '../random.js';
import { splitMembers } from './split.js';
import { RowNumberShuffle, ShuffleBuffer } from './shuffle-buffer.js';
import { resolveWidth } from './width.js';

export { loadFitted, saveFitted } from './fitted-io.js';

/** Rows encoded together: a record batch of any size is encoded in blocks of this many, so memory stays bounded. */
const BLOCK_ROWS = 4096;

function throwProblems(problems: readonly string[]): void {
  if (problems.length > 0) throw new UserError(problems.join('\n'));
}

/** Opens the job's data; a UserError lists every problem with its files, columns or splits. */
export async function openJobData(job: Job, options: OpenJobDataOptions = {}): Promise<JobData> {
  const files = new Map<string, DatasetFile[]>();
  const problems: string[] = [];
  for (const plan of job.datasets) {
    const list = datasetFiles(job, plan);
    files.set(plan.name, list);
    problems.push(...(await datasetFileProblems(plan, list)));
  }
  throwProblems(problems);
  if (options.fitted) throwProblems(fittedMismatchProblems(job, options.fitted));
  const fitted = options.fitted ?? (await fitJob(job, files));
  throwProblems([...emptySplitProblems(job, fitted), ...classCountProblems(job, fitted)]);
  return new ArrowJobData(job, fitted, files);
}

class ArrowJobData implements JobData {
  private readonly lookups: LookupCache = new Map();

  constructor(
    readonly job: Job,
    readonly fitted: FittedFeatures,
    private readonly files: ReadonlyMap<string, readonly DatasetFile[]>,
  ) {}

  width(w: Width): number {
    return resolveWidth(w, this.fitted);
  }

  batches(dataset: string, split: SplitName, options: BatchOptions): AsyncIterable<Batch> {
    const counts = split === 'train' && this.job.inputs.some((i) => i.kind === 'sequence');
    const buffers = options.reuseArrays ? new BatchBuffers() : null;
    const stream = this.stream(dataset, split, options, buffers);
    const batches = counts ? this.countingPadding(stream) : stream;
    return buffers ? recycling(batches, buffers) : batches;
  }

  padding(): PaddingCount | null {
    return this.paddingCount.positions > 0 ? { ...this.paddingCount } : null;
  }

  private readonly paddingCount: PaddingCount = { tokens: 0, positions: 0 };

  cutSpans(): Record<string, SpanCount> {
    return Object.fromEntries([...this.spanTallies].map(([task, tally]) => [task, { ...tally }]));
  }

  private readonly spanTallies = new Map<string, SpanCount>();

  /** Counts the token positions and the padding of the token inputs of the batches passing through. */
  private async *countingPadding(batches: AsyncGenerator<Batch>): AsyncGenerator<Batch> {
    const tokenInputs = new Set(this.job.inputs.filter((i) => i.kind === 'sequence').map((i) => i.id));
    for await (const batch of batches) {
      for (const [id, tensor] of Object.entries(batch.inputs)) {
        if (!tokenInputs.has(id)) continue;
        // With subword ids a position holds several ids, its word id first.
        const stride = tensor.shape[2] ?? 1;
        this.paddingCount.positions += tensor.data.length / stride;
        for (let i = 0; i < tensor.data.length; i += stride) if (tensor.data[i] !== PAD_ID) this.paddingCount.tokens++;
      }
      yield batch;
    }
  }

  /**
   * A split's encoded rows in file order, kept after a whole pass that asked for it (`BatchOptions.keep`; by dataset and
   * split): every later pass, shuffled or not, draws from them without reading and encoding the files again. Only for
   * rows every encoder encodes a block at a time and no length bucket reorders, and while they fit in KEPT_ROWS_BYTES.
   */
  private readonly keptRows = new Map<string, RowStore>();

  private async *stream(dataset: string, split: SplitName, options: BatchOptions, buffers: BatchBuffers | null): AsyncGenerator<Batch> {
    const plan = this.job.datasets.find((d) => d.name === dataset);
    if (!plan) throw new Error(`batches: the job has no dataset ${dataset}`);
    if (!(options.batchSize >= 1)) throw new Error(`batches: batch size ${options.batchSize} is not positive`);
    const encoding = createDatasetEncoding(this.job, this.fitted, plan, this.lookups, split, split === 'train' ? this.spanTallies : undefined);
    const encoders = encoding.encoders;
    const assembler = new BatchAssembler(dataset, encoding.tensors, encoding.layout, options.batchSize, buffers);
    const shuffle = options.shuffle && this.job.training.shuffleBuffer > 1;
    const capacity = shuffle ? this.job.training.shuffleBuffer : options.batchSize;
    const random = shuffle ? new Random(combineSeeds(options.seed, options.epoch ?? 0, hashString(dataset))) : null;
    // Token sequences leave the shuffle buffer through length buckets (length-buckets.ts); other rows straight into batches.
    const buckets = random !== null && encoding.tokenSlots.length > 0 ? new LengthBuckets(encoding.layout, assembler, encoding.tokenSlots, random) : null;
    const keptKey = `${dataset}\u0000${split}`;
    const kept = buckets === null ? this.keptRows.get(keptKey) : undefined;
    if (kept) {
      yield* replay(kept, assembler, random, capacity);
      return;
    }
    const members = splitMembers(split);
    const rows = new Int32Array(BLOCK_ROWS);
    const blockwise = encoders.every((e) => e.encodeRows !== undefined);
    // This pass's rows, kept for the next passes when asked and they may be (see keptRows). Kept rows are encoded
    // straight into the kept store, and shuffled by row number.
    const expected = this.fitted.rows[dataset]?.[split] ?? 0;
    const rowBytes = 4 * (encoding.layout.floats + encoding.layout.ints);
    const keeping = options.keep && buckets === null && blockwise && expected * rowBytes <= KEPT_ROWS_BYTES ? new RowStore(expected, encoding.layout) : null;
    let byNumber = keeping ? new RowNumberShuffle(keeping, assembler, random, capacity) : null;
    let keptCount = 0;
    // Otherwise rows are encoded a block at a time, column by column, when every encoder can, and wait in `staged`
    // for their slot of the shuffle buffer.
    let buffer = byNumber ? null : new ShuffleBuffer(encoding.layout, assembler, random, capacity, buckets);
    let staged = blockwise && buffer ? new RowStore(BLOCK_ROWS, encoding.layout) : null;
    const floatsPerRow = encoding.layout.floats;
    const intsPerRow = encoding.layout.ints;
    for await (const chunk of readDataset(plan, this.files.get(dataset) ?? [])) {
      for (const encoder of encoders) encoder.bind(chunk);
      const splits = chunk.split;
      for (let start = 0; start < chunk.length; start += BLOCK_ROWS) {
        const end = Math.min(chunk.length, start + BLOCK_ROWS);
        let count = 0;
        for (let row = start; row < end; row++) if (members[splits[row]!] === 1) rows[count++] = row;
        if (byNumber && keptCount + count > keeping!.capacity) {
          // More rows than fitting counted (the file changed since): none is kept, and the pass goes on in a shuffle
          // buffer of its own, with the same draws.
          buffer = new ShuffleBuffer(encoding.layout, assembler, random, capacity, buckets);
          byNumber.handOver(buffer);
          byNumber = null;
          staged = new RowStore(BLOCK_ROWS, encoding.layout);
        }
        // A block with a row some encoder refuses goes row by row, so the error comes at that row, after the batches before it.
        const target = byNumber ? keeping!.view(keptCount, count) : staged;
        const encoded = target !== null && encoders.every((e) => e.encodeRows!(rows, count, target));
        if (byNumber) {
          if (encoded) byNumber.admit(keptCount, count);
          else {
            for (let k = 0; k < count; k++) {
              byNumber.admit(keptCount + k, 1);
              yield* byNumber.drain();
              for (const encoder of encoders) encoder.encode(rows[k]!, target!.floats, k * floatsPerRow, target!.ints, k * intsPerRow);
            }
          }
          keptCount += count;
          yield* byNumber.drain();
          continue;
        }
        if (encoded) {
          buffer!.admitStaged(staged!, count);
          yield* buffer!.drain();
          continue;
        }
        const { floats, ints } = buffer!.store;
        for (let k = 0; k < count; k++) {
          const slot = buffer!.admit();
          yield* buffer!.drain();
          for (const encoder of encoders) encoder.encode(rows[k]!, floats, slot * floatsPerRow, ints, slot * intsPerRow);
        }
      }
    }
    if (byNumber) {
      byNumber.finish();
      yield* byNumber.drain();
      if (keptCount === keeping!.capacity) this.keptRows.set(keptKey, keeping!);
    } else {
      buffer!.finish();
      yield* buffer!.drain();
    }
  }
}

/** Hands out the batches; a batch's buffer goes back for reuse once the consumer asks for the next (`BatchOptions.reuseArrays`). */
async function* recycling(batches: AsyncGenerator<Batch>, buffers: BatchBuffers): AsyncGenerator<Batch> {
  for await (const batch of batches) {
    yield batch;
    buffers.giveBack(batch);
  }
}

/** The cap on a split's kept rows (census's training split: 8 MB). */
export const KEPT_ROWS_BYTES = 256 * 2 ** 20;

/** A pass over kept rows: the stream's shuffle, draw for draw, over their row numbers (RowNumberShuffle). */
function* replay(kept: RowStore, assembler: BatchAssembler, random: Random | null, capacity: number): Generator<Batch> {
  const shuffle = new RowNumberShuffle(kept, assembler, random, capacity);
  for (let from = 0; from < kept.capacity; from += BLOCK_ROWS) {
    shuffle.admit(from, Math.min(BLOCK_ROWS, kept.capacity - from));
    yield* shuffle.drain();
  }
  shuffle.finish();
  yield* shuffle.drain();
}
