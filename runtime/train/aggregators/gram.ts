/**
 * What the gradient aggregators other than `sum` share: each is a weighting of the task gradients, d = Σ_t w_t g_t,
 * with the weights worked out from the tasks' Gram matrix G (T×T, G[i][j] = Σ over shared parameters of g_i·g_j).
 * G is computed with tf once per step and read to JS with one `dataSync`; the small problem each method poses on G
 * (projections, a min-norm point, a QP, an eigendecomposition) is solved here in plain JS, in float64; then d is
 * formed per parameter as tensors. Nothing per parameter is projected: every method's update is a linear combination
 * of the task gradients, so tracking its coefficients on G is exact.
 */
import * as tf from '@tensorflow/tfjs';
import type { CheckpointedAggregator, TaskGradients, WeighingAggregator } from './aggregator.js';
import type { Checkpointed } from '../../checkpoint/state.js';

export type Matrix = number[][];

/** float32's machine epsilon: the gradients and their Gram matrix are float32, so finer differences are rounding. */
export const FLOAT32_EPSILON = 2 ** -23;

/**
 * The Gram matrix of the task gradients, read to JS once: `rows[k][i]` is task k's gradient of the i-th thing
 * differentiated (a shared parameter, or the shared representation), and the products add over all of them.
 */
export function gramMatrix(rows: readonly (readonly tf.Tensor[])[]): Matrix {
  const tasks = rows.length;
  const gram = tf.tidy(() => {
    const perParam = (rows[0] ?? []).map((_, i) => {
      const stacked = tf.stack(rows.map((row) => tf.reshape(row[i]!, [-1])));
      return tf.matMul(stacked, stacked, false, true);
    });
    // No shared parameter (a stage that trains one task of a shared trunk): every product is 0.
    if (perParam.length === 0) return tf.zeros([tasks, tasks]);
    return perParam.length === 1 ? perParam[0]! : tf.addN(perParam);
  });
  const values = gram.dataSync();
  gram.dispose();
  return Array.from({ length: tasks }, (_, i) => Array.from({ length: tasks }, (_, j) => values[i * tasks + j]!));
}

/** d = Σ_t w_t g_t for every shared parameter, shaped like it. */
export function combine(gradients: TaskGradients, weights: readonly number[]): tf.Tensor[] {
  return tf.tidy(() => {
    const w = tf.tensor2d([...weights], [1, weights.length]);
    return gradients.params.map((param, i) => {
      const rows = tf.stack(gradients.gradients.map((row) => tf.reshape(row[i]!, [-1])));
      return tf.reshape(tf.matMul(w, rows), param.variable.shape);
    });
  });
}

/**
 * A per-task aggregator whose update is Σ_t w_t g_t with w computed from the Gram matrix by `weightsOf` (given the
 * step's tasks too, for a method that keeps weights across steps); it gives `weightsOf` as its `weigh` too, for the
 * step on the shared representation.
 */
export function gramAggregator(weightsOf: (gram: Matrix, tasks: readonly string[]) => number[], state: Checkpointed): CheckpointedAggregator<WeighingAggregator> {
  return { perTask: true, aggregate: (gradients) => combine(gradients, weightsOf(gramMatrix(gradients.gradients), gradients.tasks)), weigh: weightsOf, state };
}

// ---------------------------------------------------------------- small dense linear algebra, float64

export const dot = (a: readonly number[], b: readonly number[]): number => a.reduce((s, x, i) => s + x * b[i]!, 0);
export const times = (m: Matrix, v: readonly number[]): number[] => m.map((row) => dot(row, v));
/** vᵀ G v: the squared norm of Σ_t v_t g_t. */
export const quadratic = (g: Matrix, v: readonly number[]): number => dot(v, times(g, v));
/** The largest diagonal entry: the scale tolerances are taken relative to (the largest squared gradient norm). */
export const scaleOf = (g: Matrix): number => Math.max(0, ...g.map((row, i) => row[i]!));

/** Solves A x = b by Gaussian elimination with partial pivoting; null when A is singular (to a relative `tolerance`). */
export function solveLinear(a: Matrix, b: readonly number[], tolerance = 1e-12): number[] | null {
  const n = b.length;
  const m = a.map((row, i) => [...row, b[i]!]);
  const scale = Math.max(0, ...a.flat().map(Math.abs));
  for (let col = 0; col < n; col++) {
    let pivot = col;
    for (let r = col + 1; r < n; r++) if (Math.abs(m[r]![col]!) > Math.abs(m[pivot]![col]!)) pivot = r;
    if (!(Math.abs(m[pivot]![col]!) > tolerance * scale)) return null;
    [m[col], m[pivot]] = [m[pivot]!, m[col]!];
    for (let r = col + 1; r < n; r++) {
      const f = m[r]![col]! / m[col]![col]!;
      for (let c = col; c <= n; c++) m[r]![c]! -= f * m[col]![c]!;
    }
  }
  const x = new Array<number>(n).fill(0);
  for (let r = n - 1; r >= 0; r--) {
    let s = m[r]![n]!;
    for (let c = r + 1; c < n; c++) s -= m[r]![c]! * x[c]!;
    x[r] = s / m[r]![r]!;
  }
  return x;
}

/**
 * min ½ xᵀAx + bᵀx subject to x ≥ 0, A symmetric positive definite: the active-set method of Lawson and Hanson
 * (exact after finitely many solves of the free block, which small T keeps cheap).
 */
export function nonNegativeQp(a: Matrix, b: readonly number[]): number[] {
  const n = b.length;
  const tolerance = 1e-13 * Math.max(1e-300, scaleOf(a), ...b.map(Math.abs));
  const x = new Array<number>(n).fill(0);
  const free = new Array<boolean>(n).fill(false);
  const solveFree = (): number[] | null => {
    const idx = free.flatMap((f, i) => (f ? [i] : []));
    const z = solveLinear(idx.map((i) => idx.map((j) => a[i]![j]!)), idx.map((i) => -b[i]!));
    if (!z) return null;
    const full = new Array<number>(n).fill(0);
    idx.forEach((i, k) => (full[i] = z[k]!));
    return full;
  };
  for (let outer = 0; outer < 3 * n + 3; outer++) {
    const grad = times(a, x).map((g, i) => g + b[i]!);
    let k = -1;
    for (let i = 0; i < n; i++) if (!free[i] && grad[i]! < -tolerance && (k < 0 || grad[i]! < grad[k]!)) k = i;
    if (k < 0) break;
    free[k] = true;
    for (let inner = 0; inner <= n; inner++) {
      const z = solveFree();
      if (!z) return x;
      if (free.every((f, i) => !f || z[i]! > 0)) {
        z.forEach((v, i) => (x[i] = v));
        break;
      }
      let alpha = 1;
      for (let i = 0; i < n; i++) if (free[i] && z[i]! <= 0) alpha = Math.min(alpha, x[i]! / (x[i]! - z[i]!));
      for (let i = 0; i < n; i++) {
        if (!free[i]) continue;
        x[i] = x[i]! + alpha * (z[i]! - x[i]!);
        if (x[i]! <= tolerance) {
          x[i] = 0;
          free[i] = false;
        }
      }
    }
  }
  return x;
}

/** The eigenvalues and eigenvectors (`vectors[k]` belongs to `values[k]`) of a symmetric matrix, by cyclic Jacobi rotations. */
export function symmetricEigen(g: Matrix): { values: number[]; vectors: number[][] } {
  const n = g.length;
  const a = g.map((row) => [...row]);
  const v: Matrix = a.map((_, i) => a.map((_, j) => (i === j ? 1 : 0)));
  for (let sweep = 0; sweep < 100; sweep++) {
    let off = 0;
    for (let i = 0; i < n; i++) for (let j = i + 1; j < n; j++) off += a[i]![j]! ** 2;
    if (off <= 1e-30 * Math.max(1e-300, ...a.map((row, i) => row[i]! ** 2))) break;
    for (let p = 0; p < n; p++) {
      for (let q = p + 1; q < n; q++) {
        if (a[p]![q] === 0) continue;
        const theta = (a[q]![q]! - a[p]![p]!) / (2 * a[p]![q]!);
        const t = Math.sign(theta || 1) / (Math.abs(theta) + Math.sqrt(theta * theta + 1));
        const c = 1 / Math.sqrt(t * t + 1);
        const s = t * c;
        for (let k = 0; k < n; k++) {
          const akp = a[k]![p]!, akq = a[k]![q]!;
          a[k]![p] = c * akp - s * akq;
          a[k]![q] = s * akp + c * akq;
        }
        for (let k = 0; k < n; k++) {
          const apk = a[p]![k]!, aqk = a[q]![k]!;
          a[p]![k] = c * apk - s * aqk;
          a[q]![k] = s * apk + c * aqk;
        }
        for (let k = 0; k < n; k++) {
          const vkp = v[k]![p]!, vkq = v[k]![q]!;
          v[k]![p] = c * vkp - s * vkq;
          v[k]![q] = s * vkp + c * vkq;
        }
      }
    }
  }
  return { values: a.map((row, i) => row[i]!), vectors: a.map((_, k) => v.map((row) => row[k]!)) };
}

/** The Euclidean projection of `v` onto the probability simplex (sort-based). */
export function projectOntoSimplex(v: readonly number[]): number[] {
  const u = [...v].sort((x, y) => y - x);
  let cumulative = 0;
  let theta = 0;
  for (let k = 0; k < u.length; k++) {
    cumulative += u[k]!;
    const t = (cumulative - 1) / (k + 1);
    if (u[k]! - t > 0) theta = t;
  }
  return v.map((x) => Math.max(0, x - theta));
}
