/**
 * Token sequences through the layers that read them: padding changes no output and no loss (masks), multi-head
 * attention on a 2-token case worked by hand, and the gradients on wasm (our UnsortedSegmentSum kernel for the
 * embedding lookup; attention's) equal the cpu backend's.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import type { LayerPlan, TaskPlan } from '../../job/job.js';
import { selectBackend } from '../../runtime/backend.js';
import { embedding } from '../../runtime/model/layers/embedding.js';
import type { LayerCall } from '../../runtime/model/layers/layer.js';
import { lstm } from '../../runtime/model/layers/lstm.js';
import { positions } from '../../runtime/model/layers/positions.js';
import { selfAttention, transformer } from '../../runtime/model/layers/transformer.js';
import { sequencePool } from '../../runtime/model/layers/sequence-pool.js';
import { paramStore } from '../../runtime/model/params.js';
import { Random } from '../../runtime/random.js';
import { labelTensors } from '../../runtime/train/labels.js';
import { taskLoss } from '../../runtime/train/loss.js';
import { assertAllClose, useCpu } from './helpers/tf.js';

const VOCAB = 6;
const DIM = 3;
const UNITS = 2;

type Encoder = 'lstm' | 'transformer';
/** The encoder's output width. */
const WIDTH: Record<Encoder, number> = { lstm: 2 * UNITS, transformer: 4 };

/**
 * embedding → an encoder (a bidirectional lstm; or learned positions and a pre-norm transformer of 2 heads) → a
 * per-token projection to 2 tags, built with seeded parameters. `training` runs dropout (the transformer's 0.2).
 */
function tagger(seed: number, encoder: Encoder = 'lstm', training = false) {
  const store = paramStore(new Random(seed));
  const site = (prefix: string) => ({ where: prefix, prefix, owner: { kind: 'module', module: 'm' } as const, store });
  const width = WIDTH[encoder];
  const embed = embedding.build({ kind: 'embedding', dim: encoder === 'lstm' ? DIM : width, vocab: VOCAB, wordDropout: 0 }, [[4]], site('m/0'));
  const layers = encoder === 'lstm'
    ? [lstm.build({ kind: 'lstm', units: UNITS, bidirectional: true }, [[4, DIM]], site('m/1'))]
    : [
      positions.build({ kind: 'positions', encoding: 'learned', dropout: 0.1 }, [[4, width]], site('m/1')),
      transformer.build({ kind: 'transformer', dim: width, heads: 2, ff: 6, dropout: 0.2, window: 0, norm: 'pre', finalNorm: true }, [[4, width]], site('m/2')),
    ];
  // Learned positions start at zero: give them values, so the test sees them act.
  store.params.filter((p) => p.name === 'm/1/table').forEach((p) => tf.tidy(() => p.variable.assign(tf.randomUniform(p.variable.shape, -1, 1, 'float32', seed))));
  const project = store.add('head', { kind: 'head', task: 't' }, store.glorot('head', width, 2), [width, 2]);
  const call = (ids: tf.Tensor2D, mask?: tf.Tensor2D): LayerCall => ({
    training, inputIsData: true, dropoutSeed: () => 7,
    tokenMask: () => mask ?? (tf.cast(tf.notEqual(ids, 0), 'float32') as tf.Tensor2D),
  });
  const hidden = (ids: tf.Tensor2D, mask?: tf.Tensor2D) => layers.reduce((x, layer) => layer([x], call(ids, mask)), embed([ids], call(ids, mask))) as tf.Tensor3D;
  const logits = (ids: tf.Tensor2D, mask?: tf.Tensor2D) => tf.matMul(tf.reshape(hidden(ids, mask), [-1, width]), project as tf.Tensor2D);
  return { store, hidden, logits, call, embed, width, dispose: () => store.params.forEach((p) => p.variable.dispose()) };
}

const TAGGING = { task: { name: 't', loss: 'ce', head: { kind: 'tagging', units: 2, classes: 'index' } } as unknown as TaskPlan, units: 2 };
const values = (t: tf.Tensor) => Array.from(t.dataSync());

for (const encoder of ['lstm', 'transformer'] as const) describe(`sequences through ${encoder === 'lstm' ? 'a BiLSTM' : 'a transformer'}: masks`, () => {
  for (const training of [false, true]) it(`changing a padded token changes no output${training ? ' (training: with dropout)' : ''}`, async () => {
    await useCpu();
    const model = tagger(1, encoder, training);
    const mask = tf.tensor2d([[1, 1, 0, 0]]);
    const a = tf.tidy(() => values(model.hidden(tf.tensor2d([[2, 3, 0, 0]], undefined, 'int32'), mask)));
    const b = tf.tidy(() => values(model.hidden(tf.tensor2d([[2, 3, 5, 1]], undefined, 'int32'), mask)));
    assert.deepEqual(b, a);
    assert.ok(a.slice(2 * model.width).every((v) => v === 0), 'padded positions give zeros');
    assert.ok(a.slice(0, 2 * model.width).every((v) => v !== 0));
    mask.dispose();
    model.dispose();
  });

  it('a sentence padded in a batch with a longer one has the outputs, pooled vector and loss it has alone', async () => {
    await useCpu();
    const model = tagger(2, encoder);
    const alone = tf.tensor2d([[2, 3]], undefined, 'int32');
    const batch = tf.tensor2d([[2, 3, 0, 0], [1, 4, 5, 2]], undefined, 'int32');
    const hiddenAlone = tf.tidy(() => values(model.hidden(alone)));
    const hiddenBatch = tf.tidy(() => values(model.hidden(batch)));
    assertAllClose(hiddenBatch.slice(0, 2 * model.width), hiddenAlone, 1e-6, 'the first row\'s tokens');
    for (const op of ['mean', 'max', 'first'] as const) {
      const pool = sequencePool.build({ kind: 'sequence_pool', op } as Extract<LayerPlan, { kind: 'sequence_pool' }>, [[4, model.width]], {} as never);
      const pooledAlone = tf.tidy(() => values(pool([model.hidden(alone)], model.call(alone))));
      const pooledBatch = tf.tidy(() => values(pool([model.hidden(batch)], model.call(batch))));
      assertAllClose(pooledBatch.slice(0, model.width), pooledAlone, 1e-6, `${op} pooling`);
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

describe('sequences: word dropout', () => {
  it('reads known tokens as the unknown token while training, never padding or outside training', async () => {
    await useCpu();
    const store = paramStore(new Random(5));
    const site = { where: 'm/0', prefix: 'm/0', owner: { kind: 'module', module: 'm' } as const, store };
    const embed = embedding.build({ kind: 'embedding', dim: 2, vocab: VOCAB, wordDropout: 0.5 }, [[6]], site);
    const always = embedding.build({ kind: 'embedding', dim: 2, vocab: VOCAB, wordDropout: 0.999999 }, [[6]], { ...site, prefix: 'm/1' });
    // A padded position is the row times 0, which is −0 for a negative row: compare it as 0.
    const run = (fn: () => tf.Tensor) => tf.tidy(() => values(fn()).map((v) => (v === 0 ? 0 : v)));
    const rows = (table: string) => values(store.params.find((p) => p.name === `${table}/table`)!.variable);
    const ids = tf.tensor2d([[2, 3, 4, 5, 1, 0]], undefined, 'int32');
    const call = (training: boolean, seed: number): LayerCall => ({ training, inputIsData: true, dropoutSeed: () => seed, tokenMask: () => tf.tensor2d([[1, 1, 1, 1, 1, 0]]) });
    const table = rows('m/0');
    const row = (id: number) => table.slice(2 * id, 2 * id + 2);
    // Outside training: every id reads its own row.
    assert.deepEqual(run(() => embed([ids], call(false, 1))), [...row(2), ...row(3), ...row(4), ...row(5), ...row(1), 0, 0]);
    // Training: each position reads its own row or the unknown token's; the padding stays zeros. Over seeds, about half are dropped.
    let dropped = 0;
    for (let seed = 1; seed <= 40; seed++) {
      const out = run(() => embed([ids], call(true, seed)));
      [2, 3, 4, 5].forEach((id, t) => {
        const got = out.slice(2 * t, 2 * t + 2);
        if (got.every((v, k) => v === row(1)[k])) dropped++;
        else assert.deepEqual(got, row(id));
      });
      assert.deepEqual(out.slice(8), [...row(1), 0, 0]);
    }
    assert.ok(dropped > 50 && dropped < 110, `${dropped} of 160 known tokens dropped at rate 0.5`);
    const unknown = rows('m/1').slice(2, 4);
    assert.deepEqual(run(() => always([ids], call(true, 3))), [...unknown, ...unknown, ...unknown, ...unknown, ...unknown, 0, 0]);
    ids.dispose();
    store.params.forEach((p) => p.variable.dispose());
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

describe('sequences: multi-head attention, worked by hand', () => {
  // Width 2, two heads of width 1: head 1 reads coordinate 0 of q, k, v, head 2 coordinate 1 (q = k = v = x, out = I).
  // x1 = [1, 2], x2 = [3, -1]. Head 1 scores for token 1: 1·1 = 1 and 1·3 = 3 (scaled by 1/√1), softmax [σ(-2), σ(2)],
  // value 1·σ(-2) + 3·σ(2); head 2: 2·2 = 4 and 2·(-1) = -2, weights [σ(6), σ(-6)], value 2·σ(6) − σ(-6).
  // Token 2, head 1: 3·1 = 3 and 3·3 = 9: 1·σ(-6) + 3·σ(6); head 2: -1·2 = -2 and -1·-1 = 1: 2·σ(-3) − σ(3).
  const sigmoid = (z: number) => 1 / (1 + Math.exp(-z));
  const identity = (width: number) => tf.eye(width) as tf.Tensor2D;
  const params = () => ({
    qkv: { kernel: tf.concat([identity(2), identity(2), identity(2)], 1) as tf.Tensor2D, bias: tf.zeros([6]) as tf.Tensor1D },
    out: { kernel: identity(2), bias: tf.zeros([2]) as tf.Tensor1D },
  });
  before(useCpu);

  it('two tokens, two heads', () => {
    const output = tf.tidy(() => values(selfAttention(tf.tensor2d([[1, 2], [3, -1]]), 1, 2, params() as never, null)));
    assertAllClose(output, [
      1 * sigmoid(-2) + 3 * sigmoid(2), 2 * sigmoid(6) - sigmoid(-6),
      1 * sigmoid(-6) + 3 * sigmoid(6), 2 * sigmoid(-3) - sigmoid(3),
    ], 1e-6, 'attention');
  });

  it('a window of 1 keeps each of three tokens to its neighbours', () => {
    // One head of width 1 (dim 1): x = [1, 2, 3], q = k = v = x. Token 1 sees tokens 1-2 (scores 1, 2), token 2 all three
    // (2, 4, 6), token 3 tokens 2-3 (6, 9): softmax-weighted values.
    const one = { qkv: { kernel: tf.ones([1, 3]) as tf.Tensor2D, bias: tf.zeros([3]) as tf.Tensor1D }, out: { kernel: tf.ones([1, 1]) as tf.Tensor2D, bias: tf.zeros([1]) as tf.Tensor1D } };
    const output = tf.tidy(() => values(selfAttention(tf.tensor2d([[1], [2], [3]]), 1, 1, one as never, null, 1)));
    const mix = (scores: number[], xs: number[]) => {
      const e = scores.map(Math.exp);
      return e.reduce((sum, w, i) => sum + w * xs[i]!, 0) / e.reduce((a, b) => a + b, 0);
    };
    assertAllClose(output, [mix([1, 2], [1, 2]), mix([2, 4, 6], [1, 2, 3]), mix([6, 9], [2, 3])], 1e-5, 'windowed attention');
  });

  it('a padded key gets no weight: each token reads token 1 alone', () => {
    const output = tf.tidy(() => values(selfAttention(tf.tensor2d([[1, 2], [3, -1]]), 1, 2, params() as never, tf.tensor2d([[1, 0]]))));
    assertAllClose(output, [1, 2, 1, 2], 1e-6, 'attention with token 2 padded');
  });
});

describe('sequences: the transformer\'s gradients on wasm', () => {
  after(useCpu);

  it('equal the cpu backend\'s, for every parameter', async () => {
    const gradients: number[][][] = [];
    for (const backend of ['cpu', 'wasm'] as const) {
      await selectBackend(backend);
      const model = tagger(4, 'transformer');
      const ids = tf.tensor2d([[2, 3, 2, 0], [5, 2, 1, 4]], undefined, 'int32');
      const variables = model.store.params.map((p) => p.variable);
      const { grads, value } = tf.variableGrads(() => tf.sum(tf.square(model.logits(ids))), variables);
      gradients.push(variables.map((v) => values(grads[v.name]!)));
      tf.dispose([ids, value, ...Object.values(grads)]);
      model.dispose();
    }
    const [cpu, wasm] = gradients as [number[][], number[][]];
    assert.ok(cpu.every((g) => g.some((v) => v !== 0)), 'every parameter has a gradient');
    cpu.forEach((g, i) => assertAllClose(wasm[i]!, g, 1e-4, `parameter ${i}`));
  });
});
