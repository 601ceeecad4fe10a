import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import type { HeadKind, LossKind } from '../../job/job.js';
import type { Batch } from '../../runtime/data/api.js';
import { buildModel } from '../../runtime/model/build.js';
import { inputTensors, labelTensors } from '../../runtime/train/labels.js';
import { taskLoss } from '../../runtime/train/loss.js';
import { denseModule, makeJob, task, vectorInput } from './helpers/jobs.js';
import { assertAllClose, useCpu } from './helpers/tf.js';

// The hand-worked loss values of each head kind are its `examples` (runtime/model/heads/<kind>.ts), checked by
// test/runtime/kinds/heads.test.ts.

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
