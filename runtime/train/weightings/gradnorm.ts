/**
 * gradnorm (Chen et al. 2018, GradNorm: Gradient Normalization for Adaptive Loss Balancing in Deep Multitask
 * Networks): Σ w_t L_t with learned w_t (1 to start). Every step, G_t = ‖∇_W (w_t L_t)‖ with W the last shared
 * layer's weights, Ḡ their mean, r_t = L̃_t / mean_s L̃_s the relative inverse training rate (L̃_t = L_t / L_t(0), L_t(0)
 * a task's loss at its first step), and L_grad = Σ_t |G_t − Ḡ r_t^α| with the targets Ḡ r_t^α held constant. The
 * model's update is the gradient of Σ w_t L_t (the task gradients of the shared parameters come back unchanged, and
 * `sum` adds them); w follows −∇_w L_grad = −sign(G_t − Ḡ r_t^α) ‖∇_W L_t‖, by plain gradient descent with rate `lr`
 * (the paper fixes no optimizer for w), then is renormalised so the step's tasks' weights sum to their count.
 *
 * W is the last shared parameter of rank 2 in build order (the last shared layer's kernel), or the last shared
 * parameter when none has rank 2. G_t is measured in `balance` (the per-task step's gradient seam) and w moves in
 * `endStep`, once the step's losses are read.
 */
import * as tf from '@tensorflow/tfjs';
import type { WeightingPlan } from '../../../job/job.js';
import { field } from '../../checkpoint/state.js';
import { weighted, type WeightingRuntime } from './weighting.js';

export const gradnorm: WeightingRuntime<Extract<WeightingPlan, { kind: 'gradnorm' }>> = {
  runnable: true,
  logsWeights: true,
  create(plan, job) {
    const weights = new Map(job.tasks.map((t) => [t.name, 1]));
    const initialLoss = new Map<string, number>();
    let norms: { tasks: readonly string[]; values: tf.Tensor } | null = null;
    return {
      params: [],
      term: (task, loss) => weighted(loss, weights.get(task) ?? 1),
      endEpoch: () => {},
      // Between steps `norms` is empty: endStep has used them.
      state: {
        save: () => ({ weights: Object.fromEntries(weights), initialLoss: Object.fromEntries(initialLoss) }),
        restore: (saved) => {
          for (const [t, w] of Object.entries(field<Record<string, number>>(saved, 'weights'))) weights.set(t, w);
          initialLoss.clear();
          for (const [t, l] of Object.entries(field<Record<string, number>>(saved, 'initialLoss'))) initialLoss.set(t, l);
        },
      },
      balance: ({ tasks, params, gradients }) => {
        // No parameter shared by the step's tasks (a stage of one task): no norms, w stays.
        if (params.length === 0) return gradients.map((row) => [...row]);
        const kernels = params.map((p, i) => [p, i] as const).filter(([p]) => p.variable.rank === 2);
        const last = kernels.length > 0 ? kernels[kernels.length - 1]![1] : params.length - 1;
        norms?.values.dispose();
        norms = { tasks, values: tf.keep(tf.stack(gradients.map((row) => tf.norm(row[last]!)))) };
        return gradients.map((row) => [...row]);
      },
      endStep: (losses) => {
        if (norms === null) return;
        const { tasks } = norms;
        const g = [...norms.values.dataSync()];
        norms.values.dispose();
        norms = null;
        for (const t of tasks) if (!initialLoss.has(t)) initialLoss.set(t, losses[t]!);
        const relative = tasks.map((t) => (initialLoss.get(t)! > 0 ? losses[t]! / initialLoss.get(t)! : 1));
        const meanRelative = relative.reduce((a, b) => a + b, 0) / tasks.length;
        const meanNorm = g.reduce((a, b) => a + b, 0) / tasks.length;
        tasks.forEach((t, k) => {
          const target = meanNorm * (meanRelative > 0 ? relative[k]! / meanRelative : 1) ** plan.alpha;
          const w = weights.get(t)!;
          // ∂|G_t − target|/∂w_t = sign(G_t − target)·‖∇_W L_t‖, and ‖∇_W L_t‖ = G_t / w_t
          const gradient = w !== 0 ? (Math.sign(g[k]! - target) * g[k]!) / Math.abs(w) : 0;
          weights.set(t, w - plan.lr * gradient);
        });
        const total = tasks.reduce((s, t) => s + weights.get(t)!, 0);
        if (total !== 0) for (const t of tasks) weights.set(t, (weights.get(t)! * tasks.length) / total);
      },
      current: () => Object.fromEntries(weights),
      dispose: () => {
        norms?.values.dispose();
        norms = null;
      },
    };
  },
  examples: [
    // w = 1 as created: 2 + 3 = 5
    { plan: { kind: 'gradnorm', alpha: 1.5, lr: 0.1 }, weights: { a: 1, b: 1 }, losses: { a: 2, b: 3 }, total: 5, current: { a: 1, b: 1 } },
    // first step, losses = L(0): r = [1, 1]; G = [5, 1], Ḡ = 3, targets [3, 3]; ∇_w = [+5/1, −1/1]; w = [1 − 0.5, 1 + 0.1]
    // = [0.5, 1.1], renormalised ·2/1.6 = [0.625, 1.375]
    {
      plan: { kind: 'gradnorm', alpha: 1.5, lr: 0.1 }, weights: { a: 1, b: 1 }, losses: { a: 2, b: 1 }, total: 3,
      balance: { steps: [[[[3, 4]], [[0, 1]]]], losses: [{ a: 2, b: 1 }], balanced: [[[3, 4]], [[0, 1]]] },
      current: { a: 0.625, b: 1.375 },
    },
    // then, α = ½: G = [1.25, 2.75], Ḡ = 2; L̃ = [1/2, 1/1], r = [2/3, 4/3]; targets 2·r^½ ≈ [1.633, 2.309];
    // G_a below, G_b above: ∇_w = [−1.25/0.625, +2.75/1.375] = [−2, 2]; w = [0.825, 1.175] (sum 2, kept)
    {
      plan: { kind: 'gradnorm', alpha: 0.5, lr: 0.1 }, weights: { a: 1, b: 1 }, losses: { a: 2, b: 1 }, total: 3,
      balance: {
        steps: [[[[3, 4]], [[0, 1]]], [[[0, 1.25]], [[2.75, 0]]]],
        losses: [{ a: 2, b: 1 }, { a: 1, b: 1 }],
        balanced: [[[0, 1.25]], [[2.75, 0]]],
      },
      current: { a: 0.825, b: 1.175 },
    },
  ],
};
