/**
 * dwa, dynamic weight average (Liu et al. 2019): Σ λ_t w_t L_t, λ_t = K softmax_t(r_t / T), r_t = L̄_t(e-1) / L̄_t(e-2),
 * where L̄ is a task's mean training loss over an epoch; λ = 1 for the first two epochs.
 */
import type { WeightingPlan } from '../../../job/job.js';
import { field } from '../../checkpoint/state.js';
import { staticWeights, weighted, type WeightingRuntime } from './weighting.js';

export const dwa: WeightingRuntime<Extract<WeightingPlan, { kind: 'dwa' }>> = {
  runnable: true,
  logsWeights: true,
  create(plan, job) {
    const weights = staticWeights(job);
    const history: Record<string, number>[] = [];
    let lambda = new Map<string, number>();
    return {
      params: [],
      term: (task, loss) => weighted(loss, (lambda.get(task) ?? 1) * (weights.get(task) ?? 1)),
      endEpoch: (mean) => {
        history.push({ ...mean });
        if (history.length < 2) return;
        const [older, newer] = history.slice(-2) as [Record<string, number>, Record<string, number>];
        const tasks = Object.keys(newer).filter((t) => older[t]! > 0);
        const scores = tasks.map((t) => Math.exp(newer[t]! / older[t]! / plan.t));
        const total = scores.reduce((a, b) => a + b, 0);
        lambda = new Map(tasks.map((t, i) => [t, (tasks.length * scores[i]!) / total]));
      },
      state: {
        save: () => ({ history, lambda: Object.fromEntries(lambda) }),
        restore: (saved) => {
          history.splice(0, history.length, ...field<Record<string, number>[]>(saved, 'history').map((h) => ({ ...h })));
          lambda = new Map(Object.entries(field<Record<string, number>>(saved, 'lambda')));
        },
      },
      current: () => Object.fromEntries([...weights.keys()].map((t) => [t, (lambda.get(t) ?? 1) * weights.get(t)!])),
      dispose: () => {},
    };
  },
  examples: [
    // one epoch ended: λ = 1, total 0.5·2 + 2·3 = 7
    { plan: { kind: 'dwa', t: 2 }, weights: { a: 0.5, b: 2 }, history: [{ a: 1, b: 1 }], losses: { a: 2, b: 3 }, total: 7, current: { a: 0.5, b: 2 } },
    // r = [0.5/1, 1/1], λ = 2·softmax([0.25, 0.5]); total λ_a·2 + λ_b·1
    {
      plan: { kind: 'dwa', t: 2 },
      weights: { a: 1, b: 1 },
      history: [{ a: 1, b: 1 }, { a: 0.5, b: 1 }],
      losses: { a: 2, b: 1 },
      total: (2 * 2 * Math.exp(0.25) + 2 * Math.exp(0.5)) / (Math.exp(0.25) + Math.exp(0.5)),
      current: { a: (2 * Math.exp(0.25)) / (Math.exp(0.25) + Math.exp(0.5)), b: (2 * Math.exp(0.5)) / (Math.exp(0.25) + Math.exp(0.5)) },
    },
    // three epochs, only the last two count: r = [1/2, 1/2, 3/2], T = 1, λ = 3·softmax(r) = 3[e^½, e^½, e^{3/2}]/(2e^½ + e^{3/2});
    // weights w·λ = [λ_a, 2λ_b, ½λ_c]; total λ_a·1 + 2λ_b·1 + ½λ_c·2 = (9e^½ + 3e^{3/2})/(2e^½ + e^{3/2})
    (() => {
      const [e, f] = [Math.exp(0.5), Math.exp(1.5)];
      const d = 2 * e + f;
      return {
        plan: { kind: 'dwa', t: 1 } as const,
        weights: { a: 1, b: 2, c: 0.5 },
        history: [{ a: 1, b: 2, c: 4 }, { a: 2, b: 2, c: 2 }, { a: 1, b: 1, c: 3 }],
        losses: { a: 1, b: 1, c: 2 },
        total: (9 * e + 3 * f) / d,
        current: { a: (3 * e) / d, b: (6 * e) / d, c: (1.5 * f) / d },
      };
    })(),
  ],
};
