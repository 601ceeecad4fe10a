/**
 * The fused dense step (runtime/train/dense-step.ts, optimization `fused-dense-step`) against the tfjs step it replaces
 * (cpu backend): the same losses and parameter gradients to float32 rounding, the same training over several steps, the
 * same hand-over of parameters and Adam's moments; its SIMD routines by hand; Adam bit for bit; what it declines.
 */
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import type { Job, OptimizerPlan } from '../../job/job.js';
import type { Batch, JobData } from '../../runtime/data/api.js';
import { adamUpdate } from '../../runtime/kernels/fused-adam.js';
import { instantiateSimd } from '../../runtime/kernels/weighted-rows.js';
import { buildModel } from '../../runtime/model/build.js';
import type { MtlModel } from '../../runtime/model/types.js';
import { DenseStep, denseStepPlan, type DenseStepPlan } from '../../runtime/train/dense-step.js';
import { inputTensors, labelTensors } from '../../runtime/train/labels.js';
import { taskLoss } from '../../runtime/train/loss.js';
import { evaluate } from '../../runtime/train/evaluate.js';
import { adamScalars, makeOptimizer } from '../../runtime/train/optimizer.js';
import { makeTrainStep } from '../../runtime/train/step.js';
import { adaptedModule, denseModule, makeJob, mmoeModules, task, vectorInput } from './helpers/jobs.js';
import { assertAllClose, gradientsByName, useCpu, weightsOf } from './helpers/tf.js';

before(useCpu);

const ROWS = 12;
/** A deterministic value in [-1, 1) for index i. */
const wave = (i: number) => Math.fround(Math.sin(i * 12.9898 + 0.5) * 0.999);

/** 2 numbers (kernel rows 0, 1), then one-hot features of 3 values (rows 2–4) and 2 values (rows 5, 6): 4 columns a row. */
const lookup = { numericRows: Int32Array.from([0, 1]), ids: 2, width: 7 };

function batchOf(job: Job, rows = ROWS, missing: Record<string, number[]> = {}): Batch {
  const input = job.inputs[0]!;
  const width = input.shape[0] as number;
  const data = input.lookup
    ? Float32Array.from({ length: rows * 4 }, (_, i) => {
        const [r, c] = [Math.floor(i / 4), i % 4];
        if (c < 2) return r % 5 === 3 && c === 1 ? 0 : wave(i);
        return c === 2 ? (r % 4 === 3 ? -1 : 2 + (r % 3)) : 5 + (r % 2);
      })
    : Float32Array.from({ length: rows * width }, (_, i) => (i % 7 === 2 ? 0 : wave(i)));
  const labels: Batch['labels'] = {};
  for (const t of job.tasks) {
    const units = t.head.units as number;
    const mask = new Float32Array(rows).fill(1);
    if (t.head.kind === 'multiclass') {
      // Class indices; row 5's is outside the head's classes (tfjs's zero one-hot row: no loss, no gradient).
      const classes = Int32Array.from({ length: rows }, (_, i) => (i === 5 ? units : (i * 7) % units));
      for (const r of missing[t.name] ?? []) mask[r] = 0;
      labels[t.name] = { values: { data: classes, shape: [rows] }, mask };
      continue;
    }
    const values = Float32Array.from({ length: rows * units }, (_, i) => (t.head.kind === 'binary' ? (wave(100 + i) > 0 ? 1 : 0) : 2 * wave(200 + i)));
    for (const r of missing[t.name] ?? []) {
      mask[r] = 0;
      values[r * units] = NaN; // how a loader may encode null: the masked row must not reach the loss
    }
    labels[t.name] = { values: { data: values, shape: units === 1 ? [rows] : [rows, units] }, mask };
  }
  return { dataset: 'd', size: rows, inputs: { [input.id]: { data, shape: [rows, input.lookup ? 4 : width], ...(input.lookup ? { lookup } : {}) } }, labels };
}

const adam: OptimizerPlan = { kind: 'adam', lr: { kind: 'constant', lr: 0.01 }, beta1: 0.9, beta2: 0.999, epsilon: 1e-7, weightDecay: 0, clipNorm: null, normalizeTaskGradients: false };

const networks: [string, () => Job][] = [
  ['a lookup input, a shared trunk of 32 and 16 units, towers of 8, binary heads (the SIMD routines)', () => makeJob({
    inputs: [{ ...vectorInput('x', 'd', 7), lookup: true }],
    modules: [
      denseModule('trunk', 'x', [32, 16], ['a', 'b']),
      denseModule('tower_a', 'trunk', [8], ['a']),
      denseModule('tower_b', 'trunk', [8], ['b']),
    ],
    tasks: [task('a', 'binary', { from: 'tower_a' }), task('b', 'binary', { from: 'tower_b' })],
  })],
  ['a dense input, odd widths (5, 3: the JavaScript sums), a linear layer, weighted binary and regression heads', () => makeJob({
    inputs: [vectorInput('x', 'd', 6)],
    modules: [denseModule('trunk', 'x', [5, 3], ['a', 'b']), denseModule('lin', 'trunk', [4], ['b'], { activation: 'linear' })],
    tasks: [task('a', 'binary', { from: 'trunk', weight: 0.5 }), task('b', 'regression', { from: 'lin', units: 2, weight: 2 })],
  })],
  ['MMoE over a lookup input: 3 experts of 4 units, softmax gates, mixtures, towers of 4', () => makeJob({
    inputs: [{ ...vectorInput('x', 'd', 7), lookup: true }],
    modules: [...mmoeModules('m', 'x', [4], 3, ['a', 'b']), denseModule('tower_a', 'm.mix.a', [4], ['a']), denseModule('tower_b', 'm.mix.b', [4], ['b'])],
    tasks: [task('a', 'binary', { from: 'tower_a' }), task('b', 'regression', { from: 'tower_b' })],
  })],
  ["a multiclass head of 5 classes (one row's class outside them) beside a binary one, over a lookup input", () => makeJob({
    inputs: [{ ...vectorInput('x', 'd', 7), lookup: true }],
    modules: [denseModule('trunk', 'x', [16], ['a', 'b'])],
    tasks: [task('a', 'binary', { from: 'trunk' }), task('b', 'multiclass', { from: 'trunk', units: 5, weight: 1.5 })],
  })],
  ['heads straight on a 16-unit trunk over a dense input (one-unit products)', () => makeJob({
    inputs: [vectorInput('x', 'd', 8)],
    modules: [denseModule('trunk', 'x', [16], ['a', 'b'])],
    tasks: [task('a', 'binary', { from: 'trunk' }), task('b', 'regression', { from: 'trunk' })],
  })],
];

function planOf(model: MtlModel, tasks = ['a', 'b']): DenseStepPlan {
  const plan = denseStepPlan(model, tasks, Object.fromEntries(model.job.tasks.map((t) => [t.name, t.weight])));
  if ('why' in plan) throw new Error(`the fused step declined: ${plan.why}`);
  return plan;
}

/** The tfjs step's total loss: each task's masked mean loss times its weight, added in task order. */
const tfjsLoss = (model: MtlModel, batch: Batch) => () => {
  const logits = model.forward(inputTensors(batch), ['a', 'b'], true);
  let total: tf.Scalar | null = null;
  for (const t of model.job.tasks) {
    const head = model.heads.get(t.name)!;
    const term = tf.mul(taskLoss(head, logits.get(t.name)!, labelTensors(head, batch.labels[t.name]!, batch.size)), t.weight) as tf.Scalar;
    total = total === null ? term : (tf.add(total, term) as tf.Scalar);
  }
  return total!;
};

describe('the fused dense step gives the tfjs step\'s losses and gradients (cpu)', () => {
  for (const [name, job] of networks) {
    it(name, () => {
      const model = buildModel(job(), (w) => w as number, 3);
      const batch = batchOf(model.job, ROWS, { a: [1, 7], b: [4] });
      const optimizer = makeOptimizer(adam);
      const step = DenseStep.create(planOf(model), adam, optimizer)!;
      const result = step.run(batch, new Set(model.params), 0.01, null, true);
      const expectedTotal = tf.tidy(() => tfjsLoss(model, batch)().dataSync()[0]!);
      assertAllClose([result.value], [expectedTotal], 1e-6, 'total loss');
      const expected = gradientsByName(model, tfjsLoss(model, batch));
      const got = step.gradients();
      assert.deepEqual([...got.keys()].sort(), [...expected.keys()].sort());
      for (const [param, g] of expected) assertAllClose(got.get(param)!, g, 1e-6, param);
      // Something reaches every parameter: the comparison is not of zeros.
      for (const [param, g] of expected) assert.ok(g.some((v) => v !== 0), `${param} has a gradient`);
      optimizer.dispose();
      model.dispose();
    });
  }
});

describe('training with the fused dense step', () => {
  const plans: [string, OptimizerPlan][] = [
    ['Adam', adam],
    ['Adam with decoupled weight decay and clipping', { ...adam, lr: { kind: 'constant', lr: 0.03 }, weightDecay: 0.1, clipNorm: 0.5 }],
  ];
  for (const [name, plan] of plans) {
    it(`follows the tfjs step over five steps, and hands its state back on flush: ${name}`, () => {
      const job = networks[0]![1]();
      job.training.optimizer = plan;
      const run = (dense: boolean) => {
        const model = buildModel(job, (w) => w as number, 3);
        const optimizer = makeOptimizer(plan);
        const step = makeTrainStep(model, optimizer, { learningRate: () => 0.01, denseStep: dense });
        // The second batch is larger than the first: the step lays out its memory again, keeping parameters and moments.
        const losses = [0, 1, 2, 3, 4].map((i) => step(batchOf(job, ROWS - 1 + (i % 2), { a: [i] })));
        step.flush();
        return { model, optimizer, losses };
      };
      const fused = run(true);
      const plain = run(false);
      assertAllClose(fused.losses, plain.losses, 1e-5, 'losses');
      const [a, b] = [weightsOf(fused.model), weightsOf(plain.model)];
      for (const param of Object.keys(b)) assertAllClose(a[param]!, b[param]!, 1e-5, param);
      assert.notDeepEqual(b, weightsOf(buildModel(job, (w) => w as number, 3)), 'training moved the weights');
      // Adam's moments and counts went back to the optimizer: checkpoints hold them.
      const saved = fused.optimizer.checkpoint(fused.model.params).save() as { name: string; updates: number; first: Float32Array }[];
      const plainSaved = plain.optimizer.checkpoint(plain.model.params).save() as typeof saved;
      assert.deepEqual(saved.map((s) => [s.name, s.updates]).sort(), plainSaved.map((s) => [s.name, s.updates]).sort());
      for (const s of saved) assertAllClose(s.first, plainSaved.find((p) => p.name === s.name)!.first, 1e-5, `${s.name} first moment`);
      for (const t of [fused, plain]) {
        t.model.dispose();
        t.optimizer.dispose();
      }
    });
  }

  it('takes over from the tfjs step and hands back to it: the moments and counts carry across', () => {
    const job = networks[0]![1]();
    const run = (pattern: boolean[]) => {
      const model = buildModel(job, (w) => w as number, 3);
      const optimizer = makeOptimizer(adam);
      const fused = makeTrainStep(model, optimizer, { learningRate: () => 0.01, denseStep: true });
      const plain = makeTrainStep(model, optimizer, { learningRate: () => 0.01 });
      pattern.forEach((dense, i) => {
        if (dense) fused(batchOf(job, ROWS, { b: [i] }));
        else {
          fused.flush();
          plain(batchOf(job, ROWS, { b: [i] }));
        }
      });
      fused.flush();
      const weights = weightsOf(model);
      model.dispose();
      optimizer.dispose();
      return weights;
    };
    const mixed = run([false, true, true, false, true]);
    const plain = run([false, false, false, false, false]);
    for (const param of Object.keys(plain)) assertAllClose(mixed[param]!, plain[param]!, 1e-5, param);
  });

  it('keeps no tensor per step', () => {
    const job = networks[0]![1]();
    const model = buildModel(job, (w) => w as number, 3);
    const optimizer = makeOptimizer(adam);
    const step = makeTrainStep(model, optimizer, { learningRate: () => 0.01, denseStep: true });
    step(batchOf(job));
    step.flush();
    const live = tf.memory().numTensors;
    for (let i = 0; i < 5; i++) step(batchOf(job));
    step.flush();
    assert.equal(tf.memory().numTensors, live);
    model.dispose();
    optimizer.dispose();
  });

  it('leaves frozen parameters as they are, and still sends gradients through them', () => {
    const job = networks[0]![1]();
    const model = buildModel(job, (w) => w as number, 3);
    const before = weightsOf(model);
    const optimizer = makeOptimizer(adam);
    const step = makeTrainStep(model, optimizer, { learningRate: () => 0.01, denseStep: true, frozen: ['tower_a'] });
    step(batchOf(job));
    step.flush();
    const after = weightsOf(model);
    assert.deepEqual(after['tower_a/0/kernel'], before['tower_a/0/kernel']);
    assert.notDeepEqual(after['trunk/0/kernel'], before['trunk/0/kernel']);
    model.dispose();
    optimizer.dispose();
  });
});

describe('what the fused dense step declines', () => {
  const declined = (job: Job, tasks = ['a', 'b']) => {
    const model = buildModel(job, (w) => w as number, 1);
    const plan = denseStepPlan(model, tasks, {});
    model.dispose();
    return 'why' in plan ? plan.why : null;
  };
  const base = () => networks[4]![1]();
  it('names the reason', () => {
    assert.equal(declined({ ...base(), training: { ...base().training, optimizer: { kind: 'sgd', lr: { kind: 'constant', lr: 0.1 }, momentum: 0, weightDecay: 0, clipNorm: null, normalizeTaskGradients: false } } }), 'the optimizer is sgd');
    assert.equal(declined({ ...base(), training: { ...base().training, aggregation: { kind: 'pcgrad' } } }), 'the aggregation is pcgrad');
    assert.equal(declined({ ...base(), training: { ...base().training, weighting: { kind: 'uncertainty', form: 'by_head' } } }), 'the weighting is uncertainty');
    assert.equal(declined(makeJob({
      inputs: [vectorInput('x', 'd', 8)],
      modules: [denseModule('trunk', 'x', [16], ['a', 'b'], { dropout: 0.1 })],
      tasks: [task('a', 'binary', { from: 'trunk' }), task('b', 'regression', { from: 'trunk' })],
    })), "module 'trunk' has dropout");
    assert.equal(declined(makeJob({
      inputs: [vectorInput('x', 'd', 8)],
      modules: [denseModule('trunk', 'x', [16], ['a', 'b'])],
      tasks: [task('a', 'multilabel', { from: 'trunk', units: 3 }), task('b', 'regression', { from: 'trunk' })],
    })), "task 'a' has a multilabel head with bce loss");
    assert.equal(declined(makeJob({
      inputs: [vectorInput('x', 'd', 8)],
      modules: [adaptedModule('trunk', 'x', [16], ['a', 'b'], 2)],
      tasks: [task('a', 'binary', { from: 'trunk' }), task('b', 'regression', { from: 'trunk' })],
    })), "module 'trunk' shares by adapters");
  });
});

describe('the dense SIMD routines, by hand', () => {
  const simd = instantiateSimd()!;
  simd.memory.grow(1);
  const f32 = () => new Float32Array(simd.memory.buffer);
  const put = (at: number, values: number[]) => f32().set(values, at / 4);
  const read = (at: number, n: number) => Array.from(f32().subarray(at / 4, at / 4 + n));

  it('runDense: out[r] = init + Σ x[r, i] · table[i], zeros of x skipped; 4 and 16 units a pass', () => {
    // x [2, 3] = [[1, 0, 2], [0, -1, 0]]; table row i = [i + 1] · 16 units ascending
    put(0, [1, 0, 2, 0, -1, 0]);
    put(64, Array.from({ length: 48 }, (_, j) => Math.floor(j / 16) * 100 + (j % 16)));
    put(512, new Array(16).fill(1));
    simd.runDense(1024, 64, 512, 0, 2, 3, 16, 0);
    assert.deepEqual(read(1024, 32), [
      ...Array.from({ length: 16 }, (_, u) => 1 + u + 2 * (200 + u)),
      ...Array.from({ length: 16 }, (_, u) => 1 - (100 + u)),
    ]);
    // the same table read as 4 units a row (12 rows of which 3 are read)
    simd.runDense4(1024, 64, 512, 0, 2, 3, 4, 0);
    assert.deepEqual(read(1024, 8), [1 + 0 + 2 * 8, 1 + 1 + 2 * 9, 1 + 2 + 2 * 10, 1 + 3 + 2 * 11, 1 - 4, 1 - 5, 1 - 6, 1 - 7]);
  });

  it('scatterDense adds x[r, i] · dz[r] into row i; dotRows, columnSums, reluGradient, relu, addInto', () => {
    put(0, [1, 0, 2, 0, -1, 0]); // x [2, 3]
    put(64, [1, 2, 3, 4, 10, 20, 30, 40]); // dz [2, 4]
    put(1024, new Array(12).fill(0));
    simd.scatterDense4(1024, 64, 0, 0, 2, 3, 4, 0);
    assert.deepEqual(read(1024, 12), [1, 2, 3, 4, -10, -20, -30, -40, 2, 4, 6, 8]);
    put(0, [1, 2, 3, 4, 0.5, 0.5, 0.5, 0.5]); // x [2, 4] · [1, -1, 2, 0] + 3
    put(64, [1, -1, 2, 0]);
    put(512, [3]);
    simd.dotRows(1024, 64, 512, 0, 2, 4);
    assert.deepEqual(read(1024, 2), [3 + 1 - 2 + 6, 3 + 0.5 - 0.5 + 1]);
    simd.columnSums(1024, 0, 2, 4);
    assert.deepEqual(read(1024, 4), [1.5, 2.5, 3.5, 4.5]);
    put(0, [-1, 2, 0, 3]);
    put(64, [5, 6, 7, 8]);
    simd.reluGradient(64, 0, 4);
    assert.deepEqual(read(64, 4), [0, 6, 0, 8]);
    simd.relu(0, 4);
    assert.deepEqual(read(0, 4), [0, 2, 0, 3]);
    simd.addInto(0, 64, 4);
    assert.deepEqual(read(0, 4), [0, 8, 0, 11]);
  });

  it("adam: the unfused optimizer's update bit for bit (as kernels/fused-adam.ts's), with and without weight decay", () => {
    const n = 64;
    for (const plan of [adam, { ...adam, weightDecay: 0.2, beta1: 0.8, epsilon: 1e-5 }] as const) {
      const param = Float32Array.from({ length: n }, (_, i) => wave(i));
      const gradient = Float32Array.from({ length: n }, (_, i) => (i % 9 === 0 ? 0 : wave(300 + i) * 0.1));
      const first = Float32Array.from({ length: n }, (_, i) => wave(600 + i) * 0.01);
      const second = Float32Array.from({ length: n }, (_, i) => Math.abs(wave(900 + i)) * 0.001);
      const s = adamScalars(plan, 3, 0.01);
      const expected = new Float32Array(n);
      const [m, v] = [first.slice(), second.slice()];
      adamUpdate(param, gradient, m, v, s, expected);
      put(0, Array.from(param));
      put(1024, Array.from(gradient));
      put(2048, Array.from(first));
      put(3072, Array.from(second));
      simd.adam(0, 1024, 2048, 3072, n, s.beta1, s.oneMinusBeta1, s.beta2, s.oneMinusBeta2, s.alpha, s.epsilon, s.decay ?? 1);
      assert.deepEqual(read(0, n), Array.from(expected));
      assert.deepEqual(read(2048, n), Array.from(m));
      assert.deepEqual(read(3072, n), Array.from(v));
    }
  });
});

describe('evaluation with the fused forward pass', () => {
  for (const [name, job] of networks) {
    it(`scores as the tfjs forward pass does: ${name}`, async () => {
      const model = buildModel(job(), (w) => w as number, 3);
      // The second batch is the larger: the forward pass lays out its memory again, keeping the parameters.
      // Row 5 of task b masked: a multiclass label outside the classes is a metric's error, not a score.
      const batches = [batchOf(model.job, 5), batchOf(model.job, ROWS, { a: [2], b: [5] })];
      const data = { batches: async function* () { yield* batches; } } as unknown as JobData;
      const fused = await evaluate(model, data, 'valid', { denseForward: true });
      const plain = await evaluate(model, data, 'valid');
      for (const t of ['a', 'b']) {
        const metrics = Object.keys(plain[t]!);
        assert.deepEqual(Object.keys(fused[t]!), metrics);
        assertAllClose(metrics.map((m) => fused[t]![m]!), metrics.map((m) => plain[t]![m]!), 1e-6, `task ${t}`);
      }
      model.dispose();
    });
  }
});
