/**
 * A dense layer over an input fed as kernel row ids (the onehot-lookup pass; compiler/ir/passes/onehot-lookup.ts): each
 * row of the input holds its numeric features' values and, for each one-hot feature, the kernel row its hot id selects
 * (-1: no id, an all-zero block). The layer's pre-activation is then
 *
 *   z[b] = bias + Σ_n x[b, n] · W[numericRows[n]] + Σ_k W[id[b, k]]
 *
 * which is onehot(x) · W + bias term for term, without the products of zeros: a census row has 32 hot ids among 500
 * one-hot columns. Its gradient reaches only the selected rows: dW[r] = Σ over the (b, n) reading r of x[b, n] · dz[b]
 * (1 for an id). Both ways are one call of a small WebAssembly SIMD routine over the tensors' values
 * (weighted-rows.ts: float32 sums; in JavaScript with float64 sums where it cannot run), on any backend; the dense form
 * sums the same terms in another order, so the two agree to float32 rounding (test/runtime/optimizations.test.ts),
 * not bit for bit.
 */
import * as tf from '@tensorflow/tfjs';
import { scatteredRowSums, weightedRowSums, type WeightedRows } from './weighted-rows.js';

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
export type Terms = WeightedRows;

/**
 * The terms of every row of `x`, numeric columns first (a zero number adds nothing and is left out), then ids (-1:
 * none): worked out once per batch, for the forward pass and its gradient. Into `into`'s arrays when given (at least
 * batch · columns terms and batch + 1 starts: the fused dense step's memory), else fresh ones.
 */
export function termsOf(layout: LookupLayout, x: Float32Array | Int32Array, batch: number, units: number, into?: Terms): Terms {
  const columns = layout.numericRows.length + layout.ids;
  const offset = into?.offset ?? new Int32Array(batch * columns);
  const weight = into?.weight ?? new Float32Array(batch * columns);
  const start = into?.start ?? new Int32Array(batch + 1);
  start[0] = 0;
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
  return { offset: offset.subarray(0, count), weight: weight.subarray(0, count), start };
}

/**
 * z = lookup(x) · W + bias, then ReLU when `relu`: [batch, units]. On the SIMD routine (weighted-rows.ts) where it
 * runs, else in JavaScript.
 */
export function embeddingBagForward(layout: LookupLayout, x: Float32Array, batch: number, kernel: Float32Array, bias: Float32Array, relu: boolean, terms = termsOf(layout, x, batch, bias.length)): Float32Array {
  const units = bias.length;
  const out = weightedRowSums(terms, kernel, bias, batch, units) ?? weightedRowSumsJs(terms, kernel, bias, batch, units);
  if (relu) for (let i = 0; i < out.length; i++) if (out[i]! < 0) out[i] = 0;
  return out;
}

/**
 * The kernel's gradient [width, units] from dz [batch, units] (already through the activation): each batch row's dz,
 * weighted, added to the kernel rows its terms read (the SIMD routine's scatter). Where that cannot run, in JavaScript:
 * the terms regrouped by kernel row (a counting sort, batch order kept within a row), each kernel row then the sum of
 * its terms' weighted dz rows. Rows no term reads get 0.
 */
export function embeddingBagKernelGradient(layout: LookupLayout, x: Float32Array, batch: number, dz: Float32Array, units: number, byBatch = termsOf(layout, x, batch, units)): Float32Array {
  const scattered = scatteredRowSums(byBatch, dz, batch, layout.width, units);
  if (scattered) return scattered;
  const terms = byBatch.offset.length;
  const start = new Int32Array(layout.width + 1);
  for (let t = 0; t < terms; t++) start[byBatch.offset[t]! / units + 1]++;
  for (let r = 0; r < layout.width; r++) start[r + 1] += start[r]!;
  const next = start.slice(0, layout.width);
  const offset = new Int32Array(terms);
  const weight = new Float32Array(terms);
  for (let b = 0; b < batch; b++) {
    for (let t = byBatch.start[b]!; t < byBatch.start[b + 1]!; t++) {
      const at = next[byBatch.offset[t]! / units]!++;
      offset[at] = b * units;
      weight[at] = byBatch.weight[t]!;
    }
  }
  return weightedRowSumsJs({ offset, weight, start }, dz, new Float32Array(units), layout.width, units);
}

/** Units summed at once in local variables (what V8 keeps in registers): 8 measured twice as fast as 4, 16 no faster. */
const BLOCK = 8;

/** weightedRowSums in JavaScript, BLOCK units at a time, float64 sums rounded once. */
function weightedRowSumsJs({ offset, weight, start }: Terms, table: Float32Array, init: Float32Array, rows: number, units: number): Float32Array {
  const out = new Float32Array(rows * units);
  const whole = units - (units % BLOCK);
  for (let n = 0; n < rows; n++) {
    const from = start[n]!, to = start[n + 1]!, o = n * units;
    for (let u = 0; u < whole; u += BLOCK) {
      let s0 = init[u]!, s1 = init[u + 1]!, s2 = init[u + 2]!, s3 = init[u + 3]!, s4 = init[u + 4]!, s5 = init[u + 5]!, s6 = init[u + 6]!, s7 = init[u + 7]!;
      for (let t = from; t < to; t++) {
        const r = offset[t]! + u, w = weight[t]!;
        s0 += w * table[r]!; s1 += w * table[r + 1]!; s2 += w * table[r + 2]!; s3 += w * table[r + 3]!;
        s4 += w * table[r + 4]!; s5 += w * table[r + 5]!; s6 += w * table[r + 6]!; s7 += w * table[r + 7]!;
      }
      out[o + u] = s0; out[o + u + 1] = s1; out[o + u + 2] = s2; out[o + u + 3] = s3;
      out[o + u + 4] = s4; out[o + u + 5] = s5; out[o + u + 6] = s6; out[o + u + 7] = s7;
    }
    for (let u = whole; u < units; u++) {
      let sum = init[u]!;
      for (let t = from; t < to; t++) sum += weight[t]! * table[offset[t]! + u]!;
      out[o + u] = sum;
    }
  }
  return out;
}
