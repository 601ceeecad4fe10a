/**
 * A dense layer over an input fed as kernel row ids (the onehot-lookup pass; compiler/ir/passes/onehot-lookup.ts): each
 * row of the input holds its numeric features' values and, for each one-hot feature, the kernel row its hot id selects
 * (-1: no id, an all-zero block). The layer's pre-activation is then
 *
 *   z[b] = bias + Σ_n x[b, n] · W[numericRows[n]] + Σ_k W[id[b, k]]
 *
 * which is onehot(x) · W + bias term for term, without the products of zeros: a census row has 32 hot ids among 500
 * one-hot columns. Its gradient reaches only the selected rows: dW[r] = Σ over the (b, n) reading r of x[b, n] · dz[b]
 * (1 for an id). The sums run in JavaScript over the tensors' data (float64 accumulators, rounded once), so on any
 * backend the op is one kernel each way; the dense form sums the same terms in another order, so the two agree to
 * float32 rounding (test/runtime/embedding-bag.test.ts), not bit for bit.
 */
import * as tf from '@tensorflow/tfjs';

/** Where a lookup input's values sit: its first columns are numeric features, the rest ids. */
export interface LookupLayout {
  /** The kernel row of each numeric column (columns 0 … numericRows.length - 1). */
  readonly numericRows: Int32Array;
  /** How many id columns follow: one per one-hot feature, each a kernel row or -1. */
  readonly ids: number;
  /** The kernel's rows: the width of the one-hot vector the input stands for. */
  readonly width: number;
}

const layouts = new WeakMap<tf.Tensor, LookupLayout>();

/** Marks a batch's input tensor as lookup-encoded, so dense layers that read it add kernel rows instead of multiplying. */
export function markLookup(x: tf.Tensor, layout: LookupLayout): tf.Tensor {
  layouts.set(x, layout);
  return x;
}

export const lookupLayoutOf = (x: tf.Tensor): LookupLayout | undefined => layouts.get(x);

/**
 * The one-hot vectors [rows, width] a lookup-encoded input stands for: what a dense layer over the one-hot features (a
 * package's tf.LayersModel) reads.
 */
export function oneHotRows(layout: LookupLayout, x: Float32Array | Int32Array, rows: number): Float32Array {
  const columns = layout.numericRows.length + layout.ids;
  const out = new Float32Array(rows * layout.width);
  for (let b = 0; b < rows; b++) {
    for (let n = 0; n < layout.numericRows.length; n++) out[b * layout.width + layout.numericRows[n]!] = x[b * columns + n]!;
    for (let k = 0; k < layout.ids; k++) {
      const id = x[b * columns + layout.numericRows.length + k]!;
      if (id >= 0) out[b * layout.width + id] = 1;
    }
  }
  return out;
}

/** A batch's terms, row by row: the kernel row (times `units`: an offset) and weight of each; row b's are start[b] … start[b + 1] - 1. */
interface Terms {
  offset: Int32Array;
  weight: Float64Array;
  start: Int32Array;
}

/** The terms of every row of `x`, numeric columns first (a zero number adds nothing and is left out), then ids (-1: none). */
function termsOf(layout: LookupLayout, x: Float32Array | Int32Array, batch: number, units: number): Terms {
  const columns = layout.numericRows.length + layout.ids;
  const offset = new Int32Array(batch * columns);
  const weight = new Float64Array(batch * columns);
  const start = new Int32Array(batch + 1);
  let count = 0;
  for (let b = 0; b < batch; b++) {
    const base = b * columns;
    for (let n = 0; n < layout.numericRows.length; n++) {
      const v = x[base + n]!;
      if (v === 0) continue;
      offset[count] = layout.numericRows[n]! * units;
      weight[count++] = v;
    }
    for (let k = 0; k < layout.ids; k++) {
      const id = x[base + layout.numericRows.length + k]!;
      if (id < 0) continue;
      offset[count] = id * units;
      weight[count++] = 1;
    }
    start[b + 1] = count;
  }
  return { offset, weight, start };
}

/** Units summed at once in local variables (what V8 keeps in registers): 8 measured twice as fast as 4, 16 no faster. */
const BLOCK = 8;

/** z = lookup(x) · W + bias, then ReLU when `relu`: [batch, units]; a row's terms summed in order. */
export function embeddingBagForward(layout: LookupLayout, x: Float32Array, batch: number, kernel: Float32Array, bias: Float32Array, relu: boolean): Float32Array {
  const units = bias.length;
  const out = new Float32Array(batch * units);
  const { offset, weight, start } = termsOf(layout, x, batch, units);
  const whole = units - (units % BLOCK);
  const put = (at: number, sum: number) => (out[at] = relu && sum < 0 ? 0 : sum);
  for (let b = 0; b < batch; b++) {
    const from = start[b]!, to = start[b + 1]!, o = b * units;
    for (let u = 0; u < whole; u += BLOCK) {
      let s0 = bias[u]!, s1 = bias[u + 1]!, s2 = bias[u + 2]!, s3 = bias[u + 3]!, s4 = bias[u + 4]!, s5 = bias[u + 5]!, s6 = bias[u + 6]!, s7 = bias[u + 7]!;
      for (let t = from; t < to; t++) {
        const r = offset[t]! + u, w = weight[t]!;
        s0 += w * kernel[r]!; s1 += w * kernel[r + 1]!; s2 += w * kernel[r + 2]!; s3 += w * kernel[r + 3]!;
        s4 += w * kernel[r + 4]!; s5 += w * kernel[r + 5]!; s6 += w * kernel[r + 6]!; s7 += w * kernel[r + 7]!;
      }
      put(o + u, s0); put(o + u + 1, s1); put(o + u + 2, s2); put(o + u + 3, s3);
      put(o + u + 4, s4); put(o + u + 5, s5); put(o + u + 6, s6); put(o + u + 7, s7);
    }
    for (let u = whole; u < units; u++) {
      let sum = bias[u]!;
      for (let t = from; t < to; t++) sum += weight[t]! * kernel[offset[t]! + u]!;
      put(o + u, sum);
    }
  }
  return out;
}

/**
 * The kernel's gradient [width, units] from dz [batch, units] (already through the activation): the batch's terms
 * grouped by the kernel row they read (a counting sort, batch order kept within a row), then per kernel row the sum
 * over its terms, BLOCK units at a time. Rows no term reads get 0.
 */
export function embeddingBagKernelGradient(layout: LookupLayout, x: Float32Array, batch: number, dz: Float32Array, units: number): Float32Array {
  const { offset, weight, start: rowStart } = termsOf(layout, x, batch, units);
  const terms = rowStart[batch]!;
  const batchOf = new Int32Array(terms);
  for (let b = 0; b < batch; b++) batchOf.fill(b * units, rowStart[b]!, rowStart[b + 1]!);
  const start = new Int32Array(layout.width + 1);
  for (let t = 0; t < terms; t++) start[offset[t]! / units + 1]++;
  for (let r = 0; r < layout.width; r++) start[r + 1] += start[r]!;
  const next = start.slice(0, layout.width);
  const order = new Int32Array(terms);
  for (let t = 0; t < terms; t++) order[next[offset[t]! / units]!++] = t;

  const out = new Float32Array(layout.width * units);
  const whole = units - (units % BLOCK);
  for (let r = 0; r < layout.width; r++) {
    const from = start[r]!, to = start[r + 1]!, o = r * units;
    if (from === to) continue;
    for (let u = 0; u < whole; u += BLOCK) {
      let s0 = 0, s1 = 0, s2 = 0, s3 = 0, s4 = 0, s5 = 0, s6 = 0, s7 = 0;
      for (let i = from; i < to; i++) {
        const t = order[i]!;
        const d = batchOf[t]! + u, w = weight[t]!;
        s0 += w * dz[d]!; s1 += w * dz[d + 1]!; s2 += w * dz[d + 2]!; s3 += w * dz[d + 3]!;
        s4 += w * dz[d + 4]!; s5 += w * dz[d + 5]!; s6 += w * dz[d + 6]!; s7 += w * dz[d + 7]!;
      }
      out[o + u] = s0; out[o + u + 1] = s1; out[o + u + 2] = s2; out[o + u + 3] = s3;
      out[o + u + 4] = s4; out[o + u + 5] = s5; out[o + u + 6] = s6; out[o + u + 7] = s7;
    }
    for (let u = whole; u < units; u++) {
      let sum = 0;
      for (let i = from; i < to; i++) sum += weight[order[i]!]! * dz[batchOf[order[i]!]! + u]!;
      out[o + u] = sum;
    }
  }
  return out;
}
