/**
 * Tasks of two datasets (two Arrow files) sharing one `hard` backbone train ONE set of shared parameters: the compiler
 * emits one module with a source per input, the runtime builds one copy of its weights, and a step on either dataset's
 * batch changes them.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import { tableFromArrays, tableToIPC } from 'apache-arrow';
import { compileProgram } from '../../compiler/compile.js';
import type { Job } from '../../job/job.js';
import { parseJob } from '../../job/parse.js';
import { openJobData } from '../../runtime/data/loader.js';
import { buildModel } from '../../runtime/model/build.js';
import { makeOptimizer } from '../../runtime/train/optimizer.js';
import { makeTrainStep } from '../../runtime/train/step.js';
import { uniformStream } from '../runtime/helpers/fakeData.js';
import { useCpu, weightsOf } from '../runtime/helpers/tf.js';

const PROGRAM = `
dataset first { files: "first.arrow", columns: { x1: float, x2: float, y: float } }
dataset second { files: "second.arrow", columns: { x1: float, x2: float, z: float } }
features f1 { dataset: first, transforms: [standardize(x1, x2)] }
features f2 { dataset: second, transforms: [standardize(x1, x2)] }
task up { features: f1, target: y > 0, head: binary }
task size { features: f2, target: z, head: regression }
share trunk = hard(backbone: mlp(units: [4, 3]), tasks: [up, size])
train { batch_size: 16, epochs: 1, seed: 3 }
`;

function writeData(directory: string, file: string, label: string, seed: number): void {
  const uniform = uniformStream(seed);
  const n = 120;
  const x1 = Float32Array.from({ length: n }, () => uniform() * 4 - 2);
  const x2 = Float32Array.from({ length: n }, () => uniform() * 2);
  const target = Float32Array.from({ length: n }, (_, i) => x1[i]! - x2[i]! + 0.5);
  writeFileSync(join(directory, file), tableToIPC(tableFromArrays({ x1, x2, [label]: target }), 'file'));
}

describe('sharing across datasets', () => {
  let root = '';
  let job: Job;
  before(async () => {
    await useCpu();
    root = mkdtempSync(join(tmpdir(), 'mtl-cross-'));
    writeData(root, 'first.arrow', 'y', 1);
    writeData(root, 'second.arrow', 'z', 2);
    writeFileSync(join(root, 'two.mtl'), PROGRAM);
    const compiled = compileProgram({ file: join(root, 'two.mtl') });
    assert.deepEqual(compiled.diagnostics, []);
    job = parseJob(compiled.job);
  });
  after(() => rmSync(root, { recursive: true, force: true }));

  it('compiles to one module with a source per input, read by both tasks', () => {
    assert.deepEqual(job.modules.map((m) => [m.id, m.from, m.tasks]), [['trunk', [{ input: 'f1' }, { input: 'f2' }], ['size', 'up']]]);
    assert.deepEqual(job.batchGroups.map((g) => [g.dataset, g.tasks]), [['first', ['up']], ['second', ['size']]]);
  });

  it('builds one copy of the shared weights, and steps on either dataset change it', async () => {
    const data = await openJobData(job);
    const model = buildModel(job, (w) => data.width(w), job.training.seed);
    assert.deepEqual(model.params.map((p) => p.name), [
      'trunk/0/kernel', 'trunk/0/bias', 'trunk/1/kernel', 'trunk/1/bias', 'head/size/kernel', 'head/size/bias', 'head/up/kernel', 'head/up/bias',
    ]);
    const optimizer = makeOptimizer(job.training.optimizer);
    const step = makeTrainStep(model, optimizer, { learningRate: () => 0.05 });
    const firstBatch = async (dataset: string) => {
      for await (const batch of data.batches(dataset, 'train', { batchSize: 16, shuffle: false, seed: 0 })) return batch;
      throw new Error(`no batch of ${dataset}`);
    };
    const shared = (w: Record<string, number[]>) => w['trunk/0/kernel']!;
    const start = weightsOf(model);
    step(await firstBatch('first'), ['up']);
    const afterFirst = weightsOf(model);
    assert.notDeepEqual(shared(afterFirst), shared(start), 'a step of `up` (dataset first) changes the shared kernel');
    assert.deepEqual(afterFirst['head/size/kernel'], start['head/size/kernel'], 'and leaves the other task\'s head alone');
    step(await firstBatch('second'), ['size']);
    const afterSecond = weightsOf(model);
    assert.notDeepEqual(shared(afterSecond), shared(afterFirst), 'a step of `size` (dataset second) changes the same shared kernel');
    assert.deepEqual(afterSecond['head/up/kernel'], afterFirst['head/up/kernel']);
    // Every parameter has its optimizer slots now: more steps allocate nothing that outlives them.
    const tensors = tf.memory().numTensors;
    step(await firstBatch('first'), ['up']);
    step(await firstBatch('second'), ['size']);
    assert.equal(tf.memory().numTensors, tensors, 'steps free what they allocate');
    optimizer.dispose();
    model.dispose();
  });
});
