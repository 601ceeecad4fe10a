/**
 * upgrad: unconflicting projection of gradients (Quinton & Rey 2024, "Jacobian Descent for Multi-Objective
 * Optimization"), as torchjd's `UPGrad` computes it: each task gradient g_i (a row of the Jacobian J) is projected
 * onto the dual cone {v : Jv ≥ 0} of all of them, and the projections are averaged. The projection of Jᵀu is Jᵀw
 * with w = argmin_{v ≥ u} vᵀGv (its dual on G), solved here exactly by an active-set method, for u = e_i/T.
 * As torchjd does, G is first divided by its trace and 1e-4·I is added (reg_eps: keeps G positive definite); this
 * moves the result slightly off the exact projection (on J = [[-4, 1, 1], [6, 1, 1]], 0.2929 instead of 0.2924).
 * torchjd zeroes a G whose trace is below 1e-4 (its norm_eps); here only an all-zero G is left unnormalised, so
 * small gradients late in training are still projected.
 */
import type { AggregationPlan } from '../../../job/job.js';
import type { AggregatorRuntime } from './aggregator.js';
import { gramAggregator, nonNegativeQp, times, type Matrix } from './gram.js';
import { stateless } from '../../checkpoint/state.js';

const REGULARIZATION = 1e-4;

export function upgradWeights(gram: Matrix): number[] {
  const tasks = gram.length;
  const trace = gram.reduce((s, row, t) => s + row[t]!, 0);
  const g = gram.map((row, i) => row.map((x, j) => (trace > 0 ? x / trace : 0) + (i === j ? REGULARIZATION : 0)));
  const weights = new Array<number>(tasks).fill(0);
  for (let i = 0; i < tasks; i++) {
    const u = gram.map((_, t) => (t === i ? 1 / tasks : 0));
    // v = u + λ, λ ≥ 0 minimising ½λᵀGλ + λᵀGu
    const lambda = nonNegativeQp(g, times(g, u));
    lambda.forEach((l, t) => (weights[t]! += u[t]! + l));
  }
  return weights;
}

export const upgrad: AggregatorRuntime<Extract<AggregationPlan, { kind: 'upgrad' }>> = {
  runnable: true,
  create: () => gramAggregator(upgradWeights, stateless('its weights are a function of the step\'s gradients alone')),
  examples: [
    // torchjd's documented case J = [[-4, 1, 1], [6, 1, 1]]: G = [[18, -22], [-22, 38]], trace 56, so G' = G/56 + 1e-4 I.
    // Row 1 conflicts with row 2: v = (1/2, λ), λ = (22/56)(1/2)/(38/56 + 1e-4) = 11/38.0056; row 2: v = (λ', 1/2),
    // λ' = 11/18.0056. Weights (1/2 + 11/18.0056, 1/2 + 11/38.0056) give [0.292902, 1.900352, 1.900352]
    // (torchjd: [0.2929, 1.9004, 1.9004]; the exact projections would give [0.292398, 1.900585, 1.900585])
    {
      plan: { kind: 'upgrad' },
      gradients: [[[-4, 1, 1]], [[6, 1, 1]]],
      aggregated: [[-4 * (0.5 + 11 / 18.0056) + 6 * (0.5 + 11 / 38.0056), 0.5 + 11 / 18.0056 + 0.5 + 11 / 38.0056, 0.5 + 11 / 18.0056 + 0.5 + 11 / 38.0056]],
    },
    // no conflict, g1 = [1, 0] and g2 = [1, 1] (g1·g2 = 1 ≥ 0): both lie in the dual cone, d is their mean [1, 0.5]
    { plan: { kind: 'upgrad' }, gradients: [[[1, 0]], [[1, 1]]], aggregated: [[1, 0.5]] },
  ],
};
