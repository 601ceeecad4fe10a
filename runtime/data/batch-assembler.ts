/**
 * Assembling output batches from stored rows: every output tensor is described by a list of copy
 * operations from a row's float/int areas, fixed once per dataset, so appending a row does no
 * allocation and no lookups.
 */
import type { Batch, LabelData, TensorData } from './api.js';
import type { LookupLayout } from '../kernels/embedding-bag.js';
import type { RowLayout, RowStore } from './row-layout.js';

export type CopyOp =
  /** `length` floats of the row's float area, from `from`, to the output row at `to`. */
  | { kind: 'floats'; from: number; to: number; length: number }
  /** `length` ints of the int area into a float output (ids given to a vector input). */
  | { kind: 'intsAsFloats'; from: number; to: number; length: number }
  | { kind: 'ints'; from: number; to: number; length: number }
  /** One int (a vocabulary id, -1 = none) expanded to a one-hot block of `width` floats at `to`. */
  | { kind: 'onehot'; from: number; to: number; width: number }
  /** One int (a vocabulary id, -1 = none) as the kernel row it selects, `offset + id` (-1 stays -1), a float at `to`. */
  | { kind: 'lookup'; from: number; to: number; offset: number };

export type TensorTarget = { input: string } | { task: string; part: 'values' | 'mask' };

export interface TensorPlan {
  target: TensorTarget;
  dtype: 'float32' | 'int32';
  /** Shape of one row, without the batch axis. */
  rowShape: number[];
  ops: CopyOp[];
  /**
   * Token positions, padded to the feature's max_length (a token-id input, or per-token labels aligned with it): each
   * batch cuts them to its longest sequence, so a batch of short sentences carries little padding. `lengthOf` is set
   * on the input whose ids (padding = 0, at the end) say each row's length.
   */
  tokens?: { lengthOf: boolean };
  /** A vector input fed as kernel row ids (onehot-lookup): where its numbers and ids sit. */
  lookup?: LookupLayout;
}

function rowSize(plan: TensorPlan): number {
  return plan.rowShape.reduce((a, b) => a * b, 1);
}

function allocate(plan: TensorPlan, rows: number): Float32Array | Int32Array {
  return plan.dtype === 'float32' ? new Float32Array(rows * rowSize(plan)) : new Int32Array(rows * rowSize(plan));
}

const OP_FLOATS = 0;
const OP_INTS = 1;
const OP_ONEHOT = 2;
const OP_LOOKUP = 3;

/** Ops flattened to [code, from, to, length] quadruples: the append loop then reads one typed array. */
function compileOps(ops: readonly CopyOp[]): Int32Array {
  const out = new Int32Array(ops.length * 4);
  ops.forEach((op, k) => {
    const code = op.kind === 'floats' ? OP_FLOATS : op.kind === 'onehot' ? OP_ONEHOT : op.kind === 'lookup' ? OP_LOOKUP : OP_INTS;
    out.set([code, op.from, op.to, op.kind === 'onehot' ? op.width : op.kind === 'lookup' ? op.offset : op.length], k * 4);
  });
  return out;
}

export class BatchAssembler {
  /** The current batch's tensors; allocated on the first append, so a finished stream allocates nothing more. */
  private arrays: (Float32Array | Int32Array)[] | null = null;
  private readonly sizes: number[];
  private readonly compiled: Int32Array[];
  size = 0;

  constructor(
    private readonly dataset: string,
    private readonly tensors: readonly TensorPlan[],
    private readonly layout: RowLayout,
    readonly capacity: number,
  ) {
    this.sizes = tensors.map(rowSize);
    this.compiled = tensors.map((t) => compileOps(t.ops));
  }

  get full(): boolean {
    return this.size === this.capacity;
  }

  append(store: RowStore, slot: number): void {
    const floats = store.floats;
    const ints = store.ints;
    const floatBase = slot * this.layout.floats;
    const intBase = slot * this.layout.ints;
    const arrays = (this.arrays ??= this.tensors.map((t) => allocate(t, this.capacity)));
    for (let t = 0; t < arrays.length; t++) {
      const out = arrays[t]!;
      const ops = this.compiled[t]!;
      const outBase = this.size * this.sizes[t]!;
      for (let k = 0; k < ops.length; k += 4) {
        const from = ops[k + 1]!;
        const to = outBase + ops[k + 2]!;
        const length = ops[k + 3]!;
        switch (ops[k]) {
          case OP_FLOATS:
            for (let j = 0; j < length; j++) out[to + j] = floats[floatBase + from + j]!;
            break;
          case OP_INTS:
            for (let j = 0; j < length; j++) out[to + j] = ints[intBase + from + j]!;
            break;
          case OP_ONEHOT: {
            const id = ints[intBase + from]!;
            if (id >= 0) out[to + id] = 1;
            break;
          }
          case OP_LOOKUP: {
            const id = ints[intBase + from]!;
            out[to] = id >= 0 ? length + id : -1;
            break;
          }
        }
      }
    }
    this.size++;
  }

  /** The batch of the rows appended so far (exactly sized); the assembler starts a new one. */
  take(): Batch {
    const n = this.size;
    const arrays = this.arrays ?? this.tensors.map((t) => allocate(t, 0));
    const batch: Batch = { dataset: this.dataset, size: n, inputs: {}, labels: {} };
    const labels: Record<string, Partial<LabelData>> = {};
    const longest = this.longestSequence(arrays, n);
    this.tensors.forEach((plan, t) => {
      const array = arrays[t]!;
      const tensor: TensorData = plan.tokens && longest !== null
        ? { data: cutRows(array, n, plan.rowShape[0]!, longest, valuesPerPosition(plan)), shape: [n, longest, ...plan.rowShape.slice(1)] }
        : { data: n === this.capacity ? array : array.slice(0, n * this.sizes[t]!), shape: [n, ...plan.rowShape], ...(plan.lookup ? { lookup: plan.lookup } : {}) };
      if ('input' in plan.target) batch.inputs[plan.target.input] = tensor;
      else {
        const label = (labels[plan.target.task] ??= {});
        if (plan.target.part === 'values') label.values = tensor;
        else label.mask = tensor.data as Float32Array;
      }
    });
    for (const [task, label] of Object.entries(labels)) batch.labels[task] = label as LabelData;
    this.arrays = null;
    this.size = 0;
    return batch;
  }

  /** The longest token sequence of the batch's first `n` rows, over its token inputs (at least 1); null when it has none. */
  private longestSequence(arrays: readonly (Float32Array | Int32Array)[], n: number): number | null {
    let longest: number | null = null;
    this.tensors.forEach((plan, t) => {
      if (!plan.tokens?.lengthOf) return;
      const positions = plan.rowShape[0]!;
      const stride = valuesPerPosition(plan);
      for (let row = 0; row < n; row++) longest = Math.max(longest ?? 1, sequenceLength(arrays[t]!, row * positions * stride, positions, stride));
    });
    return longest;
  }
}

/** Values per token position: 1, or a token's ids (the word's first) for a token input with subword ids. */
function valuesPerPosition(plan: TensorPlan): number {
  return plan.rowShape.slice(1).reduce((a, b) => a * b, 1);
}

/** How many positions of a padded row (word id PAD_ID = 0 at its end) are tokens; each position holds `stride` ids. */
export function sequenceLength(ids: Float32Array | Int32Array, from: number, positions: number, stride = 1): number {
  let length = positions;
  while (length > 0 && ids[from + (length - 1) * stride] === 0) length--;
  return length;
}

/** The first `keep` of each row's `positions` positions, of `stride` values each. */
function cutRows<T extends Float32Array | Int32Array>(array: T, rows: number, positions: number, keep: number, stride: number): T {
  const out = new (array.constructor as { new (length: number): T })(rows * keep * stride);
  for (let row = 0; row < rows; row++) out.set(array.subarray(row * positions * stride, (row * positions + keep) * stride), row * keep * stride);
  return out;
}
