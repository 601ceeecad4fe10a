/** Feature transforms: which column types each encodes, what it produces, and its plan and per-row shape in the job. */
import type { ColumnType, TransformKind, TransformPlan, Width } from '../job/job.js';
import type { Args } from './args.js';
import { type Entry, type Rest, type ValueKind, type Limits, p, atLeastOne, positive, sizes, width, valueCount } from './signature.js';
import { TOKEN_SHAPES } from '../job/names.js';
import { number, int, bool, column, list, oneOf } from './types.js';

export type TransformEntry<K extends TransformKind = TransformKind> = Entry<{
  rest: Rest;
  /** The column types it encodes. */
  accepts: ColumnType[];
  produces: ValueKind;
  /**
   * Its feature has one width in every dataset, fixed by the program (no vocabulary learned from the data): tasks of
   * several datasets whose features are such transforms of the same columns can feed one shared layer
   * (rule one-share-per-task).
   */
  widthWithoutData: boolean;
  /**
   * Its plan, and the per-row shape of the feature it makes (`feature`: the feature's id, which names its vocabulary;
   * a transform that produces `ids` indexes that vocabulary, which sizes a sequence model's embedding).
   */
  lower(a: Args, feature: string): { plan: Extract<TransformPlan, { kind: K }>; shape: Width[] };
}>;

const columns = (doc: string): Rest => ({ name: 'columns', type: column, doc });
const NUMERIC: ColumnType[] = ['float', 'int'];
/** Suffixes of 1 to 8 characters: longer ones are nearly whole words, which the word vocabulary has. */
const suffixLengths: Limits = { min: 0, max: 8 };

export const transforms = {
  standardize: {
    doc: 'numeric columns to zero mean, unit variance', params: [], rest: columns('numeric columns'), accepts: NUMERIC, produces: 'vector', widthWithoutData: true, runs: true,
    lower: () => ({ plan: { kind: 'standardize' }, shape: [1] }),
  },
  normalize: {
    doc: 'numeric columns scaled to [0, 1] by their min and max', params: [], rest: columns('numeric columns'), accepts: NUMERIC, produces: 'vector', widthWithoutData: true, runs: true,
    lower: () => ({ plan: { kind: 'normalize' }, shape: [1] }),
  },
  raw: {
    doc: 'numeric columns as they are', params: [], rest: columns('numeric columns'), accepts: ['float', 'int', 'bool'], produces: 'vector', widthWithoutData: true, runs: true,
    lower: () => ({ plan: { kind: 'raw' }, shape: [1] }),
  },
  onehot: {
    doc: 'categorical columns one-hot encoded; unseen values encode as zeros', rest: columns('categorical columns'),
    params: [p('max_vocab', int, 'keep at most this many most frequent values', '1000', valueCount), p('min_count', int, 'drop values seen fewer times', '1', atLeastOne)],
    accepts: ['string', 'int', 'bool'], produces: 'vector', widthWithoutData: false, runs: true,
    lower: (a, feature) => ({ plan: { kind: 'onehot', maxVocab: a.number('max_vocab'), minCount: a.number('min_count') }, shape: [{ vocab: feature }] }),
  },
  embedding: {
    doc: 'categorical columns as learned embeddings', rest: columns('categorical columns'),
    params: [p('dim', int, 'embedding size', '16', width), p('max_vocab', int, 'vocabulary cap', '10000', valueCount), p('min_count', int, 'drop rarer values', '1', atLeastOne)],
    accepts: ['string', 'int'], produces: 'vector', widthWithoutData: false, runs: false, notRun: 'the runtime cannot feed learned embeddings to a model yet',
    lower: (a) => ({ plan: { kind: 'embedding', dim: a.number('dim'), maxVocab: a.number('max_vocab'), minCount: a.number('min_count') }, shape: [a.number('dim')] }),
  },
  tokens: {
    doc: 'token-list columns as id sequences (vocabulary from the training split, with <pad> = 0 and <unk> = 1), each batch padded to its longest sequence; with `suffixes` or `shape`, a sequence model embeds each token as the sum of its word\'s, its suffixes\' and its shape\'s embeddings', rest: columns('list<string> columns'),
    params: [
      p('max_length', int, 'cut longer sequences to this length', '64', width), p('max_vocab', int, 'vocabulary cap (the suffix vocabulary\'s too)', '20000', valueCount),
      p('min_count', int, 'drop rarer tokens (and rarer suffixes)', '1', atLeastOne), p('lowercase', bool, 'lowercase tokens first', 'false'),
      p('suffixes', int, 'also give each token the ids of its last 1, 2, … n characters, lowercased, in a suffix vocabulary learned from the training split like the words\' (max_vocab and min_count apply; a token shorter than a suffix has none of that length)', '0', suffixLengths),
      p('shape', bool, `also give each token the id of its shape, taken before lowercasing: the first of ${TOKEN_SHAPES.join(', ')} that applies (a digit; no letter; no capital; a capital first and none after; no lowercase letter; anything else)`, 'false'),
    ],
    accepts: ['list<string>'], produces: 'ids', widthWithoutData: false, runs: true,
    lower: (a) => {
      const subwordIds = a.number('suffixes') + (a.bool('shape') ? 1 : 0);
      return {
        plan: {
          kind: 'tokens', maxLength: a.number('max_length'), maxVocab: a.number('max_vocab'), minCount: a.number('min_count'), lowercase: a.bool('lowercase'),
          suffixes: a.number('suffixes'), shape: a.bool('shape'),
        },
        shape: subwordIds > 0 ? [a.number('max_length'), 1 + subwordIds] : [a.number('max_length')],
      };
    },
  },
  image: {
    doc: 'a flat list<float> column (a fixed-size list of floats or bytes, row-major, channels last) as an image', rest: columns('list<float> columns'),
    params: [
      p('shape', list(int), 'height, width, channels', undefined, sizes), p('scale', number, 'multiply pixels by this first', '1'),
      p('mean', number, 'then subtract this', '0'), p('std', number, 'then divide by this', '1', positive),
      p('normalize', oneOf('per_channel', 'none'), 'per_channel: then standardize each channel by its mean and standard deviation over the training split', 'per_channel'),
    ],
    accepts: ['list<float>'], produces: 'image', widthWithoutData: true, runs: true,
    lower: (a) => ({
      plan: { kind: 'image', shape: a.numbers('shape'), scale: a.number('scale'), mean: a.number('mean'), std: a.number('std'), normalize: a.choice('normalize', ['per_channel', 'none']) },
      shape: a.numbers('shape'),
    }),
  },
} satisfies { [K in TransformKind]: TransformEntry<K> };
