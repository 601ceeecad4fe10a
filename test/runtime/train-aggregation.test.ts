/**
 * The per-task gradient seam of the training step. An aggregator that needs per-task gradients gets each task's
 * gradient of its weighted loss with respect to the parameters several tasks share; the step applies what it returns.
 * Checked three ways: summing them reproduces the one-pass `sum` step; what it receives on a tiny job equals the
 * gradients worked out by hand; and the per-task path frees what it allocates.
 */
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import type { Job, OptimizerPlan, TrainingPlan } from '../../job/job.js';
import type { Batch } from '../../runtime/data/api.js';
import { buildModel } from '../../runtime/model/build.js';
import type { MtlModel } from '../../runtime/model/types.js';
import { makeAggregator, type Aggregator, type TaskGradients } from '../../runtime/train/aggregators/index.js';
import { makeOptimizer } from '../../runtime/train/optimizer.js';
import { makeTrainStep } from '../../runtime/train/step.js';
import { makeWeighting } from '../../runtime/train/weightings/index.js';
import { fakeJobData, syntheticDataset, type SyntheticTask } from './helpers/fakeData.js';
import { adaptedModule, columnModules, denseModule, makeJob, mmoeModules, task, vectorInput, type TestModule } from './helpers/jobs.js';
import { handBatch, handJob, handWeights as handWeightsWith } from './helpers/hand-model.js';
import { assertAllClose, setWeights, useCpu, weightsOf } from './helpers/tf.js';
import { perTaskSum, trainWith } from './helpers/train.js';

const width = (w: unknown) => w as number;

/** Every dense layer of the job's modules with dropout `rate` (masks must agree between the two paths). */
function withDropout(modules: TestModule[], rate: number): TestModule[] {
  return modules.map((m) => ({ ...m, layers: m.layers.map((l) => (l.kind === 'dense' && l.activation !== 'softmax' ? { ...l, dropout: rate } : l)) }));
}

/** Tasks `a` (binary, partly labelled) and `b` (regression) on a 4-wide input, each head reading `from[task]`. */
function twoTasks(modules: TestModule[], from: { a: string; b: string }, training: Partial<TrainingPlan> = {}): Job {
  return makeJob({
    inputs: [vectorInput('x', 'd', 4)],
    modules,
    tasks: [task('a', 'binary', { from: from.a, weight: 0.5 }), task('b', 'regression', { from: from.b, weight: 2 })],
    training,
  });
}

const labels: SyntheticTask[] = [{ name: 'a', kind: 'binary', labelled: 0.7 }, { name: 'b', kind: 'regression' }];

async function batches(job: Job, count: number, size = 16): Promise<Batch[]> {
  const data = fakeJobData(job, { d: syntheticDataset('x', 4, labels, { train: size * count, valid: 1, test: 1 }, 21) });
  const out: Batch[] = [];
  for await (const batch of data.batches('d', 'train', { batchSize: size, shuffle: false, seed: 0 })) out.push(batch);
  return out;
}

const jobs: [string, () => Job][] = [
  ['hard sharing, with dropout', () => twoTasks(withDropout([denseModule('trunk', 'x', [8, 6], ['a', 'b']), denseModule('tower', 'trunk', [4], ['b'])], 0.3), { a: 'trunk', b: 'tower' })],
  ['mmoe, with dropout', () => twoTasks(withDropout(mmoeModules('m', 'x', [6], 3, ['a', 'b']), 0.2), { a: 'm.mix.a', b: 'm.mix.b' })],
  ['adapters, with dropout', () => twoTasks(withDropout([adaptedModule('ad', 'x', [6, 6], ['a', 'b'], 2)], 0.2), { a: 'ad', b: 'ad' })],
  ['cross-stitch', () => twoTasks(columnModules('s', 'x', [6, 6], ['a', 'b'], { kind: 'cross_stitch', after: [0], init: 0.8 }), { a: 's.a', b: 's.b' })],
  ['soft sharing (its penalty apart from the tasks)', () => twoTasks(columnModules('t', 'x', [6], ['a', 'b'], { kind: 'soft', l2: 0.1 }), { a: 't.a', b: 't.b' })],
  ['uncertainty weighting (each task’s log-variance its own)', () => twoTasks([denseModule('trunk', 'x', [8], ['a', 'b'])], { a: 'trunk', b: 'trunk' }, { weighting: { kind: 'uncertainty', form: 'regression' } })],
];

describe('per-task gradients summed by a test aggregator give the one-pass sum step', () => {
  before(useCpu);

  const optimizers: OptimizerPlan[] = [
    { kind: 'sgd', lr: { kind: 'constant', lr: 0.05 }, momentum: 0.9, weightDecay: 0, clipNorm: null, normalizeTaskGradients: false },
    { kind: 'adam', lr: { kind: 'constant', lr: 0.01 }, beta1: 0.9, beta2: 0.999, epsilon: 1e-7, weightDecay: 0, clipNorm: null, normalizeTaskGradients: false },
  ];
  for (const [name, makeTestJob] of jobs) {
    for (const plan of optimizers) {
      it(`${name}, ${plan.kind}`, async () => {
        const job = makeTestJob();
        const steps = await batches(job, 4);
        const summed = trainWith(job, steps, plan);
        const perTask = trainWith(job, steps, plan, perTaskSum);
        assert.deepEqual(Object.keys(perTask.weights), Object.keys(summed.weights));
        for (const [param, values] of Object.entries(summed.weights)) assertAllClose(perTask.weights[param]!, values, 1e-6, param);
        summed.weighting.forEach((values, i) => assertAllClose(perTask.weighting[i]!, values, 1e-6, 'weighting parameter'));
        assertAllClose(perTask.totals, summed.totals, 1e-6, 'step losses');
        summed.taskLosses.forEach((losses, i) => assertAllClose(Object.values(perTask.taskLosses[i]!), Object.values(losses), 1e-6, 'task losses'));
        // The weights moved: the comparison is not of two untrained models.
        const initial = buildModel(job, width, 3);
        assert.notDeepEqual(weightsOf(initial), summed.weights);
        initial.dispose();
      });
    }
  }
});

describe('what a per-task aggregator receives', () => {
  before(useCpu);

  // The hand model (helpers/hand-model.ts): trunk W = I, c = 0, u (head a) = [1, 1], v (head b) = [1, -1], so h = x.
  const batch = handBatch;
  const handWeights = handWeightsWith([1, -1]);

  it('each task’s gradient of its weighted loss with respect to the shared parameters (hand-computed)', () => {
    const job = handJob();
    const model = buildModel(job, width, 1);
    setWeights(model, handWeights);
    const received: { tasks: string[]; params: string[]; gradients: number[][][] }[] = [];
    const recording: Aggregator = {
      perTask: true,
      aggregate: (given: TaskGradients) => {
        received.push({
          tasks: [...given.tasks],
          params: given.params.map((p) => p.name),
          gradients: given.gradients.map((row) => row.map((g) => Array.from(g.dataSync()))),
        });
        return perTaskSum.perTask ? perTaskSum.aggregate(given) : [];
      },
    };
    const plan: OptimizerPlan = { kind: 'sgd', lr: { kind: 'constant', lr: 0.1 }, momentum: 0, weightDecay: 0, clipNorm: null, normalizeTaskGradients: false };
    let taskLosses: Readonly<Record<string, number>> = {};
    const step = makeTrainStep(model, makeOptimizer(plan), { weighting: makeWeighting(job), aggregator: recording, learningRate: () => 0.1, onTaskLosses: (l) => (taskLosses = l) });
    const total = step(batch);

    // a: predictions h·u = [3, 2], errors [3, 1], L_a = (9 + 1) / 2 = 5; ∂L_a/∂p = 2e/2 = [3, 1].
    //   ∂/∂h = [3, 1] ⊗ u = [[3, 3], [1, 1]]; ∂/∂W = Σ_r x_rᵀ ∂h_r = [[3, 3], [6, 6]] + [[3, 3], [-1, -1]] = [[6, 6], [5, 5]];
    //   ∂/∂c = [4, 4]; ∂/∂u = 3·[1, 2] + 1·[3, -1] = [6, 5]; ∂/∂(a's bias) = 4.
    // b: predictions h·v = [-1, 4], errors [-2, 4], L_b = (4 + 16) / 2 = 10; term 2·L_b, ∂/∂p = 2·2e/2 = [-4, 8].
    //   ∂/∂h = [[-4, 4], [8, -8]]; ∂/∂W = [[-4, 4], [-8, 8]] + [[24, -24], [-8, 8]] = [[20, -20], [-16, 16]];
    //   ∂/∂c = [4, -4]; ∂/∂v = -4·[1, 2] + 8·[3, -1] = [20, -16]; ∂/∂(b's bias) = 4.
    assert.equal(received.length, 1);
    const [got] = received as [(typeof received)[number]];
    assert.deepEqual(got.tasks, ['a', 'b']);
    assert.deepEqual(got.params, ['trunk/0/kernel', 'trunk/0/bias'], 'only what both tasks depend on');
    assertAllClose(got.gradients[0]![0]!, [6, 6, 5, 5], 1e-6, 'a: kernel');
    assertAllClose(got.gradients[0]![1]!, [4, 4], 1e-6, 'a: bias');
    assertAllClose(got.gradients[1]![0]!, [20, -20, -16, 16], 1e-6, 'b: kernel');
    assertAllClose(got.gradients[1]![1]!, [4, -4], 1e-6, 'b: bias');

    assertAllClose([total], [5 + 2 * 10], 1e-6, 'total');
    assert.deepEqual(taskLosses, { a: 5, b: 10 });
    // SGD at 0.1: the trunk takes the aggregate, each head its own task's gradient.
    const after = weightsOf(model);
    assertAllClose(after['trunk/0/kernel']!, [1 - 0.1 * 26, -0.1 * (6 - 20), -0.1 * (5 - 16), 1 - 0.1 * 21], 1e-6, 'trunk kernel');
    assertAllClose(after['trunk/0/bias']!, [-0.1 * 8, 0], 1e-6, 'trunk bias');
    assertAllClose(after['head/a/kernel']!, [1 - 0.6, 1 - 0.5], 1e-6, 'head a');
    assertAllClose(after['head/a/bias']!, [-0.4], 1e-6);
    assertAllClose(after['head/b/kernel']!, [1 - 2, -1 + 1.6], 1e-6, 'head b');
    assertAllClose(after['head/b/bias']!, [-0.4], 1e-6);
    model.dispose();
  });

  it('a task that does not reach a shared parameter gives zeros for it; one task alone shares nothing', async () => {
    const job = makeJob({
      inputs: [vectorInput('x', 'd', 4)],
      modules: [denseModule('trunk', 'x', [4], ['a', 'b', 'c']), denseModule('ab', 'trunk', [3], ['a', 'b'])],
      tasks: [task('a', 'binary', { from: 'ab' }), task('b', 'regression', { from: 'ab' }), task('c', 'regression', { from: 'trunk' })],
    });
    const model = buildModel(job, width, 2);
    const seen: { params: string[]; zeros: boolean[][] }[] = [];
    const recording: Aggregator = {
      perTask: true,
      aggregate: (given) => {
        seen.push({ params: given.params.map((p) => p.name), zeros: given.gradients.map((row) => row.map((g) => g.dataSync().every((v) => v === 0))) });
        return perTaskSum.perTask ? perTaskSum.aggregate(given) : [];
      },
    };
    const data = fakeJobData(job, {
      d: syntheticDataset('x', 4, [{ name: 'a', kind: 'binary' }, { name: 'b', kind: 'regression' }, { name: 'c', kind: 'regression' }], { train: 8, valid: 1, test: 1 }, 4),
    });
    let batch: Batch | undefined;
    for await (const b of data.batches('d', 'train', { batchSize: 8, shuffle: false, seed: 0 })) batch = b;
    const step = makeTrainStep(model, makeOptimizer(job.training.optimizer), { aggregator: recording });
    step(batch!);
    step(batch!, ['c']);
    // c reads the trunk, not `ab`: its row has zeros for ab's parameters.
    const f = false;
    assert.deepEqual(seen[0], { params: ['trunk/0/kernel', 'trunk/0/bias', 'ab/0/kernel', 'ab/0/bias'], zeros: [[f, f, f, f], [f, f, f, f], [f, f, true, true]] });
    assert.deepEqual(seen[1], { params: [], zeros: [[]] }, 'c alone: every gradient is its own');
    model.dispose();
  });
});

describe('the step’s path', () => {
  before(useCpu);

  /** Counts forward passes and the tasks each computes. */
  function counting(model: MtlModel): { model: MtlModel; calls: string[][] } {
    const calls: string[][] = [];
    return {
      calls,
      model: { ...model, forward: (inputs, tasks, training, seeds) => (calls.push([...tasks]), model.forward(inputs, tasks, training, seeds)) },
    };
  }

  it('sum, the job’s default, runs one forward and one backward pass for all tasks; a per-task aggregator one per task', async () => {
    const job = jobs[0]![1]();
    assert.equal(makeAggregator(job.training.aggregation, job.training.seed).perTask, false);
    const [batch] = await batches(job, 1);
    const model = buildModel(job, width, 1);
    const summed = counting(model);
    makeTrainStep(summed.model, makeOptimizer(job.training.optimizer))(batch!);
    assert.deepEqual(summed.calls, [['a', 'b']]);
    const perTask = counting(model);
    makeTrainStep(perTask.model, makeOptimizer(job.training.optimizer), { aggregator: perTaskSum })(batch!);
    assert.deepEqual(perTask.calls, [['a'], ['b']]);
    model.dispose();
  });

  for (const [name, makeTestJob] of jobs) {
    it(`${name}: the per-task path keeps the tensor count flat over steps`, async () => {
      const job = makeTestJob();
      const model = buildModel(job, width, 1);
      const optimizer = makeOptimizer(job.training.optimizer);
      const weighting = makeWeighting(job);
      const step = makeTrainStep(model, optimizer, { weighting, aggregator: perTaskSum, onTaskLosses: () => {} });
      const [batch] = await batches(job, 1);
      let afterFive = 0;
      for (let i = 1; i <= 30; i++) {
        step(batch!);
        if (i === 5) afterFive = tf.memory().numTensors;
      }
      assert.equal(tf.memory().numTensors, afterFive);
      optimizer.dispose();
      weighting.dispose();
      model.dispose();
    });
  }
});
