/**
 * Task dependencies (ESMM) on weights set by hand: a product task's probability is the product of its factors',
 * its loss's gradient reaches both factors' heads (as worked out by hand), and a task reading another's prediction
 * gets it as an extra input, with its own gradient flowing into the task it reads.
 *
 * x → trunk (dense 2 → 2, linear, W = I, c = 0: h = x) → heads ctr (kernel [1, −1], bias 0.5), cvr ([0.5, 0.25],
 * −1), reader ([1, 2] on h, 3 on σ(ctr's logit), bias 0.1); ctcvr = product(ctr, cvr), reading the input itself.
 * Rows x = [1, 2], [3, −1]: ctr's logits a = [−0.5, 4.5], cvr's b = [0, 0.25].
 */
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import type { Job } from '../../job/job.js';
import { UserError } from '../../runtime/errors.js';
import { buildModel } from '../../runtime/model/build.js';
import type { MtlModel } from '../../runtime/model/types.js';
import { labelTensors } from '../../runtime/train/labels.js';
import { taskLoss } from '../../runtime/train/loss.js';
import { train } from '../../runtime/train/train.js';
import { parseJob } from '../../job/parse.js';
import { ROWS, compileSource } from '../compiler/harness.js';
import { fakeJobData, syntheticDataset } from './helpers/fakeData.js';
import { denseModule, makeJob, task, vectorInput } from './helpers/jobs.js';
import { assertAllClose, setWeights, useCpu, weightsOf } from './helpers/tf.js';

const sigmoid = (z: number) => 1 / (1 + Math.exp(-z));
const rows = [[1, 2], [3, -1]];
const a = rows.map(([x1, x2]) => x1! - x2! + 0.5);
const b = rows.map(([x1, x2]) => 0.5 * x1! + 0.25 * x2! - 1);

function dependentJob(): Job {
  const job = makeJob({
    inputs: [vectorInput('x', 'd', 2)],
    modules: [denseModule('trunk', 'x', [2], ['ctr', 'cvr', 'reader'], { activation: 'linear' })],
    tasks: [task('ctcvr', 'binary', { from: null }), task('ctr', 'binary'), task('cvr', 'binary', { weight: 0 }), task('reader', 'binary')],
  });
  job.tasks[0]!.product = ['ctr', 'cvr'];
  job.tasks[3]!.reads = ['ctr'];
  return job;
}

function handModel(job: Job = dependentJob()): MtlModel {
  const model = buildModel(job, (w) => w as number, 1);
  setWeights(model, {
    'trunk/0/kernel': [1, 0, 0, 1], 'trunk/0/bias': [0, 0],
    'head/ctr/kernel': [1, -1], 'head/ctr/bias': [0.5],
    'head/cvr/kernel': [0.5, 0.25], 'head/cvr/bias': [-1],
    'head/reader/kernel': [1, 2, 3], 'head/reader/bias': [0.1],
  });
  return model;
}

const x = () => tf.tensor2d(rows.flat(), [2, 2]);
const column = (t: tf.Tensor) => Array.from(t.dataSync());

/** Gradients of `f` by parameter name; parameters it does not reach are absent. */
function gradients(model: MtlModel, f: () => tf.Scalar): Map<string, number[]> {
  const names = new Map(model.params.map((p) => [p.variable.name, p.name]));
  const { value, grads } = tf.variableGrads(f, model.params.map((p) => p.variable));
  value.dispose();
  return new Map(Object.entries(grads).flatMap(([name, g]) => (g ? [[names.get(name)!, column(g)]] : [])));
}

/** The task's loss on labels y (every row labelled), through the real loss code. */
function lossOf(model: MtlModel, name: string, y: number[]): tf.Scalar {
  const head = model.heads.get(name)!;
  const labels = labelTensors(head, { values: { data: Float32Array.from(y), shape: [y.length] }, mask: Float32Array.of(1, 1) }, y.length);
  return taskLoss(head, model.forward({ x: x() }, [name], true).get(name)!, labels);
}

describe('task dependencies', () => {
  before(useCpu);

  it("a product task's probability is the product of its factors' probabilities", () => {
    const model = handModel();
    const logits = model.forward({ x: x() }, ['ctcvr', 'ctr', 'cvr'], false);
    const [ctr, cvr, ctcvr] = ['ctr', 'cvr', 'ctcvr'].map((t) => column(logits.get(t)!));
    assertAllClose(ctr!, a, 1e-6, 'ctr logits');
    assertAllClose(cvr!, b, 1e-6, 'cvr logits');
    const probability = column(tf.sigmoid(logits.get('ctcvr')!));
    // The factors' own float32 logits, multiplied in float64: equal within float32 rounding (relative 1e-6).
    assertAllClose(probability, ctr!.map((ai, i) => sigmoid(ai) * sigmoid(cvr![i]!)), 1e-6, 'σ(ctcvr)');
    assertAllClose(probability, [sigmoid(-0.5) * 0.5, sigmoid(4.5) * sigmoid(0.25)], 1e-6, 'σ(ctcvr), by hand');
    assert.equal(model.params.some((p) => p.name.startsWith('head/ctcvr/')), false, 'a product task has no head parameters');
    model.dispose();
  });

  it("a product task's loss trains both factors' heads and the trunk, by the chain rule through p = σ(a)·σ(b)", () => {
    const model = handModel();
    const y = [0, 1];
    const grads = gradients(model, () => lossOf(model, 'ctcvr', y));
    // L = mean −[y log p + (1 − y) log(1 − p)]; ∂L/∂p = (p − y) / (p (1 − p)); ∂p/∂a = p (1 − σ(a)), ∂p/∂b = p (1 − σ(b)).
    const dA = a.map((ai, i) => {
      const p = sigmoid(ai) * sigmoid(b[i]!);
      return ((p - y[i]!) / (1 - p)) * (1 - sigmoid(ai)) / 2;
    });
    const dB = b.map((bi, i) => {
      const p = sigmoid(a[i]!) * sigmoid(bi);
      return ((p - y[i]!) / (1 - p)) * (1 - sigmoid(bi)) / 2;
    });
    assertAllClose(grads.get('head/ctr/bias')!, [dA[0]! + dA[1]!], 1e-5, 'ctr bias');
    assertAllClose(grads.get('head/cvr/bias')!, [dB[0]! + dB[1]!], 1e-5, 'cvr bias');
    assertAllClose(grads.get('head/ctr/kernel')!, [0, 1].map((j) => dA[0]! * rows[0]![j]! + dA[1]! * rows[1]![j]!), 1e-5, 'ctr kernel');
    assertAllClose(grads.get('head/cvr/kernel')!, [0, 1].map((j) => dB[0]! * rows[0]![j]! + dB[1]! * rows[1]![j]!), 1e-5, 'cvr kernel');
    assert.ok(grads.get('trunk/0/kernel')!.some((g) => g !== 0), 'the trunk under both factors learns');
    assert.equal(grads.has('head/reader/kernel'), false, 'a task the product does not read gets nothing');
    model.dispose();
  });

  it("a task reading another's prediction gets it as an extra input, and its gradient reaches the task it reads", () => {
    const model = handModel();
    const logits = column(model.forward({ x: x() }, ['reader'], false).get('reader')!);
    // z = h·[1, 2] + 3·σ(a) + 0.1, with h = x
    const z = rows.map(([x1, x2], i) => x1! + 2 * x2! + 3 * sigmoid(a[i]!) + 0.1);
    assertAllClose(logits, z, 1e-6, 'reader logits');
    const y = [1, 0];
    const grads = gradients(model, () => lossOf(model, 'reader', y));
    // ∂L/∂z = (σ(z) − y) / 2 per row; ∂z/∂(ctr's bias) = 3·σ(a)(1 − σ(a)); the kernel's third entry sees σ(a).
    const dZ = z.map((zi, i) => (sigmoid(zi) - y[i]!) / 2);
    assertAllClose(grads.get('head/ctr/bias')!, [dZ.reduce((s, d, i) => s + d * 3 * sigmoid(a[i]!) * (1 - sigmoid(a[i]!)), 0)], 1e-5, 'ctr bias');
    assertAllClose(grads.get('head/reader/kernel')!.slice(2), [dZ[0]! * sigmoid(a[0]!) + dZ[1]! * sigmoid(a[1]!)], 1e-5, 'the read prediction\'s weight');
    assert.equal(grads.has('head/cvr/kernel'), false, 'a task it does not read gets nothing');
    model.dispose();
  });

  it('a step trains what its tasks read and multiply: paramsFor follows the dependencies', () => {
    const model = handModel();
    const heads = (tasks: string[]) => [...new Set(model.paramsFor(tasks).flatMap((p) => (p.owner.kind === 'head' ? [p.owner.task] : [])))].sort();
    assert.deepEqual(heads(['ctcvr']), ['ctr', 'cvr']);
    assert.deepEqual(heads(['reader']), ['ctr', 'reader']);
    assert.ok(model.paramsFor(['ctcvr']).some((p) => p.name === 'trunk/0/kernel'));
    model.dispose();
  });

  it('a compiled ESMM program trains end to end: the weight-0 factor learns through the product alone, and the product reports its metrics', async () => {
    const compiled = compileSource(`${ROWS}
features x { dataset: rows, transforms: [standardize(age, hours, label), raw(flag)] }
share s = hard(backbone: mlp(units: [6]), tasks: [ctr, cvr])
task ctr { features: x, target: flag, head: binary }
task cvr { features: x, target: label == 1, head: binary, weight: 0 }
task ctcvr { features: x, target: flag and label == 1, head: binary, product: [ctr, cvr] }
train { epochs: 2, batch_size: 16 }`);
    assert.deepEqual(compiled.diagnostics.map((d) => d.message), []);
    const job = parseJob(JSON.parse(JSON.stringify(compiled.job)));
    const labels = ['ctcvr', 'ctr', 'cvr'].map((name) => ({ name, kind: 'binary' as const }));
    const data = fakeJobData(job, { rows: syntheticDataset('x', 4, labels, { train: 64, valid: 32, test: 1 }, 3) });
    const model = buildModel(job, (w) => w as number, 1);
    const before = weightsOf(model);
    const result = await train(job, data, { progress: false, log: () => {}, model });
    const after = weightsOf(model);
    assert.notDeepEqual(after['head/cvr/kernel'], before['head/cvr/kernel'], 'cvr, of weight 0, trains through ctcvr');
    assert.notDeepEqual(after['head/ctr/kernel'], before['head/ctr/kernel']);
    const valid = result.history.at(-1)!.valid!;
    assert.equal(typeof valid['ctcvr']!.auc, 'number');
    assert.equal(typeof valid['cvr']!.auc, 'number', 'a weight-0 factor still reports its metrics');
    result.model.dispose();
  });

  it('refuses a hand-written job whose tasks depend on each other in a cycle, or multiply heads that do not', () => {
    const cyclic = dependentJob();
    cyclic.tasks[1]!.reads = ['reader'];
    assert.throws(() => buildModel(cyclic, (w) => w as number, 1), (e) => e instanceof UserError && /task 'ctr' depends on its own prediction: ctr → reader → ctr/.test(e.message));
    const mixed = dependentJob();
    mixed.tasks[2]!.head = { kind: 'regression', units: 1, classes: 'index' };
    mixed.tasks[2]!.loss = 'mse';
    assert.throws(() => buildModel(mixed, (w) => w as number, 1), (e) => e instanceof UserError && /multiplies binary predictions, but task 'cvr' has a regression head/.test(e.message));
  });
});
