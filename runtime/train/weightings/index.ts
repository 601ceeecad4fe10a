/**
 * Task weightings, by `TrainingPlan.weighting.kind`. Every kind of the job has an entry, so a new kind does not compile
 * until it has one: an implementation (one file here), or `notRunnable` until the runtime runs it.
 */
import * as tf from '@tensorflow/tfjs';
import type { Job, WeightingKind, WeightingPlan } from '../../../job/job.js';
import { notRunnable } from '../../not-runnable.js';
import { dbMtl } from './db-mtl.js';
import { dwa } from './dwa.js';
import { equal } from './equal.js';
import { famo } from './famo.js';
import { gradnorm } from './gradnorm.js';
import { staticWeighting } from './static.js';
import { rlw } from './rlw.js';
import { uncertainty } from './uncertainty.js';
import type { LossWeighting, WeightingEntry } from './weighting.js';

export type { LossWeighting } from './weighting.js';

export const weightings = {
  equal,
  static: staticWeighting,
  uncertainty,
  dwa,
  gradnorm,
  rlw,
  famo,
  db_mtl: dbMtl,
} satisfies { [K in WeightingKind]: WeightingEntry<Extract<WeightingPlan, { kind: K }>> };

/** The job's weighting; assertRunnable refuses one that does not run. */
export function makeWeighting(job: Job): LossWeighting {
  const { weighting } = job.training;
  const entry: WeightingEntry<WeightingPlan> = weightings[weighting.kind];
  if (!entry.runnable) throw new Error(`${weighting.kind} weighting reached the training loop; assertRunnable refuses it`);
  return entry.create(weighting, job);
}

/** Whether the weighting's weights are logged per epoch and at the end of a run (its entry's `logsWeights`). */
export function logsWeights(plan: WeightingPlan): boolean {
  const entry: WeightingEntry<WeightingPlan> = weightings[plan.kind];
  return entry.runnable && entry.logsWeights;
}

/** The total loss of one step: the weighting's own total, or the tasks' terms added in order. */
export function weightedTotal(weighting: LossWeighting, taskLosses: ReadonlyMap<string, tf.Scalar>): tf.Scalar {
  if (weighting.total) return weighting.total(taskLosses);
  let total: tf.Scalar | null = null;
  for (const [task, loss] of taskLosses) {
    const term = weighting.term(task, loss);
    total = total === null ? term : tf.add<tf.Scalar>(total, term);
  }
  return total ?? tf.scalar(0);
}

/** Terms already computed, added left to right as weightedTotal adds them; 0 for none. */
export function sumInOrder(terms: readonly tf.Scalar[]): tf.Scalar {
  let total: tf.Scalar | null = null;
  for (const term of terms) total = total === null ? term : tf.add<tf.Scalar>(total, term);
  return total ?? tf.scalar(0);
}
