/**
 * Gradient aggregators, by `TrainingPlan.aggregation.kind`. Every kind of the job has an entry, so a new kind does not
 * compile until it has one: an implementation (one file here), or `notRunnable` until the runtime runs it.
 */
import type { AggregationKind, AggregationPlan } from '../../../job/job.js';
import type { AggregatorEntry, CheckpointedAggregator } from './aggregator.js';
import { alignedMtl } from './aligned-mtl.js';
import { cagrad } from './cagrad.js';
import { imtlG } from './imtl-g.js';
import { mgda } from './mgda.js';
import { nashMtl } from './nash-mtl.js';
import { pcgrad } from './pcgrad.js';
import { upgrad } from './upgrad.js';
import { sum } from './sum.js';

export type { Aggregator, TaskGradients } from './aggregator.js';

export const aggregators = {
  sum,
  pcgrad,
  cagrad,
  mgda,
  imtl_g: imtlG,
  upgrad,
  aligned_mtl: alignedMtl,
  nash_mtl: nashMtl,
} satisfies { [K in AggregationKind]: AggregatorEntry<Extract<AggregationPlan, { kind: K }>> };

/** The aggregator of a plan; assertRunnable refuses one that does not run. */
export function makeAggregator(plan: AggregationPlan, seed: number): CheckpointedAggregator {
  const entry: AggregatorEntry<AggregationPlan> = aggregators[plan.kind];
  if (!entry.runnable) throw new Error(`${plan.kind} aggregation reached the training step; assertRunnable refuses it`);
  return entry.create(plan, seed);
}
