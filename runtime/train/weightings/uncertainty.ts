/**
 * uncertainty (Kendall et al. 2018): Σ exp(-s_t) w_t L_t + s_t, with s_t = log σ_t² learned per task (starting at 0).
 * This is the paper's regression form, L/(2σ²) + log σ = ½(e^{-s} L + s), times 2 (the same minimiser, as commonly
 * implemented), used for every head: the paper's classification form, L/σ² + log σ = e^{-s} L + ½ s, is not in this
 * version.
 * s_t is a parameter of the weighting, owned by task t: it trains with that task, and is not saved with the model.
 */
import * as tf from '@tensorflow/tfjs';
import type { WeightingPlan } from '../../../job/job.js';
import type { Param } from '../../model/types.js';
import { staticWeights, weighted, type WeightingRuntime } from './weighting.js';

export const uncertainty: WeightingRuntime<Extract<WeightingPlan, { kind: 'uncertainty' }>> = {
  runnable: true,
  create(_plan, job) {
    const weights = staticWeights(job);
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
        return tf.add(tf.mul(tf.exp(tf.neg(s)), weighted(loss, weights.get(task) ?? 1)), s) as tf.Scalar;
      },
      endEpoch: () => {},
      current: () => Object.fromEntries([...logVariance].map(([t, s]) => [t, Math.exp(-s.dataSync()[0]!) * weights.get(t)!])),
      dispose: () => params.forEach((p) => p.variable.dispose()),
    };
  },
  examples: [
    // s = 0 as created: e⁰·1·2 + 0 + e⁰·2·3 + 0 = 8; weights e⁰·w = [1, 2]
    { plan: { kind: 'uncertainty' }, weights: { a: 1, b: 2 }, losses: { a: 2, b: 3 }, total: 8, current: { a: 1, b: 2 } },
    // s_a = ln 4, s_b = -ln 2: ¼·1·2 + ln 4 + 2·2·3 - ln 2 = 12.5 + ln 2; weights [¼·1, 2·2]
    {
      plan: { kind: 'uncertainty' },
      weights: { a: 1, b: 2 },
      params: { 'weighting/log_variance/a': Math.log(4), 'weighting/log_variance/b': -Math.LN2 },
      losses: { a: 2, b: 3 },
      total: 12.5 + Math.LN2,
      current: { a: 0.25, b: 4 },
    },
  ],
};
