/**
 * uncertainty (Kendall et al. 2018, Multi-Task Learning Using Uncertainty to Weigh Losses for Scene Geometry and
 * Semantics): each task's term a·e^{-s_t}·w_t·L_t + b·s_t, with s_t = log σ_t² learned per task (starting at 0), so
 * log σ_t = s_t/2. The plan's `form` chooses (a, b):
 *   regression      (1, 1)   the paper's Gaussian form L/(2σ²) + log σ times 2, for every head (as commonly implemented)
 *   classification  (1, ½)   its softmax form L/σ² + log σ, for every head
 *   by_head         the paper's combined loss, each task in the form of its likelihood: (1, ½) for a cross-entropy loss
 *                   (binary, multiclass, multilabel heads), (½, ½) = L/(2σ²) + log σ for a regression loss. Not times 2
 *                   here: that would double the regression tasks against the others.
 * s_t is a parameter of the weighting, owned by task t: it trains with that task, and is not saved with the model.
 */
import * as tf from '@tensorflow/tfjs';
import type { LossKind, WeightingPlan } from '../../../job/job.js';
import type { Param } from '../../model/types.js';
import { stateless } from '../../checkpoint/state.js';
import { weighted, type WeightingRuntime } from './weighting.js';

type Likelihood = 'gaussian' | 'softmax';
/**
 * Which of the paper's likelihoods a task's loss is, for `by_head`. The toy objectives are no likelihood; as real-valued
 * losses they take the regression form.
 */
const likelihoodOf = {
  bce: 'softmax', ce: 'softmax', mse: 'gaussian', mae: 'gaussian', huber: 'gaussian', toy_f1: 'gaussian', toy_f2: 'gaussian',
} as const satisfies Record<LossKind, Likelihood>;

/** The factors (a, b) of e^{-s}·L and of s, by form and likelihood. */
const factors = {
  regression: { gaussian: [1, 1], softmax: [1, 1] },
  classification: { gaussian: [1, 0.5], softmax: [1, 0.5] },
  by_head: { gaussian: [0.5, 0.5], softmax: [1, 0.5] },
} as const satisfies Record<Extract<WeightingPlan, { kind: 'uncertainty' }>['form'], Record<Likelihood, readonly [number, number]>>;

export const uncertainty: WeightingRuntime<Extract<WeightingPlan, { kind: 'uncertainty' }>> = {
  runnable: true,
  logsWeights: true,
  create(plan, job) {
    const tasks = new Map(job.tasks.map((t) => [t.name, { weight: t.weight, factors: factors[plan.form][likelihoodOf[t.loss]] }]));
    const params: Param[] = [...tasks.keys()].map((task) => ({
      name: `weighting/log_variance/${task}`,
      variable: tf.tidy(() => tf.variable(tf.scalar(0), true)),
      owner: { kind: 'weighting', task },
    }));
    const logVariance = new Map(params.map((p) => [(p.owner as { task: string }).task, p.variable as tf.Variable<tf.Rank.R0>]));
    const values = () => Object.fromEntries([...logVariance].map(([t, s]) => [t, s.dataSync()[0]!]));
    return {
      params,
      term: (task, loss) => {
        const s = logVariance.get(task)!;
        const { weight, factors: [a, b] } = tasks.get(task)!;
        return tf.add(tf.mul(tf.exp(tf.neg(s)), weighted(loss, a * weight)), b === 1 ? s : tf.mul(s, b)) as tf.Scalar;
      },
      endEpoch: () => {},
      // s_t is all it learns, and a checkpoint saves it with the model's parameters (and its Adam moments with theirs).
      state: stateless('its log-variances are parameters, saved with the model\'s'),
      current: () => Object.fromEntries(Object.entries(values()).map(([t, s]) => [t, tasks.get(t)!.factors[0] * Math.exp(-s) * tasks.get(t)!.weight])),
      learned: () => ({ log_variance: values() }),
      dispose: () => params.forEach((p) => p.variable.dispose()),
    };
  },
  examples: [
    // regression form, s = 0 as created: e⁰·1·2 + 0 + e⁰·2·3 + 0 = 8; weights e⁰·w = [1, 2]
    {
      plan: { kind: 'uncertainty', form: 'regression' }, weights: { a: 1, b: 2 }, losses: { a: 2, b: 3 }, total: 8, current: { a: 1, b: 2 },
      learned: { log_variance: { a: 0, b: 0 } },
    },
    // regression form, s_a = ln 4, s_b = -ln 2: ¼·1·2 + ln 4 + 2·2·3 - ln 2 = 12.5 + ln 2; weights [¼·1, 2·2]
    {
      plan: { kind: 'uncertainty', form: 'regression' },
      weights: { a: 1, b: 2 },
      params: { 'weighting/log_variance/a': Math.log(4), 'weighting/log_variance/b': -Math.LN2 },
      losses: { a: 2, b: 3 },
      total: 12.5 + Math.LN2,
      current: { a: 0.25, b: 4 },
      learned: { log_variance: { a: Math.log(4), b: -Math.LN2 } },
    },
    // classification form, the same s: ¼·1·2 + ½ ln 4 + 2·2·3 − ½ ln 2 = 12.5 + ½ ln 2; weights [¼, 4]
    {
      plan: { kind: 'uncertainty', form: 'classification' },
      weights: { a: 1, b: 2 },
      params: { 'weighting/log_variance/a': Math.log(4), 'weighting/log_variance/b': -Math.LN2 },
      losses: { a: 2, b: 3 },
      total: 12.5 + Math.LN2 / 2,
      current: { a: 0.25, b: 4 },
    },
    // by_head, a binary (bce) and b regression (mse), s_a = ln 2, s_b = ln 4: ½·2 + ½ ln 2 + ½·¼·3 + ½ ln 4 = 1.375 + 1.5 ln 2;
    // weights [½, ⅛]
    {
      plan: { kind: 'uncertainty', form: 'by_head' },
      weights: { a: 1, b: 1 },
      heads: { a: 'binary', b: 'regression' },
      params: { 'weighting/log_variance/a': Math.LN2, 'weighting/log_variance/b': Math.log(4) },
      losses: { a: 2, b: 3 },
      total: 1.375 + 1.5 * Math.LN2,
      current: { a: 0.5, b: 0.125 },
    },
  ],
};
