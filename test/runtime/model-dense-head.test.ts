/**
 * The dense (per-pixel) head on a whole model: its 1×1 convolution and bilinear upsampling to the image's resolution
 * (heads/projections.ts), and its loss and metrics over a split of two batches, worked by hand. The head's own
 * hand-worked examples (loss on a 2×2 image, the ignored pixels) run in kinds/heads.test.ts.
 */
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import type { InputPlan, Job } from '../../job/job.js';
import type { Batch, JobData } from '../../runtime/data/api.js';
import { UserError } from '../../runtime/errors.js';
import { buildModel } from '../../runtime/model/build.js';
import { evaluate } from '../../runtime/train/evaluate.js';
import { makeJob, task } from './helpers/jobs.js';
import { assertAllClose, setWeights, useCpu } from './helpers/tf.js';

const image = (height: number, width: number): InputPlan => ({ id: 'x', dataset: 'd', features: ['x_pixels'], kind: 'image', shape: [height, width, 1] });
const segment = (from: string | null) => ({ ...task('seg', 'dense', { units: 2, from, loss: 'ce', metrics: ['pixel_accuracy', 'mean_iou'] }), targetType: 'list<int>' as const });

/** A 4×4 image, mean-pooled 2×2 to a 2×2 map, which the head projects to 2 classes and upsamples back to 4×4. */
function pooledJob(): Job {
  return makeJob({
    inputs: [image(4, 4)],
    modules: [{ id: 'trunk', backbone: null, from: 'x', layers: [{ kind: 'pool2d', op: 'mean', size: 2 }], shapes: [[2, 2, 1]], tasks: ['seg'], sharing: { kind: 'hard' } }],
    tasks: [segment('trunk')],
  });
}

describe('dense head', () => {
  before(useCpu);

  it('projects each pixel with a 1×1 convolution and upsamples bilinearly (half-pixel centres) to the image', () => {
    const model = buildModel(pooledJob(), (w) => w as number, 1);
    assert.deepEqual(model.params.map((p) => [p.name, p.variable.shape]), [['head/seg/kernel', [1, 2]], ['head/seg/bias', [2]]]);
    // class 0 = m, class 1 = 0.5 − m, for the pooled map m = [[1, 2], [3, 4]]
    setWeights(model, { 'head/seg/kernel': [1, -1], 'head/seg/bias': [0, 0.5] });
    const x = tf.tensor4d([1, 1, 2, 2, 1, 1, 2, 2, 3, 3, 4, 4, 3, 3, 4, 4], [1, 4, 4, 1]);
    const logits = tf.tidy(() => Array.from(model.forward({ x }, ['seg'], false).get('seg')!.dataSync()));
    // Output pixel i reads source (i + ½)/2 − ½ = −¼, ¼, ¾, 1¼, clamped to the map: weights [1, 0], [¾, ¼], [¼, ¾], [0, 1]
    // along each axis, so row [a, b] becomes [a, ¾a + ¼b, ¼a + ¾b, b]: m upsampled is
    const up = [1, 1.25, 1.75, 2, 1.5, 1.75, 2.25, 2.5, 2.5, 2.75, 3.25, 3.5, 3, 3.25, 3.75, 4];
    assertAllClose(logits, up.flatMap((v) => [v, 0.5 - v]), 1e-6, 'logits, pixel by pixel');
    x.dispose();
    model.dispose();
  });

  it('upsamples a map that is not square, and differentiates through it on the cpu backend', () => {
    // A 2×4 image mean-pooled to a 1×2 map [a, b] = [1, 3]; upsampled to 2×4, each row is [a, ¾a + ¼b, ¼a + ¾b, b].
    const job = makeJob({
      inputs: [image(2, 4)],
      modules: [{ id: 'trunk', backbone: null, from: 'x', layers: [{ kind: 'pool2d', op: 'mean', size: 2 }], shapes: [[1, 2, 1]], tasks: ['seg'], sharing: { kind: 'hard' } }],
      tasks: [segment('trunk')],
    });
    const model = buildModel(job, (w) => w as number, 1);
    setWeights(model, { 'head/seg/kernel': [1, -1], 'head/seg/bias': [0, 0] });
    const x = tf.tensor4d([1, 1, 3, 3, 1, 1, 3, 3], [1, 2, 4, 1]);
    const row = [1, 1.5, 2.5, 3];
    const logits = tf.tidy(() => Array.from(model.forward({ x }, ['seg'], false).get('seg')!.dataSync()));
    assertAllClose(logits, [...row, ...row].flatMap((v) => [v, -v]), 1e-6, 'logits, pixel by pixel');
    // d Σ class-0 logits / d kernel[0][0] = Σ of the upsampled map = 2·(1 + 1.5 + 2.5 + 3) = 16.
    const gradient = tf.tidy(() => {
      const { grads } = tf.variableGrads(() => tf.sum(model.forward({ x }, ['seg'], true).get('seg')!.reshape([-1, 2]).slice([0, 0], [-1, 1])), [model.params[0]!.variable]);
      return Array.from(Object.values(grads)[0]!.dataSync());
    });
    assertAllClose(gradient, [16, 0], 1e-5, 'kernel gradient');
    x.dispose();
    model.dispose();
  });

  it('refuses a feature map larger than its image, naming the task', () => {
    // Only a job written by hand does this: the head reads a 2×2 image while its task's rows are 1×1 images.
    const job = makeJob({ inputs: [image(1, 1), { ...image(2, 2), id: 'y' }], tasks: [{ ...segment('y') }] });
    assert.throws(() => buildModel(job, (w) => w as number, 1), (e: unknown) => {
      assert.ok(e instanceof UserError);
      assert.equal(e.message, "the dense head of task 'seg' reads a 2×2 feature map, larger than its 1×1 image; its labels are one per pixel of the image");
      return true;
    });
  });

  it('scores a split of two batches over all its pixels: loss, pixel accuracy and mean IoU counted over the split', async () => {
    // Rows of 1×2 images read by the head directly; kernel [1, −1] gives pixel v the logits [v, −v]: class 0 where v ≥ 0.
    const job = makeJob({ inputs: [image(1, 2)], tasks: [segment(null)], training: { batchSize: 2 } });
    const model = buildModel(job, (w) => w as number, 1);
    setWeights(model, { 'head/seg/kernel': [1, -1], 'head/seg/bias': [0, 0] });
    const pixels = [[1, 1], [1, 1], [-1, -1], [-1, 1]];
    const labels = [[0, 0], [0, 1], [1, 1], [1, 0]];
    // Row 3's second pixel is unlabelled (255 in its column; the loader gives it mask 0).
    const masks = [[1, 1], [1, 1], [1, 1], [1, 0]];
    const batch = (rows: number[]): Batch => ({
      dataset: 'd',
      size: rows.length,
      inputs: { x: { data: Float32Array.from(rows.flatMap((r) => pixels[r]!)), shape: [rows.length, 1, 2, 1] } },
      labels: { seg: { values: { data: Int32Array.from(rows.flatMap((r) => labels[r]!)), shape: [rows.length, 2] }, mask: Float32Array.from(rows.flatMap((r) => masks[r]!)) } },
    });
    const data: JobData = {
      job,
      fitted: { features: {}, classes: {}, rows: { d: { train: 0, valid: 4, test: 0 } } },
      width: (w) => w as number,
      batches: async function* () {
        yield batch([0, 1]);
        yield batch([2, 3]);
      },
    };
    const scores = (await evaluate(model, data, 'valid')).seg!;
    // (prediction, label) of the 7 labelled pixels: batch 1 (0,0) (0,0) (0,0) (0,1); batch 2 (1,1) (1,1) (1,1).
    // Loss: label 0 at v = 1 and label 1 at v = −1 cost a = ln(1 + e^−2), label 1 at v = 1 costs b = ln(1 + e^2): (6a + b)/7.
    const a = Math.log(1 + Math.exp(-2));
    const b = Math.log(1 + Math.exp(2));
    assertAllClose([scores.loss!], [(6 * a + b) / 7], 1e-6, 'loss');
    // 6 of 7 right. IoU class 0: TP 3, FP 1, FN 0 → ¾; class 1: TP 3, FN 1 → ¾; mean ¾. Averaging each batch's mean IoU
    // instead would give (3/8 + 1)/2 = 11/16 (batch 2 has no class 0 at all).
    assertAllClose([scores.pixel_accuracy!, scores.mean_iou!], [6 / 7, 3 / 4], 1e-6, 'pixel accuracy, mean IoU');
    model.dispose();
  });
});
