/**
 * Backbones: what each reads and makes, its layers in the job, and which of them `depth:` counts. `sequential` is the
 * one backbone made of other backbones: its parts are its positional arguments. Below them, `layerKinds`: what each
 * kind of layer in the job makes of what it reads.
 */
import type { LayerKind, LayerPlan, Width, Activation } from '../job/job.js';
import type { Args } from './args.js';
import { type Entry, type ValueKind, p, rate, sizes, width, layerCount, MAX_WIDTH, notNegative } from './signature.js';
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
    embed?(a: Args, ids: TokenIds): LayerPlan;
  }
>;

/** What an embedding of a token input reads: its vocabulary's width, and its suffix and shape ids when it has them. */
export interface TokenIds {
  vocab: Width;
  subwords?: NonNullable<Extract<LayerPlan, { kind: 'embedding' }>['subwords']>;
}

/** The embedding of a token input, `dim` wide. */
const embedTokens = (dim: number, wordDropout: number, ids: TokenIds): LayerPlan => ({
  kind: 'embedding', dim, vocab: ids.vocab, wordDropout, ...(ids.subwords ? { subwords: ids.subwords } : {}),
});

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
    doc: 'convolution blocks over an image: each a same-padded convolution, batch normalisation (batch statistics while training, moving ones after), the activation, max pooling, dropout', runs: true, form: 'layers',
    params: [
      p('filters', list(int), 'filters of each conv block', undefined, sizes), p('kernel', int, 'kernel size', '3', width),
      p('pool', int, 'max-pool size after each block', '2', width), p('activation', activation, 'activation', 'relu'),
      p('batch_norm', bool, 'batch normalisation after each convolution (its moving statistics are saved with the weights)', 'true'),
      p('dropout', number, 'dropout rate after each block while training', '0', rate),
      p('flatten', bool, 'flatten to a vector at the end (false keeps a feature map for dense heads)', 'true'),
    ],
    flow: (a) => ({ image: a.bool('flatten') ? 'vector' : 'image' }),
    layers: (a) => [
      ...a.numbers('filters').flatMap((filters): ExpandedLayer[] => {
        const activation = a.choice('activation', ACTIVATIONS);
        const normalised = a.bool('batch_norm');
        const block: LayerPlan[] = [
          { kind: 'conv2d', filters, kernel: a.number('kernel'), stride: 1, activation: normalised ? 'linear' : activation },
          ...(normalised ? [{ kind: 'batch_norm', momentum: 0.9, epsilon: 1e-5, activation } satisfies LayerPlan] : []),
          { kind: 'pool2d', op: 'max', size: a.number('pool') },
          ...(a.number('dropout') > 0 ? [{ kind: 'dropout', rate: a.number('dropout') } satisfies LayerPlan] : []),
        ];
        // `depth:` counts blocks: the end of each is visible.
        return block.map((layer, i) => ({ layer, visible: i === block.length - 1 }));
      }),
      ...(a.bool('flatten') ? [{ layer: { kind: 'flatten' }, visible: false } satisfies ExpandedLayer] : []),
    ],
  },
  transformer_encoder: {
    doc: 'token embedding + positions + transformer encoder layers: multi-head self-attention over the tokens (padding masked out of every key) and a ReLU feed-forward, each a residual with layer normalisation and dropout', runs: true, form: 'layers',
    params: [
      p('layers', int, 'encoder layers', '2', layerCount), p('dim', int, 'model width (the token embedding\'s too; a sequence input of another width is projected to it)', '64', width),
      p('heads', int, 'attention heads (each of width dim/heads)', '4', { ...width, divides: 'dim' }),
      p('ff', int, 'feed-forward width', '128', width), p('dropout', number, 'dropout rate on the sum of the embeddings and positions, and on each sub-layer\'s output before its residual sum', '0.1', rate),
      p('positions', oneOf('learned', 'sinusoidal'), 'position information: learned (a trained vector per position up to the tokens\' max_length, starting at zero) or sinusoidal (Vaswani et al.: the input times √dim plus sines and cosines)', 'learned'),
      p('window', int, 'attention span: 0 lets each token attend to every token; k only to those at most k positions away (local attention, a bias towards nearby words)', '0', { min: 0, max: MAX_WIDTH }),
      p('word_dropout', number, 'while training, the share of tokens read as the unknown token instead (word dropout: the model learns to tag words it has not seen from their context)', '0', rate),
      p('norm', oneOf('pre', 'post'), 'layer normalisation before each sub-layer, with one more after the last layer (pre), or after each residual sum as in Vaswani et al. (post)', 'pre'),
    ],
    flow: () => ({ ids: 'sequence', sequence: 'sequence' }),
    embed: (a, ids) => embedTokens(a.number('dim'), a.number('word_dropout'), ids),
    layers: (a) => {
      const count = a.number('layers');
      const norm = a.choice('norm', ['pre', 'post']);
      return [
        // Positions are part of the input, not a layer `depth:` counts.
        { layer: { kind: 'positions', encoding: a.choice('positions', ['learned', 'sinusoidal']), dropout: a.number('dropout') }, visible: false },
        ...Array.from({ length: count }, (_, i): ExpandedLayer => ({
          layer: { kind: 'transformer', dim: a.number('dim'), heads: a.number('heads'), ff: a.number('ff'), dropout: a.number('dropout'), window: a.number('window'), norm, finalNorm: norm === 'pre' && i === count - 1 },
          visible: true,
        })),
      ];
    },
  },
  lstm: {
    doc: 'token embedding + LSTM layers (gates fused; padding masked)', runs: true, form: 'layers',
    params: [
      p('units', int, 'hidden units', '64', width), p('layers', int, 'stacked layers', '1', layerCount), p('bidirectional', bool, 'read both ways', 'false'),
      p('embed_dim', int, 'token embedding size (ids input)', '64', width), p('word_dropout', number, 'while training, the share of tokens read as the unknown token instead (word dropout: the model learns to tag words it has not seen from their context)', '0', rate),
    ],
    flow: () => ({ ids: 'sequence', sequence: 'sequence' }),
    embed: (a, ids) => embedTokens(a.number('embed_dim'), a.number('word_dropout'), ids),
    layers: (a) => repeat(a.number('layers'), () => ({ layer: { kind: 'lstm', units: a.number('units'), bidirectional: a.bool('bidirectional') }, visible: true })),
  },
  pool: {
    doc: 'a sequence pooled to one vector over its tokens (padding left out): their mean, their max, or the first', runs: true, form: 'layers',
    params: [p('op', oneOf('mean', 'max', 'first'), 'pooling', 'mean')],
    flow: () => ({ sequence: 'vector' }),
    layers: (a) => [{ layer: { kind: 'sequence_pool', op: a.choice('op', ['mean', 'max', 'first']) }, visible: true }],
  },
  sequential: {
    doc: 'backbones applied one after another', runs: true, form: 'parts', params: [],
    rest: { name: 'parts', type: union(ref('backbone'), ctor('backbone')), doc: 'the parts, in order' },
  },
  point: {
    doc: 'a learned point: every row gets the same vector, whatever its input (for optimisation benchmarks, with `objective` heads)', runs: true, form: 'layers',
    params: [p('init', list(number), 'the starting point', undefined, { minItems: 1 })],
    flow: () => ({ vector: 'vector' }),
    layers: (a) => [{ layer: { kind: 'point', init: a.numbers('init') }, visible: true }],
  },
  moe: {
    doc: 'a sparse mixture of experts over vectors (Shazeer et al. 2017; capacity and balance loss as in Fedus et al. 2021): a softmax router sends each row to its top_k experts, whose outputs are summed weighted by the router probabilities renormalised over the k; in training each expert takes at most ceil(capacity · top_k · batch / experts) rows of a batch, in row order, and drops the rest (a row every expert dropped gives zeros; nothing is dropped outside training); the load-balancing loss balance · experts · Σ_e f_e · P_e (f_e the share of assignments routed to e, P_e its mean router probability) is split equally among the tasks that read the layer and added to their training losses', runs: true, form: 'layers',
    params: [
      p('expert', ctor('backbone'), 'the expert network, written in place: dense layers (`mlp(...)`)'),
      p('experts', int, 'number of experts', '8', { min: 1, max: 256 }),
      p('top_k', int, 'experts each row goes through (at most `experts`)', '2', { min: 1, max: 256 }),
      p('capacity', number, 'capacity factor: in training each expert takes at most ceil(capacity · top_k · batch / experts) rows of a batch', '1.25', { min: 0, minExclusive: true }),
      p('balance', number, 'weight of the load-balancing loss', '0.01', notNegative),
    ],
    flow: () => ({ vector: 'vector' }),
    layers: (a) => [{
      layer: {
        kind: 'moe', experts: a.number('experts'), topK: a.number('top_k'), capacity: a.number('capacity'), balance: a.number('balance'),
        // Rule moe-experts refuses an expert of other layers before lowering.
        expert: a.backboneLayers('expert').filter((l): l is Extract<LayerPlan, { kind: 'dense' }> => l.kind === 'dense'),
      },
      visible: true,
    }],
  },
  identity: {
    doc: 'no layers: heads read the features directly (a linear baseline)', runs: true, form: 'layers', params: [],
    flow: () => ({ vector: 'vector', ids: 'ids', sequence: 'sequence', image: 'image' }),
    layers: () => [],
  },
} satisfies Record<string, BackboneEntry>;

/**
 * Each kind of layer a job's module can hold, by `LayerPlan` kind: the value kind after it (the IR builder follows
 * kinds through a chain of layers) and its per-row output shape from its input's (the infer-shapes pass). A backbone
 * made of a new kind of layer adds the kind to `LayerPlanSchema` in job/job.ts and its entry here; the `satisfies`
 * refuses a kind without one.
 */
export interface LayerKindEntry<K extends LayerKind = LayerKind> {
  kindAfter(layer: Extract<LayerPlan, { kind: K }>, input: ValueKind): ValueKind;
  /** Widths may stay symbolic (a vocabulary, a sum); the batch axis is not in them. */
  shape(layer: Extract<LayerPlan, { kind: K }>, input: Width[]): Width[];
}

const allButLast = (shape: Width[]) => shape.slice(0, -1);

export const layerKinds = {
  dense: { kindAfter: (_, input) => input, shape: (l, input) => [...allButLast(input), l.units] },
  // With subwords a token's ids are one axis more ([length, ids per token]), summed to one vector.
  embedding: { kindAfter: () => 'sequence', shape: (l, input) => [...(l.subwords ? allButLast(input) : input), l.dim] },
  conv2d: { kindAfter: (_, input) => input, shape: (l, input) => [...allButLast(input), l.filters] },
  pool: {
    kindAfter: (l, input) => (l.size === 0 ? 'vector' : input),
    shape: (l, input) => (l.size === 0
      ? input.slice(-1)
      : [...allButLast(input).map((w) => (typeof w === 'number' ? Math.floor(w / l.size) : w)), ...input.slice(-1)]),
  },
  sequence_pool: { kindAfter: () => 'vector', shape: (_, input) => input.slice(-1) },
  flatten: { kindAfter: () => 'vector', shape: (_, input) => [flatWidth(input)] },
  lstm: { kindAfter: () => 'sequence', shape: (l, input) => [...allButLast(input), l.bidirectional ? 2 * l.units : l.units] },
  positions: { kindAfter: () => 'sequence', shape: (_, input) => input },
  transformer: { kindAfter: () => 'sequence', shape: (l, input) => [...allButLast(input), l.dim] },
  /** Made by the mixture layout (stdlib/sharing.ts), not by a backbone: it mixes its experts' outputs. */
  mixture: { kindAfter: (_, input) => input, shape: (_, input) => input },
  point: { kindAfter: () => 'vector', shape: (l, input) => [...allButLast(input), l.init.length] },
  pool2d: { kindAfter: (_, input) => input, shape: (l, input) => [...allButLast(input).map((w) => (typeof w === 'number' ? Math.floor(w / l.size) : w)), ...input.slice(-1)] },
  batch_norm: { kindAfter: (_, input) => input, shape: (_, input) => input },
  dropout: { kindAfter: (_, input) => input, shape: (_, input) => input },
  moe: { kindAfter: (_, input) => input, shape: (l, input) => (l.expert.length === 0 ? input : [...allButLast(input), l.expert[l.expert.length - 1]!.units]) },
} satisfies { [K in LayerKind]: LayerKindEntry<K> };

const entryOf = (layer: LayerPlan) => layerKinds[layer.kind] as unknown as LayerKindEntry;

/** The value kind after a layer. */
export const kindAfterLayer = (layer: LayerPlan, input: ValueKind): ValueKind => entryOf(layer).kindAfter(layer, input);

/** A layer's per-row output shape, from its input's. */
export const layerShape = (layer: LayerPlan, input: Width[]): Width[] => entryOf(layer).shape(layer, input);

/**
 * The width of a flattened shape. A `Width` has sums but no products, so a shape with a symbolic width flattens only
 * when the other widths multiply to 1; no backbone flattens such a shape (`cnn` reads images, whose shapes are
 * numbers), so anything else is a compiler bug, not a program error.
 */
export function flatWidth(shape: Width[]): Width {
  const symbolic = shape.filter((w) => typeof w !== 'number');
  const known = (shape.filter((w) => typeof w === 'number') as number[]).reduce((a, b) => a * b, 1);
  if (symbolic.length === 0) return known;
  if (symbolic.length === 1 && known === 1) return symbolic[0]!;
  throw new Error(`internal error: cannot flatten shape ${JSON.stringify(shape)}: a width has no product of a symbolic width by another width`);
}
