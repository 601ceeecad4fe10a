/**
 * The optimizers' gradient options: clip_norm (clipping by the global norm of every gradient a step applies) and
 * normalize_task_gradients (each task's gradient of the shared parameters divided by its norm before the aggregation).
 * Checked on gradients worked by hand, through the real step on a tiny model, and end to end on a compiled program.
 */
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import type { AggregationPlan, Job, OptimizerPlan } from '../../job/job.js';
import { buildModel } from '../../runtime/model/build.js';
import type { Aggregator, TaskGradients } from '../../runtime/train/aggregators/index.js';
import { sumOfTasks } from '../../runtime/train/aggregators/sum.js';
import { clippedByGlobalNorm, makeOptimizer } from '../../runtime/train/optimizer.js';
import { makeTrainStep } from '../../runtime/train/step.js';
import { normalizedFirst } from '../../runtime/train/task-gradients.js';
import { makeWeighting } from '../../runtime/train/weightings/index.js';
import { handBatch, handJob as handModel, handWeights as handWeightsWith } from './helpers/hand-model.js';
import { assertAllClose, setWeights, useCpu, weightsOf } from './helpers/tf.js';
import { trainTwoTasks, twoTaskBatches, twoTaskProgram } from './helpers/two-task-program.js';

const width = (w: unknown) => w as number;
const LR = 0.01;
const sgd = (options: Partial<OptimizerPlan> = {}): OptimizerPlan =>
  ({ kind: 'sgd', lr: { kind: 'constant', lr: LR }, momentum: 0, weightDecay: 0, clipNorm: null, normalizeTaskGradients: false, ...options }) as OptimizerPlan;

/** The hand model (helpers/hand-model.ts) with head b's kernel v = [2, 1], trained by `optimizer`. */
const handJob = (optimizer: OptimizerPlan, aggregation: AggregationPlan = { kind: 'sum' }): Job => handModel({ optimizer, aggregation });
const handWeights = handWeightsWith([2, 1]);
// a: predictions [3, 2], errors [3, 1], ∂L_a/∂p = [3, 1]; b: predictions [4, 5], errors [3, 5], ∂(2 L_b)/∂p = [6, 10].
// Heads: ∂u = Σ_r h_r ∂p_r = [6, 5], ∂bias_a = 4; ∂v = [36, 2], ∂bias_b = 16.
// Trunk, per task: ∂W = Σ_r x_r ⊗ ∂h_r, ∂h_r = ∂p_r·u (a) or ·v (b): a [[6, 6], [5, 5]], ∂c_a = [4, 4];
// b [[72, 36], [4, 2]], ∂c_b = [32, 16]. Summed: ∂W = [[78, 42], [9, 7]], ∂c = [36, 20].
const TASK_A = { 'trunk/0/kernel': [6, 6, 5, 5], 'trunk/0/bias': [4, 4], 'head/a/kernel': [6, 5], 'head/a/bias': [4] };
const TASK_B = { 'trunk/0/kernel': [72, 36, 4, 2], 'trunk/0/bias': [32, 16], 'head/b/kernel': [36, 2], 'head/b/bias': [16] };
// The global norm of every gradient: √(78² + 42² + 9² + 7² + 36² + 20² + 6² + 5² + 4² + 36² + 2² + 16²) = √11307 ≈ 106.33
const GLOBAL_NORM = Math.sqrt(11307);
// Each task's gradient of the shared trunk: ‖g_a‖ = √(36 + 36 + 25 + 25 + 16 + 16) = √154, ‖g_b‖ = √(5184 + 1296 + 16 + 4 + 1024 + 256) = √7780
const NORM_A = Math.sqrt(154);
const NORM_B = Math.sqrt(7780);

/** The gradient each parameter got from one SGD step (lr 0.01, no momentum), read back from its change. */
function appliedGradients(job: Job): Record<string, number[]> {
  const model = buildModel(job, width, 1);
  setWeights(model, handWeights);
  const optimizer = makeOptimizer(job.training.optimizer);
  makeTrainStep(model, optimizer, { weighting: makeWeighting(job), learningRate: () => LR })(handBatch);
  const after = weightsOf(model);
  optimizer.dispose();
  model.dispose();
  return Object.fromEntries(Object.entries(handWeights).map(([name, before]) => [name, before.map((b, i) => (b - after[name]![i]!) / LR)]));
}

const SUMMED = { ...TASK_A, ...TASK_B, 'trunk/0/kernel': [78, 42, 9, 7], 'trunk/0/bias': [36, 20] };
const plus = (x: readonly number[], y: readonly number[]) => x.map((v, i) => v + y[i]!);

function assertGradients(got: Record<string, number[]>, expected: Record<string, number[]>, tolerance: number): void {
  for (const [name, g] of Object.entries(expected)) assertAllClose(got[name]!, g, tolerance, name);
}

describe('gradient clipping by global norm (clip_norm)', () => {
  before(useCpu);

  it('scales the gradients by clip/(‖g‖ + 1e-6) above the limit and leaves them alone below it, as worked by hand', () => {
    const clipped = tf.tidy(() => {
      const params = [tf.variable(tf.zeros([2])), tf.variable(tf.zeros([1]))];
      const gradients = [tf.tensor1d([3, 4]), tf.tensor1d([12])].map((gradient, i) => ({ param: { name: `p${i}`, variable: params[i]!, owner: { kind: 'module', module: 'm' } } as const, gradient }));
      // ‖g‖ = √(9 + 16 + 144) = 13: clip 6.5 scales by 6.5/(13 + 1e-6) ≈ ½; clip 13 by 13/(13 + 1e-6), just under 1 (torch's
      // too); clip 20 not at all
      const read = (clip: number) => clippedByGlobalNorm(gradients, clip).map((g) => [...g.gradient.dataSync()]);
      const result = { half: read(6.5), at: read(13), under: read(20) };
      params.forEach((p) => p.dispose());
      return result;
    });
    const scale = 6.5 / (13 + 1e-6);
    assertAllClose(clipped.half.flat(), [3 * scale, 4 * scale, 12 * scale], 1e-6, 'clipped to 6.5');
    assertAllClose(clipped.at.flat(), [3, 4, 12].map((g) => (g * 13) / (13 + 1e-6)), 1e-7, 'clip at the norm');
    assert.deepEqual(clipped.under, [[3, 4], [12]], 'a norm under the limit is left alone');
  });

  for (const aggregation of ['sum', 'pcgrad'] as const) {
    it(`every gradient the step applies (shared and each head's) is scaled by 10/(√11307 + 1e-6) under clip_norm 10 (${aggregation})`, () => {
      // The task gradients of the trunk do not conflict (⟨g_a, g_b⟩ = 870 > 0): pcgrad applies their sum too, per task.
      assertGradients(appliedGradients(handJob(sgd(), { kind: aggregation })), SUMMED, 1e-4);
      const scale = 10 / (GLOBAL_NORM + 1e-6);
      const clipped = appliedGradients(handJob(sgd({ clipNorm: 10 }), { kind: aggregation }));
      assertGradients(clipped, Object.fromEntries(Object.entries(SUMMED).map(([n, g]) => [n, g.map((v) => v * scale)])), 1e-4);
      // and a limit above the norm changes nothing
      assertGradients(appliedGradients(handJob(sgd({ clipNorm: 200 }), { kind: aggregation })), SUMMED, 1e-4);
    });
  }

  it('adam clips too: its first step on head a\'s bias is lr·g_c/(|g_c| + 1) with ε = 1, g_c the clipped gradient', () => {
    // Adam's first step α_1·m/(√v + ε̂_1), α_1 = lr·√(1-β₂)/(1-β₁), ε̂_1 = ε·√(1-β₂), m = (1-β₁)g, v = (1-β₂)g²: lr·g/(|g| + ε).
    // Head a's bias: g = 4; clip_norm 50 gives g_c = 4·50/(√11307 + 1e-6) ≈ 1.881, a step of lr·0.6529 instead of lr·0.8.
    const adam = (clipNorm: number | null): OptimizerPlan =>
      ({ kind: 'adam', lr: { kind: 'constant', lr: LR }, beta1: 0.9, beta2: 0.999, epsilon: 1, weightDecay: 0, clipNorm, normalizeTaskGradients: false });
    const moved = (clipNorm: number | null) => appliedGradients(handJob(adam(clipNorm)))['head/a/bias']![0]!;
    const clipped = (4 * 50) / (GLOBAL_NORM + 1e-6);
    assertAllClose([moved(50)], [clipped / (clipped + 1)], 1e-5, 'clipped');
    assertAllClose([moved(null)], [4 / 5], 1e-5, 'unclipped');
  });
});

describe('per-task gradient normalisation (normalize_task_gradients)', () => {
  before(useCpu);

  const rows = (gradients: number[][][]): TaskGradients => ({
    tasks: gradients.map((_, k) => `t${k}`),
    params: gradients[0]!.map((g, i) => ({ name: `p${i}`, variable: tf.variable(tf.zeros([g.length])), owner: { kind: 'module', module: 'm' } })),
    gradients: gradients.map((row) => row.map((g) => tf.tensor1d(g))),
  });

  it('divides each task gradient by its norm over all the shared parameters, keeps a zero one zero, then aggregates', () => {
    const seen: number[][][] = [];
    const spy: Aggregator = {
      perTask: true,
      aggregate: (g) => {
        seen.push(...g.gradients.map((row) => row.map((t) => [...t.dataSync()])));
        return sumOfTasks.aggregate(g);
      },
    };
    const { summed, spied } = tf.tidy(() => {
      // ‖[3, 4 | 0]‖ = 5, ‖[0, 0 | 2]‖ = 2, the third is zero: [0.6, 0.8 | 0] + [0, 0 | 1] + 0 = [0.6, 0.8 | 1]
      const input = rows([[[3, 4], [0]], [[0, 0], [2]], [[0, 0], [0]]]);
      const result = {
        summed: normalizedFirst({ perTask: false }).aggregate(input).map((g) => [...g.dataSync()]),
        spied: normalizedFirst(spy).aggregate(input).map((g) => [...g.dataSync()]),
      };
      input.params.forEach((p) => p.variable.dispose());
      return result;
    });
    assertAllClose(summed.flat(), [0.6, 0.8, 1], 1e-6, 'Σ_t g_t/‖g_t‖');
    assert.deepEqual(spied, summed);
    assertAllClose(seen.flat(2), [0.6, 0.8, 0, 0, 0, 1, 0, 0, 0], 1e-6, 'what the aggregator got');
  });

  it('one step on the hand model: the trunk gets g_a/√154 + g_b/√7780, each head its own gradient', () => {
    const got = appliedGradients(handJob(sgd({ normalizeTaskGradients: true })));
    const expected = {
      'trunk/0/kernel': plus(TASK_A['trunk/0/kernel'].map((g) => g / NORM_A), TASK_B['trunk/0/kernel'].map((g) => g / NORM_B)),
      'trunk/0/bias': plus(TASK_A['trunk/0/bias'].map((g) => g / NORM_A), TASK_B['trunk/0/bias'].map((g) => g / NORM_B)),
      'head/a/kernel': TASK_A['head/a/kernel'], 'head/a/bias': TASK_A['head/a/bias'],
      'head/b/kernel': TASK_B['head/b/kernel'], 'head/b/bias': TASK_B['head/b/bias'],
    };
    assertGradients(got, expected, 1e-4);
  });

  it('trains a compiled two-task program end to end: flat tensor count, finite losses, shared layer and both heads move', async () => {
    const job = twoTaskProgram('optimizer: adam(normalize_task_gradients: true, clip_norm: 1), seed: 7');
    assert.equal(job.training.optimizer.normalizeTaskGradients, true);
    assert.equal(job.training.optimizer.clipNorm, 1);
    const run = trainTwoTasks(job, await twoTaskBatches(job, 30));
    assert.equal(run.afterAll, run.afterOne, 'tensors leaked over the steps');
    assert.ok(run.losses.every(Number.isFinite), `losses ${run.losses.join(', ')}`);
    for (const [name, before] of Object.entries(run.initial)) assert.ok(run.weights[name]!.some((x, i) => x !== before[i]), `${name} did not move`);
  });
});
