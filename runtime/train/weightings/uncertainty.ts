/**
 * uncertainty (Kendall et al. 2018, Multi-Task Learning Using Uncertainty to Weigh Losses for Scene Geometry and
 * Semantics): each task's term in the paper's form for its head, with s_t = log σ_t² learned per task (starting at 0),
 * so log σ_t = s_t / 2:
 *   regression (a Gaussian likelihood, eq. 7)             L/(2σ²) + log σ = ½ e^{-s_t} w_t L_t + ½ s_t
 *   classification (binary, multiclass, multilabel; eq. 10) L/σ² + log σ = e^{-s_t} w_t L_t + ½ s_t
 * s_t is a parameter of the weighting, owned by task t: it trains with that task, and is not saved with the model.
 */
import * as tf from '@tensorflow/tfjs';
import type { HeadKind, WeightingPlan } from '../../../job/job.js';
import type { Param } from '../../model/types.js';
import { staticWeights, weighted, type WeightingRuntime } from './weighting.js';

/** The factor of e^{-s} L in the paper's form for a head: 1/(2σ²) for regression, 1/σ² for classification. */
const precisionFactor = (head: HeadKind): number => (head === 'regression' ? 0.5 : 1);

export const uncertainty: WeightingRuntime<Extract<WeightingPlan, { kind: 'uncertainty' }>> = {
  runnable: true,
  create(_plan, job) {
    const weights = staticWeights(job);
    const factor = new Map(job.tasks.map((t) => [t.name, precisionFactor(t.head.kind)]));
    const params: Param[] = [...weights.keys()].map((task) => ({
      name: `weighting/log_variance/${task}`,
      variable: tf.tidy(() => tf.variable(tf.scalar(0), true)),
      owner: { kind: 'weighting', task },
    }));
    const logVariance = new Map(params.map((p) => [(p.owner as { task: string }).task, p.variable as tf.Variable<tf.Rank.R0>]));
    return {
      params,
      term: (task, loss) => {
        const s = logVariance.get(task)!;
        const precision = tf.mul(tf.exp(tf.neg(s)), factor.get(task) ?? 1);
        return tf.add(tf.mul(precision, weighted(loss, weights.get(task) ?? 1)), tf.mul(s, 0.5)) as tf.Scalar;
      },
      endEpoch: () => {},
      current: () =>
        Object.fromEntries([...logVariance].map(([t, s]) => [t, (factor.get(t) ?? 1) * Math.exp(-s.dataSync()[0]!) * weights.get(t)!])),
      dispose: () => params.forEach((p) => p.variable.dispose()),
    };
  },
  examples: [
    // regression heads, s = 0 as created: ½·1·2 + 0 + ½·2·3 + 0 = 4; weights ½·w = [½, 1]
    { plan: { kind: 'uncertainty' }, weights: { a: 1, b: 2 }, losses: { a: 2, b: 3 }, total: 4, current: { a: 0.5, b: 1 } },
    // regression heads, s_a = ln 4, s_b = -ln 2: ½·¼·2 + ½ ln 4 + ½·2·2·3 − ½ ln 2 = 6.25 + ½ ln 2; weights [⅛, 2]
    {
      plan: { kind: 'uncertainty' },
      weights: { a: 1, b: 2 },
      params: { 'weighting/log_variance/a': Math.log(4), 'weighting/log_variance/b': -Math.LN2 },
      losses: { a: 2, b: 3 },
      total: 6.25 + Math.LN2 / 2,
      current: { a: 0.125, b: 2 },
    },
    // a binary (classification) head and a regression head, s_a = ln 2, s_b = 0: ½·2 + ½ ln 2 + ½·3 = 2.5 + ½ ln 2; weights [½, ½]
    {
      plan: { kind: 'uncertainty' },
      weights: { a: 1, b: 1 },
      heads: { a: 'binary', b: 'regression' },
      params: { 'weighting/log_variance/a': Math.LN2 },
      losses: { a: 2, b: 3 },
      total: 2.5 + Math.LN2 / 2,
      current: { a: 0.5, b: 0.5 },
    },
  ],
};
