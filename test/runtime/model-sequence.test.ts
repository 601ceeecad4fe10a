/**
 * Token sequences through the layers that read them: padding changes no output and no loss (masks), and the gradient
 * of the embedding lookup on wasm (our UnsortedSegmentSum kernel) equals the cpu backend's.
 */
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import type { LayerPlan, TaskPlan } from '../../job/job.js';
import { selectBackend } from '../../runtime/backend.js';
import { embedding } from '../../runtime/model/layers/embedding.js';
import type { LayerCall } from '../../runtime/model/layers/layer.js';
import { lstm } from '../../runtime/model/layers/lstm.js';
import { sequencePool } from '../../runtime/model/layers/sequence-pool.js';
import { paramStore } from '../../runtime/model/params.js';
import { Random } from '../../runtime/random.js';
import { labelTensors } from '../../runtime/train/labels.js';
import { taskLoss } from '../../runtime/train/loss.js';
import { assertAllClose, useCpu } from './helpers/tf.js';

const VOCAB = 6;
const DIM = 3;
const UNITS = 2;

/** embedding → bidirectional lstm → per-token projection to 2 tags, built with seeded parameters. */
function tagger(seed: number) {
  const store = paramStore(new Random(seed));
  const site = (prefix: string) => ({ where: prefix, prefix, owner: { kind: 'module', module: 'm' } as const, store });
  const embed = embedding.build({ kind: 'embedding', dim: DIM, vocab: VOCAB }, [[4]], site('m/0'));
  const recur = lstm.build({ kind: 'lstm', units: UNITS, bidirectional: true }, [[4, DIM]], site('m/1'));
  const project = store.add('head', { kind: 'head', task: 't' }, store.glorot('head', 2 * UNITS, 2), [2 * UNITS, 2]);
  const call = (ids: tf.Tensor2D, mask?: tf.Tensor2D): LayerCall => ({
    training: false, inputIsData: true, dropoutSeed: () => 0,
    tokenMask: () => mask ?? (tf.cast(tf.notEqual(ids, 0), 'float32') as tf.Tensor2D),
  });
  const hidden = (ids: tf.Tensor2D, mask?: tf.Tensor2D) => recur([embed([ids], call(ids, mask))], call(ids, mask)) as tf.Tensor3D;
  const logits = (ids: tf.Tensor2D, mask?: tf.Tensor2D) => tf.matMul(tf.reshape(hidden(ids, mask), [-1, 2 * UNITS]), project as tf.Tensor2D);
  return { store, hidden, logits, call, embed, dispose: () => store.params.forEach((p) => p.variable.dispose()) };
}

const TAGGING = { task: { name: 't', loss: 'ce', head: { kind: 'tagging', units: 2, classes: 'index' } } as unknown as TaskPlan, units: 2 };
const values = (t: tf.Tensor) => Array.from(t.dataSync());

describe('sequences: masks', () => {
  it('changing a padded token changes no output', async () => {
    await useCpu();
    const model = tagger(1);
    const mask = tf.tensor2d([[1, 1, 0, 0]]);
    const a = tf.tidy(() => values(model.hidden(tf.tensor2d([[2, 3, 0, 0]], undefined, 'int32'), mask)));
    const b = tf.tidy(() => values(model.hidden(tf.tensor2d([[2, 3, 5, 1]], undefined, 'int32'), mask)));
    assert.deepEqual(b, a);
    assert.ok(a.slice(2 * 2 * UNITS).every((v) => v === 0), 'padded positions give zeros');
    assert.ok(a.slice(0, 2 * 2 * UNITS).every((v) => v !== 0));
    mask.dispose();
    model.dispose();
  });

  it('a sentence padded in a batch with a longer one has the outputs, pooled vector and loss it has alone', async () => {
    await useCpu();
    const model = tagger(2);
    const alone = tf.tensor2d([[2, 3]], undefined, 'int32');
    const batch = tf.tensor2d([[2, 3, 0, 0], [1, 4, 5, 2]], undefined, 'int32');
    const hiddenAlone = tf.tidy(() => values(model.hidden(alone)));
    const hiddenBatch = tf.tidy(() => values(model.hidden(batch)));
    assertAllClose(hiddenBatch.slice(0, 2 * 2 * UNITS), hiddenAlone, 1e-6, 'the first row\'s tokens');
    for (const op of ['mean', 'max', 'first'] as const) {
      const pool = sequencePool.build({ kind: 'sequence_pool', op } as Extract<LayerPlan, { kind: 'sequence_pool' }>, [[4, 2 * UNITS]], {} as never);
      const pooledAlone = tf.tidy(() => values(pool([model.hidden(alone)], model.call(alone))));
      const pooledBatch = tf.tidy(() => values(pool([model.hidden(batch)], model.call(batch))));
      assertAllClose(pooledBatch.slice(0, 2 * UNITS), pooledAlone, 1e-6, `${op} pooling`);
    }
    // The second row's tags are unlabelled (mask 0): the loss is the first row's over its two tokens, as alone.
    const lossOf = (ids: tf.Tensor2D, tags: number[], mask: number[]) => tf.tidy(() => {
      const labels = labelTensors(TAGGING, { values: { data: Int32Array.from(tags), shape: [ids.shape[0], ids.shape[1]] }, mask: Float32Array.from(mask) }, ids.shape[0]);
      return taskLoss(TAGGING, model.logits(ids) as tf.Tensor2D, labels).dataSync()[0]!;
    });
    const lossAlone = lossOf(alone, [1, 0], [1, 1]);
    assertAllClose([lossOf(batch, [1, 0, 0, 0, 1, 1, 1, 1], [1, 1, 0, 0, 0, 0, 0, 0])], [lossAlone], 1e-6, 'loss');
    // Padded positions add nothing, whatever tag they hold.
    assertAllClose([lossOf(batch, [1, 0, 1, 1, 0, 0, 0, 0], [1, 1, 0, 0, 0, 0, 0, 0])], [lossAlone], 1e-6, 'loss with other padded tags');
    tf.dispose([alone, batch]);
    model.dispose();
  });
});

describe('sequences: the embedding gradient on wasm', () => {
  after(useCpu);

  it('equals the cpu backend\'s (repeated ids add up)', async () => {
    const gradients: number[][] = [];
    for (const backend of ['cpu', 'wasm'] as const) {
      await selectBackend(backend);
      const model = tagger(3);
      const ids = tf.tensor2d([[2, 3, 2, 0], [5, 2, 1, 4]], undefined, 'int32');
      const table = model.store.params.find((p) => p.name === 'm/0/table')!.variable;
      const { grads, value } = tf.variableGrads(() => tf.sum(tf.square(model.logits(ids))), [table]);
      gradients.push(values(grads[table.name]!));
      tf.dispose([ids, value, ...Object.values(grads)]);
      model.dispose();
    }
    assert.ok(gradients[0]!.slice(DIM * 2, DIM * 3).some((g) => g !== 0), 'id 2 has a gradient');
    assert.deepEqual(gradients[0]!.slice(0, DIM), [0, 0, 0], 'the padding id has none');
    assertAllClose(gradients[1]!, gradients[0]!, 1e-5, 'wasm against cpu');
  });
});
