/**
 * Every runnable weighting of the table, end to end: a two-task program sharing a backbone with `hard`, written with the
 * weighting's constructor (every argument at its default) and compiled by the real compiler, trains 50 steps with the
 * job's own weighting (its per-step hooks called by the step). The tensor count stays flat, the losses stay finite,
 * the shared and head parameters move, and a second run of the same job (same training seed) gives the same weights
 * and the same task weights: rlw's draws come from the seed. A two-epoch run writes a `weights` row per epoch for a
 * weighting whose entry logs them (uncertainty's with its log-variances) and none for the others. A new weighting is
 * checked here as soon as it is in the table and the catalog.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { before, describe, it } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import type { Job, OptimizerPlan, WeightingKind } from '../../job/job.js';
import type { Batch } from '../../runtime/data/api.js';
import { buildModel } from '../../runtime/model/build.js';
import { makeOptimizer } from '../../runtime/train/optimizer.js';
import { makeTrainStep } from '../../runtime/train/step.js';
import { train as trainJob } from '../../runtime/train/train.js';
import { makeWeighting, weightedTotal, weightings } from '../../runtime/train/weightings/index.js';
import type { WeightingRuntime } from '../../runtime/train/weightings/weighting.js';
import { assertAllClose, useCpu } from './helpers/tf.js';
import { assertTrainsEndToEnd, trainTwoTasks, twoTaskBatches, twoTaskData, twoTaskProgram } from './helpers/two-task-program.js';

const STEPS = 50;
const width = (w: unknown) => w as number;
const adam: OptimizerPlan = { kind: 'adam', lr: { kind: 'constant', lr: 0.01 }, beta1: 0.9, beta2: 0.999, epsilon: 1e-7, weightDecay: 0, clipNorm: null, normalizeTaskGradients: false };
const runnable = (Object.keys(weightings) as WeightingKind[]).filter((kind) => weightings[kind].runnable);

function twoTaskJob(weighting: WeightingKind, seed = 7): Job {
  return twoTaskProgram(`weighting: ${weighting}(), seed: ${seed}`);
}

const batches = (job: Job): Promise<Batch[]> => twoTaskBatches(job, STEPS);

const train = trainTwoTasks;

describe('every runnable weighting, trained end to end on a compiled two-task program', () => {
  before(useCpu);

  it('has the weightings to check', () => assert.ok(runnable.includes('rlw'), runnable.join(', ')));

  for (const kind of runnable) {
    it(`${kind}: ${STEPS} steps keep the tensor count flat, move the shared layers and both heads, repeat for a seed`, async () => {
      const job = twoTaskJob(kind);
      assert.equal(job.training.weighting.kind, kind);
      const steps = await batches(job);
      assert.equal(steps.length, STEPS);
      const run = assertTrainsEndToEnd(job, steps);
      assert.ok(Object.values(run.taskWeights).every(Number.isFinite), `task weights ${JSON.stringify(run.taskWeights)}`);
    });
  }

  it('famo: the total differentiates to c·z_t/L_t in each loss, c held constant; its logits move over the steps', async () => {
    const job = twoTaskJob('famo');
    const weighting = makeWeighting(job);
    const grads = tf.tidy(() => {
      const [a, b] = [tf.scalar(2), tf.scalar(4)];
      return tf.grads((x: tf.Tensor, y: tf.Tensor) => weightedTotal(weighting, new Map([['a', x as tf.Scalar], ['b', y as tf.Scalar]])))([a, b]).map((g) => g.dataSync()[0]!);
    });
    // z = [½, ½], c = (½/2 + ½/4)⁻¹ = 8/3: ∂/∂L_a = c·½/2 = 2/3, ∂/∂L_b = c·½/4 = 1/3
    assertAllClose(grads, [2 / 3, 1 / 3], 1e-6, 'gradient of the total');
    weighting.dispose();
    const steps = await batches(job);
    const run = train(job, steps);
    assert.notDeepEqual(run.taskWeights, { a: 0.5, b: 0.5 }, 'ξ never moved');
  });

  it('db_mtl: every step, with aggregation sum, goes per task through its balance of the task gradients', async () => {
    const job = twoTaskJob('db_mtl');
    assert.equal(job.training.aggregation.kind, 'sum');
    const steps = await batches(job);
    const model = buildModel(job, width, 1);
    const optimizer = makeOptimizer(adam);
    const weighting = makeWeighting(job);
    let calls = 0;
    const balance = weighting.balance!.bind(weighting);
    const step = makeTrainStep(model, optimizer, { weighting: { ...weighting, balance: (g) => ((calls += 1), balance(g)) }, learningRate: () => 0.01 });
    for (const batch of steps.slice(0, 3)) step(batch);
    assert.equal(calls, 3);
    const alpha = weighting.current();
    // the larger of the two averaged gradients keeps its norm (α = 1), the other is scaled up to it
    assert.ok(Math.min(alpha.a!, alpha.b!) > 0.999999 && Math.min(alpha.a!, alpha.b!) < 1.000001 && Math.max(alpha.a!, alpha.b!) >= 1, JSON.stringify(alpha));
    weighting.dispose();
    optimizer.dispose();
    model.dispose();
  });

  it('gradnorm: the weights move from 1 and sum to the task count after every step', async () => {
    const job = twoTaskJob('gradnorm');
    const steps = await batches(job);
    const { taskWeights } = train(job, steps);
    assert.notDeepEqual(taskWeights, { a: 1, b: 1 });
    assertAllClose([taskWeights.a! + taskWeights.b!], [2], 1e-9, 'Σ w');
  });

  it('db_mtl and gradnorm: a step of one task (no shared parameter) trains and balances nothing', async () => {
    for (const kind of ['db_mtl', 'gradnorm'] as const) {
      const job = twoTaskJob(kind);
      const steps = await batches(job);
      const model = buildModel(job, width, 1);
      const optimizer = makeOptimizer(adam);
      const weighting = makeWeighting(job);
      const step = makeTrainStep(model, optimizer, { weighting, tasks: ['a'], learningRate: () => 0.01 });
      for (const batch of steps.slice(0, 3)) assert.ok(Number.isFinite(step(batch)), kind);
      assert.deepEqual(weighting.current(), { a: 1, b: 1 }, kind);
      weighting.dispose();
      optimizer.dispose();
      model.dispose();
    }
  });

  for (const kind of runnable) {
    const entry = weightings[kind] as WeightingRuntime;
    it(`${kind}: a two-epoch run ${entry.logsWeights ? 'writes its weights per epoch and keeps the last' : 'writes no weights'}`, async () => {
      const out = mkdtempSync(join(tmpdir(), 'mtl-weights-'));
      try {
        const job = twoTaskProgram(`weighting: ${kind}(), seed: 7, epochs: 2, batch_size: 8`);
        const result = await trainJob(job, twoTaskData(job, 24, 8), { out, progress: false, log: () => {} });
        const rows = readFileSync(join(out, 'metrics.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
        const weights = rows.filter((r) => r.kind === 'weights') as unknown as { epoch: number; weights: Record<string, number>; log_variance?: Record<string, number> }[];
        if (!entry.logsWeights) {
          assert.deepEqual(weights, []);
          assert.equal(result.taskWeights, null);
          return result.model.dispose();
        }
        assert.deepEqual(weights.map((r) => r.epoch), [1, 2]);
        for (const r of weights) assert.deepEqual(Object.keys(r.weights).sort(), ['a', 'b']);
        const last = weights[1]!;
        assert.deepEqual(result.taskWeights, { epoch: 2, weights: last.weights, learned: kind === 'uncertainty' ? { log_variance: last.log_variance } : {} });
        if (kind === 'uncertainty') {
          // regression form, static weights 1: each weight is e^{-s_t}, s_t the logged log-variance, which has moved from 0
          for (const r of weights) for (const t of ['a', 'b']) assertAllClose([r.weights[t]!], [Math.exp(-r.log_variance![t]!)], 1e-12, `weight of ${t}`);
          assert.ok(Object.values(last.log_variance!).every((s) => s !== 0), JSON.stringify(last.log_variance));
        } else {
          assert.ok(!('log_variance' in last));
        }
        result.model.dispose();
      } finally {
        rmSync(out, { recursive: true, force: true });
      }
    });
  }

  it('rlw: another training seed draws other weights', async () => {
    const job = twoTaskJob('rlw');
    const steps = await batches(job);
    assert.notDeepEqual(train(twoTaskJob('rlw', 8), steps).taskWeights, train(job, steps).taskWeights);
  });
});
