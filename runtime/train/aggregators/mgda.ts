/**
 * mgda: the multiple-gradient descent algorithm as Sener & Koltun (2018, "Multi-Task Learning as Multi-Objective
 * Optimization") apply it: the update is the min-norm point of the convex hull of the task gradients,
 * d = Σ_t w_t g_t with w = argmin_{w in the simplex} wᵀGw. Two tasks have the closed form of the paper's Algorithm 1;
 * more run the Frank-Wolfe solver of its Algorithm 2 on G (from uniform weights, exact line search), with away steps
 * (Lacoste-Julien & Jaggi 2015) so that it reaches a point on a face of the simplex in few steps rather than
 * zig-zagging towards it. Not MGDA-UB: the gradients are those of the shared parameters, not of the representation.
 */
import type { AggregationPlan } from '../../../job/job.js';
import type { AggregatorRuntime } from './aggregator.js';
import { dot, gramAggregator, scaleOf, times, type Matrix } from './gram.js';
import { stateless } from '../../checkpoint/state.js';

/** γ minimising ‖γ u + (1 - γ) v‖² over [0, 1], from uu = ‖u‖², uv = u·v, vv = ‖v‖² (Algorithm 1). */
export function minNormOfTwo(uu: number, uv: number, vv: number): number {
  if (uv >= uu) return 1;
  if (uv >= vv) return 0;
  return (vv - uv) / (uu + vv - 2 * uv);
}

/** The weights of the min-norm point of the convex hull of the gradients whose Gram matrix is `gram`. */
export function minNormWeights(gram: Matrix, maxSteps = 1000): number[] {
  const tasks = gram.length;
  if (tasks === 1) return [1];
  if (tasks === 2) {
    const gamma = minNormOfTwo(gram[0]![0]!, gram[0]![1]!, gram[1]![1]!);
    return [gamma, 1 - gamma];
  }
  const tolerance = 1e-15 * scaleOf(gram);
  const w = new Array<number>(tasks).fill(1 / tasks);
  for (let step = 0; step < maxSteps; step++) {
    const gw = times(gram, w); // half the gradient of wᵀGw
    const wgw = dot(w, gw);
    let toward = 0;
    let away = -1;
    for (let t = 0; t < tasks; t++) {
      if (gw[t]! < gw[toward]!) toward = t;
      if (w[t]! > 0 && (away < 0 || gw[t]! > gw[away]!)) away = t;
    }
    const frankWolfeGap = wgw - gw[toward]!;
    if (frankWolfeGap <= tolerance) break;
    const awayGap = gw[away]! - wgw;
    // d: the direction in weights; the step along it is at most `limit` (staying in the simplex).
    const d = w.map((wt, t) => (frankWolfeGap >= awayGap ? (t === toward ? 1 : 0) - wt : wt - (t === away ? 1 : 0)));
    const limit = frankWolfeGap >= awayGap ? 1 : w[away]! / (1 - w[away]!);
    const curvature = dot(d, times(gram, d));
    const slope = dot(gw, d);
    const gamma = curvature > 0 ? Math.min(limit, Math.max(0, -slope / curvature)) : limit;
    if (!(gamma > 0)) break;
    for (let t = 0; t < tasks; t++) w[t] = Math.max(0, w[t]! + gamma * d[t]!);
    if (gamma === limit && frankWolfeGap < awayGap) w[away] = 0;
  }
  return w;
}

export const mgda: AggregatorRuntime<Extract<AggregationPlan, { kind: 'mgda' }>> = {
  runnable: true,
  create: () => gramAggregator((gram) => minNormWeights(gram), stateless('its weights are a function of the step\'s gradients alone')),
  examples: [
    // g1 = [1, 0], g2 = [0, 2]: γ = (4 - 0)/(1 + 4 - 0) = 0.8, d = 0.8 g1 + 0.2 g2 = [0.8, 0.4] (d ⟂ g1 - g2)
    { plan: { kind: 'mgda' }, gradients: [[[1, 0]], [[0, 2]]], aggregated: [[0.8, 0.4]] },
    // g1 = [1 | 0], g2 = [2 | 1] over two parameters: g1·g2 = 2 ≥ ‖g1‖² = 1, so g1 itself is the min-norm point
    { plan: { kind: 'mgda' }, gradients: [[[1], [0]], [[2], [1]]], aggregated: [[1], [0]] },
    // three orthogonal g1 = [1, 0, 0], g2 = [0, 2, 0], g3 = [0, 0, 2]: w_t ∝ 1/‖g_t‖² = (1, 1/4, 1/4)/1.5,
    // d = [2/3, 2·1/6, 2·1/6] = [2/3, 1/3, 1/3] (d·g_t = 2/3 = ‖d‖² for every t)
    { plan: { kind: 'mgda' }, gradients: [[[1, 0, 0]], [[0, 2, 0]], [[0, 0, 2]]], aggregated: [[2 / 3, 1 / 3, 1 / 3]] },
    // g1 = [1, 0], g2 = [0, 1], g3 = [2, 2]: the segment g1–g2 holds the min-norm point [0.5, 0.5] (norm² 0.5), and
    // d·g3 = 2 ≥ 0.5, so g3's weight is 0
    { plan: { kind: 'mgda' }, gradients: [[[1, 0]], [[0, 1]], [[2, 2]]], aggregated: [[0.5, 0.5]] },
    // g1 = [1, 0], g2 = [0, 1], g3 = [-1, -1]: the origin is their mean, so d = 0
    { plan: { kind: 'mgda' }, gradients: [[[1, 0]], [[0, 1]], [[-1, -1]]], aggregated: [[0, 0]] },
  ],
};
