/**
 * rlw, random loss weighting (Lin et al. 2022, Reasonable Effectiveness of Random Weighting: A Litmus Test for
 * Multi-Task Learning): Σ λ_t w_t L_t with λ = softmax(ε), ε_t ~ N(0, 1) drawn afresh every step for the step's tasks.
 * The draws come from a stream of the job's training seed (standard normals by Box–Muller, one pair of uniforms each),
 * so a seed gives one run.
 */
import type { WeightingPlan } from '../../../job/job.js';
import { Random } from '../../random.js';
import { field } from '../../checkpoint/state.js';
import { staticWeights, weighted, type WeightingRuntime } from './weighting.js';

/** One standard normal: Box–Muller's cosine branch on two uniforms (1 - u keeps the log finite). */
export function standardNormal(random: Random): number {
  const u = random.next();
  const v = random.next();
  return Math.sqrt(-2 * Math.log(1 - u)) * Math.cos(2 * Math.PI * v);
}

// Random(7).fork('rlw')'s first eight (7: the test jobs' training seed) uniforms, read once from runtime/random.ts (its own tests pin the generator).
const U = [0.2118047650437802, 0.17569770570844412, 0.03287569619715214, 0.34790778276510537, 0.8815974555909634, 0.7840026677586138, 0.939426411408931, 0.03415481955744326];
/** Box–Muller by hand on uniforms i, i+1. */
const boxMuller = (i: number) => Math.sqrt(-2 * Math.log(1 - U[i]!)) * Math.cos(2 * Math.PI * U[i + 1]!);
/** softmax([ε_a, ε_b]). */
const softmax2 = (a: number, b: number): [number, number] => [Math.exp(a) / (Math.exp(a) + Math.exp(b)), Math.exp(b) / (Math.exp(a) + Math.exp(b))];
// ε = [0.31053, -0.14922] → λ = [0.61295, 0.38705]
const [FIRST_A, FIRST_B] = softmax2(boxMuller(0), boxMuller(2));
// ε = [0.43799, 2.31376] → λ = [0.13288, 0.86712]
const [SECOND_A, SECOND_B] = softmax2(boxMuller(4), boxMuller(6));

export const rlw: WeightingRuntime<Extract<WeightingPlan, { kind: 'rlw' }>> = {
  runnable: true,
  // A fresh draw every step: an epoch's last one says nothing about the epoch.
  logsWeights: false,
  create(_plan, job) {
    const weights = staticWeights(job);
    const random = new Random(job.training.seed).fork('rlw');
    // Before the first step: softmax of zeros, 1/K each.
    let lambda = new Map([...weights.keys()].map((t) => [t, 1 / weights.size]));
    return {
      params: [],
      beginStep: (tasks) => {
        const scores = tasks.map(() => Math.exp(standardNormal(random)));
        const total = scores.reduce((a, b) => a + b, 0);
        lambda = new Map(tasks.map((t, i) => [t, scores[i]! / total]));
      },
      term: (task, loss) => weighted(loss, (lambda.get(task) ?? 1) * (weights.get(task) ?? 1)),
      endEpoch: () => {},
      state: {
        save: () => ({ random: random.state(), lambda: Object.fromEntries(lambda) }),
        restore: (saved) => {
          random.restore(field<number[]>(saved, 'random'));
          lambda = new Map(Object.entries(field<Record<string, number>>(saved, 'lambda')));
        },
      },
      current: () => Object.fromEntries([...weights].map(([t, w]) => [t, (lambda.get(t) ?? 0) * w])),
      dispose: () => {},
    };
  },
  examples: [
    // seed 7, first step: λ = [0.61295, 0.38705]; total λ_a·1·2 + λ_b·2·3 = 3.54818; weights [λ_a, 2λ_b]
    {
      plan: { kind: 'rlw' }, weights: { a: 1, b: 2 }, losses: { a: 2, b: 3 },
      total: FIRST_A * 2 + FIRST_B * 6, current: { a: FIRST_A, b: 2 * FIRST_B },
    },
    // seed 7, one step taken before: the second draw, λ = [0.13288, 0.86712]; total 2λ_a + 6λ_b = 5.46850
    {
      plan: { kind: 'rlw' }, weights: { a: 1, b: 2 }, steps: [{ a: 5, b: 5 }], losses: { a: 2, b: 3 },
      total: SECOND_A * 2 + SECOND_B * 6, current: { a: SECOND_A, b: 2 * SECOND_B },
    },
  ],
};
