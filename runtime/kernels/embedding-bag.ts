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

/** The row ids and weights of one input row, numeric columns first: [rows, weights, count]. */
function termsOf(layout: LookupLayout, x: Float32Array, b: number, rows: Int32Array, weights: Float64Array): number {
  const columns = layout.numericRows.length + layout.ids;
  const base = b * columns;
  let count = 0;
  for (let n = 0; n < layout.numericRows.length; n++) {
    const v = x[base + n]!;
    if (v === 0) continue;
    rows[count] = layout.numericRows[n]!;
    weights[count++] = v;
  }
  for (let k = 0; k < layout.ids; k++) {
    const id = x[base + layout.numericRows.length + k]!;
    if (id < 0) continue;
    rows[count] = id;
    weights[count++] = 1;
  }
  return count;
}

/**
 * z = lookup(x) · W + bias, then ReLU when `relu`: [batch, units]. Four units at a time in local accumulators (what V8
 * keeps in registers), summing a row's terms in order: several times faster than accumulating in an array.
 */
export function embeddingBagForward(layout: LookupLayout, x: Float32Array, batch: number, kernel: Float32Array, bias: Float32Array, relu: boolean): Float32Array {
  const units = bias.length;
  const out = new Float32Array(batch * units);
  const rows = new Int32Array(layout.numericRows.length + layout.ids);
  const weights = new Float64Array(rows.length);
  const whole = units - (units % 4);
  for (let b = 0; b < batch; b++) {
    const count = termsOf(layout, x, b, rows, weights);
    for (let t = 0; t < count; t++) rows[t] = rows[t]! * units;
    const o = b * units;
    for (let u = 0; u < units; u += 4) {
      if (u >= whole) {
        for (let v = u; v < units; v++) {
          let sum = bias[v]!;
          for (let t = 0; t < count; t++) sum += weights[t]! * kernel[rows[t]! + v]!;
          out[o + v] = relu && sum < 0 ? 0 : sum;
        }
        break;
      }
      let s0 = bias[u]!, s1 = bias[u + 1]!, s2 = bias[u + 2]!, s3 = bias[u + 3]!;
      for (let t = 0; t < count; t++) {
        const r = rows[t]! + u;
        const w = weights[t]!;
        s0 += w * kernel[r]!;
        s1 += w * kernel[r + 1]!;
        s2 += w * kernel[r + 2]!;
        s3 += w * kernel[r + 3]!;
      }
      out[o + u] = relu && s0 < 0 ? 0 : s0;
      out[o + u + 1] = relu && s1 < 0 ? 0 : s1;
      out[o + u + 2] = relu && s2 < 0 ? 0 : s2;
      out[o + u + 3] = relu && s3 < 0 ? 0 : s3;
    }
  }
  return out;
}

/**
 * The kernel's gradient [width, units] from dz [batch, units] (already through the activation): the batch's terms
 * grouped by the kernel row they read (a counting sort), then per row its sum over those terms, four units at a time
 * in local accumulators. Rows no term reads get 0.
 */
export function embeddingBagKernelGradient(layout: LookupLayout, x: Float32Array, batch: number, dz: Float32Array, units: number): Float32Array {
  const perRow = layout.numericRows.length + layout.ids;
  const termRow = new Int32Array(batch * perRow);
  const termBatch = new Int32Array(batch * perRow);
  const termWeight = new Float64Array(batch * perRow);
  const rows = new Int32Array(perRow);
  const weights = new Float64Array(perRow);
  let terms = 0;
  for (let b = 0; b < batch; b++) {
    const count = termsOf(layout, x, b, rows, weights);
    for (let t = 0; t < count; t++, terms++) {
      termRow[terms] = rows[t]!;
      termBatch[terms] = b * units;
      termWeight[terms] = weights[t]!;
    }
  }
  // Counting sort of the terms by kernel row, keeping batch order within a row.
  const start = new Int32Array(layout.width + 1);
  for (let t = 0; t < terms; t++) start[termRow[t]! + 1]++;
  for (let r = 0; r < layout.width; r++) start[r + 1] += start[r]!;
  const next = start.slice(0, layout.width);
  const order = new Int32Array(terms);
  for (let t = 0; t < terms; t++) order[next[termRow[t]!]!++] = t;

  const out = new Float32Array(layout.width * units);
  const whole = units - (units % 4);
  for (let r = 0; r < layout.width; r++) {
    const from = start[r]!, to = start[r + 1]!;
    if (from === to) continue;
    const o = r * units;
    for (let u = 0; u < whole; u += 4) {
      let s0 = 0, s1 = 0, s2 = 0, s3 = 0;
      for (let i = from; i < to; i++) {
        const t = order[i]!;
        const d = termBatch[t]! + u;
        const w = termWeight[t]!;
        s0 += w * dz[d]!;
        s1 += w * dz[d + 1]!;
        s2 += w * dz[d + 2]!;
        s3 += w * dz[d + 3]!;
      }
      out[o + u] = s0;
      out[o + u + 1] = s1;
      out[o + u + 2] = s2;
      out[o + u + 3] = s3;
    }
    for (let u = whole; u < units; u++) {
      let sum = 0;
      for (let i = from; i < to; i++) sum += termWeight[order[i]!]! * dz[termBatch[order[i]!]! + u]!;
      out[o + u] = sum;
    }
  }
  return out;
}
