/**
 * transformer: one encoder layer over a sequence [n, length, in] → [n, length, dim] (Vaswani et al. 2017):
 *   attention(z) = softmax(q·kᵀ/√(dim/heads) + padding)·v per head, heads concatenated, times `out`
 *     (q, k, v = z·qkv + bias, one matrix product for all three; padding adds −1e9 to the scores of padded keys,
 *     so no token attends to padding; with a `window` k, the keys more than k positions away get −1e9 too)
 *   feed_forward(z) = relu(z·ff1 + b1)·ff2 + b2
 *   pre-norm:  h = x + drop(attention(LN1(x)));  y = h + drop(feed_forward(LN2(h)));  then LN_final(y) if finalNorm
 *   post-norm: h = LN1(x + drop(attention(x)));  y = LN2(h + drop(feed_forward(h)))
 * LN is a layer normalisation over the width (ε = 1e-5) with a learned gain (ones at first) and shift (zeros). An
 * input narrower or wider than `dim` is first projected to it (`in`). Padded positions give zeros, as the LSTM's do.
 * Every product runs on the batch's rows flattened to [n·length, width]; only attention keeps the sequence axes.
 */
import * as tf from '@tensorflow/tfjs';
import type { LayerPlan } from '../../../job/job.js';
import { dense as denseOp } from '../dense.js';
import { denseParams, type DenseParams, type ParamStore } from '../params.js';
import type { ParamOwner } from '../types.js';
import type { LayerCall, LayerRuntime } from './layer.js';
import { requireSequence } from './sequence.js';

type TransformerLayer = Extract<LayerPlan, { kind: 'transformer' }>;

const EPSILON = 1e-5;
/** Added to the attention score of a padded key: its weight underflows to 0 after the softmax. */
const MASKED = -1e9;

interface Norm {
  gain: tf.Variable<tf.Rank.R1>;
  shift: tf.Variable<tf.Rank.R1>;
}

function normParams(store: ParamStore, prefix: string, owner: ParamOwner, width: number): Norm {
  return {
    gain: store.add(`${prefix}/gain`, owner, new Float32Array(width).fill(1), [width]) as tf.Variable<tf.Rank.R1>,
    shift: store.add(`${prefix}/shift`, owner, new Float32Array(width), [width]) as tf.Variable<tf.Rank.R1>,
  };
}

/** Layer normalisation of each row of [m, width]. */
function layerNorm(x: tf.Tensor2D, norm: Norm): tf.Tensor2D {
  const { mean, variance } = tf.moments(x, 1, true);
  return tf.add(tf.mul(tf.mul(tf.sub(x, mean), tf.rsqrt(tf.add(variance, EPSILON))), norm.gain), norm.shift);
}

export interface AttentionParams {
  qkv: DenseParams;
  out: DenseParams;
}

/** The scores' bias [length, length] of a local window: 0 where |query − key| ≤ window, −1e9 elsewhere. */
function windowBias(length: number, window: number): tf.Tensor2D {
  const values = new Float32Array(length * length);
  for (let q = 0; q < length; q++) for (let k = 0; k < length; k++) if (Math.abs(q - k) > window) values[q * length + k] = MASKED;
  return tf.tensor2d(values, [length, length]);
}

/**
 * Multi-head self-attention of rows [n·length, dim] → [n·length, dim]. `mask` [n, length] is 1 at a token and 0 at
 * padding; null when every position is a token. `window` > 0 keeps each token's attention within that many positions.
 */
export function selfAttention(z: tf.Tensor2D, n: number, heads: number, params: AttentionParams, mask: tf.Tensor2D | null, window = 0): tf.Tensor2D {
  const dim = z.shape[1];
  const length = z.shape[0] / n;
  const size = dim / heads;
  // [n·length, 3·dim] cut into q, k and v of each head, [n, length, size] each. Column slices and batched products
  // without transposes: on wasm a 5-D transpose of q, k and v (and its gradient) took a third of a step.
  const parts = tf.split(denseOp(z, params.qkv.kernel, params.qkv.bias, 'linear'), 3 * heads, 1).map((part) => tf.reshape(part, [n, length, size]) as tf.Tensor3D);
  let bias: tf.Tensor | null = mask === null ? null : tf.reshape(tf.mul(tf.sub(1, mask), MASKED), [n, 1, length]);
  if (window > 0 && window < length - 1) bias = bias === null ? windowBias(length, window) : tf.add(bias, windowBias(length, window));
  const attended = Array.from({ length: heads }, (_, h) => {
    const [q, k, v] = [parts[h]!, parts[heads + h]!, parts[2 * heads + h]!];
    const scores = tf.mul(tf.matMul(q, k, false, true), 1 / Math.sqrt(size)); // [n, length, length]
    return tf.matMul(tf.softmax(bias === null ? scores : tf.add(scores, bias)), v); // [n, length, size]
  });
  const joined = tf.reshape(heads === 1 ? attended[0]! : tf.concat(attended, 2), [n * length, dim]);
  return denseOp(joined as tf.Tensor2D, params.out.kernel, params.out.bias, 'linear');
}

export const transformer: LayerRuntime<TransformerLayer> = {
  runnable: true,
  outputShape(layer, [input], where) {
    requireSequence(input!, where);
    return [input![0]!, layer.dim];
  },
  build(layer, [input], site) {
    const { store, prefix, owner } = site;
    const inWidth = input![1]!;
    const project = inWidth === layer.dim ? null : denseParams(store, `${prefix}/in`, owner, inWidth, layer.dim);
    const attention: AttentionParams = {
      qkv: denseParams(store, `${prefix}/attention/qkv`, owner, layer.dim, 3 * layer.dim),
      out: denseParams(store, `${prefix}/attention/out`, owner, layer.dim, layer.dim),
    };
    const norm1 = normParams(store, `${prefix}/norm1`, owner, layer.dim);
    const ff1 = denseParams(store, `${prefix}/ff1`, owner, layer.dim, layer.ff);
    const ff2 = denseParams(store, `${prefix}/ff2`, owner, layer.ff, layer.dim);
    const norm2 = normParams(store, `${prefix}/norm2`, owner, layer.dim);
    const final = layer.finalNorm ? normParams(store, `${prefix}/final`, owner, layer.dim) : null;
    const drop = (y: tf.Tensor2D, call: LayerCall): tf.Tensor2D => (call.training && layer.dropout > 0 ? tf.dropout(y, layer.dropout, undefined, call.dropoutSeed()) as tf.Tensor2D : y);
    const feedForward = (z: tf.Tensor2D): tf.Tensor2D => denseOp(denseOp(z, ff1.kernel, ff1.bias, 'relu'), ff2.kernel, ff2.bias, 'linear');

    return ([x], call) => {
      const [n, length, width] = x!.shape as [number, number, number];
      const mask = call.tokenMask?.() ?? null;
      let h = tf.reshape(x!, [n * length, width]) as tf.Tensor2D;
      if (project !== null) h = denseOp(h, project.kernel, project.bias, 'linear', call.inputIsData);
      if (layer.norm === 'pre') {
        h = tf.add(h, drop(selfAttention(layerNorm(h, norm1), n, layer.heads, attention, mask, layer.window), call));
        h = tf.add(h, drop(feedForward(layerNorm(h, norm2)), call));
        if (final !== null) h = layerNorm(h, final);
      } else {
        h = layerNorm(tf.add(h, drop(selfAttention(h, n, layer.heads, attention, mask, layer.window), call)), norm1);
        h = layerNorm(tf.add(h, drop(feedForward(h), call)), norm2);
      }
      const y = tf.reshape(h, [n, length, layer.dim]);
      return mask === null ? y : tf.mul(y, tf.expandDims(mask, 2));
    };
  },
  examples: transformerExamples(),
};

/**
 * Worked cases with width 2 and one head, q = k = v = out = the identity, a zero feed-forward, gains 1 and shifts 0,
 * so only attention and the norms act. The tokens x1 = [1, 0] and x2 = [0, 1] normalise to ±c·[1, −1] with
 * c = 0.5/√(0.25 + ε); their scores are ±c²·2/√2, and p11 − p12 = tanh(√2·c²) = t, so token 1 attends to
 * c·t·[1, −1] and token 2 to c·t·[−1, 1].
 */
function transformerExamples(): LayerRuntime<TransformerLayer>['examples'] {
  const identity = { 'attention/qkv/kernel': [1, 0, 1, 0, 1, 0, 0, 1, 0, 1, 0, 1], 'attention/qkv/bias': [0, 0, 0, 0, 0, 0], 'attention/out/kernel': [1, 0, 0, 1], 'attention/out/bias': [0, 0] };
  const zeroFeedForward = { 'ff1/kernel': [0, 0], 'ff1/bias': [0], 'ff2/kernel': [0, 0], 'ff2/bias': [0, 0] };
  const norms = { 'norm1/gain': [1, 1], 'norm1/shift': [0, 0], 'norm2/gain': [1, 1], 'norm2/shift': [0, 0] };
  const c = 0.5 / Math.sqrt(0.25 + EPSILON);
  const t = Math.tanh(Math.SQRT2 * c * c);
  /** The layer norm of [a, b]: ±(a − b)/2 over √((a − b)²/4 + ε). */
  const normOf = (a: number, b: number) => {
    const half = (a - b) / 2;
    const scale = half / Math.sqrt(half * half + EPSILON);
    return [scale, -scale];
  };
  const layer = (norm: 'pre' | 'post', finalNorm = false): TransformerLayer => ({ kind: 'transformer', dim: 2, heads: 1, ff: 1, dropout: 0.5, window: 0, norm, finalNorm });
  const tokens = { shape: [1, 2, 2], values: [1, 0, 0, 1] };
  return [
    // pre-norm: y = x + attention(LN(x)) (+ a zero feed-forward): [1 + c·t, −c·t] and [−c·t, 1 + c·t]
    {
      layer: layer('pre'), params: { ...identity, ...zeroFeedForward, ...norms }, inputs: [tokens],
      output: { shape: [1, 2, 2], values: [1 + c * t, -c * t, -c * t, 1 + c * t] },
    },
    // token 2 is padding: token 1 attends to itself alone, x1 + c·[1, −1]; the padded position gives zeros
    {
      layer: layer('pre'), params: { ...identity, ...zeroFeedForward, ...norms }, inputs: [{ shape: [1, 2, 2], values: [1, 0, 7, -3] }],
      mask: { shape: [1, 2], values: [1, 0] },
      output: { shape: [1, 2, 2], values: [1 + c, -c, 0, 0] },
    },
    // post-norm: h = LN1(x + attention(x)), the scores now x·xᵀ/√2: token 1 weighs itself p = σ(1/√2), so
    // x1 + attention = [1 + p, 1 − p] (token 2 mirrored), normalised; the feed-forward adds 0, then LN2 again
    {
      layer: layer('post'), params: { ...identity, ...zeroFeedForward, ...norms }, inputs: [tokens],
      output: { shape: [1, 2, 2], values: postNorm() },
    },
    // pre-norm with the final norm: the first example's output, layer-normalised
    {
      layer: layer('pre', true), params: { ...identity, ...zeroFeedForward, ...norms, 'final/gain': [1, 1], 'final/shift': [0, 0] }, inputs: [tokens],
      output: { shape: [1, 2, 2], values: [...normOf(1 + c * t, -c * t), ...normOf(-c * t, 1 + c * t)] },
    },
  ];

  function postNorm(): number[] {
    const p = 1 / (1 + Math.exp(-1 / Math.SQRT2));
    const first = normOf(1 + p, 1 - p);
    return [...normOf(first[0]!, first[1]!), ...normOf(first[1]!, first[0]!)];
  }
}
