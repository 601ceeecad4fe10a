/**
 * Assembling output batches from stored rows: every output tensor is described by a list of copy
 * operations from a row's float/int areas, fixed once per dataset. Appending a row notes where it is;
 * the batch is gathered when taken, one operation at a time over all its rows, so the copy loops run
 * long and see one array type each.
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

const OP_FLOATS = 0;
const OP_INTS = 1;
const OP_ONEHOT = 2;
const OP_LOOKUP = 3;

/**
 * Ops flattened to [code, from, to, length] quadruples (length: a one-hot op's width, a lookup op's offset), with runs
 * of floats or of ints that continue one another in both the stored row and the output merged into one op.
 */
function compileOps(ops: readonly CopyOp[]): Int32Array {
  const quads: [number, number, number, number][] = [];
  for (const op of ops) {
    const code = op.kind === 'floats' ? OP_FLOATS : op.kind === 'onehot' ? OP_ONEHOT : op.kind === 'lookup' ? OP_LOOKUP : OP_INTS;
    const last = quads[quads.length - 1];
    if ((code === OP_FLOATS || code === OP_INTS) && 'length' in op && last && last[0] === code && last[1] + last[3] === op.from && last[2] + last[3] === op.to) {
      last[3] += op.length;
      continue;
    }
    quads.push([code, op.from, op.to, op.kind === 'onehot' ? op.width : op.kind === 'lookup' ? op.offset : op.length]);
  }
  return Int32Array.from(quads.flat());
}

export class BatchAssembler {
  private readonly sizes: number[];
  private readonly compiled: Int32Array[];
  /** Where each appended row is: its slot of `source`. */
  private readonly slots: Int32Array;
  private source: RowStore | null = null;
  /** The float and int area of each appended row (its slot's base offsets), worked out when the batch is taken. */
  private readonly floatBases: Int32Array;
  private readonly intBases: Int32Array;
  size = 0;

  constructor(
    private readonly dataset: string,
    private readonly tensors: readonly TensorPlan[],
    private readonly layout: RowLayout,
    readonly capacity: number,
  ) {
    this.sizes = tensors.map(rowSize);
    this.compiled = tensors.map((t) => compileOps(t.ops));
    this.slots = new Int32Array(capacity);
    this.floatBases = new Int32Array(capacity);
    this.intBases = new Int32Array(capacity);
  }

  get full(): boolean {
    return this.size === this.capacity;
  }

  /** Notes the row in `store`'s `slot`; it is read when the batch is taken, so it must stay there until then. */
  append(store: RowStore, slot: number): void {
    if (store !== this.source) {
      if (this.size > 0) throw new Error('BatchAssembler: the rows of one batch must come from one store');
      this.source = store;
    }
    this.slots[this.size++] = slot;
  }

  /** Copies the appended rows into fresh tensors, all views of one new buffer (one allocation per batch, not per tensor). */
  private gather(): (Float32Array | Int32Array)[] {
    const n = this.size;
    const buffer = new ArrayBuffer(4 * n * this.sizes.reduce((a, b) => a + b, 0));
    let byteOffset = 0;
    const floats = this.source?.floats ?? new Float32Array(0);
    const ints = this.source?.ints ?? new Int32Array(0);
    const { floatBases, intBases, slots } = this;
    for (let r = 0; r < n; r++) {
      floatBases[r] = slots[r]! * this.layout.floats;
      intBases[r] = slots[r]! * this.layout.ints;
    }
    return this.tensors.map((plan, t) => {
      const width = this.sizes[t]!;
      const ops = this.compiled[t]!;
      const at = byteOffset;
      byteOffset += 4 * n * width;
      if (plan.dtype === 'int32') {
        const out = new Int32Array(buffer, at, n * width);
        for (let k = 0; k < ops.length; k += 4) {
          if (ops[k] === OP_INTS) copyInts(out, n, width, ops[k + 2]!, ints, intBases, ops[k + 1]!, ops[k + 3]!);
          else throw new Error(`BatchAssembler: an int32 tensor copies ints only (op ${ops[k]})`);
        }
        return out;
      }
      const out = new Float32Array(buffer, at, n * width);
      for (let k = 0; k < ops.length; k += 4) {
        const code = ops[k]!;
        const from = ops[k + 1]!;
        const to = ops[k + 2]!;
        const length = ops[k + 3]!;
        if (code === OP_FLOATS) copyFloats(out, n, width, to, floats, floatBases, from, length);
        else if (code === OP_INTS) copyInts(out, n, width, to, ints, intBases, from, length);
        else if (code === OP_ONEHOT) {
          for (let r = 0, o = to; r < n; r++, o += width) {
            const id = ints[intBases[r]! + from]!;
            if (id >= 0) out[o + id] = 1;
          }
        } else {
          for (let r = 0, o = to; r < n; r++, o += width) {
            const id = ints[intBases[r]! + from]!;
            out[o] = id >= 0 ? length + id : -1;
          }
        }
      }
      return out;
    });
  }

  /** The batch of the rows appended so far (exactly sized); the assembler starts a new one. */
  take(): Batch {
    const n = this.size;
    const arrays = this.gather();
    const batch: Batch = { dataset: this.dataset, size: n, inputs: {}, labels: {} };
    const labels: Record<string, Partial<LabelData>> = {};
    const longest = this.longestSequence(arrays, n);
    this.tensors.forEach((plan, t) => {
      const array = arrays[t]!;
      const tensor: TensorData = plan.tokens && longest !== null
        ? { data: cutRows(array, n, plan.rowShape[0]!, longest, valuesPerPosition(plan)), shape: [n, longest, ...plan.rowShape.slice(1)] }
        : { data: array, shape: [n, ...plan.rowShape], ...(plan.lookup ? { lookup: plan.lookup } : {}) };
      if ('input' in plan.target) batch.inputs[plan.target.input] = tensor;
      else {
        const label = (labels[plan.target.task] ??= {});
        if (plan.target.part === 'values') label.values = tensor;
        else label.mask = tensor.data as Float32Array;
      }
    });
    for (const [task, label] of Object.entries(labels)) batch.labels[task] = label as LabelData;
    this.size = 0;
    this.source = null;
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

/** `length` values from each row's float area (at `from`) to the output rows (at `to`). */
function copyFloats(out: Float32Array, rows: number, width: number, to: number, floats: Float32Array, bases: Int32Array, from: number, length: number): void {
  for (let r = 0, o = to; r < rows; r++, o += width) {
    const at = bases[r]! + from;
    for (let j = 0; j < length; j++) out[o + j] = floats[at + j]!;
  }
}

/** The same from the int areas (into an int32 tensor, or a float32 one for ids fed to a vector input). */
function copyInts(out: Float32Array | Int32Array, rows: number, width: number, to: number, ints: Int32Array, bases: Int32Array, from: number, length: number): void {
  for (let r = 0, o = to; r < rows; r++, o += width) {
    const at = bases[r]! + from;
    for (let j = 0; j < length; j++) out[o + j] = ints[at + j]!;
  }
}
