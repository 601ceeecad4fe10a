/**
 * embedding: token ids [n, length] → vectors [n, length, dim], one learned row of `table` [vocab, dim] per id. A
 * padded position (mask 0) gives zeros, so nothing after it depends on what padding holds. While training, word dropout
 * reads each known token (id ≥ 2) as the unknown token (id 1 in a `tokens` vocabulary) with probability `wordDropout`. Its gradient is tf.gather's
 * (UnsortedSegmentSum, which wasm gets from kernels/wasm-segment-sum.ts).
 */
import * as tf from '@tensorflow/tfjs';
import type { LayerPlan } from '../../../job/job.js';
import { UserError } from '../../errors.js';
import type { LayerRuntime } from './layer.js';

type EmbeddingLayer = Extract<LayerPlan, { kind: 'embedding' }>;

export const embedding: LayerRuntime<EmbeddingLayer> = {
  runnable: true,
  outputShape(layer, [input], where) {
    if (input!.length !== 1) throw new UserError(`${where} reads token ids, one number per position ([length] per row), but it is given [${input!.join(', ')}]`);
    return [input![0]!, layer.dim];
  },
  build(layer, _inputs, site) {
    const vocab = typeof layer.vocab === 'number' ? layer.vocab : site.width?.(layer.vocab);
    if (vocab === undefined) throw new Error(`${site.where}: its vocabulary size is learned from the data, and nothing resolved it`);
    const table = site.store.add(`${site.prefix}/table`, site.owner, site.store.glorot(`${site.prefix}/table`, vocab, layer.dim), [vocab, layer.dim]);
    return ([ids], call) => {
      let read = tf.cast(ids!, 'int32');
      if (call.training && layer.wordDropout > 0) {
        const dropped = tf.logicalAnd(tf.less(tf.randomUniform(read.shape, 0, 1, 'float32', call.dropoutSeed()), layer.wordDropout), tf.greater(read, 1));
        read = tf.where(dropped, tf.onesLike(read), read);
      }
      const vectors = tf.gather(table, read);
      const mask = call.tokenMask?.() ?? null;
      return mask === null ? vectors : tf.mul(vectors, tf.expandDims(mask, 2));
    };
  },
  examples: [
    // ids [2, 0, 1] pick rows 2, 0 and 1 of the table
    {
      layer: { kind: 'embedding', dim: 2, vocab: 3, wordDropout: 0.5 },
      params: { table: [0, 0, 1, 2, 3, 4] },
      inputs: [{ shape: [1, 3], values: [2, 0, 1] }],
      output: { shape: [1, 3, 2], values: [3, 4, 0, 0, 1, 2] },
    },
    // the second position is padding: zeros, whatever id it holds
    {
      layer: { kind: 'embedding', dim: 1, vocab: 3, wordDropout: 0 },
      params: { table: [5, 6, 7] },
      inputs: [{ shape: [1, 2], values: [1, 2] }],
      mask: { shape: [1, 2], values: [1, 0] },
      output: { shape: [1, 2, 1], values: [6, 0] },
    },
  ],
};
