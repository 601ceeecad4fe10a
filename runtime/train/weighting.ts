/**
 * Task weighting: how the per-task losses of one step add up to the loss that is differentiated.
 *   equal       Σ L_t
 *   static      Σ w_t L_t                          (w_t = TaskPlan.weight)
 *   uncertainty Σ exp(-s_t) w_t L_t + s_t          (Kendall et al. 2018; s_t = log σ_t², learned, starts at 0)
 *   dwa         Σ λ_t w_t L_t, λ_t = K softmax_t(r_t / T), r_t = L̄_t(e-1) / L̄_t(e-2)
 *               (Liu et al. 2019; λ = 1 for the first two epochs; L̄ = mean training loss of an epoch)
 * gradnorm and the gradient aggregations other than 'sum' are refused: the runtime does not run them yet.
 */
import * as tf from '@tensorflow/tfjs';
import type { Job } from '../../job/job.js';
import { UserError } from '../errors.js';
import type { Param } from '../model/types.js';

export interface LossWeighting {
  /** Learnable parameters of the weighting itself (uncertainty's log-variances); trained with the model. */
  readonly params: readonly Param[];
  /** The total loss of one step from the losses of the tasks in its batch. */
  combine(taskLosses: ReadonlyMap<string, tf.Scalar>): tf.Scalar;
  /** Called after each epoch with the mean training loss of every task that trained in it. */
  endEpoch(meanTaskLoss: Readonly<Record<string, number>>): void;
  /** The current weight of each task, for logs. */
  current(): Record<string, number>;
  dispose(): void;
}

/** Throws a UserError for a weighting or aggregation the runtime does not run yet. */
export function assertWeightingRunnable(job: Job): void {
  const { weighting, aggregation } = job.training;
  if (aggregation.kind !== 'sum') {
    throw new UserError(
      `training aggregates task gradients with ${aggregation.kind}, which the runtime does not run yet (the compiler accepts it); use sum`,
    );
  }
  if (weighting.kind === 'gradnorm') {
    throw new UserError(
      `training weights tasks with gradnorm, which the runtime does not run yet (the compiler accepts it); ` +
        `use equal, static, uncertainty or dwa`,
    );
  }
}

export function makeWeighting(job: Job): LossWeighting {
  assertWeightingRunnable(job);
  const { weighting } = job.training;
  const staticWeight = new Map(job.tasks.map((t) => [t.name, weighting.kind === 'equal' ? 1 : t.weight]));
  switch (weighting.kind) {
    case 'equal':
    case 'static':
      return fixedWeighting(staticWeight);
    case 'dwa':
      return dynamicWeightAverage(staticWeight, weighting.t);
    case 'uncertainty':
      return uncertaintyWeighting(staticWeight);
    case 'gradnorm':
      throw new Error('unreachable: assertWeightingRunnable refuses gradnorm');
  }
}

function weightedSum(taskLosses: ReadonlyMap<string, tf.Scalar>, weightOf: (task: string) => number): tf.Scalar {
  let total: tf.Scalar | null = null;
  for (const [task, loss] of taskLosses) {
    const weight = weightOf(task);
    // Weight 1 needs no multiply: one op fewer per task and step.
    const term: tf.Scalar = weight === 1 ? loss : tf.mul(loss, weight);
    total = total === null ? term : tf.add<tf.Scalar>(total, term);
  }
  return total ?? tf.scalar(0);
}

function fixedWeighting(weights: ReadonlyMap<string, number>): LossWeighting {
  return {
    params: [],
    combine: (losses) => weightedSum(losses, (task) => weights.get(task) ?? 1),
    endEpoch: () => {},
    current: () => Object.fromEntries(weights),
    dispose: () => {},
  };
}

function dynamicWeightAverage(weights: ReadonlyMap<string, number>, temperature: number): LossWeighting {
  const history: Record<string, number>[] = [];
  let lambda = new Map<string, number>();
  return {
    params: [],
    combine: (losses) => weightedSum(losses, (task) => (lambda.get(task) ?? 1) * (weights.get(task) ?? 1)),
    endEpoch: (mean) => {
      history.push({ ...mean });
      if (history.length < 2) return;
      const [older, newer] = history.slice(-2) as [Record<string, number>, Record<string, number>];
      const tasks = Object.keys(newer).filter((t) => older[t]! > 0);
      const scores = tasks.map((t) => Math.exp(newer[t]! / older[t]! / temperature));
      const total = scores.reduce((a, b) => a + b, 0);
      lambda = new Map(tasks.map((t, i) => [t, (tasks.length * scores[i]!) / total]));
    },
    current: () => Object.fromEntries([...weights.keys()].map((t) => [t, (lambda.get(t) ?? 1) * weights.get(t)!])),
    dispose: () => {},
  };
}

function uncertaintyWeighting(weights: ReadonlyMap<string, number>): LossWeighting {
  const params: Param[] = [...weights.keys()].map((task) => ({
    name: `weighting/log_variance/${task}`,
    variable: tf.tidy(() => tf.variable(tf.scalar(0), true)),
    owner: { kind: 'weighting', task },
  }));
  const logVariance = new Map(params.map((p) => [(p.owner as { task: string }).task, p.variable as tf.Variable<tf.Rank.R0>]));
  return {
    params,
    combine: (losses) => {
      let total: tf.Scalar | null = null;
      for (const [task, loss] of losses) {
        const s = logVariance.get(task)!;
        const weight = weights.get(task) ?? 1;
        const term = tf.add(tf.mul(tf.exp(tf.neg(s)), weight === 1 ? loss : tf.mul(loss, weight)), s) as tf.Scalar;
        total = total === null ? term : tf.add<tf.Scalar>(total, term);
      }
      return total ?? tf.scalar(0);
    },
    endEpoch: () => {},
    current: () => Object.fromEntries([...logVariance].map(([t, s]) => [t, Math.exp(-s.dataSync()[0]!) * weights.get(t)!])),
    dispose: () => params.forEach((p) => p.variable.dispose()),
  };
}
