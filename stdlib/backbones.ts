/**
 * Backbones: what each reads and makes, its layers in the job, and which of them `depth:` counts. `sequential` is the
 * one backbone made of other backbones: its parts are its positional arguments.
 */
import type { LayerPlan, Width, Activation } from '../job/job.js';
import type { Args } from './args.js';
import { type Entry, type ValueKind, p, atLeastOne, rate, sizes } from './signature.js';
import { number, int, bool, list, oneOf, union, ref, ctor } from './types.js';

export interface ExpandedLayer {
  layer: LayerPlan;
  /** Whether `depth:` counts it: the end of each block a user sees (an mlp layer, a conv block after its pooling). */
  visible: boolean;
}

export type BackboneEntry = Entry<
  | { form: 'parts' }
  | {
    form: 'layers';
    /** The value kinds it reads, and what each becomes. */
    flow(a: Args): Partial<Record<ValueKind, ValueKind>>;
    layers(a: Args): ExpandedLayer[];
    /** Reading token ids, the embedding put before its layers (invisible to `depth:`), sized by the vocabulary. */
    embed?(a: Args, vocab: Width): LayerPlan;
  }
>;

const ACTIVATIONS = ['relu', 'tanh', 'sigmoid', 'gelu', 'linear'] as const satisfies readonly Activation[];
const activation = oneOf(...ACTIVATIONS);
const repeat = <T>(times: number, make: () => T): T[] => Array.from({ length: times }, make);

export const backbones = {
  mlp: {
    doc: 'dense layers; on a sequence, applied to each position', runs: true, form: 'layers',
    params: [
      p('units', list(int), 'units of each layer', undefined, { ...sizes, help: 'for no layers at all use `identity()`' }), p('activation', activation, 'activation after each layer', 'relu'),
      p('dropout', number, 'dropout rate after each layer while training', '0', rate),
    ],
    flow: () => ({ vector: 'vector', sequence: 'sequence' }),
    layers: (a) => a.numbers('units').map((units) => ({ layer: { kind: 'dense', units, activation: a.choice('activation', ACTIVATIONS), dropout: a.number('dropout') }, visible: true })),
  },
  cnn: {
    doc: 'convolution + pooling blocks over an image', runs: false, notRun: 'the runtime has no convolution or pooling layers yet', form: 'layers',
    params: [
      p('filters', list(int), 'filters of each conv block', undefined, sizes), p('kernel', int, 'kernel size', '3', atLeastOne),
      p('pool', int, 'max-pool size after each block', '2', atLeastOne), p('activation', activation, 'activation', 'relu'),
      p('flatten', bool, 'flatten to a vector at the end (false keeps a feature map for dense heads)', 'true'),
    ],
    flow: (a) => ({ image: a.bool('flatten') ? 'vector' : 'image' }),
    layers: (a) => [
      ...a.numbers('filters').flatMap((filters): ExpandedLayer[] => [
        { layer: { kind: 'conv2d', filters, kernel: a.number('kernel'), stride: 1, activation: a.choice('activation', ACTIVATIONS) }, visible: false },
        { layer: { kind: 'pool', op: 'max', size: a.number('pool') }, visible: true },
      ]),
      ...(a.bool('flatten') ? [{ layer: { kind: 'flatten' }, visible: false } satisfies ExpandedLayer] : []),
    ],
  },
  transformer_encoder: {
    doc: 'token embedding + transformer encoder layers', runs: false, notRun: 'the runtime has no transformer layer yet', form: 'layers',
    params: [
      p('layers', int, 'encoder layers', '2', atLeastOne), p('dim', int, 'model width', '64', atLeastOne), p('heads', int, 'attention heads', '4', atLeastOne),
      p('ff', int, 'feed-forward width', '128', atLeastOne), p('dropout', number, 'dropout rate', '0.1', rate),
    ],
    flow: () => ({ ids: 'sequence', sequence: 'sequence' }),
    embed: (a, vocab) => ({ kind: 'embedding', dim: a.number('dim'), vocab }),
    layers: (a) => repeat(a.number('layers'), () => ({ layer: { kind: 'transformer', dim: a.number('dim'), heads: a.number('heads'), ff: a.number('ff'), dropout: a.number('dropout') }, visible: true })),
  },
  lstm: {
    doc: 'token embedding + LSTM layers', runs: false, notRun: 'the runtime has no LSTM layer yet', form: 'layers',
    params: [
      p('units', int, 'hidden units', '64', atLeastOne), p('layers', int, 'stacked layers', '1', atLeastOne), p('bidirectional', bool, 'read both ways', 'false'),
      p('embed_dim', int, 'token embedding size (ids input)', '64', atLeastOne),
    ],
    flow: () => ({ ids: 'sequence', sequence: 'sequence' }),
    embed: (a, vocab) => ({ kind: 'embedding', dim: a.number('embed_dim'), vocab }),
    layers: (a) => repeat(a.number('layers'), () => ({ layer: { kind: 'lstm', units: a.number('units'), bidirectional: a.bool('bidirectional') }, visible: true })),
  },
  pool: {
    doc: 'a sequence pooled to one vector', runs: false, notRun: 'the runtime has no pooling layer yet', form: 'layers',
    params: [p('op', oneOf('mean', 'max'), 'pooling', 'mean')],
    flow: () => ({ sequence: 'vector' }),
    layers: (a) => [{ layer: { kind: 'pool', op: a.choice('op', ['mean', 'max']), size: 0 }, visible: true }],
  },
  sequential: {
    doc: 'backbones applied one after another', runs: true, form: 'parts', params: [],
    rest: { name: 'parts', type: union(ref('backbone'), ctor('backbone')), doc: 'the parts, in order' },
  },
  identity: {
    doc: 'no layers: heads read the features directly (a linear baseline)', runs: true, form: 'layers', params: [],
    flow: () => ({ vector: 'vector', ids: 'ids', sequence: 'sequence', image: 'image' }),
    layers: () => [],
  },
} satisfies Record<string, BackboneEntry>;
