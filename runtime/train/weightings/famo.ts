/**
 * famo, fast adaptive multitask optimization (Liu et al. 2023, FAMO: Fast Adaptive Multitask Optimization): the step
 * minimises c·Σ_t z_t log L_t, with z = softmax(ξ) and c = (Σ_t z_t / L_t)^-1 held constant (not differentiated), so the
 * update is Σ_t c z_t ∇L_t / L_t. After a step, ξ moves against J_z(ξ)ᵀ δ, δ_t = log L_t(before) - log L_t(after), the
 * decrease of each task's log loss: a task whose loss fell the most weighs less next. As in the authors' code
 * (Cranial-XIX/FAMO, whose defaults these are), ξ starts at 0, L_t enters as L_t + 1e-8, and ξ is stepped by Adam
 * (β = 0.9, 0.999, ε = 1e-8) with learning rate `lr` and L2 weight decay `gamma` (the paper's Algorithm 1 writes the
 * plain step ξ − lr·(δ + γξ)).
 *
 * Our choice for "after": the authors' code evaluates the same batch again after the update (a second forward pass);
 * here the next step's losses of the same tasks stand in for it (the step reads them anyway), so ξ's update for step k
 * is applied after step k + 1, which still weighs with the ξ before it. Steps whose task sets differ do not update ξ.
 * The per-task step (a per-task aggregator) differentiates each task's term alone, without the other tasks' losses:
 * there c is the previous step's, which scales the update only.
 */
import * as tf from '@tensorflow/tfjs';
import type { WeightingPlan } from '../../../job/job.js';
import { field } from '../../checkpoint/state.js';
import type { WeightingRuntime } from './weighting.js';

const LOSS_EPSILON = 1e-8;
const BETA1 = 0.9;
const BETA2 = 0.999;
const ADAM_EPSILON = 1e-8;

/** Its input's value, with no gradient through it (torch's `.detach()`). */
const detached = tf.customGrad((x) => ({ value: (x as tf.Tensor).clone(), gradFunc: (dy: tf.Tensor) => tf.zerosLike(dy) }));

function softmax(xs: readonly number[]): number[] {
  const top = Math.max(...xs);
  const e = xs.map((x) => Math.exp(x - top));
  const total = e.reduce((a, b) => a + b, 0);
  return e.map((x) => x / total);
}

export const famo: WeightingRuntime<Extract<WeightingPlan, { kind: 'famo' }>> = {
  runnable: true,
  logsWeights: true,
  create(plan, job) {
    const tasks = job.tasks.map((t) => t.name);
    const index = new Map(tasks.map((t, i) => [t, i]));
    const xi = tasks.map(() => 0);
    const m = tasks.map(() => 0);
    const v = tasks.map(() => 0);
    let adamSteps = 0;
    let z = softmax(xi);
    let previous: Readonly<Record<string, number>> | null = null;
    let previousC = 1;
    const logTerm = (task: string, loss: tf.Scalar) => tf.mul(tf.log(tf.add(loss, LOSS_EPSILON)), z[index.get(task)!]!);
    return {
      params: [],
      total: (taskLosses) => {
        let weighted: tf.Scalar | null = null;
        let inverseC: tf.Scalar | null = null;
        for (const [task, loss] of taskLosses) {
          const term = logTerm(task, loss) as tf.Scalar;
          const share = tf.div(z[index.get(task)!]!, tf.add(detached(loss), LOSS_EPSILON)) as tf.Scalar;
          weighted = weighted === null ? term : tf.add<tf.Scalar>(weighted, term);
          inverseC = inverseC === null ? share : tf.add<tf.Scalar>(inverseC, share);
        }
        return weighted === null ? tf.scalar(0) : tf.div<tf.Scalar>(weighted, inverseC!);
      },
      term: (task, loss) => tf.div(logTerm(task, loss), previousC),
      endStep: (losses) => {
        const stepTasks = Object.keys(losses);
        previousC = stepTasks.reduce((c, t) => c + z[index.get(t)!]! / (losses[t]! + LOSS_EPSILON), 0);
        const before = previous;
        previous = { ...losses };
        if (before === null || Object.keys(before).join('\u0000') !== stepTasks.join('\u0000')) return;
        // δ_t, 0 for a task the step did not train; d = J_z(ξ)ᵀ δ, J = diag(z) - z zᵀ
        const delta = tasks.map((t) => (t in losses ? Math.log(before[t]! + LOSS_EPSILON) - Math.log(losses[t]! + LOSS_EPSILON) : 0));
        const mean = delta.reduce((s, d, i) => s + z[i]! * d, 0);
        adamSteps += 1;
        for (let i = 0; i < tasks.length; i++) {
          const g = z[i]! * (delta[i]! - mean) + plan.gamma * xi[i]!;
          m[i] = BETA1 * m[i]! + (1 - BETA1) * g;
          v[i] = BETA2 * v[i]! + (1 - BETA2) * g * g;
          const mHat = m[i]! / (1 - BETA1 ** adamSteps);
          const vHat = v[i]! / (1 - BETA2 ** adamSteps);
          xi[i] = xi[i]! - (plan.lr * mHat) / (Math.sqrt(vHat) + ADAM_EPSILON);
        }
        z = softmax(xi);
      },
      endEpoch: () => {},
      state: {
        save: () => ({ xi, m, v, adamSteps, previous, previousC }),
        restore: (saved) => {
          for (const [to, key] of [[xi, 'xi'], [m, 'm'], [v, 'v']] as const) to.splice(0, to.length, ...field<number[]>(saved, key));
          adamSteps = field<number>(saved, 'adamSteps');
          const before = field<Record<string, number> | null>(saved, 'previous');
          previous = before === null ? null : { ...before };
          previousC = field<number>(saved, 'previousC');
          z = softmax(xi);
        },
      },
      current: () => Object.fromEntries(tasks.map((t, i) => [t, z[i]!])),
      dispose: () => {},
    };
  },
  negativeTotal: 'its total is c·Σ z_t log L_t, below zero when the losses are below 1',
  examples: [
    // ξ = 0, z = [½, ½]: c⁻¹ = ½/2 + ½/4 = 3/8; total (½ ln 2 + ½ ln 4)/(3/8) = 4 ln 2
    { plan: { kind: 'famo', lr: 0.025, gamma: 0.001 }, weights: { a: 1, b: 1 }, losses: { a: 2, b: 4 }, total: 4 * Math.LN2, current: { a: 0.5, b: 0.5 } },
    // after steps [2, 4], [1, 4]: δ = [ln 2, 0], d = z ⊙ (δ - z·δ) = [¼ ln 2, -¼ ln 2]; Adam's first step ξ = -0.025·d/(|d| + 1e-8)
    // ≈ [-0.025, 0.025]; z = softmax(ξ); losses [1, 2]: total (z_a ln 1 + z_b ln 2)/(z_a/1 + z_b/2)
    (() => {
      const step = (0.025 * (Math.LN2 / 4)) / (Math.LN2 / 4 + 1e-8);
      const [za, zb] = [1 / (1 + Math.exp(2 * step)), Math.exp(2 * step) / (1 + Math.exp(2 * step))];
      return {
        plan: { kind: 'famo', lr: 0.025, gamma: 0.001 } as const, weights: { a: 1, b: 1 }, steps: [{ a: 2, b: 4 }, { a: 1, b: 4 }],
        losses: { a: 1, b: 2 }, total: (zb * Math.LN2) / (za + zb / 2), current: { a: za, b: zb },
      };
    })(),
    // a third step [1, 2]: δ = [0, ln 2], d = [-z_a z_b ln 2, z_a z_b ln 2] + γξ; Adam's second step (m, v carried, bias
    // corrections 1 - 0.9², 1 - 0.999²); losses [1, 1]: total 0 (ln 1 = 0)
    (() => {
      const [lr, gamma] = [0.1, 0.5];
      const g1 = [Math.LN2 / 4, -Math.LN2 / 4];
      const xi1 = g1.map((g) => (-lr * g) / (Math.abs(g) + 1e-8));
      const z1 = [Math.exp(xi1[0]!) / (Math.exp(xi1[0]!) + Math.exp(xi1[1]!)), Math.exp(xi1[1]!) / (Math.exp(xi1[0]!) + Math.exp(xi1[1]!))];
      const zz = z1[0]! * z1[1]! * Math.LN2;
      const g2 = [-zz + gamma * xi1[0]!, zz + gamma * xi1[1]!];
      const xi2 = [0, 1].map((i) => {
        const m = 0.9 * 0.1 * g1[i]! + 0.1 * g2[i]!;
        const v = 0.999 * 0.001 * g1[i]! ** 2 + 0.001 * g2[i]! ** 2;
        return xi1[i]! - (lr * (m / (1 - 0.81))) / (Math.sqrt(v / (1 - 0.999 ** 2)) + 1e-8);
      });
      const za = Math.exp(xi2[0]!) / (Math.exp(xi2[0]!) + Math.exp(xi2[1]!));
      return {
        plan: { kind: 'famo', lr, gamma } as const, weights: { a: 1, b: 1 }, steps: [{ a: 2, b: 4 }, { a: 1, b: 4 }, { a: 1, b: 2 }],
        losses: { a: 1, b: 1 }, total: 0, current: { a: za, b: 1 - za },
      };
    })(),
  ],
};
