/**
 * The embedding of tokens with suffix and shape ids: each token's vector is its word's row plus its suffixes' rows plus
 * its shape's row (checked against the sums of the tables' values); padding gives zeros whatever its ids; word dropout
 * replaces the word id only; through a transformer, a padded position's ids change no output; on wasm, the gradients
 * equal the cpu backend's.
 */
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import { TOKEN_SHAPES, type LayerPlan } from '../../job/job.js';
import { selectBackend } from '../../runtime/backend.js';
import { embedding } from '../../runtime/model/layers/embedding.js';
import type { LayerCall } from '../../runtime/model/layers/layer.js';
import { positions } from '../../runtime/model/layers/positions.js';
import { transformer } from '../../runtime/model/layers/transformer.js';
import { paramStore } from '../../runtime/model/params.js';
import { Random } from '../../runtime/random.js';
import { assertAllClose, useCpu } from './helpers/tf.js';

const DIM = 4;
const LAYER: Extract<LayerPlan, { kind: 'embedding' }> = { kind: 'embedding', dim: DIM, vocab: 5, wordDropout: 0, subwords: { suffixLengths: 2, suffixVocab: 6, shape: true } };
// Two sentences of [word, suffix of 1, suffix of 2, shape] per position; the first has a padded third position.
const IDS = [
  [[2, 3, 4, 3], [4, 1, 0, 1], [0, 0, 0, 0]],
  [[1, 5, 2, 4], [3, 2, 2, 6], [2, 1, 1, 2]],
];
const MASK = [[1, 1, 0], [1, 1, 1]];

function built(layer = LAYER, seed = 3) {
  const store = paramStore(new Random(seed));
  const site = { where: 'm/0', prefix: 'm/0', owner: { kind: 'module', module: 'm' } as const, store };
  const embed = embedding.build(layer, [[3, 4]], site);
  const table = (name: string) => Array.from(store.params.find((p) => p.name === `m/0/${name}`)!.variable.dataSync());
  const row = (name: string, id: number) => table(name).slice(id * DIM, (id + 1) * DIM);
  return { store, embed, row, dispose: () => store.params.forEach((p) => p.variable.dispose()) };
}

const call = (training: boolean, mask = MASK): LayerCall => ({ training, inputIsData: true, dropoutSeed: () => 11, tokenMask: () => tf.tensor2d(mask) });
const sum = (...rows: number[][]) => rows.reduce((a, b) => a.map((v, k) => v + b[k]!));
// A padded position is a row times 0, which is −0 for a negative value: compare it as 0.
const run = (fn: () => tf.Tensor) => tf.tidy(() => Array.from(fn().dataSync()).map((v) => (v === 0 ? 0 : v)));

describe('embedding with suffix and shape ids', () => {
  it('sums the word\'s, the suffixes\' and the shape\'s rows of three tables', async () => {
    await useCpu();
    const { store, embed, row, dispose } = built();
    assert.deepEqual(store.params.map((p) => [p.name, p.variable.shape]), [
      ['m/0/table', [5, DIM]], ['m/0/suffix_table', [6, DIM]], ['m/0/shape_table', [TOKEN_SHAPES.length + 1, DIM]],
    ]);
    const expected = IDS.flatMap((sentence, r) => sentence.flatMap(([word, s1, s2, shape], t) => (MASK[r]![t]
      ? sum(row('table', word!), row('suffix_table', s1!), row('suffix_table', s2!), row('shape_table', shape!))
      : new Array<number>(DIM).fill(0))));
    const out = run(() => embed([tf.tensor3d(IDS, undefined, 'int32')], call(false)));
    assertAllClose(out, expected, 1e-6);
    dispose();
  });

  it('gives zeros at a padded position whatever ids it holds', async () => {
    await useCpu();
    const { embed, dispose } = built();
    const other = IDS.map((s, r) => s.map((ids, t) => (MASK[r]![t] ? ids : [4, 5, 5, 6])));
    assert.deepEqual(run(() => embed([tf.tensor3d(other, undefined, 'int32')], call(false))), run(() => embed([tf.tensor3d(IDS, undefined, 'int32')], call(false))));
    dispose();
  });

  it('word dropout replaces the word id only: a dropped word keeps its suffixes and shape', async () => {
    await useCpu();
    const { embed, row, dispose } = built({ ...LAYER, wordDropout: 0.999999 });
    const out = run(() => embed([tf.tensor3d(IDS, undefined, 'int32')], call(true)));
    // Every known word (id ≥ 2) reads as the unknown word (id 1); the unknown word stays itself.
    const expected = IDS.flatMap((sentence, r) => sentence.flatMap(([word, s1, s2, shape], t) => (MASK[r]![t]
      ? sum(row('table', Math.min(word!, 1)), row('suffix_table', s1!), row('suffix_table', s2!), row('shape_table', shape!))
      : new Array<number>(DIM).fill(0))));
    assertAllClose(out, expected, 1e-6);
    dispose();
  });

  it('through positions and a transformer layer, changing a padded position\'s ids changes no output', async () => {
    await useCpu();
    const { store, embed, dispose } = built({ ...LAYER, wordDropout: 0.3 });
    const site = (prefix: string) => ({ where: prefix, prefix, owner: { kind: 'module', module: 'm' } as const, store });
    const layers = [
      positions.build({ kind: 'positions', encoding: 'sinusoidal', dropout: 0.1 }, [[3, DIM]], site('m/1')),
      transformer.build({ kind: 'transformer', dim: DIM, heads: 2, ff: 6, dropout: 0.2, window: 0, norm: 'pre', finalNorm: true }, [[3, DIM]], site('m/2')),
    ];
    const forward = (ids: number[][][], training: boolean) => run(() => layers.reduce((x, layer) => layer([x], call(training)), embed([tf.tensor3d(ids, undefined, 'int32')], call(training))));
    const other = IDS.map((s, r) => s.map((ids, t) => (MASK[r]![t] ? ids : [3, 4, 5, 5])));
    for (const training of [false, true]) {
      const a = forward(IDS, training);
      assert.deepEqual(forward(other, training), a);
      assert.ok(a.slice(0, 2 * DIM).every((v) => v !== 0) && a.slice(2 * DIM, 3 * DIM).every((v) => v === 0));
    }
    dispose();
  });
});

describe('embedding with suffix and shape ids: gradients on wasm', () => {
  after(useCpu);

  it('equal the cpu backend\'s (repeated suffix ids add up)', async () => {
    const gradients = async (backend: 'cpu' | 'wasm') => {
      if (backend === 'cpu') await useCpu();
      else await selectBackend('wasm');
      const { store, embed, dispose } = built();
      const weights = tf.tidy(() => tf.randomUniform([2, 3, DIM], -1, 1, 'float32', 4));
      const { grads } = tf.variableGrads(() => tf.sum(tf.mul(embed([tf.tensor3d(IDS, undefined, 'int32')], call(false)), weights)) as tf.Scalar, store.params.map((p) => p.variable));
      const out = store.params.map((p) => Array.from(grads[p.variable.name]!.dataSync()));
      tf.dispose([weights, ...Object.values(grads)]);
      dispose();
      return out;
    };
    const cpu = await gradients('cpu');
    const wasm = await gradients('wasm');
    cpu.forEach((g, i) => assertAllClose(wasm[i]!, g, 1e-5, `parameter ${i}`));
    // Suffix id 1 appears in three positions of the second sentence and one of the first: its row's gradient is their sum, not zero.
    assert.ok(cpu[1]!.slice(DIM, 2 * DIM).some((v) => v !== 0));
  });
});
