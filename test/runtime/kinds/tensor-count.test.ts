/**
 * The tensor count stays flat over 1,000 steps for every method: every runnable entry of the weighting table and of the
 * aggregator table (those with a representation form in it too), and the optimizers' two gradient options, each on a compiled two-task program sharing a hidden
 * layer (test/runtime/helpers/two-task-program.ts). The count after step 1 (every optimizer slot and every kept state
 * exists by then) equals the count after step 1,000. The tables are iterated, so a method added later is covered.
 */
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import type { AggregationKind, WeightingKind } from '../../../job/job.js';
import type { Batch } from '../../../runtime/data/api.js';
import { aggregators } from '../../../runtime/train/aggregators/index.js';
import { weightings } from '../../../runtime/train/weightings/index.js';
import { aggregations } from '../../../stdlib/weighting.js';
import { useCpu } from '../helpers/tf.js';
import { trainTwoTasks, twoTaskBatches, twoTaskProgram } from '../helpers/two-task-program.js';

const STEPS = 1000;
/** Distinct batches, cycled: 1,000 steps need not read 1,000 batches to show a leak. */
const BATCHES = 10;

const runnableKinds = <K extends string>(table: Readonly<Record<K, { runnable: boolean }>>): K[] =>
  (Object.keys(table) as K[]).filter((kind) => table[kind].runnable);

/** The `train` block of each method, every constructor argument at its default. */
const methods: [string, string][] = [
  ...runnableKinds<WeightingKind>(weightings).map((kind): [string, string] => [`weighting ${kind}`, `weighting: ${kind}()`]),
  ...runnableKinds<AggregationKind>(aggregators).map((kind): [string, string] => [`aggregation ${kind}`, `aggregation: ${kind}()`]),
  // The aggregations with a form on the shared representation, in that form too (MGDA-UB and the others).
  ...runnableKinds<AggregationKind>(aggregators)
    .filter((kind) => 'form' in aggregations[kind].representation)
    .map((kind): [string, string] => [`aggregation ${kind} on the representation`, `aggregation: ${kind}(on: representation)`]),
  ['optimizer option clip_norm', 'optimizer: adam(clip_norm: 0.5)'],
  ['optimizer option normalize_task_gradients', 'optimizer: adam(normalize_task_gradients: true)'],
];

describe(`the tensor count after step 1 equals it after step ${STEPS}, for every method`, () => {
  before(useCpu);
  let cycle: Batch[] = [];
  before(async () => {
    const batches = await twoTaskBatches(twoTaskProgram('seed: 7'), BATCHES);
    cycle = Array.from({ length: STEPS }, (_, i) => batches[i % BATCHES]!);
  });

  it('covers every runnable weighting and aggregator', () => {
    const names = methods.map(([n]) => n);
    for (const name of ['weighting uncertainty', 'aggregation upgrad', 'aggregation nash_mtl', 'aggregation mgda on the representation']) assert.ok(names.includes(name), names.join(', '));
  });

  for (const [name, train] of methods) {
    it(name, () => {
      const job = twoTaskProgram(`${train}, seed: 7`);
      const run = trainTwoTasks(job, cycle);
      assert.equal(run.losses.length, STEPS);
      assert.ok(run.losses.every(Number.isFinite), `a loss is not finite: ${run.losses.find((l) => !Number.isFinite(l))}`);
      assert.equal(run.afterAll, run.afterOne, `${run.afterAll - run.afterOne} tensors leaked over ${STEPS - 1} steps`);
    });
  }
});
