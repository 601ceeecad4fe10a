import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import type { Job, TrainingPlan } from '../../job/job.js';
import { UserError } from '../../runtime/errors.js';
import { train } from '../../runtime/train/train.js';
import { fakeJobData, syntheticDataset, type SyntheticTask } from './helpers/fakeData.js';
import { denseModule, lossSelection, makeJob, task, vectorInput } from './helpers/jobs.js';
import { useCpu, weightsOf } from './helpers/tf.js';

const sizes = { train: 256, valid: 128, test: 64 };
const quiet = { progress: false, log: () => {} } as const;

function singleTaskJob(spec: SyntheticTask, training: Partial<TrainingPlan> = {}): Job {
  return makeJob({
    inputs: [vectorInput('x', 'd', 6)],
    modules: [denseModule('trunk', 'x', [16], [spec.name])],
    tasks: [task(spec.name, spec.kind, { units: spec.units ?? 1 })],
    training,
  });
}

function twoTaskJob(training: Partial<TrainingPlan> = {}): Job {
  return makeJob({
    inputs: [vectorInput('x', 'd', 6), vectorInput('z', 'e', 4)],
    modules: [denseModule('trunk', 'x', [16], ['ctr', 'kind']), denseModule('tower_kind', 'trunk', [8], ['kind'])],
    tasks: [
      task('ctr', 'binary'),
      task('kind', 'multiclass', { from: 'tower_kind', units: 3 }),
      task('price', 'regression', { dataset: 'e', input: 'z', from: null }),
    ],
    training,
  });
}

function twoTaskData(job: Job) {
  return fakeJobData(job, {
    d: syntheticDataset('x', 6, [{ name: 'ctr', kind: 'binary', labelled: 0.7 }, { name: 'kind', kind: 'multiclass', units: 3, labelled: 0.8 }], sizes, 1),
    e: syntheticDataset('z', 4, [{ name: 'price', kind: 'regression' }], { train: 96, valid: 32, test: 32 }, 2),
  });
}

describe('train', () => {
  before(useCpu);

  const heads: SyntheticTask[] = [
    { name: 'ctr', kind: 'binary' },
    { name: 'kind', kind: 'multiclass', units: 4 },
    { name: 'tags', kind: 'multilabel', units: 3, labelled: 0.6 },
    { name: 'price', kind: 'regression' },
  ];
  for (const spec of heads) {
    it(`the loss falls on a learnable ${spec.kind} task`, async () => {
      const job = singleTaskJob(spec, { stages: [{ tasks: [spec.name], frozen: [], epochs: 6, steps: null }] });
      const data = fakeJobData(job, { d: syntheticDataset('x', 6, [spec], sizes, 3) });
      const result = await train(job, data, quiet);
      const first = result.history[0]!;
      const last = result.history[result.history.length - 1]!;
      assert.equal(result.history.length, 6);
      assert.equal(result.steps, 6 * Math.ceil(256 / 32));
      assert.ok(last.trainLoss < 0.7 * first.trainLoss, `train loss ${first.trainLoss} -> ${last.trainLoss}`);
      assert.ok(last.valid![spec.name]!.loss! < first.valid![spec.name]!.loss!, 'valid loss falls');
      for (const metric of job.tasks[0]!.metrics) assert.equal(typeof last.valid![spec.name]![metric], 'number', metric);
      result.model.dispose();
    });
  }

  it('two runs with one seed give identical weights and metrics', async () => {
    const run = async () => {
      const job = twoTaskJob({ stages: [{ tasks: ['ctr', 'kind', 'price'], frozen: [], epochs: 2, steps: null }] });
      const result = await train(job, twoTaskData(job), quiet);
      const weights = weightsOf(result.model);
      result.model.dispose();
      return { history: result.history.map((h) => ({ ...h, stepsPerSecond: 0, trainSeconds: 0 })), weights };
    };
    const [a, b] = [await run(), await run()];
    assert.deepEqual(a.history, b.history);
    assert.deepEqual(a.weights, b.weights);
  });

  it('leaves no tensors behind but the model', async () => {
    const job = twoTaskJob({ weighting: { kind: 'uncertainty', form: 'regression' }, stages: [{ tasks: ['ctr', 'kind', 'price'], frozen: [], epochs: 1, steps: null }] });
    const data = twoTaskData(job);
    const before = tf.memory().numTensors;
    const result = await train(job, data, quiet);
    result.model.dispose();
    assert.equal(tf.memory().numTensors, before);
  });

  it('writes one metrics line per evaluated epoch and task, and a training-loss line per epoch and task', async () => {
    const { mkdtempSync, readFileSync, rmSync } = await import('node:fs');
    const { tmpdir } = await import('node:os');
    const { join } = await import('node:path');
    const out = mkdtempSync(join(tmpdir(), 'mtl-train-'));
    const job = twoTaskJob({ evalEvery: 2, stages: [{ tasks: ['ctr', 'kind', 'price'], frozen: [], epochs: 3, steps: null }] });
    const result = await train(job, twoTaskData(job), { ...quiet, out });
    const rows = readFileSync(join(out, 'metrics.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    // Every epoch, evaluated or not: each task's mean loss over the steps that trained it, as the epoch's record has it.
    const trainRows = rows.filter((l) => l.kind === 'train');
    assert.deepEqual(trainRows, result.history.flatMap((h) => ['ctr', 'kind', 'price'].map((task) => ({ kind: 'train', epoch: h.epoch, task, loss: h.taskTrainLoss[task] }))));
    const lines = rows.filter((l) => l.kind === undefined);
    // Epoch 2 (every 2) and epoch 3 (the last), three tasks each.
    assert.deepEqual(lines.map((l) => `${l.epoch}/${l.task}`), ['2/ctr', '2/kind', '2/price', '3/ctr', '3/kind', '3/price']);
    assert.equal(lines[0].split, 'valid');
    assert.deepEqual(Object.keys(lines[0]).sort(), ['accuracy', 'auc', 'epoch', 'loss', 'split', 'task']);
    result.model.dispose();
    rmSync(out, { recursive: true });
  });

  it('stops early after `patience` evaluations without improvement and restores the best weights', async () => {
    // A learning rate this high makes the validation loss get worse after the first epochs.
    const job = twoTaskJob({
      optimizer: { kind: 'sgd', lr: { kind: 'constant', lr: 3 }, momentum: 0.9, weightDecay: 0, clipNorm: null, normalizeTaskGradients: false },
      selection: { ...lossSelection(['ctr', 'kind', 'price'], 2), task: 'ctr' },
      stages: [{ tasks: ['ctr'], frozen: [], epochs: 40, steps: null }],
    });
    const data = twoTaskData(job);
    let lastValidLoss: number | null = null;
    const result = await train(job, data, { ...quiet, onEpoch: (r) => (lastValidLoss = r.valid!['ctr']!.loss!) });
    assert.ok(result.stoppedEarly);
    const bestEpoch = result.best.epoch!;
    assert.equal(result.history.length, bestEpoch + 2);
    const bestLoss = Math.min(...result.history.map((h) => h.valid!['ctr']!.loss!));
    assert.equal(result.best.score, bestLoss);
    assert.ok(lastValidLoss! > bestLoss);
    const { evaluate } = await import('../../runtime/train/evaluate.js');
    const restored = await evaluate(result.model, data, 'valid');
    assert.ok(Math.abs(restored['ctr']!.loss! - bestLoss) < 1e-6, 'the model holds the best epoch weights');
    result.model.dispose();
  });

  it('stages: frozen modules and tasks outside the stage keep their weights', async () => {
    const job = twoTaskJob({
      stages: [
        { tasks: ['ctr'], frozen: [], epochs: 1, steps: null },
        { tasks: ['kind'], frozen: ['trunk'], epochs: null, steps: 5 },
      ],
    });
    const data = twoTaskData(job);
    const snapshots: Record<string, number[]>[] = [];
    const { buildModel } = await import('../../runtime/model/build.js');
    const model = buildModel(job, data.width, job.training.seed);
    snapshots.push(weightsOf(model));
    const result = await train(job, data, { ...quiet, model, onEpoch: () => snapshots.push(weightsOf(model)) });
    const [initial, afterStage1, afterStage2] = snapshots as [Record<string, number[]>, Record<string, number[]>, Record<string, number[]>];
    assert.equal(result.steps, 8 + 5);
    // Stage 1 trains ctr: trunk and ctr's head move; kind's tower and head and price's head do not.
    assert.notDeepEqual(afterStage1['trunk/0/kernel'], initial['trunk/0/kernel']);
    assert.notDeepEqual(afterStage1['head/ctr/kernel'], initial['head/ctr/kernel']);
    assert.deepEqual(afterStage1['tower_kind/0/kernel'], initial['tower_kind/0/kernel']);
    assert.deepEqual(afterStage1['head/price/kernel'], initial['head/price/kernel']);
    // Stage 2 trains kind with the trunk frozen.
    assert.deepEqual(afterStage2['trunk/0/kernel'], afterStage1['trunk/0/kernel']);
    assert.notDeepEqual(afterStage2['tower_kind/0/kernel'], afterStage1['tower_kind/0/kernel']);
    assert.deepEqual(afterStage2['head/ctr/kernel'], afterStage1['head/ctr/kernel']);
    model.dispose();
  });

  it('a task learning rate of 0 keeps that task’s head and tower fixed', async () => {
    const job = twoTaskJob({ taskLr: { kind: 0 }, stages: [{ tasks: ['ctr', 'kind'], frozen: [], epochs: 1, steps: null }] });
    const data = twoTaskData(job);
    const { buildModel } = await import('../../runtime/model/build.js');
    const model = buildModel(job, data.width, job.training.seed);
    const initial = weightsOf(model);
    await train(job, data, { ...quiet, model });
    const after = weightsOf(model);
    assert.deepEqual(after['head/kind/kernel'], initial['head/kind/kernel']);
    assert.deepEqual(after['tower_kind/0/kernel'], initial['tower_kind/0/kernel']);
    assert.notDeepEqual(after['head/ctr/kernel'], initial['head/ctr/kernel']);
    model.dispose();
  });

  for (const weighting of [{ kind: 'uncertainty', form: 'regression' }, { kind: 'dwa', t: 2 }] as const) {
    it(`${weighting.kind} weighting trains`, async () => {
      const job = twoTaskJob({ weighting, stages: [{ tasks: ['ctr', 'kind', 'price'], frozen: [], epochs: 4, steps: null }] });
      const result = await train(job, twoTaskData(job), quiet);
      const first = result.history[0]!.taskTrainLoss;
      const last = result.history[3]!.taskTrainLoss;
      for (const t of ['ctr', 'kind', 'price']) assert.ok(last[t]! < first[t]!, `${t}: ${first[t]} -> ${last[t]}`);
      result.model.dispose();
    });
  }
});
