/**
 * Labels kept on the training split (a task's `trainLabels`, written by derived scarcity variants): a row keeps its
 * label when a seeded hash of (seed, task name, row index in the dataset) falls below the fraction, so the rows kept
 * depend on neither the batch size, the shuffle nor how the rows are sharded into files. The other rows still feed
 * the inputs (and the other tasks); only this task's mask is cleared on them.
 */
import type { TaskPlan } from '../../job/job.js';
import type { DatasetChunk } from './dataset-reader.js';
import type { LabelEncoder } from './label-encoders.js';
import type { RowEncoder, RowStore } from './row-layout.js';
import { combineSeeds, hashIndex, hashString } from './rng.js';

type Kept = NonNullable<TaskPlan['trainLabels']>;

/** Whether the row at `index` of its dataset keeps the task's training label. */
export function keepsTrainLabel(kept: Kept, task: string, index: number): boolean {
  return hashIndex(keptLabelSeed(kept, task), index) < kept.fraction * 4294967296;
}

function keptLabelSeed(kept: Kept, task: string): number {
  return combineSeeds(kept.seed, hashString(task));
}

/** A label encoder whose mask is cleared on the rows that do not keep their label. */
export class KeptLabels implements RowEncoder {
  private rowStart = 0;
  private readonly seed: number;
  readonly encodeRows?: (rows: Int32Array, count: number, into: RowStore) => boolean;

  constructor(
    private readonly labels: LabelEncoder,
    private readonly kept: Kept,
  ) {
    this.seed = keptLabelSeed(kept, labels.task.name);
    const encodeRows = labels.encodeRows?.bind(labels);
    if (encodeRows) {
      this.encodeRows = (rows, count, into) => {
        if (!encodeRows(rows, count, into)) return false;
        for (let k = 0; k < count; k++) if (!this.keeps(rows[k]!)) this.clearMask(into.floats, k * into.layout.floats);
        return true;
      };
    }
  }

  bind(chunk: DatasetChunk): void {
    this.rowStart = chunk.rowStart;
    this.labels.bind(chunk);
  }

  encode(row: number, floats: Float32Array, floatBase: number, ints: Int32Array, intBase: number): void {
    this.labels.encode(row, floats, floatBase, ints, intBase);
    if (!this.keeps(row)) this.clearMask(floats, floatBase);
  }

  private keeps(row: number): boolean {
    return hashIndex(this.seed, this.rowStart + row) < this.kept.fraction * 4294967296;
  }

  private clearMask(floats: Float32Array, floatBase: number): void {
    const { offset, length } = this.labels.mask;
    floats.fill(0, floatBase + offset, floatBase + offset + length);
  }
}
