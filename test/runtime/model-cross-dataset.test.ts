/**
 * A module shared by tasks of several datasets: one module with a source per input (`ModulePlan.from` is a list),
 * one set of parameters, applied to whichever input the task's batches provide.
 */
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import type { Job } from '../../job/job.js';
import type { Batch } from '../../runtime/data/api.js';
import { UserError } from '../../runtime/errors.js';
import { buildModel } from '../../runtime/model/build.js';
import type { Aggregator } from '../../runtime/train/aggregators/index.js';
import { makeOptimizer } from '../../runtime/train/optimizer.js';
import { makeTrainStep } from '../../runtime/train/step.js';
import { fakeJobData, syntheticDataset } from './helpers/fakeData.js';
import { denseModule, makeJob, task, vectorInput } from './helpers/jobs.js';
import { assertAllClose, setWeights, useCpu, weightsOf } from './helpers/tf.js';

const width = (w: unknown) => w as number;

/** Task a on dataset d (input x), task b on dataset e (input z), both reading one hard-shared trunk. */
function crossDatasetJob(zWidth = 3): Job {
  return makeJob({
    inputs: [vectorInput('x', 'd', 3), vectorInput('z', 'e', zWidth)],
    modules: [{ ...denseModule('trunk', 'x', [4], ['a', 'b']), from: [{ input: 'x' }, { input: 'z' }] }],
    tasks: [task('a', 'regression'), task('b', 'binary', { dataset: 'e', input: 'z' })],
  });
}

async function firstBatch(job: Job, dataset: 'd' | 'e'): Promise<Batch> {
  const data = fakeJobData(job, {
    d: syntheticDataset('x', 3, [{ name: 'a', kind: 'regression' }], { train: 16, valid: 1, test: 1 }, 1),
    e: syntheticDataset('z', 3, [{ name: 'b', kind: 'binary' }], { train: 16, valid: 1, test: 1 }, 2),
  });
  for await (const batch of data.batches(dataset, 'train', { batchSize: 16, shuffle: false, seed: 0 })) return batch;
  throw new Error('no batch');
}

const perTaskSum: Aggregator = {
  perTask: true,
  aggregate: ({ gradients }) => gradients[0]!.map((_, i) => tf.addN(gradients.map((row) => row[i]!))),
};

describe('a module shared across datasets', () => {
  before(useCpu);

  it('is one set of parameters, applied to the input of each task’s dataset (hand-computed)', () => {
    const model = buildModel(crossDatasetJob(), width, 1);
    assert.deepEqual(model.params.map((p) => p.name), ['trunk/0/kernel', 'trunk/0/bias', 'head/a/kernel', 'head/a/bias', 'head/b/kernel', 'head/b/bias']);
    setWeights(model, {
      'trunk/0/kernel': [1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0], 'trunk/0/bias': [0, 0, 0, 1], // relu([r0, r1, r2, 1])
      'head/a/kernel': [1, 1, 1, 1], 'head/a/bias': [0],
      'head/b/kernel': [1, -1, 2, 0], 'head/b/bias': [0.5],
    });
    // a reads x = [1, 2, 3]: 1 + 2 + 3 + 1 = 7. b reads z = [2, -1, 1]: 2 - 0 + 2 + 0.5 = 4.5 (relu zeroes -1).
    const a = model.forward({ x: tf.tensor2d([[1, 2, 3]]) }, ['a'], false);
    const b = model.forward({ z: tf.tensor2d([[2, -1, 1]]) }, ['b'], false);
    assertAllClose(a.get('a')!.dataSync(), [7]);
    assertAllClose(b.get('b')!.dataSync(), [4.5]);
    model.dispose();
  });

  for (const [path, aggregator] of [['summed step', undefined], ['per-task step', perTaskSum]] as const) {
    it(`${path}: each dataset’s steps change the one trunk, and only their own head`, async () => {
      const job = crossDatasetJob();
      const model = buildModel(job, width, 1);
      const step = makeTrainStep(model, makeOptimizer(job.training.optimizer), aggregator ? { aggregator } : {});
      const [onD, onE] = [await firstBatch(job, 'd'), await firstBatch(job, 'e')];
      assert.deepEqual(Object.keys(onD.inputs), ['x']);
      assert.deepEqual(Object.keys(onE.inputs), ['z']);
      const changed = (before: Record<string, number[]>, after: Record<string, number[]>) =>
        Object.keys(after).filter((name) => after[name]!.some((v, i) => v !== before[name]![i]));

      const initial = weightsOf(model);
      step(onD);
      const afterD = weightsOf(model);
      assert.deepEqual(changed(initial, afterD), ['trunk/0/kernel', 'trunk/0/bias', 'head/a/kernel', 'head/a/bias']);
      step(onE);
      const afterE = weightsOf(model);
      assert.deepEqual(changed(afterD, afterE), ['trunk/0/kernel', 'trunk/0/bias', 'head/b/kernel', 'head/b/bias']);
      assert.deepEqual(model.params.filter((p) => p.name.startsWith('trunk/')).map((p) => p.name), ['trunk/0/kernel', 'trunk/0/bias'], 'one copy of the shared weights');
      model.dispose();
    });
  }

  it('sources of different widths cannot share a first layer (UserError)', () => {
    assert.throws(
      () => buildModel(crossDatasetJob(5), width, 1),
      (e: unknown) => e instanceof UserError && /module 'trunk' is shared by tasks of several datasets, but its inputs have different shapes \(\[3\] and \[5\]\)/.test(e.message),
    );
  });
});
