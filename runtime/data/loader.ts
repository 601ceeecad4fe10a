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
import { BatchAssembler } from './batch-assembler.js';
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
    return counts ? this.countingPadding(this.stream(dataset, split, options)) : this.stream(dataset, split, options);
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

  private async *stream(dataset: string, split: SplitName, options: BatchOptions): AsyncGenerator<Batch> {
    const plan = this.job.datasets.find((d) => d.name === dataset);
    if (!plan) throw new Error(`batches: the job has no dataset ${dataset}`);
    if (!(options.batchSize >= 1)) throw new Error(`batches: batch size ${options.batchSize} is not positive`);
    const encoding = createDatasetEncoding(this.job, this.fitted, plan, this.lookups, split, split === 'train' ? this.spanTallies : undefined);
    const encoders = encoding.encoders;
    const assembler = new BatchAssembler(dataset, encoding.tensors, encoding.layout, options.batchSize);
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
    // Place p of the buffer holds the row in slot place[p] of `store`. A row leaving for a batch stays in its slot until
    // the batch is taken (the assembler reads it then), and the row that replaces it takes one of a batch's spare slots:
    // spares[i] is the slot of the batch's row i below assembler.size, a free slot from there on.
    const spares = random !== null && buckets === null ? Int32Array.from({ length: options.batchSize }, (_, i) => capacity + i) : null;
    const store = new RowStore(capacity + (spares?.length ?? 0), encoding.layout);
    const place = Int32Array.from({ length: capacity }, (_, p) => p);
    const { floats, ints } = store;
    const floatsPerRow = encoding.layout.floats;
    const intsPerRow = encoding.layout.ints;
    let filled = 0;

    const members = splitMembers(split);
    const rows = new Int32Array(BLOCK_ROWS);
    // Rows encoded a block at a time, column by column, when every encoder can; they wait here for their slot.
    const staged = encoders.every((e) => e.encodeRows !== undefined) ? new RowStore(BLOCK_ROWS, encoding.layout) : null;
    // This pass's rows, kept for the next passes when asked and they may be (see keptRows).
    const expected = this.fitted.rows[dataset]?.[split] ?? 0;
    const rowBytes = 4 * (encoding.layout.floats + encoding.layout.ints);
    let keeping = options.keep && buckets === null && staged !== null && expected * rowBytes <= KEPT_ROWS_BYTES ? new RowStore(expected, encoding.layout) : null;
    let keptCount = 0;
    for await (const chunk of readDataset(plan, this.files.get(dataset) ?? [])) {
      for (const encoder of encoders) encoder.bind(chunk);
      const splits = chunk.split;
      for (let start = 0; start < chunk.length; start += BLOCK_ROWS) {
        const end = Math.min(chunk.length, start + BLOCK_ROWS);
        let count = 0;
        for (let row = start; row < end; row++) if (members[splits[row]!] === 1) rows[count++] = row;
        // A block with a row some encoder refuses goes row by row, so the error comes at that row, after the batches before it.
        const isStaged = staged !== null && encoders.every((e) => e.encodeRows!(rows, count, staged));
        if (keeping && (!isStaged || keptCount + count > keeping.capacity)) keeping = null;
        if (keeping) {
          keeping.copyRows(staged!, count, keptCount);
          keptCount += count;
        }
        for (let k = 0; k < count; k++) {
          let slot: number;
          if (random === null || filled < capacity) {
            slot = place[filled++]!;
          } else {
            // The buffer is full: a random buffered row leaves for the batch, the new row takes its place.
            const p = random.int(capacity);
            const leaving = place[p]!;
            if (buckets) yield* buckets.append(store, leaving);
            else {
              place[p] = spares![assembler.size]!;
              spares![assembler.size] = leaving;
              assembler.append(store, leaving);
              if (assembler.full) yield assembler.take();
            }
            slot = place[p]!;
          }
          if (isStaged) store.copySlot(staged, k, slot);
          else for (const encoder of encoders) encoder.encode(rows[k]!, floats, slot * floatsPerRow, ints, slot * intsPerRow);
          if (random === null && filled === capacity) {
            for (let p = 0; p < filled; p++) assembler.append(store, place[p]!);
            filled = 0;
            yield assembler.take();
          }
        }
      }
    }

    // What is left in the buffer leaves in random order (or in file order without shuffling).
    const order = Array.from({ length: filled }, (_, p) => p);
    if (random !== null) {
      for (let i = order.length - 1; i > 0; i--) {
        const j = random.int(i + 1);
        [order[i], order[j]] = [order[j]!, order[i]!];
      }
    }
    for (const p of order) {
      if (buckets) yield* buckets.append(store, place[p]!);
      else {
        assembler.append(store, place[p]!);
        if (assembler.full) yield assembler.take();
      }
    }
    if (buckets) yield* buckets.finish();
    if (assembler.size > 0) yield assembler.take();
    if (keeping && keptCount === keeping.capacity) this.keptRows.set(keptKey, keeping);
  }
}

/** The cap on a split's kept rows (census's training split: 8 MB). */
export const KEPT_ROWS_BYTES = 256 * 2 ** 20;

/**
 * A pass over kept rows: in file order without shuffling, or through the stream's shuffle buffer, draw for draw, holding
 * row numbers instead of rows; either way the batches are the stream's, row for row, and no row is copied until its
 * batch is gathered.
 */
function* replay(kept: RowStore, assembler: BatchAssembler, random: Random | null, capacity: number): Generator<Batch> {
  if (random === null) {
    for (let row = 0; row < kept.capacity; row++) {
      assembler.append(kept, row);
      if (assembler.full) yield assembler.take();
    }
    if (assembler.size > 0) yield assembler.take();
    return;
  }
  const buffered = new Int32Array(capacity);
  let filled = 0;
  for (let row = 0; row < kept.capacity; row++) {
    if (filled < capacity) {
      buffered[filled++] = row;
      continue;
    }
    const p = random.int(capacity);
    assembler.append(kept, buffered[p]!);
    if (assembler.full) yield assembler.take();
    buffered[p] = row;
  }
  const order = Array.from({ length: filled }, (_, p) => p);
  for (let i = order.length - 1; i > 0; i--) {
    const j = random.int(i + 1);
    [order[i], order[j]] = [order[j]!, order[i]!];
  }
  for (const p of order) {
    assembler.append(kept, buffered[p]!);
    if (assembler.full) yield assembler.take();
  }
  if (assembler.size > 0) yield assembler.take();
}
