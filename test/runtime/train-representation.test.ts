/**
 * Aggregation on the shared representation (`on: representation`; MGDA-UB with `mgda`): each task's gradient of the
 * trunk's output Z, the task weights from their Gram matrix, one backward pass through the trunk. Checked against
 * values worked by hand on a linear trunk with two regression heads, against the one-pass sum step when every
 * weight is 1 (dropout in the trunk: both trunk passes must draw the same masks), end to end on a compiled program,
 * and for what the runtime refuses.
 */
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import type { AggregationPlan, Job, OptimizerPlan } from '../../job/job.js';
import { JobError, parseJob } from '../../job/parse.js';
import type { Batch } from '../../runtime/data/api.js';
import { buildModel } from '../../runtime/model/build.js';
import { assertRunnable } from '../../runtime/train/support.js';
import { makeAggregator, type Aggregator } from '../../runtime/train/aggregators/index.js';
import { makeOptimizer } from '../../runtime/train/optimizer.js';
import { representationGradients } from '../../runtime/train/representation-gradients.js';
import { makeTrainStep } from '../../runtime/train/step.js';
import type { TaskConflict } from '../../runtime/train/conflicts.js';
import { inputTensors, labelTensors } from '../../runtime/train/labels.js';
import { makeWeighting } from '../../runtime/train/weightings/index.js';
import { fakeJobData, syntheticDataset } from './helpers/fakeData.js';
import { adaptedModule, denseModule, makeJob, task, vectorInput, type TestModule } from './helpers/jobs.js';
import { assertAllClose, setWeights, useCpu, weightsOf } from './helpers/tf.js';
import { perTaskSum, trainWith } from './helpers/train.js';
import { trainTwoTasks, twoTaskBatches, twoTaskProgram } from './helpers/two-task-program.js';

const width = (w: unknown) => w as number;
const mgdaUb: AggregationPlan = { kind: 'mgda', on: 'representation' };
const sgd: OptimizerPlan = { kind: 'sgd', lr: { kind: 'constant', lr: 0.1 }, momentum: 0, weightDecay: 0, clipNorm: null, normalizeTaskGradients: false };

/**
 * Z = X W + b with W = I, b = 0 (a linear trunk of 2 units), head a: 2·z1, head b: z1 + 2·z2, both mse, weight 1.
 * X = I (two rows), y_a = [0, 0], y_b = [0, 1]:
 *   predictions a = [2, 0], errors [2, 0], L_a = (4 + 0)/2 = 2; b = [1, 2], errors [1, 1], L_b = (1 + 1)/2 = 1
 *   g^Z_a = (2/2)·err_r·u per row = [[4, 0], [0, 0]];  g^Z_b = (2/2)·err_r·v = [[1, 2], [1, 2]]
 *   G = [[16, 4], [4, 10]]: MGDA's γ = (10 - 4)/(16 + 10 - 8) = 1/3, w = [1/3, 2/3]
 *   (on the parameters the Gram matrix would take the bias rows too: [[32, 8], [8, 28]], γ = 20/44, other weights)
 *   D = Σ w_t g^Z_t = [[2, 4/3], [2/3, 4/3]]; the trunk's kernel gets Xᵀ D = D, its bias the column sums [8/3, 8/3]
 *   head a: ∂L_a/∂u = Σ err_r z_r = [2, 0], bias 2; head b: ∂L_b/∂v = [1, 1], bias 2
 */
function linearJob(training: Parameters<typeof makeJob>[0]['training'] = {}): Job {
  return makeJob({
    inputs: [vectorInput('x', 'd', 2)],
    modules: [denseModule('trunk', 'x', [2], ['a', 'b'], { activation: 'linear' })],
    tasks: [task('a', 'regression', { from: 'trunk' }), task('b', 'regression', { from: 'trunk' })],
    training: { aggregation: mgdaUb, optimizer: sgd, ...training },
  });
}
const linearWeights = { 'trunk/0/kernel': [1, 0, 0, 1], 'trunk/0/bias': [0, 0], 'head/a/kernel': [2, 0], 'head/a/bias': [0], 'head/b/kernel': [1, 2], 'head/b/bias': [0] };
const linearBatch: Batch = {
  dataset: 'd',
  size: 2,
  inputs: { x: { data: new Float32Array([1, 0, 0, 1]), shape: [2, 2] } },
  labels: {
    a: { values: { data: new Float32Array([0, 0]), shape: [2] }, mask: new Float32Array([1, 1]) },
    b: { values: { data: new Float32Array([0, 1]), shape: [2] }, mask: new Float32Array([1, 1]) },
  },
};

/** A sum that weighs the representation's gradients by 1: the representation step must then equal the summed step. */
const representationSum: Aggregator = { ...(perTaskSum as Extract<Aggregator, { perTask: true }>), weigh: (gram) => gram.map(() => 1) };

describe('aggregation on the shared representation', () => {
  before(useCpu);

  it('gives the representation gradients, the MGDA-UB weights and the gradients worked by hand', () => {
    const job = linearJob();
    const model = buildModel(job, width, 1);
    setWeights(model, linearWeights);
    const weighting = makeWeighting(job);
    const own = (t: string) => model.paramsFor([t]);
    const params = model.paramsFor(['a', 'b']);
    const readers = new Map(params.map((p) => [p, ['a', 'b'].filter((t) => own(t).includes(p))]));
    const plan = {
      tasks: ['a', 'b'], params, readers, own: new Map(['a', 'b'].map((t) => [t, own(t)])),
      shared: params.filter((p) => readers.get(p)!.length === 2), penalized: false,
    };
    tf.tidy(() => {
      const inputs = inputTensors(linearBatch, new Set(['x']));
      const labels = new Map(['a', 'b'].map((t) => [t, labelTensors(model.heads.get(t)!, linearBatch.labels[t]!, 2)]));
      const mgda = makeAggregator(mgdaUb, 0);
      assert.ok(mgda.perTask && mgda.weigh);
      const step = representationGradients(model, weighting, plan, { kind: 'layer', module: 'trunk', layer: 0 }, mgda.weigh, inputs, labels, false);
      assertAllClose(step.weights, [1 / 3, 2 / 3], 1e-9, 'MGDA-UB weights');
      assertAllClose(step.representationGradients[0]!.dataSync(), [4, 0, 0, 0], 1e-6, 'g^Z_a');
      assertAllClose(step.representationGradients[1]!.dataSync(), [1, 2, 1, 2], 1e-6, 'g^Z_b');
      assertAllClose([step.value.dataSync()[0]!], [3], 1e-6, 'total');
      const byName = Object.fromEntries(step.gradients.map((g) => [g.param.name, Array.from(g.gradient.dataSync())]));
      const expected = { 'trunk/0/kernel': [2, 4 / 3, 2 / 3, 4 / 3], 'trunk/0/bias': [8 / 3, 8 / 3], 'head/a/kernel': [2, 0], 'head/a/bias': [2], 'head/b/kernel': [1, 1], 'head/b/bias': [2] };
      assert.deepEqual(Object.keys(byName).sort(), Object.keys(expected).sort());
      for (const [name, values] of Object.entries(expected)) assertAllClose(byName[name]!, values, 1e-6, name);
    });
    weighting.dispose();
    model.dispose();
  });

  it('mgda(on: representation) weighs the tasks from the representation gradients and applies the update worked by hand', () => {
    const job = linearJob({ conflictsEvery: 1 });
    const model = buildModel(job, width, 1);
    setWeights(model, linearWeights);
    const optimizer = makeOptimizer(sgd);
    const sampled: TaskConflict[][] = [];
    const step = makeTrainStep(model, optimizer, { learningRate: () => 0.1, conflictsEvery: 1, onConflicts: (_s, c) => sampled.push([...c]) });
    assertAllClose([step(linearBatch)], [3], 1e-6, 'total loss');
    // w ← w − 0.1·gradient, the gradients above with MGDA-UB's w = [1/3, 2/3]
    const expected = {
      'trunk/0/kernel': [1 - 0.2, -0.4 / 3, -0.2 / 3, 1 - 0.4 / 3], 'trunk/0/bias': [-0.8 / 3, -0.8 / 3],
      'head/a/kernel': [1.8, 0], 'head/a/bias': [-0.2], 'head/b/kernel': [0.9, 1.9], 'head/b/bias': [-0.2],
    };
    const after = weightsOf(model);
    for (const [name, values] of Object.entries(expected)) assertAllClose(after[name]!, values, 1e-6, name);
    // The sampled cosine is of the representation gradients: 4/√(16·10) = 1/√10 (of the parameters' it would be 8/√(32·28)).
    assert.equal(sampled.length, 1);
    assert.deepEqual(sampled[0]!.map((c) => c.tasks), [['a', 'b']]);
    assertAllClose([sampled[0]![0]!.cosine!], [1 / Math.sqrt(10)], 1e-6, 'cosine');
    optimizer.dispose();
    model.dispose();
  });

  it('with every task weighed 1 it equals the one-pass sum step: a tower, static weights, dropout in the trunk', async () => {
    const modules: TestModule[] = [denseModule('trunk', 'x', [8, 6], ['a', 'b'], { dropout: 0.3 }), denseModule('tower', 'trunk', [4], ['b'], { dropout: 0.3 })];
    const jobOf = (aggregation: AggregationPlan) => makeJob({
      inputs: [vectorInput('x', 'd', 4)], modules,
      tasks: [task('a', 'binary', { from: 'trunk', weight: 0.5 }), task('b', 'regression', { from: 'tower', weight: 2 })],
      training: { aggregation },
    });
    const job = jobOf(mgdaUb);
    const data = fakeJobData(job, { d: syntheticDataset('x', 4, [{ name: 'a', kind: 'binary', labelled: 0.7 }, { name: 'b', kind: 'regression' }], { train: 48, valid: 1, test: 1 }, 21) });
    const steps: Batch[] = [];
    for await (const batch of data.batches('d', 'train', { batchSize: 16, shuffle: false, seed: 0 })) steps.push(batch);
    const plan: OptimizerPlan = { kind: 'adam', lr: { kind: 'constant', lr: 0.01 }, beta1: 0.9, beta2: 0.999, epsilon: 1e-7, weightDecay: 0, clipNorm: null, normalizeTaskGradients: false };
    const summed = trainWith(jobOf({ kind: 'sum' }), steps, plan);
    const onZ = trainWith(job, steps, plan, representationSum);
    for (const [param, values] of Object.entries(summed.weights)) assertAllClose(onZ.weights[param]!, values, 1e-5, param);
    assertAllClose(onZ.totals, summed.totals, 1e-6, 'step losses');
  });

  it('trains a compiled program with aggregation: mgda(on: representation), its tensor count flat over 300 steps', async () => {
    const job = twoTaskProgram('aggregation: mgda(on: representation)');
    assert.deepEqual(job.training.aggregation, mgdaUb);
    const steps = await twoTaskBatches(job, 300);
    const run = trainTwoTasks(job, steps);
    assert.equal(run.afterAll, run.afterOne);
    for (const name of ['s/0/kernel', 'head/a/kernel', 'head/b/kernel']) assert.notDeepEqual(run.weights[name], run.initial[name], name);
    const mean = (xs: number[]) => xs.reduce((s, x) => s + x, 0) / xs.length;
    assert.ok(mean(run.losses.slice(-30)) < mean(run.losses.slice(0, 30)), `loss ${mean(run.losses.slice(0, 30))} → ${mean(run.losses.slice(-30))}`);
  });

  it('the runtime refuses a representation its tasks do not share, and parseJob `on` on a method without the form', () => {
    const perTask = makeJob({
      inputs: [vectorInput('x', 'd', 4)],
      modules: [adaptedModule('ad', 'x', [6], ['a', 'b'], 2)],
      tasks: [task('a', 'regression', { from: 'ad' }), task('b', 'regression', { from: 'ad' })],
      training: { aggregation: mgdaUb },
    });
    assert.throws(() => assertRunnable(perTask), /aggregates mgda on the shared representation, but task 'a' reads module 'ad', whose adapters sharing gives each task a representation of its own/);
    assert.doesNotThrow(() => assertRunnable({ ...perTask, training: { ...perTask.training, aggregation: { kind: 'mgda', on: 'parameters' } } }));
    const apart = makeJob({
      inputs: [vectorInput('x', 'd', 4)],
      modules: [denseModule('ma', 'x', [3], ['a']), denseModule('mb', 'x', [3], ['b'])],
      tasks: [task('a', 'regression', { from: 'ma' }), task('b', 'regression', { from: 'mb' })],
      training: { aggregation: mgdaUb },
    });
    assert.throws(() => assertRunnable(apart), /tasks 'a', 'b' read no layer in common/);
    const pcgrad = JSON.parse(JSON.stringify(linearJob({ aggregation: { kind: 'pcgrad' } })));
    pcgrad.training.aggregation.on = 'representation';
    assert.throws(() => parseJob(pcgrad), JobError);
  });

  it('the step refuses a weighting that balances the task gradients of the shared parameters', () => {
    const job = linearJob({ weighting: { kind: 'db_mtl', beta: 0.9, betaSigma: 0 } });
    const model = buildModel(job, width, 1);
    const optimizer = makeOptimizer(sgd);
    const weighting = makeWeighting(job);
    assert.throws(() => makeTrainStep(model, optimizer, { weighting }), /balances each task's gradient of the shared parameters/);
    weighting.dispose();
    optimizer.dispose();
    model.dispose();
  });

  it('the step refuses normalize_task_gradients, which divides the task gradients of the shared parameters', () => {
    const job = linearJob({});
    const model = buildModel(job, width, 1);
    const optimizer = makeOptimizer(sgd);
    assert.throws(() => makeTrainStep(model, optimizer, { normalizeTaskGradients: true }), /`normalize_task_gradients` divides each task's gradient of the shared parameters/);
    optimizer.dispose();
    model.dispose();
  });
});
