/**
 * cagrad: conflict-averse gradient descent (Liu et al. 2021, "Conflict-Averse Gradient Descent for Multi-task
 * Learning"). With g0 the average task gradient and φ = c²‖g0‖², w = argmin over the simplex of g_wᵀg0 + √φ‖g_w‖
 * (g_w = Σ_t w_t g_t), and d = g0 + (√φ/‖g_w‖) g_w. The small problem is solved on G by projected gradient descent
 * with backtracking (its objective is convex). As in the authors' code and LibMTL (their default `rescale = 1`), d is
 * divided by 1 + c², which keeps the step's scale as c grows; c = 0 gives the average gradient.
 */
import type { AggregationPlan } from '../../../job/job.js';
import type { AggregatorRuntime } from './aggregator.js';
import { dot, gramAggregator, projectOntoSimplex, quadratic, scaleOf, times, type Matrix } from './gram.js';
import { stateless } from '../../checkpoint/state.js';

/** The weights of d (rescaled by 1/(1 + c²)) for the gradients whose Gram matrix is `gram`. */
export function cagradWeights(gram: Matrix, c: number, maxSteps = 10000): number[] {
  const tasks = gram.length;
  const mean = new Array<number>(tasks).fill(1 / tasks);
  const radius = c * Math.sqrt(Math.max(0, quadratic(gram, mean))); // √φ = c‖g0‖
  const tiny = 1e-20 * Math.max(1e-300, scaleOf(gram));
  const toward = times(gram, mean); // ∂(g_wᵀg0)/∂w
  const objective = (w: number[]): number => dot(w, toward) + radius * Math.sqrt(Math.max(0, quadratic(gram, w)));
  let w = [...mean];
  if (radius > 0 && tasks > 1) {
    let value = objective(w);
    let step = 1 / Math.max(1e-300, scaleOf(gram));
    for (let n = 0; n < maxSteps; n++) {
      const gw = times(gram, w);
      const norm = Math.sqrt(Math.max(0, dot(w, gw)));
      const gradient = toward.map((a, t) => a + (norm > Math.sqrt(tiny) ? (radius * gw[t]!) / norm : 0));
      let next = w;
      let nextValue = value;
      for (let halvings = 0; halvings < 60; halvings++) {
        next = projectOntoSimplex(w.map((wt, t) => wt - step * gradient[t]!));
        nextValue = objective(next);
        const moved = next.map((x, t) => x - w[t]!);
        if (nextValue <= value + dot(gradient, moved) + dot(moved, moved) / (2 * step)) break;
        step /= 2;
      }
      const change = Math.max(...next.map((x, t) => Math.abs(x - w[t]!)));
      w = next;
      value = nextValue;
      if (change < 1e-15) break;
      step *= 1.5;
    }
  }
  const norm = Math.sqrt(Math.max(0, quadratic(gram, w)));
  const along = norm > Math.sqrt(tiny) ? radius / norm : 0;
  return mean.map((m, t) => (m + along * w[t]!) / (1 + c * c));
}

export const cagrad: AggregatorRuntime<Extract<AggregationPlan, { kind: 'cagrad' }>> = {
  runnable: true,
  create: (plan) => gramAggregator((gram) => cagradWeights(gram, plan.c), stateless('its weights are a function of the step\'s gradients alone')),
  changesOneTask: 'alone, g0 = g_w = g and d = (1 + c)g, divided by 1 + c² as in the authors\' code: (1 + c)/(1 + c²) times g',
  examples: [
    // c = 0: d = g0, the mean: ([1, 0] + [-1, 1])/2 = [0, 0.5]
    { plan: { kind: 'cagrad', c: 0 }, gradients: [[[1, 0]], [[-1, 1]]], aggregated: [[0, 0.5]] },
    // g1 = [1, 0], g2 = [0, 1], c = 0.5: by symmetry w = (1/2, 1/2), g_w = g0 = [0.5, 0.5], √φ = 0.5‖g0‖, so
    // d = (1 + 0.5) g0 = [0.75, 0.75], / (1 + 0.25) = [0.6, 0.6]
    { plan: { kind: 'cagrad', c: 0.5 }, gradients: [[[1, 0]], [[0, 1]]], aggregated: [[0.6, 0.6]] },
    // Two tasks in closed form: g1 = [2, 0], g2 = [0, 1], c = 2; g0 = [1, 0.5], φ = 4·1.25 = 5. With w = (x, 1 - x),
    // F'(x) = 3/2 + √5(10x - 2)/(2√q), q = 5x² - 2x + 1 = (u² + 16)/20 for u = 10x - 2; F' = 0 gives
    // u² = 144/(20φ - 9) = 144/91, u = -12/√91, x = 0.0742059, ‖g_w‖ = 20/√455, and
    // d = g0 + (√5 √455/20) g_w = (0.4 + √91/10)[1, 2]; / (1 + 4) = [0.08 + √91/50, 0.16 + √91/25]
    { plan: { kind: 'cagrad', c: 2 }, gradients: [[[2, 0]], [[0, 1]]], aggregated: [[0.08 + Math.sqrt(91) / 50, 0.16 + Math.sqrt(91) / 25]] },
  ],
};
