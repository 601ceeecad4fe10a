/**
 * Batch normalisation (runtime/model/layers/batch-norm.ts): batch statistics and moving-statistic updates while
 * training, the moving statistics after (rows independent of their batch), and the statistics saved with the weights
 * but never trained. Values worked by hand on a 4-row batch of two channels.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { before, describe, it } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import { buildModel } from '../../runtime/model/build.js';
import type { MtlModel } from '../../runtime/model/types.js';
import { loadWeights, saveWeights } from '../../runtime/model/weights.js';
import { makeJob, task, vectorInput } from './helpers/jobs.js';
import { assertAllClose, setWeights, useCpu, weightsOf } from './helpers/tf.js';

const job = () =>
  makeJob({
    inputs: [vectorInput('x', 'd', 2)],
    modules: [{ id: 'trunk', backbone: null, from: 'x', layers: [{ kind: 'batch_norm', momentum: 0.9, epsilon: 0, activation: 'linear' }], shapes: [[2]], tasks: ['a'], sharing: { kind: 'hard' } }],
    tasks: [task('a', 'binary')],
  });

// Channel 0 holds 1, 3, 5, 7 (mean 4, variance (9 + 1 + 1 + 9)/4 = 5); channel 1 holds 10, 10, 16, 12 (mean 12,
// variance (4 + 4 + 16 + 0)/4 = 6).
const BATCH = [1, 10, 3, 10, 5, 16, 7, 12];
const LAYER = { kind: 'layer', module: 'trunk', layer: 0 } as const;

function outputOf(model: MtlModel, rows: number[], training: boolean): number[] {
  return tf.tidy(() => Array.from(model.output({ x: tf.tensor2d(rows, [rows.length / 2, 2]) }, LAYER, 'a', training).dataSync()));
}

describe('batch normalisation', () => {
  before(useCpu);

  it('normalises by the batch while training and moves its statistics by the momentum', () => {
    const model = buildModel(job(), (w) => w as number, 1);
    setWeights(model, { 'trunk/0/gamma': [2, 1], 'trunk/0/beta': [0.5, 0] });
    const out = outputOf(model, BATCH, true);
    const expected = BATCH.map((x, i) => (i % 2 === 0 ? 2 * ((x - 4) / Math.sqrt(5)) + 0.5 : (x - 12) / Math.sqrt(6)));
    assertAllClose(out, expected, 1e-6, 'training output');
    // moving ← 0.9 · moving + 0.1 · batch, from mean 0 and variance 1
    const w = weightsOf(model);
    assertAllClose(w['trunk/0/moving_mean']!, [0.4, 1.2], 1e-6, 'moving mean');
    assertAllClose(w['trunk/0/moving_variance']!, [0.9 + 0.5, 0.9 + 0.6], 1e-6, 'moving variance');
    // A second pass moves them again: 0.9 · 0.4 + 0.1 · 4 = 0.76.
    outputOf(model, BATCH, true);
    assertAllClose(weightsOf(model)['trunk/0/moving_mean']!, [0.76, 2.28], 1e-6, 'moving mean after two passes');
    model.dispose();
  });

  it('normalises by the moving statistics otherwise, leaving them alone, each row independent of its batch', () => {
    const model = buildModel(job(), (w) => w as number, 1);
    setWeights(model, { 'trunk/0/moving_mean': [4, 12], 'trunk/0/moving_variance': [4, 9], 'trunk/0/beta': [1, -1] });
    const out = outputOf(model, BATCH, false);
    assertAllClose(out, BATCH.map((x, i) => (i % 2 === 0 ? (x - 4) / 2 + 1 : (x - 12) / 3 - 1)), 1e-6, 'inference output');
    assertAllClose(outputOf(model, BATCH.slice(4, 6), false), out.slice(4, 6), 1e-6, 'a row alone');
    assert.deepEqual(weightsOf(model)['trunk/0/moving_mean'], [4, 12]);
    model.dispose();
  });

  it('saves its statistics with the weights, and never trains them', async () => {
    const model = buildModel(job(), (w) => w as number, 1);
    const statistics = model.params.filter((p) => p.owner.kind === 'statistic').map((p) => p.name);
    assert.deepEqual(statistics, ['trunk/0/moving_mean', 'trunk/0/moving_variance']);
    assert.deepEqual(model.paramsFor(['a']).map((p) => p.name), ['trunk/0/gamma', 'trunk/0/beta', 'head/a/kernel', 'head/a/bias']);
    outputOf(model, BATCH, true);
    const directory = mkdtempSync(join(tmpdir(), 'mtl-batch-norm-'));
    try {
      await saveWeights(model, directory);
      const loaded = buildModel(job(), (w) => w as number, 2);
      await loadWeights(loaded, directory);
      assert.deepEqual(weightsOf(loaded)['trunk/0/moving_variance'], weightsOf(model)['trunk/0/moving_variance']);
      assert.deepEqual(outputOf(loaded, BATCH, false), outputOf(model, BATCH, false));
      loaded.dispose();
    } finally {
      rmSync(directory, { recursive: true, force: true });
    }
    model.dispose();
  });
});
