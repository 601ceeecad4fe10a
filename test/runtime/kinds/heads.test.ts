/**
 * Every runnable head kind of the table, generically: its hand-worked examples (heads/<kind>.ts) through the task loss
 * (labels as the loader gives them, train/labels.ts and train/loss.ts), its predictions and its metrics; and no tensor
 * left behind. A new head kind is checked here as soon as it is in the table.
 */
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import type { HeadKind } from '../../../job/job.js';
import type { LabelData } from '../../../runtime/data/api.js';
import type { HeadExample, HeadRuntime } from '../../../runtime/model/heads/head.js';
import { headKinds } from '../../../runtime/model/heads/index.js';
import type { HeadInfo } from '../../../runtime/model/types.js';
import { labelTensors } from '../../../runtime/train/labels.js';
import { taskLoss } from '../../../runtime/train/loss.js';
import { task } from '../helpers/jobs.js';
import { assertAllClose, useCpu } from '../helpers/tf.js';

const TOLERANCE = 1e-6;

function headOf(kind: HeadKind, example: HeadExample): HeadInfo {
  const units = example.units ?? example.logits[0]!.length;
  const plan = task('t', kind, { units, loss: example.loss });
  return { task: { ...plan, head: { ...plan.head, ...example.head }, from: { input: 'x' } }, units };
}

function labelsOf(entry: HeadRuntime, example: HeadExample): { values: Float32Array | Int32Array; mask: Float32Array } {
  const rows = example.logits.length;
  return {
    values: entry.labels === 'int32' ? Int32Array.from(example.labels) : Float32Array.from(example.labels),
    mask: example.mask ? Float32Array.from(example.mask) : new Float32Array(rows).fill(1),
  };
}

function lossOf(head: HeadInfo, entry: HeadRuntime, example: HeadExample): tf.Scalar {
  const { values, mask } = labelsOf(entry, example);
  const label: LabelData = { values: { data: values, shape: [example.logits.length] }, mask };
  return taskLoss(head, tf.tensor2d(example.logits.map((r) => [...r])), labelTensors(head, label, example.logits.length));
}

const runnable = Object.entries(headKinds).filter((e): e is [HeadKind, HeadRuntime] => e[1].runnable);

describe('every runnable head kind', () => {
  before(useCpu);

  it('the table has runnable head kinds to check', () => assert.ok(runnable.length > 0));

  for (const [kind, entry] of runnable) {
    describe(kind, () => {
      entry.examples.forEach((example, n) => {
        it(`example ${n + 1}: ${example.loss} loss, predictions, metrics`, () => {
          assert.ok(entry.losses.includes(example.loss), `${kind} trains with ${entry.losses.join(', ')}`);
          const head = headOf(kind, example);
          assertAllClose([tf.tidy(() => lossOf(head, entry, example).dataSync()[0]!)], [example.taskLoss], TOLERANCE, 'loss');
          const predictions = tf.tidy(() => entry.predictions(tf.tensor2d(example.logits.map((r) => [...r])), head.units, head.task.head).dataSync() as Float32Array);
          assertAllClose(predictions, example.predictions, TOLERANCE, 'predictions');
          const { values, mask } = labelsOf(entry, example);
          for (const [metric, expected] of Object.entries(example.metrics)) {
            const split = entry.metrics[metric as keyof typeof entry.metrics];
            assert.ok(split, `${kind} has no ${metric}`);
            const got = split({ predictions, labels: values, mask }, head.units);
            if (expected === null) assert.equal(got, null, metric);
            else assertAllClose([got ?? NaN], [expected], TOLERANCE, metric);
          }
        });

        it(`example ${n + 1}: leaves no tensor behind`, () => {
          const head = headOf(kind, example);
          const before = tf.memory().numTensors;
          tf.tidy(() => {
            lossOf(head, entry, example);
            entry.predictions(tf.tensor2d(example.logits.map((r) => [...r])), head.units, head.task.head);
          });
          assert.equal(tf.memory().numTensors, before);
        });
      });
    });
  }
});
