/**
 * nash_mtl: Nash-MTL (Navon et al. 2022, "Multi-Task Learning as a Bargaining Game"). The update d = Σ_t α_t g_t is
 * the Nash bargaining solution: α > 0 with α_i (Gα)_i = 1 for every task, i.e. d·g_i = 1/α_i, so ‖d‖² = T whatever
 * the gradients' scale, and a task's scale drops out of d (alone, α = 1/‖g‖ and g comes back with length 1).
 *
 * How this differs from the authors' code (AvivNavon/nash-mtl, `NashMTL`): they divide G by its Frobenius norm for
 * the solver but multiply it back in their constraints (α_i ‖G‖ (G'α)_i ≥ 1), so the equations they solve are those
 * on G, as here (checked against their solver: on [[1, 0], [0, 2]] both give α = (1, 1/2)); their stopping test reads
 * the equations on G' = G/‖G‖ instead, and α' = √‖G‖·α solves those. They approximate α by up to 20 convex programs
 * (CVXPY, ECOS) around a linearisation of the concave part, warm-started from the last step's α, stopping at a
 * residual of 1e-3. Here α is exact: with β_i = ‖g_i‖ α_i the equations become β_i (Cβ)_i = 1 on the cosines C
 * (scale-free, so better conditioned than G'), the stationarity conditions of the strictly convex, self-concordant
 * ½βᵀCβ − Σ log β_i, minimised by damped Newton steps (a step of 1/(1 + λ), λ the Newton decrement, stays in β > 0
 * and converges from any start), deterministically from β = 1 (the answer for orthogonal gradients). Their
 * `max_norm` clipping of the update is not part of the aggregation.
 *
 * α exists only when some direction improves every task (0 is not in the convex hull of the gradients): a task with
 * a zero gradient (below 1e-20 of the largest squared norm, as for imtl_g) gets weight 0 and the others are solved;
 * when the unit gradients' min-norm point is zero to what a float32 Gram matrix resolves, the tasks are
 * Pareto-stationary and the update is 0, as MGDA's (α would grow without bound). `update_weights_every: k` reuses a
 * set of tasks' α for k steps, as the authors' option does; the per-task gradients are still computed every step
 * here, so it saves only the solve.
 */
import type { AggregationPlan } from '../../../job/job.js';
import type { AggregatorRuntime } from './aggregator.js';
import { FLOAT32_EPSILON, dot, gramAggregator, scaleOf, solveLinear, times, type Matrix } from './gram.js';
import { minNormWeights } from './mgda.js';

/** β > 0 with β_i (Cβ)_i = 1: the minimiser of ½βᵀCβ − Σ log β_i (C has a unit diagonal and no zero in the hull). */
function bargain(c: Matrix, maxSteps = 1000): number[] {
  let beta = c.map(() => 1);
  let previous = Infinity;
  for (let step = 0; step < maxSteps; step++) {
    const gradient = times(c, beta).map((x, i) => x - 1 / beta[i]!);
    const hessian = c.map((row, i) => row.map((x, j) => (i === j ? x + 1 / beta[i]! ** 2 : x)));
    const newton = solveLinear(hessian, gradient.map((x) => -x));
    if (!newton) break;
    const decrement = Math.sqrt(Math.max(0, -dot(gradient, newton)));
    // near the minimum λ falls quadratically; when it stops falling it is rounding, and a step would only add noise
    if (decrement < 0.25 && !(decrement < previous)) break;
    // damped while far (λ > 1/4): the self-concordant step; then full steps
    const length = decrement > 0.25 ? 1 / (1 + decrement) : 1;
    beta = beta.map((b, i) => b + length * newton[i]!);
    if (decrement < 1e-10) break;
    previous = decrement;
  }
  return beta;
}

/** The weights α of d = Σ α_t g_t (α_i (Gα)_i = 1 on the tasks with a gradient, 0 for the rest). */
export function nashMtlWeights(gram: Matrix): number[] {
  const weights = new Array<number>(gram.length).fill(0);
  const active = gram.flatMap((row, t) => (row[t]! > 1e-20 * scaleOf(gram) ? [t] : []));
  if (active.length === 0) return weights;
  const norm = active.map((t) => Math.sqrt(gram[t]![t]!));
  const cosines = active.map((a, i) => active.map((b, j) => (i === j ? 1 : gram[a]![b]! / (norm[i]! * norm[j]!))));
  const hull = minNormWeights(cosines);
  if (dot(hull, times(cosines, hull)) <= FLOAT32_EPSILON) return weights;
  bargain(cosines).forEach((b, i) => (weights[active[i]!] = b / norm[i]!));
  return weights;
}

export const nashMtl: AggregatorRuntime<Extract<AggregationPlan, { kind: 'nash_mtl' }>> = {
  runnable: true,
  create: (plan) => {
    // per set of tasks (stages and datasets change it): the weights and the steps they have served
    const kept = new Map<string, { weights: number[]; steps: number }>();
    return gramAggregator((gram, tasks) => {
      const key = tasks.join('\u0000');
      const last = kept.get(key);
      if (last && last.steps < plan.updateWeightsEvery) {
        last.steps += 1;
        return last.weights;
      }
      const weights = nashMtlWeights(gram);
      kept.set(key, { weights, steps: 1 });
      return weights;
    }, {
      save: () => [...kept].map(([key, k]) => ({ key, weights: k.weights, steps: k.steps })),
      restore: (saved) => {
        kept.clear();
        for (const k of saved as { key: string; weights: number[]; steps: number }[]) kept.set(k.key, { weights: [...k.weights], steps: k.steps });
      },
    });
  },
  changesOneTask: 'alone, α = 1/‖g‖ solves α‖g‖²α = 1: the gradient comes back with length 1 (‖d‖² = T for any T tasks, the paper\'s and the authors\' scale)',
  examples: [
    // orthogonal g1 = [1, 0], g2 = [0, 2]: α_i ‖g_i‖² α_i = 1 gives α = (1, 1/2), d = [1, 1] (the authors' solver agrees)
    { plan: { kind: 'nash_mtl', updateWeightsEvery: 1 }, gradients: [[[1, 0]], [[0, 2]]], aggregated: [[1, 1]] },
    // two tasks: α_i ‖g_i‖ = 1/√(1 + cos θ) solves both equations, d = (u1 + u2)/√(1 + cos θ). torchjd's J = [[-4, 1, 1],
    // [6, 1, 1]]: ‖g1‖² = 18, ‖g2‖² = 38, cos θ = -22/√684; d = [0.07658, 0.99853, 0.99853], torchjd's documented
    // [0.0542, 0.7061, 0.7061] times √2 (they clip ‖d‖ = √2 to max_norm 1)
    {
      plan: { kind: 'nash_mtl', updateWeightsEvery: 1 },
      gradients: [[[-4, 1, 1]], [[6, 1, 1]]],
      aggregated: [[-4, 1, 1].map((x, k) => (x / Math.sqrt(18) + [6, 1, 1][k]! / Math.sqrt(38)) / Math.sqrt(1 - 22 / Math.sqrt(684)))],
    },
    // two equal gradients [3, 4]: cos θ = 1, α = 1/(5√2) each, d = 2g/(5√2) = √2 [0.6, 0.8]
    { plan: { kind: 'nash_mtl', updateWeightsEvery: 1 }, gradients: [[[3, 4]], [[3, 4]]], aggregated: [[0.6 * Math.SQRT2, 0.8 * Math.SQRT2]] },
    // g1 = [1 | 0], g2 = [0 | 1], g3 = [2 | 2] over two parameters; by symmetry β = (x, x, y) on the cosines
    // (c13 = c23 = 1/√2): x² + xy/√2 = 1 and y² + √2 xy = 1 give x = √(2/3), y = 1/√3; α = (x, x, y/(2√2)),
    // d = [√1.5 | √1.5] (d·g1 = √1.5 = 1/α1, d·g3 = 4√1.5 = 2√6 = 1/α3); g3's scale does not change d
    { plan: { kind: 'nash_mtl', updateWeightsEvery: 1 }, gradients: [[[1], [0]], [[0], [1]], [[2], [2]]], aggregated: [[Math.sqrt(1.5)], [Math.sqrt(1.5)]] },
    // a zero gradient g2 gets weight 0: g1 = [2, 0], g3 = [0, 1] are solved alone, α = (1/2, 0, 1), d = [1, 1]
    { plan: { kind: 'nash_mtl', updateWeightsEvery: 1 }, gradients: [[[2, 0]], [[0, 0]], [[0, 1]]], aggregated: [[1, 1]] },
    // g1 = [1, 1], g2 = [-2, -2]: opposite, 0 is in their convex hull (Pareto-stationary), no α exists: d = 0
    { plan: { kind: 'nash_mtl', updateWeightsEvery: 1 }, gradients: [[[1, 1]], [[-2, -2]]], aggregated: [[0, 0]] },
  ],
};
