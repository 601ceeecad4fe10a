import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import type { HeadKind, LossKind } from '../../job/job.js';
import type { Batch, LabelData } from '../../runtime/data/api.js';
import { buildModel } from '../../runtime/model/build.js';
import type { HeadInfo } from '../../runtime/model/types.js';
import { inputTensors, labelTensors } from '../../runtime/train/labels.js';
import { taskLoss } from '../../runtime/train/loss.js';
import { denseModule, makeJob, task, vectorInput } from './helpers/jobs.js';
import { assertAllClose, useCpu } from './helpers/tf.js';

function head(kind: HeadKind, units: number, loss?: LossKind): HeadInfo {
  return { task: { ...task('t', kind, { units, ...(loss ? { loss } : {}) }), from: { module: 'trunk', layer: 0 } }, units };
}

function lossOf(info: HeadInfo, logits: number[][], values: Float32Array | Int32Array, mask?: number[]): number {
  const rows = logits.length;
  const label: LabelData = {
    values: { data: values, shape: [rows] },
    mask: mask ? Float32Array.from(mask) : new Float32Array(rows).fill(1),
  };
  return tf.tidy(() => taskLoss(info, tf.tensor2d(logits), labelTensors(info, label, rows)).dataSync()[0]!);
}

describe('task losses match hand-computed values', () => {
  before(useCpu);

  it('binary cross-entropy with logits', () => {
    // -log σ(-0.25) = log(1 + e^0.25); -log(1 - σ(2)) = log(1 + e^2)
    const expected = (Math.log(1 + Math.exp(0.25)) + Math.log(1 + Math.exp(2))) / 2;
    assertAllClose([lossOf(head('binary', 1), [[-0.25], [2]], Float32Array.of(1, 0))], [expected]);
  });

  it('a masked row is left out of the mean', () => {
    assertAllClose([lossOf(head('binary', 1), [[-0.25], [2]], Float32Array.of(1, 0), [1, 0])], [Math.log(1 + Math.exp(0.25))]);
    // No labelled row: 0, not NaN (the divisor is max(1, Σ mask)).
    assert.equal(lossOf(head('binary', 1), [[-0.25], [2]], Float32Array.of(1, 0), [0, 0]), 0);
  });

  it('softmax cross-entropy', () => {
    const expected = Math.log(Math.exp(1) + Math.exp(2) + Math.exp(3)) - 1;
    assertAllClose([lossOf(head('multiclass', 3), [[1, 2, 3]], Int32Array.of(0))], [expected]);
  });

  it('multilabel: the mean of the per-label sigmoid cross-entropies', () => {
    const expected = (Math.log(2) + Math.log(1 + Math.exp(1))) / 2;
    assertAllClose([lossOf(head('multilabel', 2), [[0, 1]], Float32Array.of(1, 0))], [expected]);
  });

  it('regression: mse, mae and huber (δ = 1)', () => {
    const y = Float32Array.of(0, 0);
    assertAllClose([lossOf(head('regression', 1, 'mse'), [[0.5], [3]], y)], [(0.25 + 9) / 2]);
    assertAllClose([lossOf(head('regression', 1, 'mae'), [[0.5], [3]], y)], [(0.5 + 3) / 2]);
    assertAllClose([lossOf(head('regression', 1, 'huber'), [[0.5], [3]], y)], [(0.5 * 0.25 + (3 - 0.5)) / 2]);
  });
});

describe('a masked row contributes nothing', () => {
  before(useCpu);

  const kinds: { kind: HeadKind; units: number; loss?: LossKind; labels: (rows: number) => Float32Array | Int32Array }[] = [
    { kind: 'binary', units: 1, labels: (n) => Float32Array.from({ length: n }, (_, i) => i % 2) },
    { kind: 'multiclass', units: 3, labels: (n) => Int32Array.from({ length: n }, (_, i) => i % 3) },
    { kind: 'multilabel', units: 3, labels: (n) => Float32Array.from({ length: n * 3 }, (_, i) => (i * 7) % 2) },
    { kind: 'regression', units: 1, loss: 'mse', labels: (n) => Float32Array.from({ length: n }, (_, i) => i - 1.5) },
    { kind: 'regression', units: 1, loss: 'huber', labels: (n) => Float32Array.from({ length: n }, (_, i) => 3 * i - 4) },
  ];

  for (const spec of kinds) {
    it(`${spec.kind}${spec.loss ? ` (${spec.loss})` : ''}: gradients equal those of the batch without the row`, () => {
      const job = makeJob({
        inputs: [vectorInput('x', 'd', 3)],
        modules: [denseModule('trunk', 'x', [4], ['t'], { activation: 'tanh' })],
        tasks: [task('t', spec.kind, { units: spec.units, ...(spec.loss ? { loss: spec.loss } : {}) })],
      });
      const model = buildModel(job, (w) => w as number, 9);
      const info = model.heads.get('t')!;
      const rows = 5;
      const masked = 2;
      const perRow = spec.kind === 'multilabel' ? 3 : 1;
      const x = Float32Array.from({ length: rows * 3 }, (_, i) => Math.sin(i + 1));
      const values = spec.labels(rows);

      const gradients = (batch: Batch) =>
        tf.tidy(() => {
          const { grads } = tf.variableGrads(() => {
            const logits = model.forward(inputTensors(batch), ['t'], false).get('t')!;
            return taskLoss(info, logits, labelTensors(info, batch.labels['t']!, batch.size));
          }, model.params.map((p) => p.variable));
          return model.params.map((p) => Array.from(grads[p.variable.name]!.dataSync()));
        });
      const batchOf = (xs: Float32Array, ys: Float32Array | Int32Array, mask: Float32Array): Batch => ({
        dataset: 'd',
        size: mask.length,
        inputs: { x: { data: xs, shape: [mask.length, 3] } },
        labels: { t: { values: { data: ys, shape: perRow === 1 ? [mask.length] : [mask.length, perRow] }, mask } },
      });
      const keep = <T extends Float32Array | Int32Array>(a: T, width: number): T =>
        (a as Float32Array).filter((_, i) => Math.floor(i / width) !== masked) as unknown as T;

      const mask = Float32Array.from({ length: rows }, (_, i) => (i === masked ? 0 : 1));
      const withMaskedRow = gradients(batchOf(x, values, mask));
      const withoutRow = gradients(batchOf(keep(x, 3), keep(values, perRow), new Float32Array(rows - 1).fill(1)));
      withMaskedRow.forEach((g, i) => assertAllClose(g, withoutRow[i]!, 1e-5, model.params[i]!.name));

      // Any label on the masked row, even NaN (a null), leaves every gradient bit-identical.
      const changed = values.slice();
      for (let j = 0; j < perRow; j++) changed[masked * perRow + j] = values instanceof Int32Array ? 99 : Number.NaN;
      assert.deepEqual(gradients(batchOf(x, changed, mask)), withMaskedRow);
      model.dispose();
    });
  }
});
