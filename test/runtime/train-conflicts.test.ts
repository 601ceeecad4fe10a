/**
 * Gradient conflict telemetry: the cosine of the task gradients on the shared parameters, sampled every
 * `conflictsEvery` steps. Checked against a cosine worked out by hand on a tiny model (on both the summed and the
 * per-task path), by the rows a run writes to metrics.jsonl, and by what it must not change: the weights a run ends
 * with (sampling a summed step differentiates the tasks apart but applies the summed gradient) and the tensor count.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { before, describe, it } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import type { Job, OptimizerPlan, TrainingPlan } from '../../job/job.js';
import { buildModel } from '../../runtime/model/build.js';
import { makeAggregator } from '../../runtime/train/aggregators/index.js';
import type { TaskConflict } from '../../runtime/train/conflicts.js';
import { makeOptimizer } from '../../runtime/train/optimizer.js';
import { makeTrainStep } from '../../runtime/train/step.js';
import { train } from '../../runtime/train/train.js';
import { makeWeighting } from '../../runtime/train/weightings/index.js';
import { fakeJobData, syntheticDataset, type SyntheticTask } from './helpers/fakeData.js';
import { denseModule, makeJob, task, vectorInput } from './helpers/jobs.js';
import { handBatch, handJob, handWeights as handWeightsWith } from './helpers/hand-model.js';
import { assertAllClose, setWeights, useCpu, weightsOf } from './helpers/tf.js';
import { ROWS, compileSource } from '../compiler/harness.js';

const width = (w: unknown) => w as number;
const sgd: OptimizerPlan = { kind: 'sgd', lr: { kind: 'constant', lr: 0.1 }, momentum: 0, weightDecay: 0, clipNorm: null, normalizeTaskGradients: false };

/** The hand model (helpers/hand-model.ts), head b's kernel v = [2, 1]: W = I, c = 0, so h = x. */
const handWeights = handWeightsWith([2, 1]);
// a: predictions [3, 2], errors [3, 1], ∂(L_a)/∂p = [3, 1]; Σ_r x_r p_r = [6, 5], Σ_r p_r = 4:
//    ∂W = [6, 5] ⊗ u, ∂c = 4u.
// b: predictions [4, 5], errors [3, 5], ∂(2 L_b)/∂p = 2e = [6, 10]; Σ_r x_r p_r = [36, 2], Σ_r p_r = 16:
//    ∂W = [36, 2] ⊗ v, ∂c = 16v.
// ⟨A ⊗ u, B ⊗ v⟩ = ⟨A, B⟩⟨u, v⟩, with ⟨u, u⟩ = 2, ⟨v, v⟩ = 5, ⟨u, v⟩ = 3:
//    G_ab = (216 + 10 + 64)·3 = 870, G_aa = (36 + 25 + 16)·2 = 154, G_bb = (1296 + 4 + 256)·5 = 7780.
const HAND_COSINE = 870 / Math.sqrt(154 * 7780);

const labels: SyntheticTask[] = [{ name: 'a', kind: 'binary', labelled: 0.7 }, { name: 'b', kind: 'regression' }];

/** Tasks a (binary) and b (regression) on a shared trunk with dropout, trained for `steps` steps in one stage. */
function dropoutJob(training: Partial<TrainingPlan>, steps: number): Job {
  return makeJob({
    inputs: [vectorInput('x', 'd', 4)],
    modules: [denseModule('trunk', 'x', [6, 5], ['a', 'b'], { dropout: 0.3 })],
    tasks: [task('a', 'binary', { weight: 0.5 }), task('b', 'regression', { weight: 2 })],
    training: { batchSize: 8, stages: [{ tasks: ['a', 'b'], frozen: [], epochs: null, steps }], ...training },
  });
}
const dataOf = (job: Job) => fakeJobData(job, { d: syntheticDataset('x', 4, labels, { train: 24, valid: 8, test: 1 }, 5) });

describe('gradient conflict telemetry', () => {
  before(useCpu);

  it('`conflicts_every` lowers as written; by default 50 with an aggregation of per-task gradients, 0 (off) with sum', () => {
    const lowered = (train: string) => {
      const compiled = compileSource(`${ROWS}
features x { dataset: rows, transforms: [standardize(age, hours)] }
task a { features: x, target: flag, head: binary }
task b { features: x, target: age, head: regression }
share s = hard(backbone: mlp(units: [4]), tasks: [a, b])
train { ${train} }`);
      assert.deepEqual(compiled.diagnostics.filter((d) => d.severity !== 'info').map((d) => d.message), []);
      return compiled.job!.training.conflictsEvery;
    };
    assert.equal(lowered('aggregation: sum()'), 0);
    assert.equal(lowered('aggregation: pcgrad()'), 50);
    assert.equal(lowered('aggregation: sum(), conflicts_every: 10'), 10);
    assert.equal(lowered('aggregation: mgda(), conflicts_every: 0'), 0);
  });

  for (const aggregation of ['sum', 'pcgrad'] as const) {
    it(`the cosine of the two task gradients on the shared trunk, as worked by hand (${aggregation})`, () => {
      const job = handJob({ aggregation: { kind: aggregation } });
      const model = buildModel(job, width, 1);
      setWeights(model, handWeights);
      const seen: { step: number; conflicts: readonly TaskConflict[] }[] = [];
      const step = makeTrainStep(model, makeOptimizer(sgd), {
        weighting: makeWeighting(job), aggregator: makeAggregator(job.training.aggregation, 0), learningRate: () => 0.1,
        conflictsEvery: 1, onConflicts: (at, conflicts) => seen.push({ step: at, conflicts }),
      });
      step(handBatch);
      assert.equal(seen.length, 1);
      assert.equal(seen[0]!.step, 1);
      assert.deepEqual(seen[0]!.conflicts.map((c) => c.tasks), [['a', 'b']]);
      assertAllClose([seen[0]!.conflicts[0]!.cosine!], [HAND_COSINE], 1e-6, 'cosine');
      model.dispose();
    });
  }

  it('a summed step that samples applies the same gradient as one that does not (bit for bit), and leaves no tensor', () => {
    const job = handJob();
    const run = (every: number) => {
      const model = buildModel(job, width, 1);
      setWeights(model, handWeights);
      const optimizer = makeOptimizer(sgd);
      const step = makeTrainStep(model, optimizer, { weighting: makeWeighting(job), learningRate: () => 0.1, conflictsEvery: every, onConflicts: () => {} });
      step(handBatch);
      const tensors = tf.memory().numTensors;
      for (let i = 0; i < 4; i++) step(handBatch);
      assert.equal(tf.memory().numTensors, tensors, 'the tensor count stays flat over sampled steps');
      const weights = weightsOf(model);
      optimizer.dispose();
      model.dispose();
      return weights;
    };
    assert.deepEqual(run(1), run(0));
  });

  it('a run sampling every 2 steps writes a row per sampled step and pair, summarises them, and ends with the weights of a run that does not sample', async () => {
    const out = mkdtempSync(join(tmpdir(), 'mtl-conflicts-'));
    try {
      const job = dropoutJob({ conflictsEvery: 2, weighting: { kind: 'uncertainty', form: 'regression' } }, 7);
      const result = await train(job, dataOf(job), { out, progress: false, log: () => {} });
      const rows = readFileSync(join(out, 'metrics.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
      const conflicts = rows.filter((r) => r.kind === 'conflict');
      // 7 steps (3 per epoch of 24 rows in batches of 8): steps 2, 4 and 6 are sampled, one pair each.
      assert.deepEqual(conflicts.map((r) => [r.step, r.epoch, r.tasks]), [[2, 1, ['a', 'b']], [4, 2, ['a', 'b']], [6, 2, ['a', 'b']]]);
      for (const r of conflicts) assert.ok(typeof r.cosine === 'number' && Math.abs(r.cosine) <= 1 + 1e-6, String(r.cosine));
      const cosines = conflicts.map((r) => r.cosine as number);
      assert.equal(result.conflicts.length, 1);
      assert.deepEqual(result.conflicts[0]!.tasks, ['a', 'b']);
      assert.equal(result.conflicts[0]!.samples, 3);
      assertAllClose([result.conflicts[0]!.meanCosine], [cosines.reduce((s, c) => s + c, 0) / 3], 1e-12, 'mean');
      assert.equal(result.conflicts[0]!.negativeShare, cosines.filter((c) => c < 0).length / 3);
      // Uncertainty weighting learns its weights: one row per epoch (3 epochs: 3 + 3 + 1 steps).
      const weights = rows.filter((r) => r.kind === 'weights');
      assert.deepEqual(weights.map((r) => r.epoch), [1, 2, 3]);
      for (const r of weights) assert.deepEqual(Object.keys(r.weights as object).sort(), ['a', 'b']);
      // The validation rows are as they were: no `kind`.
      assert.ok(rows.some((r) => r.split === 'valid' && !('kind' in r)));

      const plain = dropoutJob({ conflictsEvery: 0, weighting: { kind: 'uncertainty', form: 'regression' } }, 7);
      const unsampled = await train(plain, dataOf(plain), { progress: false, log: () => {} });
      assert.deepEqual(weightsOf(result.model), weightsOf(unsampled.model), 'sampling changes no weight');
      assert.deepEqual(unsampled.conflicts, []);
      result.model.dispose();
      unsampled.model.dispose();
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
  });
});
