/**
 * Every runnable per-task aggregator of the table, end to end: a two-task program sharing a backbone with `hard`,
 * written with the aggregator's constructor (every argument at its default) and compiled by the real compiler, trains
 * 50 steps through the job's own aggregation. The tensor count stays flat, the losses stay finite, the shared and head
 * parameters move, and a second run of the same job (same training seed) gives the same weights: PCGrad's drawn
 * orders come from the seed. A new aggregator is checked here as soon as it is in the table and the catalog.
 */
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import type { AggregationKind, Job } from '../../job/job.js';
import type { Batch } from '../../runtime/data/api.js';
import { aggregators } from '../../runtime/train/aggregators/index.js';
import { useCpu } from './helpers/tf.js';
import { assertTrainsEndToEnd, twoTaskBatches, twoTaskProgram } from './helpers/two-task-program.js';

const STEPS = 50;
const perTask = (Object.keys(aggregators) as AggregationKind[]).filter((kind) => {
  const entry = aggregators[kind];
  return entry.runnable && entry.create(entry.examples[0].plan as never, 0).perTask;
});

function twoTaskJob(aggregation: AggregationKind): Job {
  return twoTaskProgram(`aggregation: ${aggregation}(), seed: 7`);
}

const batches = (job: Job): Promise<Batch[]> => twoTaskBatches(job, STEPS);


describe('every runnable per-task aggregator, trained end to end on a compiled two-task program', () => {
  before(useCpu);

  it('has the aggregators to check', () => assert.ok(perTask.length >= 6, perTask.join(', ')));

  for (const kind of perTask) {
    it(`${kind}: ${STEPS} steps keep the tensor count flat, move the shared layers and both heads, repeat for a seed`, async () => {
      const job = twoTaskJob(kind);
      assert.equal(job.training.aggregation.kind, kind);
      const steps = await batches(job);
      assert.equal(steps.length, STEPS);
      assertTrainsEndToEnd(job, steps);
    });
  }
});
