/**
 * positions: where each token is, added to its vector ([n, length, width] → the same), for layers that are otherwise
 * blind to order (self-attention). `learned`: a trained vector per position, a table [max length, width] starting at
 * zero (so the model starts from the tokens alone), of which a batch reads its first `length` rows. `sinusoidal`:
 * Vaswani et al.'s fixed encoding, PE(p, 2i) = sin(p / 10000^(2i/width)), PE(p, 2i+1) = cos(p / 10000^(2i/width)),
 * added to the input times √width (their §3.4: it keeps the embedding from being drowned by the encoding). Then
 * dropout while training (their §5.4). Padded positions (mask 0) stay zeros, as the embedding left them.
 */
import * as tf from '@tensorflow/tfjs';
import type { LayerPlan } from '../../../job/job.js';
import type { LayerRuntime } from './layer.js';
import { requireSequence } from './sequence.js';

type PositionsLayer = Extract<LayerPlan, { kind: 'positions' }>;

/** The sinusoidal encoding of positions 0 … length − 1, row-major [length, width]. */
export function sinusoids(length: number, width: number): Float32Array {
  const values = new Float32Array(length * width);
  for (let p = 0; p < length; p++) {
    for (let j = 0; j < width; j++) {
      const angle = p / 10000 ** ((2 * Math.floor(j / 2)) / width);
      values[p * width + j] = j % 2 === 0 ? Math.sin(angle) : Math.cos(angle);
    }
  }
  return values;
}

export const positions: LayerRuntime<PositionsLayer> = {
  runnable: true,
  outputShape(_layer, [input], where) {
    requireSequence(input!, where);
    return [...input!];
  },
  build(layer, [input], site) {
    const [maxLength, width] = input as [number, number];
    const learned = layer.encoding === 'learned'
      ? site.store.add(`${site.prefix}/table`, site.owner, new Float32Array(maxLength * width), [maxLength, width]) as tf.Variable<tf.Rank.R2>
      : null;
    // A constant made per call (a few kilobytes), so no tensor outlives the step's scope.
    const fixed = learned === null ? sinusoids(maxLength, width) : null;
    const scale = learned === null ? Math.sqrt(width) : 1;
    return ([x], call) => {
      const length = x!.shape[1]!;
      const encoding = learned !== null ? tf.slice(learned, [0, 0], [length, width]) : tf.tensor2d(fixed!.subarray(0, length * width), [length, width]);
      const encoded = tf.add(scale === 1 ? x! : tf.mul(x!, scale), encoding);
      const dropped = call.training && layer.dropout > 0 ? tf.dropout(encoded, layer.dropout, undefined, call.dropoutSeed()) : encoded;
      const mask = call.tokenMask?.() ?? null;
      return mask === null ? dropped : tf.mul(dropped, tf.expandDims(mask, 2));
    };
  },
  examples: [
    // learned: each position's row is added; the third position is padding, so it stays 0
    {
      layer: { kind: 'positions', encoding: 'learned', dropout: 0.5 },
      params: { table: [1, 2, 3, 4, 5, 6] },
      inputs: [{ shape: [1, 3, 2], values: [10, 20, 30, 40, 0, 0] }],
      mask: { shape: [1, 3], values: [1, 1, 0] },
      output: { shape: [1, 3, 2], values: [11, 22, 33, 44, 0, 0] },
    },
    // sinusoidal, width 2: x·√2 + [sin p, cos p] at p = 0, 1
    {
      layer: { kind: 'positions', encoding: 'sinusoidal', dropout: 0 },
      params: {},
      inputs: [{ shape: [1, 2, 2], values: [1, 0, 0, 1] }],
      output: { shape: [1, 2, 2], values: [Math.SQRT2, 1, Math.sin(1), Math.SQRT2 + Math.cos(1)] },
    },
  ],
};
