/**
 * db_mtl, dual-balancing multi-task learning (Lin et al. 2023, Dual-Balancing Multi-Task Learning), as LibMTL's
 * DB_MTL.py computes it. Loss-scale balancing: each task's term is log(L_t + 1e-8), so what only one task uses (its
 * head) follows ∇ log L_t. Gradient-magnitude balancing (`balance`): each task's gradient of the shared parameters is
 * averaged over the steps, ĝ_t ← g_t + β_k (ĝ_t − g_t) with β_k = β / k^σ at step k (ĝ_t = 0 before the first), and
 * scaled to the largest norm, α_t = max_s ‖ĝ_s‖ / (‖ĝ_t‖ + 1e-8) over all the shared parameters at once; the job's
 * aggregation then combines the α_t ĝ_t (with `sum`, the default, Σ_t α_t ĝ_t: the paper's update). `current` gives
 * the α_t of the last step (1 before any).
 */
import * as tf from '@tensorflow/tfjs';
import type { WeightingPlan } from '../../../job/job.js';
import { field } from '../../checkpoint/state.js';
import type { WeightingRuntime } from './weighting.js';

const EPSILON = 1e-8;

export const dbMtl: WeightingRuntime<Extract<WeightingPlan, { kind: 'db_mtl' }>> = {
  runnable: true,
  logsWeights: true,
  create(plan, job) {
    const tasks = job.tasks.map((t) => t.name);
    /** ĝ_t of each task and shared parameter, kept across steps. */
    const averages = new Map<string, tf.Tensor>();
    let steps = 0;
    let alpha: Record<string, number> | null = null;
    let alphaTensor: { tasks: readonly string[]; values: tf.Tensor } | null = null;
    const key = (task: string, param: string) => `${task}\u0000${param}`;
    const currentAlpha = (): Record<string, number> => {
      if (alphaTensor && alpha === null) {
        const values = alphaTensor.values.dataSync();
        alpha = Object.fromEntries(alphaTensor.tasks.map((t, k) => [t, values[k]!]));
      }
      return Object.fromEntries(tasks.map((t) => [t, alpha?.[t] ?? 1]));
    };
    return {
      params: [],
      term: (_task, loss) => tf.log<tf.Scalar>(tf.add<tf.Scalar>(loss, EPSILON)),
      endEpoch: () => {},
      balance: ({ tasks: stepTasks, params, gradients }) => {
        // No parameter shared by the step's tasks (a stage of one task): nothing to balance, no step counted.
        if (params.length === 0) return gradients.map((row) => [...row]);
        steps += 1;
        const beta = plan.beta / steps ** plan.betaSigma;
        const averaged = stepTasks.map((task, k) =>
          params.map((param, i) => {
            const g = gradients[k]![i]!;
            const before = averages.get(key(task, param.name));
            const next = tf.keep(before ? tf.add(g, tf.mul(tf.sub(before, g), beta)) : tf.mul(g, 1 - beta));
            before?.dispose();
            averages.set(key(task, param.name), next);
            return next;
          }),
        );
        const norms = tf.stack(averaged.map((row) => tf.sqrt(tf.addN(row.map((g) => tf.sum(tf.square(g)))))));
        const scales = tf.div(tf.max(norms), tf.add(norms, EPSILON));
        alphaTensor?.values.dispose();
        alphaTensor = { tasks: stepTasks, values: tf.keep(scales) };
        alpha = null;
        return averaged.map((row, k) => {
          const scale = tf.gather(scales, k);
          return row.map((g) => tf.mul(g, scale));
        });
      },
      state: {
        save: () => ({
          steps,
          alpha: alphaTensor || alpha ? currentAlpha() : null,
          averages: [...averages].map(([k, g]) => ({ key: k, shape: g.shape, values: (g.dataSync() as Float32Array).slice() })),
        }),
        restore: (saved) => {
          steps = field<number>(saved, 'steps');
          alpha = field<Record<string, number> | null>(saved, 'alpha');
          alphaTensor?.values.dispose();
          alphaTensor = null;
          averages.forEach((g) => g.dispose());
          averages.clear();
          for (const a of field<{ key: string; shape: number[]; values: Float32Array }[]>(saved, 'averages')) {
            averages.set(a.key, tf.keep(tf.tensor(a.values, a.shape)));
          }
        },
      },
      current: currentAlpha,
      dispose: () => {
        averages.forEach((g) => g.dispose());
        averages.clear();
        alphaTensor?.values.dispose();
        alphaTensor = null;
      },
    };
  },
  negativeTotal: 'its total is Σ log L_t, below zero when the losses are below 1',
  examples: [
    // terms log(L + 1e-8): ln 2 + ln ½ ≈ 0; no step balanced yet, α = 1
    {
      plan: { kind: 'db_mtl', beta: 0.9, betaSigma: 0 }, weights: { a: 1, b: 1 }, losses: { a: 2, b: 0.5 },
      total: Math.log(2 + 1e-8) + Math.log(0.5 + 1e-8), current: { a: 1, b: 1 },
    },
    // one step, β = 0.9: ĝ = 0.1·g = [0.3, 0.4] (norm 0.5), [0, 0.1] (norm 0.1); α = 0.5/(‖ĝ‖ + 1e-8) ≈ [1, 5]
    {
      plan: { kind: 'db_mtl', beta: 0.9, betaSigma: 0 }, weights: { a: 1, b: 1 }, losses: { a: 1, b: 1 }, total: 2 * Math.log(1 + 1e-8),
      balance: {
        steps: [[[[3, 4]], [[0, 1]]]],
        balanced: [[[(0.3 * 0.5) / (0.5 + 1e-8), (0.4 * 0.5) / (0.5 + 1e-8)]], [[0, (0.1 * 0.5) / (0.1 + 1e-8)]]],
      },
      current: { a: 0.5 / (0.5 + 1e-8), b: 0.5 / (0.1 + 1e-8) },
    },
    // two steps, β = 0.5, σ = ½, two parameters: ĝ_a = ½[[1, 0], [0]], ĝ_b = [[0, 0], [1]] after the first (ĝ_b: g + ½(0 − g),
    // g = [[0, 0], [2]]); β_2 = ½/√2 = c: ĝ_a = [[0, 1], [0]] + c([[½, −1], [0]]) = [[c/2, 1 − c], [0]], ĝ_b = [[0, 0], [1]]
    // (unchanged: g equals it); ‖ĝ_a‖ = √(c²/4 + (1 − c)²) ≈ 0.6656 < 1 = ‖ĝ_b‖: α = [1/(‖ĝ_a‖ + 1e-8), 1/(1 + 1e-8)]
    (() => {
      const c = 0.5 / Math.SQRT2;
      const normA = Math.sqrt((c * c) / 4 + (1 - c) ** 2);
      const [alphaA, alphaB] = [1 / (normA + 1e-8), 1 / (1 + 1e-8)];
      return {
        plan: { kind: 'db_mtl', beta: 0.5, betaSigma: 0.5 } as const, weights: { a: 1, b: 1 }, losses: { a: 1, b: 1 }, total: 2 * Math.log(1 + 1e-8),
        balance: {
          steps: [[[[1, 0], [0]], [[0, 0], [2]]], [[[0, 1], [0]], [[0, 0], [1]]]],
          balanced: [[[(alphaA * c) / 2, alphaA * (1 - c)], [0]], [[0, 0], [alphaB]]],
        },
        current: { a: alphaA, b: alphaB },
      };
    })(),
  ],
};
