/**
 * aligned_mtl: Aligned-MTL (Senushkin et al. 2023, "Independent Component Alignment for Multi-Task Learning"). With
 * G = V Λ Vᵀ, the task gradients J = V Σ Uᵀ are replaced by the aligned ones Ĵ = σ_min V Uᵀ = σ_min V Λ^-½ Vᵀ J: the
 * same directions with condition number 1, scaled by the smallest singular value σ_min = √λ_min; the update is the
 * sum of their rows, d = 1ᵀ B J with B = √λ_min V Λ^-½ Vᵀ (LibMTL's Aligned_MTL, and the authors' `scale_mode='min'`).
 * Eigenvalues below λ_max · T · 2⁻²³ (LibMTL's rank tolerance, float32) count as zero: the rank-deficient part is left out.
 */
import type { AggregationPlan } from '../../../job/job.js';
import type { AggregatorRuntime } from './aggregator.js';
import { FLOAT32_EPSILON, gramAggregator, symmetricEigen, type Matrix } from './gram.js';
import { stateless } from '../../checkpoint/state.js';

/**
 * B, with the aligned task gradients Ĵ = B J: B = √λ_min Σ_k v_k v_kᵀ/√λ_k over the kept eigenpairs of G, so that
 * Ĵ Ĵᵀ = B G B = λ_min times the projector onto them (every kept singular value of Ĵ is √λ_min).
 */
export function alignmentMatrix(gram: Matrix): Matrix {
  const tasks = gram.length;
  const { values, vectors } = symmetricEigen(gram);
  const largest = Math.max(0, ...values);
  const kept = values.flatMap((l, k) => (l > largest * tasks * FLOAT32_EPSILON && l > 0 ? [k] : []));
  const b: Matrix = gram.map(() => new Array<number>(tasks).fill(0));
  if (kept.length === 0) return b;
  const sigmaMin = Math.sqrt(Math.min(...kept.map((k) => values[k]!)));
  for (const k of kept) {
    const v = vectors[k]!;
    const scale = sigmaMin / Math.sqrt(values[k]!);
    v.forEach((x, i) => v.forEach((y, j) => (b[i]![j]! += scale * x * y)));
  }
  return b;
}

/** w = B 1 (B is symmetric): the update is the sum of the aligned rows. */
export function alignedMtlWeights(gram: Matrix): number[] {
  return alignmentMatrix(gram).map((row) => row.reduce((s, x) => s + x, 0));
}

export const alignedMtl: AggregatorRuntime<Extract<AggregationPlan, { kind: 'aligned_mtl' }>> = {
  runnable: true,
  create: () => gramAggregator(alignedMtlWeights, stateless('its weights are a function of the step\'s gradients alone')),
  examples: [
    // g1 = [1, 0], g2 = [0, 2]: G = diag(1, 4), σ_min = 1, aligned rows [1, 0] and [0, 1], d = [1, 1]
    { plan: { kind: 'aligned_mtl' }, gradients: [[[1, 0]], [[0, 2]]], aggregated: [[1, 1]] },
    // g1 = [2, 1], g2 = [1, 2]: G = [[5, 4], [4, 5]], λ = 9 along (1, 1)/√2 and 1 along (1, -1)/√2, σ_min = 1;
    // B = (1/3)·½[[1, 1], [1, 1]] + ½[[1, -1], [-1, 1]] = [[2/3, -1/3], [-1/3, 2/3]], aligned rows BJ = [1, 0] and
    // [0, 1], d = [1, 1] (w = B1 = (1/3, 1/3))
    { plan: { kind: 'aligned_mtl' }, gradients: [[[2, 1]], [[1, 2]]], aggregated: [[1, 1]] },
    // g1 = [3 | 0], g2 = [0 | 1], g3 = [0 | 0] over two parameters: G = diag(9, 1, 0), rank 2, σ_min = 1, the aligned
    // rows [1 | 0] and [0 | 1], the zero direction left out: d = [1 | 1]
    { plan: { kind: 'aligned_mtl' }, gradients: [[[3], [0]], [[0], [1]], [[0], [0]]], aggregated: [[1], [1]] },
  ],
};
