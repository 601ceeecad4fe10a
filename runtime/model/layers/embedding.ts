/**
 * embedding: token ids [n, length] → vectors [n, length, dim], one learned row of `table` [vocab, dim] per id. With
 * `subwords` it reads [n, length, ids per token]: a position's word id, then its suffix ids and its shape id (a tokens
 * feature's, runtime/data/subwords.ts), and a token's vector is the sum of its word's row of `table`, its suffixes' rows
 * of `suffix_table` and its shape's row of `shape_table`, so a word the vocabulary lacks still has its spelling. A
 * padded position (mask 0) gives zeros, so nothing after it depends on what padding holds. While training, word dropout
 * reads each known word (id ≥ 2) as the unknown word (id 1 in a `tokens` vocabulary) with probability `wordDropout`,
 * keeping its suffixes and shape. Its gradient is tf.gather's (UnsortedSegmentSum, which wasm gets from
 * kernels/wasm-segment-sum.ts).
 */
import * as tf from '@tensorflow/tfjs';
import { TOKEN_SHAPES, type LayerPlan } from '../../../job/job.js';
import { UserError } from '../../errors.js';
import type { LayerRuntime } from './layer.js';

type EmbeddingLayer = Extract<LayerPlan, { kind: 'embedding' }>;

/** Ids per token position: the word's, then its suffixes' and its shape's. */
const idsPerToken = (layer: EmbeddingLayer): number => 1 + (layer.subwords ? layer.subwords.suffixLengths + (layer.subwords.shape ? 1 : 0) : 0);

/** Ids [n, length, ids per token] from position `from`, `count` of them. */
const idsAt = (ids: tf.Tensor, from: number, count: number): tf.Tensor => tf.slice(ids, [0, 0, from], [-1, -1, count]);

export const embedding: LayerRuntime<EmbeddingLayer> = {
  runnable: true,
  outputShape(layer, [input], where) {
    const perToken = idsPerToken(layer);
    if (!layer.subwords && input!.length !== 1) throw new UserError(`${where} reads token ids, one number per position ([length] per row), but it is given [${input!.join(', ')}]`);
    if (layer.subwords && (input!.length !== 2 || input![1] !== perToken)) {
      throw new UserError(`${where} reads ${perToken} ids per token position ([length, ${perToken}] per row: the word's, its suffixes', its shape's), but it is given [${input!.join(', ')}]`);
    }
    return [input![0]!, layer.dim];
  },
  build(layer, _inputs, site) {
    const resolve = (w: EmbeddingLayer['vocab']): number => {
      const n = typeof w === 'number' ? w : site.width?.(w);
      if (n === undefined) throw new Error(`${site.where}: its vocabulary size is learned from the data, and nothing resolved it`);
      return n;
    };
    const addTable = (name: string, rows: number) => site.store.add(`${site.prefix}/${name}`, site.owner, site.store.glorot(`${site.prefix}/${name}`, rows, layer.dim), [rows, layer.dim]);
    const table = addTable('table', resolve(layer.vocab));
    const subwords = layer.subwords;
    const suffixTable = subwords && subwords.suffixLengths > 0 ? addTable('suffix_table', resolve(subwords.suffixVocab)) : null;
    const shapeTable = subwords?.shape ? addTable('shape_table', TOKEN_SHAPES.length + 1) : null;
    return ([input], call) => {
      const ids = tf.cast(input!, 'int32');
      let read = subwords ? tf.squeeze(idsAt(ids, 0, 1), [2]) : ids;
      if (call.training && layer.wordDropout > 0) {
        const dropped = tf.logicalAnd(tf.less(tf.randomUniform(read.shape, 0, 1, 'float32', call.dropoutSeed()), layer.wordDropout), tf.greater(read, 1));
        read = tf.where(dropped, tf.onesLike(read), read);
      }
      let vectors = tf.gather(table, read);
      if (subwords && suffixTable) vectors = tf.add(vectors, tf.sum(tf.gather(suffixTable, idsAt(ids, 1, subwords.suffixLengths)), 2));
      if (subwords && shapeTable) vectors = tf.add(vectors, tf.gather(shapeTable, tf.squeeze(idsAt(ids, 1 + subwords.suffixLengths, 1), [2])));
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
    // word, 2 suffixes, shape: position 1 (word 2, suffixes 3 and 0, shape 4) is table[2] + suffix_table[3] +
    // suffix_table[0] + shape_table[4] = (1, 0) + (0, 10) + (0.5, 0) + (0, 300) = (1.5, 310); position 2 (word 1,
    // suffixes 1 and 2, shape 1) is (0, 1) + (20, 0) + (30, 0) + (100, 0) = (150, 1); position 3 is padding
    {
      layer: { kind: 'embedding', dim: 2, vocab: 3, wordDropout: 0.5, subwords: { suffixLengths: 2, suffixVocab: 4, shape: true } },
      params: {
        table: [9, 9, 0, 1, 1, 0],
        suffix_table: [0.5, 0, 20, 0, 30, 0, 0, 10],
        shape_table: [7, 7, 100, 0, 0, 200, 0, 0, 0, 300, 0, 0, 0, 0],
      },
      inputs: [{ shape: [1, 3, 4], values: [2, 3, 0, 4, 1, 1, 2, 1, 0, 0, 0, 0] }],
      mask: { shape: [1, 3], values: [1, 1, 0] },
      output: { shape: [1, 3, 2], values: [1.5, 310, 150, 1, 0, 0] },
    },
  ],
};
