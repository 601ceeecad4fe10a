/**
 * The sparse `moe` layer inside a model: routing and capacity drops counted exactly, the load-balancing loss (B for
 * uniform routing, more for a skewed one) shared among the tasks that read the layer, gradients reaching the router
 * and only the experts used, and the summed and per-task steps agreeing with the balance loss in them. Its forward
 * values on tiny weights (top-1, top-2, a capacity drop) are its `examples`, run by kinds/layers.test.ts.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { before, describe, it } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import type { Job, LayerPlan } from '../../job/job.js';
import type { Batch } from '../../runtime/data/api.js';
import { compileProgram } from '../../compiler/compile.js';
import { buildModel } from '../../runtime/model/build.js';
import { balanceLoss, mixAll, mixSelected, route } from '../../runtime/model/layers/moe.js';
import type { AuxiliaryLosses } from '../../runtime/model/types.js';
import { sumOfTasks } from '../../runtime/train/aggregators/sum.js';
import { makeOptimizer } from '../../runtime/train/optimizer.js';
import { makeTrainStep } from '../../runtime/train/step.js';
import { train } from '../../runtime/train/train.js';
import { fakeJobData, syntheticDataset } from './helpers/fakeData.js';
import { makeJob, task, vectorInput } from './helpers/jobs.js';
import { assertAllClose, setWeights, useCpu, weightsOf } from './helpers/tf.js';

const width = (w: unknown) => w as number;

function moeLayer(experts: number, topK: number, capacity: number, balance: number): Extract<LayerPlan, { kind: 'moe' }> {
  return { kind: 'moe', experts, topK, capacity, balance, expert: [{ kind: 'dense', units: 1, activation: 'linear', dropout: 0 }] };
}

/** x [2 wide] → trunk (one moe layer) → regression heads `a` and `b`. */
function moeJob(layer: Extract<LayerPlan, { kind: 'moe' }>): Job {
  return makeJob({
    inputs: [vectorInput('x', 'd', 2)],
    modules: [{ id: 'trunk', backbone: null, from: 'x', layers: [layer], shapes: [[1]], tasks: ['a', 'b'], sharing: { kind: 'hard' } }],
    tasks: [task('a', 'regression'), task('b', 'regression')],
  });
}

const rows = (values: number[][]) => tf.tensor2d(values);

describe('moe routing', () => {
  before(useCpu);

  it('drops an expert\'s assignments past its capacity, in row order: 3 rows for an expert of capacity 2 → 1 drop', () => {
    // top-1 of 2 experts, capacity 1: ceil(1 · 1 · 3 / 2) = 2 rows per expert; every row prefers expert 0
    const routing = route([0.9, 0.1, 0.8, 0.2, 0.7, 0.3], 3, 2, 1, 1);
    assert.deepEqual([...routing.selected], [0, 0, 0]);
    assert.deepEqual([...routing.kept], [1, 1, 0]);
    assert.deepEqual(routing.rowsOf, [[0, 1], []]);
    assert.deepEqual(routing.routed, [3, 0]);
    assert.equal(routing.dropped, 1);
  });

  it('routes each row to its top-k, best first, and counts top-2 drops per expert', () => {
    // 3 experts, top-2, capacity 0.5: ceil(0.5 · 2 · 4 / 3) = 2 per expert. Rows' picks: (0,1) (0,2) (1,0) (0,1):
    // expert 0 keeps rows 1, 2 and drops rows 3, 4; expert 1 keeps rows 1, 3 and drops row 4; expert 2 keeps row 2
    const probs = [0.5, 0.3, 0.2, 0.6, 0.1, 0.3, 0.3, 0.6, 0.1, 0.4, 0.35, 0.25];
    const routing = route(probs, 4, 3, 2, 0.5);
    assert.deepEqual([...routing.selected], [0, 1, 0, 2, 1, 0, 0, 1]);
    assert.deepEqual([...routing.kept], [1, 1, 1, 1, 1, 0, 0, 0]);
    assert.deepEqual(routing.routed, [4, 3, 1]);
    assert.equal(routing.dropped, 3);
  });

  it('computing every expert densely and masking (the bench\'s alternative) gives the gathered output', () => {
    const [gathered, dense] = tf.tidy(() => {
      const x = rows([[1, 2], [-1, 0.5], [0.3, -2], [2, 1], [0, 1]]);
      const probs = tf.softmax(tf.matMul(x, tf.tensor2d([[1, -1, 0.5], [0.2, 0.3, -0.4]]))) as tf.Tensor2D;
      // capacity 0.5: ceil(0.5 · 2 · 5 / 3) = 2 per expert, so some assignments drop
      const routing = route(probs.dataSync() as Float32Array, 5, 3, 2, 0.5);
      assert.ok(routing.dropped > 0);
      const kernels = [tf.tensor2d([[1], [2]]), tf.tensor2d([[-1], [1]]), tf.tensor2d([[0.5], [0.5]])];
      const expert = (e: number, xs: tf.Tensor2D) => tf.matMul(xs, kernels[e]!) as tf.Tensor2D;
      return [Array.from(mixSelected(x, probs, routing, 2, 1, expert).dataSync()), Array.from(mixAll(x, probs, routing, 2, expert).dataSync())];
    });
    assertAllClose(dense!, gathered!, 1e-6);
  });

  it('the balance loss is B for uniform routing and more for a skewed one', () => {
    const balance = 0.01;
    const lossOf = (probs: number[][], topK: number) => tf.tidy(() => {
      const p = rows(probs);
      return balanceLoss(p, route(probs.flat(), probs.length, probs[0]!.length, topK, 10), topK, balance).dataSync()[0]!;
    });
    // f = [½, ½], P = [½, ½]: 0.01 · 2 · (¼ + ¼) = 0.01
    assertAllClose([lossOf([[0.6, 0.4], [0.4, 0.6]], 1)], [balance], 1e-6);
    // 4 experts, uniform probabilities (ties pick experts 0 and 1): P = ¼ each, so 0.01 · 4 · ¼ · Σ f = 0.01 whatever f
    assertAllClose([lossOf([[0.25, 0.25, 0.25, 0.25], [0.25, 0.25, 0.25, 0.25]], 2)], [balance], 1e-6);
    // f = [1, 0], P = [0.85, 0.15]: 0.01 · 2 · 0.85 = 0.017
    assertAllClose([lossOf([[0.9, 0.1], [0.8, 0.2]], 1)], [0.017], 1e-6);
  });
});

describe('moe in a model', () => {
  before(useCpu);

  it('reports its balance loss to the tasks that read it, split between them, and counts the epoch\'s drops', () => {
    const model = buildModel(moeJob(moeLayer(2, 1, 1, 0.01)), width, 1);
    // Router kernel 0, bias [1, 0]: every row p = softmax([1, 0]), top-1 expert 0, capacity ceil(3/2) = 2.
    setWeights(model, { 'trunk/0/router/kernel': [0, 0, 0, 0], 'trunk/0/router/bias': [1, 0] });
    // Expert 0: kernel [1, 2], so x1 + 2·x2; head a reads it as is.
    setWeights(model, { 'trunk/0/expert0/0/kernel': [1, 2], 'trunk/0/expert0/0/bias': [0], 'head/a/kernel': [1], 'head/a/bias': [0] });
    const p0 = Math.exp(1) / (Math.exp(1) + 1);
    const aux: AuxiliaryLosses = new Map();
    const x = [[1, 0], [0, 1], [1, 1]];
    const { values, trained, evaluated } = tf.tidy(() => {
      const logits = model.forward({ x: rows(x) }, ['a', 'b'], true, new Map(), undefined, aux);
      return {
        values: ['a', 'b'].map((t) => aux.get(t)!.dataSync()[0]!),
        trained: Array.from(logits.get('a')!.dataSync()),
        evaluated: Array.from(model.forward({ x: rows(x) }, ['a'], false).get('a')!.dataSync()),
      };
    });
    // In training row 3 is past expert 0's capacity of 2 and gets zeros; outside training it keeps its expert.
    assertAllClose(trained, [1, 2, 0], 1e-6);
    assertAllClose(evaluated, [1, 2, 3], 1e-6);
    // f = [1, 0], P = [p0, 1 − p0]: 0.01 · 2 · p0, half to each task
    assertAllClose(values, [0.01 * p0, 0.01 * p0], 1e-6);
    const counts = model.routing!.take().get('trunk/0')!;
    assert.deepEqual({ ...counts, balanceLoss: 0 }, { passes: 1, rows: 3, assignments: 3, dropped: 1, routed: [3, 0], balanceLoss: 0 });
    assertAllClose([counts.balanceLoss], [0.02 * p0], 1e-6);
    assert.equal(model.routing!.take().size, 0, 'taking starts the counts again');
    // Evaluation passes neither add a loss nor count.
    tf.tidy(() => {
      model.forward({ x: rows([[1, 0]]) }, ['a', 'b'], false, new Map(), undefined, aux);
    });
    assert.equal(model.routing!.take().size, 0);
    model.dispose();
  });

  it('gradients reach the router and the experts used, and no expert no row went through', () => {
    // 3 experts, top-2, router bias [2, 1, 0]: every row goes through experts 0 and 1; expert 2 is never used
    const model = buildModel(moeJob(moeLayer(3, 2, 2, 0)), width, 1);
    setWeights(model, { 'trunk/0/router/kernel': [0.1, -0.2, 0.3, 0.2, 0.1, -0.1], 'trunk/0/router/bias': [2, 1, -2] });
    const names = model.params.map((p) => p.name);
    const { grads } = tf.variableGrads(() => {
      const logits = model.forward({ x: rows([[1, 2], [-1, 0.5]]) }, ['a'], true);
      return tf.sum(logits.get('a')!) as tf.Scalar;
    }, model.params.map((p) => p.variable));
    const gradientOf = (name: string) => {
      const g = grads[model.params[names.indexOf(name)]!.variable.name];
      return g ? Array.from(g.dataSync()) : null;
    };
    const nonZero = (name: string) => (gradientOf(name) ?? []).some((v) => v !== 0);
    assert.ok(nonZero('trunk/0/router/kernel'), 'the router learns from the task loss through the weights');
    assert.ok(nonZero('trunk/0/expert0/0/kernel') && nonZero('trunk/0/expert1/0/kernel'));
    for (const name of ['trunk/0/expert2/0/kernel', 'trunk/0/expert2/0/bias']) {
      const g = gradientOf(name);
      assert.ok(g === null || g.every((v) => v === 0), `${name} gets no gradient`);
    }
    Object.values(grads).forEach((g) => g.dispose());
    model.dispose();
  });

  it('the summed step and the per-task step apply the same update, balance loss included', () => {
    const job = moeJob(moeLayer(4, 2, 1.25, 0.5));
    const batch: Batch = {
      dataset: 'd', size: 4,
      inputs: { x: { data: Float32Array.of(1, 2, -1, 0.5, 0.3, -2, 2, 1), shape: [4, 2] } },
      labels: {
        a: { values: { data: Float32Array.of(0, 1, 2, -1), shape: [4] }, mask: Float32Array.of(1, 1, 1, 1) },
        b: { values: { data: Float32Array.of(1, 0, -1, 1), shape: [4] }, mask: Float32Array.of(1, 1, 1, 1) },
      },
    };
    const after = (perTask: boolean) => {
      const model = buildModel(job, width, 3);
      const step = makeTrainStep(model, makeOptimizer({ kind: 'sgd', lr: { kind: 'constant', lr: 0.1 }, momentum: 0, weightDecay: 0, clipNorm: null, normalizeTaskGradients: false }), {
        learningRate: () => 0.1, ...(perTask ? { aggregator: sumOfTasks } : {}),
      });
      const before = weightsOf(model)['trunk/0/router/kernel']!;
      step(batch);
      const weights = weightsOf(model);
      model.dispose();
      return { before, weights };
    };
    const summed = after(false);
    const perTask = after(true);
    assert.notDeepEqual(summed.weights['trunk/0/router/kernel'], summed.before, 'the router moved');
    for (const [name, values] of Object.entries(summed.weights)) assertAllClose(perTask.weights[name]!, values, 1e-5, name);
  });
});

describe('moe in training', () => {
  before(useCpu);

  it('writes a routing row per epoch to metrics.jsonl: each epoch\'s passes, assignments and drops', async () => {
    const job = { ...moeJob(moeLayer(4, 2, 1, 0.01)), training: { ...moeJob(moeLayer(4, 2, 1, 0.01)).training, batchSize: 16, stages: [{ tasks: ['a', 'b'], frozen: [], epochs: 2, steps: null }] } };
    const data = fakeJobData(job, { d: syntheticDataset('x', 2, [{ name: 'a', kind: 'regression' }, { name: 'b', kind: 'regression' }], { train: 64, valid: 16, test: 16 }, 5) });
    const out = mkdtempSync(join(tmpdir(), 'mtl-moe-'));
    try {
      await train(job, data, { progress: false, log: () => {}, out });
      const rows = readFileSync(join(out, 'metrics.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l)).filter((r) => r.kind === 'routing');
      assert.deepEqual(rows.map((r) => [r.epoch, r.layer, r.passes, r.rows, r.assignments]), [[1, 'trunk/0', 4, 64, 128], [2, 'trunk/0', 4, 64, 128]]);
      for (const row of rows) {
        assert.equal(row.routed.reduce((a: number, b: number) => a + b, 0), 128);
        assert.ok(Number.isInteger(row.dropped));
        assert.ok(row.balance_loss > 0);
      }
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
  });
});

describe('task-routed experts (mmoe `assign`)', () => {
  before(useCpu);

  it('a task mixes only its assigned experts, by a softmax over those, and trains no other', () => {
    // positive mixes experts 0 and 1, warm experts 1 and 2 (test/fixtures/ok/mmoe-assign.mtl)
    const { job } = compileProgram({ file: 'test/fixtures/ok/mmoe-assign.mtl' });
    assert.ok(job);
    const model = buildModel(job, width, 1);
    const owned = (t: string) => model.paramsFor([t]).map((p) => p.name).filter((n) => n.includes('.expert')).map((n) => n.split('/')[0]);
    assert.deepEqual([...new Set(owned('positive'))], ['experts.expert0', 'experts.expert1']);
    assert.deepEqual([...new Set(owned('warm'))], ['experts.expert1', 'experts.expert2']);
    // Gate kernel 0, bias [ln 3, 0]: positive's gate is [¾, ¼] over its two experts; each expert's output is its
    // bias (kernel 0, relu of a positive bias): 1, 2 and 3. positive's mixture: ¾·1 + ¼·2 = 1.25; head kernel [1, 0, 0, 0].
    const zero = (n: number) => new Array<number>(n).fill(0);
    setWeights(model, {
      ...Object.fromEntries([0, 1, 2].flatMap((e) => [[`experts.expert${e}/0/kernel`, zero(8)], [`experts.expert${e}/0/bias`, new Array<number>(4).fill(e + 1)]])),
      'experts.gate.positive/0/kernel': zero(4), 'experts.gate.positive/0/bias': [Math.log(3), 0],
      'head/positive/kernel': [1, 0, 0, 0], 'head/positive/bias': [0],
    });
    const logit = tf.tidy(() => Array.from(model.forward({ [job.tasks[0]!.input]: rows([[0.5, -1]]) }, ['positive'], false).get('positive')!.dataSync()));
    assertAllClose(logit, [1.25], 1e-6);
    model.dispose();
  });
});
