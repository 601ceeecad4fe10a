/**
 * imtl_g: the gradient half of impartial multi-task learning (Liu et al. 2021, "Towards Impartial Multi-task
 * Learning", IMTL-G): d = Σ_t α_t g_t with Σ α_t = 1 and equal projections of d onto every unit task gradient
 * u_t = g_t/‖g_t‖. The paper's closed form, with D and U the rows g_1 - g_t and u_1 - u_t (t ≥ 2):
 * α_{2..T} = g_1 Uᵀ (D Uᵀ)⁻¹, α_1 = 1 - Σ α_{2..T}, whose entries are all inner products read from G. A task with a
 * zero gradient has no direction and takes no part; when D Uᵀ is singular (parallel gradients, where any α gives
 * equal projections) the weights are equal.
 */
import type { AggregationPlan } from '../../../job/job.js';
import type { AggregatorRuntime } from './aggregator.js';
import { gramAggregator, scaleOf, solveLinear, type Matrix } from './gram.js';
import { stateless } from '../../checkpoint/state.js';

export function imtlGWeights(gram: Matrix): number[] {
  const weights = new Array<number>(gram.length).fill(0);
  const active = gram.flatMap((row, t) => (row[t]! > 1e-20 * scaleOf(gram) ? [t] : []));
  if (active.length === 0) return weights;
  const norm = gram.map((row, t) => Math.sqrt(row[t]!));
  const [first, ...rest] = active as [number, ...number[]];
  // g_a·u_b = G[a][b]/‖g_b‖
  const gu = (a: number, b: number) => gram[a]![b]! / norm[b]!;
  const r = rest.map((l) => gu(first, first) - gu(first, l));
  // (D Uᵀ)[k][l] = (g_1 - g_k)·(u_1 - u_l); α solves α (D Uᵀ) = g_1 Uᵀ, i.e. (D Uᵀ)ᵀ αᵀ = (g_1 Uᵀ)ᵀ
  const transposed = rest.map((l) => rest.map((k) => gu(first, first) - gu(first, l) - gu(k, first) + gu(k, l)));
  const alpha = solveLinear(transposed, r);
  if (!alpha) {
    active.forEach((t) => (weights[t] = 1 / active.length));
    return weights;
  }
  rest.forEach((t, k) => (weights[t] = alpha[k]!));
  weights[first] = 1 - alpha.reduce((s, a) => s + a, 0);
  return weights;
}

export const imtlG: AggregatorRuntime<Extract<AggregationPlan, { kind: 'imtl_g' }>> = {
  runnable: true,
  create: () => gramAggregator(imtlGWeights, stateless('its weights are a function of the step\'s gradients alone')),
  examples: [
    // g1 = [1, 0], g2 = [0, 2]: d = α g1 + (1 - α) g2 = [α, 2 - 2α]; d·u1 = α = d·u2 = 2 - 2α gives α = 2/3, d = [2/3, 2/3]
    { plan: { kind: 'imtl_g' }, gradients: [[[1, 0]], [[0, 2]]], aggregated: [[2 / 3, 2 / 3]] },
    // g1 = [1, 0], g2 = [1, 1]: d = [1, 1 - α]; d·u1 = 1 = d·u2 = (2 - α)/√2 gives α = 2 - √2, d = [1, √2 - 1]
    // (both projections 1)
    { plan: { kind: 'imtl_g' }, gradients: [[[1, 0]], [[1, 1]]], aggregated: [[1, Math.SQRT2 - 1]] },
    // orthogonal g1 = [1 | 0, 0], g2 = [0 | 2, 0], g3 = [0 | 0, 4] over two parameters: α ∝ 1/‖g_t‖ = (1, 1/2, 1/4),
    // α = (4, 2, 1)/7 and d = [4/7 | 4/7, 4/7], whose projection on every u_t is 4/7
    { plan: { kind: 'imtl_g' }, gradients: [[[1], [0, 0]], [[0], [2, 0]], [[0], [0, 4]]], aggregated: [[4 / 7], [4 / 7, 4 / 7]] },
  ],
};
