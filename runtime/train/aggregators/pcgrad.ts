/**
 * pcgrad: projecting conflicting gradients (Yu et al. 2020, "Gradient Surgery for Multi-Task Learning", Algorithm 1).
 * For each task i, in a random order of the OTHER tasks j (the paper's j ≠ i; the authors' and LibMTL's code also
 * visit i itself, which changes nothing for two tasks), g_i is replaced by its projection onto the normal plane of
 * g_j whenever g_i·g_j < 0, always against the original g_j; the update is the sum of the projected gradients.
 * Each projected gradient is a combination Σ_k c_k g_k, so the projections run on the Gram matrix's coefficients.
 * The orders come from a stream of the job's training seed, one shuffle per task per step: a seed gives one run.
 */
import type { AggregationPlan } from '../../../job/job.js';
import { Random } from '../../random.js';
import { field } from '../../checkpoint/state.js';
import type { AggregatorRuntime } from './aggregator.js';
import { gramAggregator, type Matrix } from './gram.js';

/** The weights of Σ_i PC(g_i), each task's others visited in the order `orderOf(i)` draws. */
export function pcgradWeights(gram: Matrix, orderOf: (i: number, others: number[]) => number[]): number[] {
  const tasks = gram.length;
  const weights = new Array<number>(tasks).fill(0);
  for (let i = 0; i < tasks; i++) {
    const c: number[] = gram.map((_, k) => (k === i ? 1 : 0));
    for (const j of orderOf(i, gram.map((_, k) => k).filter((k) => k !== i))) {
      const along = c.reduce((s, ck, k) => s + ck * gram[k]![j]!, 0);
      if (along < 0 && gram[j]![j]! > 0) c[j]! -= along / gram[j]![j]!;
    }
    c.forEach((ck, k) => (weights[k]! += ck));
  }
  return weights;
}

export const pcgrad: AggregatorRuntime<Extract<AggregationPlan, { kind: 'pcgrad' }>> = {
  runnable: true,
  create: (_plan, seed) => {
    const random = new Random(seed).fork('pcgrad');
    return gramAggregator((gram) => pcgradWeights(gram, (_i, others) => random.shuffle(others)), {
      save: () => ({ random: random.state() }),
      restore: (saved) => random.restore(field<number[]>(saved, 'random')),
    });
  },
  examples: [
    // g1 = [1 | 0], g2 = [-1 | 1] over two parameters, g1·g2 = -1: g1 - (-1/2)g2 = [0.5 | 0.5], g2 - (-1/1)g1 = [0 | 1];
    // sum [0.5 | 1.5]. With two tasks each has one other: no order to draw, the same for any seed (seeds 0 and 1).
    { plan: { kind: 'pcgrad' }, seed: 0, gradients: [[[1], [0]], [[-1], [1]]], aggregated: [[0.5], [1.5]] },
    { plan: { kind: 'pcgrad' }, seed: 1, gradients: [[[1], [0]], [[-1], [1]]], aggregated: [[0.5], [1.5]] },
    // g1 = [2, 0], g2 = [-1, 1], g3 = [0, -1]; g1·g2 = -2, g1·g3 = 0, g2·g3 = -1. Seed 1 draws the orders
    // 1: (g2, g3), 2: (g1, g3), 3: (g1, g2). g1 → g1 + g2 = [1, 1] → + g3 (·g3 = -1) = [1, 0];
    // g2 → g2 + g1/2 = [0, 1] → + g3 = [0, 0]; g3 (·g1 = 0, kept) → g3 + g2/2 = [-0.5, -0.5]. Sum [0.5, -0.5].
    { plan: { kind: 'pcgrad' }, seed: 1, gradients: [[[2, 0]], [[-1, 1]], [[0, -1]]], aggregated: [[0.5, -0.5]] },
    // The same gradients, seed 4 draws 1: (g3, g2), 2: (g3, g1), 3: (g2, g1). g1 (·g3 = 0, kept) → + g2 = [1, 1];
    // g2 → g2 + g3 = [-1, 0] → + g1/2 = [0, 0]; g3 → g3 + g2/2 = [-0.5, -0.5] → (·g1 = -1) + g1/4 = [0, -0.5].
    // Sum [1, 0.5]: the order matters with three tasks.
    { plan: { kind: 'pcgrad' }, seed: 4, gradients: [[[2, 0]], [[-1, 1]], [[0, -1]]], aggregated: [[1, 0.5]] },
  ],
};
