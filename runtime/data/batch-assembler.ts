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

/** Copies stored rows into a batch tensor: the row in slot slots[r] of the store (its `floats` and `ints`) to output row r. */
type RowCopier = (out: Float32Array | Int32Array, rows: number, floats: Float32Array, ints: Int32Array, slots: Int32Array) => void;

/** Runs of at most this many values are copied by straight-line statements, longer ones by a loop. */
const UNROLLED = 16;

/**
 * A tensor's copy operations compiled into one function: one pass over the batch's rows, each row's values copied by
 * straight-line statements with the offsets written in. Interpreting the operations instead (an op at a time over
 * all rows) cost 3–4x more on census, and the gather runs for every row of every epoch. The source is built from the
 * plan's integers only.
 */
function rowCopier(plan: TensorPlan, layout: RowLayout): RowCopier {
  const lines: string[] = [];
  // Runs of floats or of ints that continue one another in both the stored row and the output are one run.
  const merged: CopyOp[] = [];
  for (const op of plan.ops) {
    const last = merged[merged.length - 1];
    if ((op.kind === 'floats' || op.kind === 'ints' || op.kind === 'intsAsFloats') && last?.kind === op.kind && last.from + last.length === op.from && last.to + last.length === op.to) {
      merged[merged.length - 1] = { ...last, length: last.length + op.length };
    } else merged.push(op);
  }
  for (const op of merged) {
    if (plan.dtype === 'int32' && op.kind !== 'ints') throw new Error(`BatchAssembler: an int32 tensor copies ints only (op ${op.kind})`);
    if (op.kind === 'onehot') lines.push(`id = ints[i + ${op.from}]; if (id >= 0) out[o + ${op.to} + id] = 1;`);
    else if (op.kind === 'lookup') lines.push(`id = ints[i + ${op.from}]; out[o + ${op.to}] = id >= 0 ? ${op.offset} + id : -1;`);
    else {
      const [source, base] = op.kind === 'floats' ? ['floats', 'f'] : ['ints', 'i'];
      if (op.length <= UNROLLED) for (let j = 0; j < op.length; j++) lines.push(`out[o + ${op.to + j}] = ${source}[${base} + ${op.from + j}];`);
      else lines.push(`for (let j = 0; j < ${op.length}; j++) out[o + ${op.to} + j] = ${source}[${base} + ${op.from} + j];`);
    }
  }
  const width = rowSize(plan);
  const body = `for (let r = 0, o = 0; r < rows; r++, o += ${width}) { const f = slots[r] * ${layout.floats}, i = slots[r] * ${layout.ints}; let id; ${lines.join(' ')} }`;
  let copier = compiledCopiers.get(body);
  if (!copier) {
    copier = new Function('out', 'rows', 'floats', 'ints', 'slots', body) as RowCopier;
    compiledCopiers.set(body, copier);
  }
  return copier;
}

/** Whether a tensor's copy operations write every value of an output row (a one-hot block writes its hot value only). */
function writesEveryValue(plan: TensorPlan): boolean {
  const written = new Uint8Array(rowSize(plan));
  for (const op of plan.ops) {
    if (op.kind === 'onehot') continue;
    written.fill(1, op.to, op.to + (op.kind === 'lookup' ? 1 : op.length));
  }
  return written.every((w) => w === 1);
}

/**
 * Copiers by source: each stream makes its own assembler, and a new function would start cold every pass (V8 keeps a
 * function's optimized code with the function, not with its source).
 */
const compiledCopiers = new Map<string, RowCopier>();

/**
 * The buffers of a stream's batches, when its consumer lets them be overwritten (`BatchOptions.reuseArrays`): a batch's
 * buffer comes back once the consumer asks for the next batch, and a later batch is gathered into it. Fresh memory is
 * what a first pass paid most for on this machine (census: 6.5 MB of batches a pass). A free list, not a ring: an
 * admission can complete several batches before the first of them is handed out.
 */
export class BatchBuffers {
  private readonly spare: ArrayBuffer[] = [];
  private readonly lent = new Map<Batch, ArrayBuffer>();

  /** A buffer of `bytes` bytes for `batch`'s arrays (recycled if one of that size is free). */
  lend(bytes: number): ArrayBuffer {
    const at = this.spare.findIndex((b) => b.byteLength === bytes);
    return at >= 0 ? this.spare.splice(at, 1)[0]! : new ArrayBuffer(bytes);
  }

  /** Notes that `batch`'s arrays are views of `buffer`. */
  holds(batch: Batch, buffer: ArrayBuffer): void {
    this.lent.set(batch, buffer);
  }

  /** `batch` is done with: its buffer may be overwritten. */
  giveBack(batch: Batch): void {
    const buffer = this.lent.get(batch);
    if (buffer === undefined) return;
    this.lent.delete(batch);
    this.spare.push(buffer);
  }
}

export class BatchAssembler {
  private readonly sizes: number[];
  /** Bytes of one output row, all tensors together. */
  private readonly rowBytes: number;
  private readonly copiers: RowCopier[];
  /** Tensors whose copier leaves values unwritten (one-hot blocks set their hot value only). */
  private readonly zeroFirst: boolean[];
  /** Where each appended row is: its slot of `source`. */
  private readonly slots: Int32Array;
  private source: RowStore | null = null;
  size = 0;

  constructor(
    private readonly dataset: string,
    private readonly tensors: readonly TensorPlan[],
    layout: RowLayout,
    readonly capacity: number,
    /** Where batch buffers come from and go back to, when the consumer allows it; otherwise each batch has a new one. */
    private readonly buffers: BatchBuffers | null = null,
  ) {
    this.sizes = tensors.map(rowSize);
    this.rowBytes = 4 * this.sizes.reduce((a, b) => a + b, 0);
    this.copiers = tensors.map((t) => rowCopier(t, layout));
    this.zeroFirst = tensors.map((t) => !writesEveryValue(t));
    this.slots = new Int32Array(capacity);
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

  /** Moves the unfinished batch's rows into `store`, row i into slot slots[i]: their old store may then go. */
  moveRows(store: RowStore, slots: Int32Array): void {
    for (let i = 0; i < this.size; i++) {
      store.copySlot(this.source!, this.slots[i]!, slots[i]!);
      this.slots[i] = slots[i]!;
    }
    if (this.size > 0) this.source = store;
  }

  /** Forgets the unfinished batch's rows; returns their slots, in order. */
  release(): Int32Array {
    const slots = this.slots.slice(0, this.size);
    this.size = 0;
    this.source = null;
    return slots;
  }

  /**
   * Copies `n` rows of `source` (slots[r] to output row r) into tensors, all views of one buffer (one allocation per
   * batch, not per tensor): a new buffer of the batch's size, or a recycled one sized for a full batch (`buffers`).
   */
  private gather(source: RowStore | null, slots: Int32Array, n: number): { buffer: ArrayBuffer; arrays: (Float32Array | Int32Array)[] } {
    const buffer = this.buffers ? this.buffers.lend(this.rowBytes * this.capacity) : new ArrayBuffer(this.rowBytes * n);
    let byteOffset = 0;
    const floats = source?.floats ?? new Float32Array(0);
    const ints = source?.ints ?? new Int32Array(0);
    const arrays = this.tensors.map((plan, t) => {
      const width = this.sizes[t]!;
      const at = byteOffset;
      byteOffset += 4 * n * width;
      const out = plan.dtype === 'int32' ? new Int32Array(buffer, at, n * width) : new Float32Array(buffer, at, n * width);
      // A recycled buffer holds an earlier batch: zeros the copier does not write must be written first.
      if (this.buffers && this.zeroFirst[t]) out.fill(0);
      this.copiers[t]!(out, n, floats, ints, slots);
      return out;
    });
    return { buffer, arrays };
  }

  /** The batch of the rows appended so far (exactly sized); the assembler starts a new one. */
  take(): Batch {
    return this.takeLater()();
  }

  /**
   * The batch of the rows appended so far, gathered when it is called, so its buffer is taken as late as can be (a
   * recycled one is then free): the rows must stay in their slots until then. The assembler starts a new one at once.
   */
  takeLater(): () => Batch {
    const n = this.size;
    const slots = this.slots.slice(0, n);
    const source = this.source;
    this.size = 0;
    this.source = null;
    return () => this.assemble(source, slots, n);
  }

  private assemble(source: RowStore | null, slots: Int32Array, n: number): Batch {
    const { buffer, arrays } = this.gather(source, slots, n);
    const batch: Batch = { dataset: this.dataset, size: n, inputs: {}, labels: {} };
    this.buffers?.holds(batch, buffer);
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
