/**
 * The training step of a token-sequence model as `mtl run` trains it: embedding (vocabulary 5,000) → an encoder → a
 * per-token tagging projection (17 tags), on batches of 32 sentences of 20 tokens (a fifth of the rows padded to 20
 * from 14), with Adam. `node sequence-step.js [wasm|cpu] [bilstm|transformer]`: the encoder is a 2-layer bidirectional
 * LSTM (hidden 128, embedding width 100), or learned positions and a 2-layer pre-norm Transformer (width 128, 4 heads,
 * feed-forward 256, dropout 0.1). Runs the runtime's own layer kinds on the wasm
 * backend (the matmul fix and the segment-sum kernel installed, as `mtl run` has them); prints ms per step and tokens
 * per second (real tokens, padding not counted), the median of the timed steps after warm-up, and the number of
 * kernels a step runs (tf.profile), which is what costs on wasm.
 */
import * as tf from '@tensorflow/tfjs';
import { selectBackend } from '../runtime/backend.js';
import { embedding } from '../runtime/model/layers/embedding.js';
import type { LayerCall } from '../runtime/model/layers/layer.js';
import { lstm } from '../runtime/model/layers/lstm.js';
import { positions } from '../runtime/model/layers/positions.js';
import { transformer } from '../runtime/model/layers/transformer.js';
import { paramStore } from '../runtime/model/params.js';
import { Random } from '../runtime/random.js';
import { medianMs } from './kernels.js';

const BATCH = 32;
const LENGTH = 20;
const VOCAB = 5000;
const HIDDEN = 128;
const MODEL = (process.argv[3] ?? 'bilstm') as 'bilstm' | 'transformer';
if (MODEL !== 'bilstm' && MODEL !== 'transformer') throw new Error(`the model is bilstm or transformer, not ${MODEL}`);
const EMBED = MODEL === 'bilstm' ? 100 : HIDDEN;
const OUT = MODEL === 'bilstm' ? 2 * HIDDEN : HIDDEN;
const TAGS = 17;
const WARMUP = 3;
const TIMED = 10;

const backend = await selectBackend((process.argv[2] as 'wasm' | 'cpu' | undefined) ?? 'wasm');
const random = new Random(7);
const store = paramStore(random);
const site = (prefix: string) => ({ where: prefix, prefix, owner: { kind: 'module', module: 'm' } as const, store });
const embed = embedding.build({ kind: 'embedding', dim: EMBED, vocab: VOCAB, wordDropout: 0 }, [[LENGTH]], site('m/0'));
const encoderLayer = { kind: 'transformer', dim: HIDDEN, heads: 4, ff: 2 * HIDDEN, dropout: 0.1, window: 0, norm: 'pre' } as const;
const encoder = MODEL === 'bilstm'
  ? [
    lstm.build({ kind: 'lstm', units: HIDDEN, bidirectional: true }, [[LENGTH, EMBED]], site('m/1')),
    lstm.build({ kind: 'lstm', units: HIDDEN, bidirectional: true }, [[LENGTH, 2 * HIDDEN]], site('m/2')),
  ]
  : [
    positions.build({ kind: 'positions', encoding: 'learned', dropout: 0.1 }, [[LENGTH, EMBED]], site('m/1')),
    transformer.build({ ...encoderLayer, finalNorm: false }, [[LENGTH, HIDDEN]], site('m/2')),
    transformer.build({ ...encoderLayer, finalNorm: true }, [[LENGTH, HIDDEN]], site('m/3')),
  ];
const head = store.add('head', { kind: 'head', task: 't' }, store.glorot('head', OUT, TAGS), [OUT, TAGS]);

// Sentences of 14 to 20 tokens, padded with 0 at the end.
const lengths = Array.from({ length: BATCH }, (_, i) => (i % 5 === 0 ? 14 : LENGTH));
const idValues = new Int32Array(BATCH * LENGTH);
const tagValues = new Int32Array(BATCH * LENGTH);
lengths.forEach((n, row) => {
  for (let t = 0; t < n; t++) {
    idValues[row * LENGTH + t] = 2 + random.int(VOCAB - 2);
    tagValues[row * LENGTH + t] = random.int(TAGS);
  }
});
const tokens = lengths.reduce((a, b) => a + b, 0);
const ids = tf.tensor2d(idValues, [BATCH, LENGTH], 'int32');
const tags = tf.oneHot(tf.tensor1d(tagValues, 'int32'), TAGS);
const mask = tf.cast(tf.notEqual(tf.reshape(ids, [-1]), 0), 'float32');
const optimizer = tf.train.adam(0.001);

const step = () => tf.tidy(() => {
  const cost = optimizer.minimize(() => {
    let tokenMask: tf.Tensor2D | null = null;
    let seed = 0;
    const call: LayerCall = { training: true, inputIsData: true, dropoutSeed: () => ++seed, tokenMask: () => (tokenMask ??= tf.cast(tf.notEqual(ids, 0), 'float32') as tf.Tensor2D) };
    const h = encoder.reduce((x, layer) => layer([x], call), embed([ids], call));
    const logits = tf.matMul(tf.reshape(h, [-1, OUT]), head as tf.Tensor2D);
    const perToken = tf.neg(tf.sum(tf.mul(tags, tf.logSoftmax(logits)), 1));
    return tf.div(tf.sum(tf.mul(perToken, mask)), tf.sum(mask)) as tf.Scalar;
  }, true);
  return cost!.dataSync()[0]!;
});

const median = medianMs(step, WARMUP, TIMED);
const profile = await tf.profile(() => {
  step();
});
console.log(`backend: ${backend.name} (${backend.reason})`);
console.log('| step | ms per step (median of 10) | tokens per second | kernels per step |');
console.log('|---|---|---|---|');
const name = MODEL === 'bilstm' ? '2-layer BiLSTM (hidden 128)' : '2-layer Transformer (width 128, 4 heads)';
console.log(`| ${name}, batch 32 × 20 tokens | ${median.toFixed(0)} | ${((tokens * 1000) / median).toFixed(0)} | ${profile.kernels.length} |`);
const byKernel = new Map<string, { count: number; ms: number }>();
for (const k of profile.kernels) {
  const entry = byKernel.get(k.name) ?? { count: 0, ms: 0 };
  entry.count++;
  entry.ms += typeof k.kernelTimeMs === 'number' ? k.kernelTimeMs : 0;
  byKernel.set(k.name, entry);
}
console.log('\nwhere the time goes (one profiled step; kernel time as tfjs measures it):');
for (const [name, { count, ms }] of [...byKernel].sort((a, b) => b[1].ms - a[1].ms).slice(0, 12)) console.log(`  ${name.padEnd(22)} ${String(count).padStart(5)} kernels ${ms.toFixed(1).padStart(8)} ms`);
