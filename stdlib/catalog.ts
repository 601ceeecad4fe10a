/**
 * The standard library: every constructor a program can call, and the fields of every declaration kind,
 * with their types, defaults and one-line docs. `mtl stdlib` prints this catalog; the checker reads
 * programs against it; `mtl render` writes every default out from it.
 * Defaults are written as `.mtl` source text, elaborated like anything the user writes.
 */
import {
  type Type, type Category, number, int, string, bool, column, expr, list, record, ref, ctor, oneOf, union, optional,
} from './types.js';
import type { DeclarationKind } from '../compiler/syntax/ast.js';

export interface Param {
  name: string;
  type: Type;
  /** `.mtl` source of the default; absent and not optional means required. */
  default?: string;
  doc: string;
}

/** What a backbone consumes and produces: token ids, a sequence of vectors, a vector, or an image. */
export type ValueKind = 'vector' | 'ids' | 'sequence' | 'image';

export interface Constructor {
  name: string;
  category: Category;
  doc: string;
  params: Param[];
  /** Positional arguments beyond `params` go here (transforms take their columns this way). */
  rest?: { name: string; type: Type; doc: string };
  /** Backbones: the value kinds accepted and what each becomes. */
  io?: Partial<Record<ValueKind, ValueKind>>;
  /** Transforms: the column types accepted and the value kind produced. */
  columns?: { accepts: string[]; produces: ValueKind };
  /** Whether the runtime executes it today (the checker accepts it either way). */
  runs?: boolean;
}

const activation = oneOf('relu', 'tanh', 'sigmoid', 'gelu', 'linear');
const metricNames = ['auc', 'accuracy', 'macro_f1', 'logloss', 'mse', 'mae'];
const lr = union(number, ctor('schedule'));
const backbone = union(ref('backbone'), ctor('backbone'));

const C = (c: Constructor): Constructor => c;
const p = (name: string, type: Type, doc: string, dflt?: string): Param => (dflt === undefined ? { name, type, doc } : { name, type, doc, default: dflt });

const columnsRest = (doc: string) => ({ name: 'columns', type: column, doc });

export const constructors: Constructor[] = [
  // ---- column types (dataset `columns:`)
  ...['float', 'int', 'string', 'bool'].map((name) => C({ name, category: 'column_type', doc: `a column of ${name} values`, params: [] })),
  C({ name: 'list', category: 'column_type', doc: 'a column of lists (token sequences, images, multi-labels)', params: [p('of', oneOf('float', 'int', 'string', 'bool'), 'the item type')] }),

  // ---- splits
  C({ name: 'ratio', category: 'split', doc: 'split rows at random by ratio, reproducibly for a seed', params: [
    p('train', number, 'share of rows for training', '0.8'), p('valid', number, 'share for validation (model selection)', '0.1'),
    p('test', number, 'share held out for `mtl eval --split test`', '0.1'), p('seed', int, 'seed of the row assignment', '0')] }),
  C({ name: 'by_column', category: 'split', doc: 'split rows by the value of a string column', params: [
    p('column', column, 'the column holding split names'), p('train', string, 'value marking training rows', '"train"'),
    p('valid', string, 'value marking validation rows', '"valid"'), p('test', string, 'value marking test rows', '"test"')] }),

  // ---- feature transforms (vocabularies and statistics come from the training split)
  C({ name: 'standardize', category: 'transform', doc: 'numeric columns to zero mean, unit variance', params: [], rest: columnsRest('numeric columns'), columns: { accepts: ['float', 'int'], produces: 'vector' } }),
  C({ name: 'normalize', category: 'transform', doc: 'numeric columns scaled to [0, 1] by their min and max', params: [], rest: columnsRest('numeric columns'), columns: { accepts: ['float', 'int'], produces: 'vector' } }),
  C({ name: 'raw', category: 'transform', doc: 'numeric columns as they are', params: [], rest: columnsRest('numeric columns'), columns: { accepts: ['float', 'int', 'bool'], produces: 'vector' } }),
  C({ name: 'onehot', category: 'transform', doc: 'categorical columns one-hot encoded; unseen values encode as zeros', params: [
    p('max_vocab', int, 'keep at most this many most frequent values', '1000'), p('min_count', int, 'drop values seen fewer times', '1')],
  rest: columnsRest('categorical columns'), columns: { accepts: ['string', 'int', 'bool'], produces: 'vector' } }),
  C({ name: 'embedding', category: 'transform', doc: 'categorical columns as learned embeddings', params: [
    p('dim', int, 'embedding size', '16'), p('max_vocab', int, 'vocabulary cap', '10000'), p('min_count', int, 'drop rarer values', '1')],
  rest: columnsRest('categorical columns'), columns: { accepts: ['string', 'int'], produces: 'vector' }, runs: false }),
  C({ name: 'tokens', category: 'transform', doc: 'token-list columns as padded id sequences', params: [
    p('max_length', int, 'pad or cut sequences to this length', '64'), p('max_vocab', int, 'vocabulary cap', '20000'),
    p('min_count', int, 'drop rarer tokens', '1'), p('lowercase', bool, 'lowercase tokens first', 'false')],
  rest: columnsRest('list<string> columns'), columns: { accepts: ['list<string>'], produces: 'ids' } }),
  C({ name: 'image', category: 'transform', doc: 'a flat list<float> column as an image', params: [
    p('shape', list(int), 'height, width, channels'), p('scale', number, 'multiply pixels by this first', '1'),
    p('mean', number, 'then subtract this', '0'), p('std', number, 'then divide by this', '1')],
  rest: columnsRest('list<float> columns'), columns: { accepts: ['list<float>'], produces: 'image' } }),

  // ---- backbones
  C({ name: 'mlp', category: 'backbone', doc: 'dense layers; on a sequence, applied to each position', params: [
    p('units', list(int), 'units of each layer'), p('activation', activation, 'activation after each layer', 'relu'),
    p('dropout', number, 'dropout rate after each layer while training', '0')], io: { vector: 'vector', sequence: 'sequence' } }),
  C({ name: 'cnn', category: 'backbone', doc: 'convolution + pooling blocks over an image', params: [
    p('filters', list(int), 'filters of each conv block'), p('kernel', int, 'kernel size', '3'), p('pool', int, 'max-pool size after each block', '2'),
    p('activation', activation, 'activation', 'relu'), p('flatten', bool, 'flatten to a vector at the end (false keeps a feature map for dense heads)', 'true')],
  io: { image: 'vector' }, runs: false }),
  C({ name: 'transformer_encoder', category: 'backbone', doc: 'token embedding + transformer encoder layers', params: [
    p('layers', int, 'encoder layers', '2'), p('dim', int, 'model width', '64'), p('heads', int, 'attention heads', '4'),
    p('ff', int, 'feed-forward width', '128'), p('dropout', number, 'dropout rate', '0.1')], io: { ids: 'sequence', sequence: 'sequence' }, runs: false }),
  C({ name: 'lstm', category: 'backbone', doc: 'token embedding + LSTM layers', params: [
    p('units', int, 'hidden units', '64'), p('layers', int, 'stacked layers', '1'), p('bidirectional', bool, 'read both ways', 'false'),
    p('embed_dim', int, 'token embedding size (ids input)', '64')], io: { ids: 'sequence', sequence: 'sequence' }, runs: false }),
  C({ name: 'pool', category: 'backbone', doc: 'a sequence pooled to one vector', params: [p('op', oneOf('mean', 'max'), 'pooling', 'mean')], io: { sequence: 'vector' }, runs: false }),
  C({ name: 'sequential', category: 'backbone', doc: 'backbones applied one after another', params: [], rest: { name: 'parts', type: backbone, doc: 'the parts, in order' } }),
  C({ name: 'identity', category: 'backbone', doc: 'no layers: heads read the features directly (a linear baseline)', params: [], io: { vector: 'vector', ids: 'ids', sequence: 'sequence', image: 'image' } }),

  // ---- sharing schemes (`share NAME = scheme(...)`)
  C({ name: 'hard', category: 'sharing', doc: 'one backbone, its parameters shared by all the tasks', params: [p('backbone', backbone, 'the shared backbone'), p('tasks', list(ref('task')), 'the tasks that share it')] }),
  C({ name: 'cross_stitch', category: 'sharing', doc: 'one copy of the backbone per task, mixed by learned cross-stitch units (Misra et al. 2016)', params: [
    p('backbone', backbone, 'the backbone each task gets a copy of'), p('tasks', list(ref('task')), 'the tasks'),
    p('after', list(int), 'layer indices followed by a cross-stitch unit (empty: after every layer)', '[]'), p('init', number, 'initial weight of a task on its own column', '0.9')] }),
  C({ name: 'adapters', category: 'sharing', doc: 'a shared backbone with small per-task adapter layers inserted after each layer (Houlsby et al. 2019)', params: [
    p('backbone', backbone, 'the shared backbone'), p('tasks', list(ref('task')), 'the tasks'), p('size', int, 'adapter bottleneck width', '16')] }),
  C({ name: 'soft', category: 'sharing', doc: 'one backbone per task, tied by an L2 penalty between their parameters (Duong et al. 2015)', params: [
    p('backbone', backbone, 'the backbone each task gets a copy of'), p('tasks', list(ref('task')), 'the tasks'), p('l2', number, 'strength of the tie', '0.001')] }),
  C({ name: 'mmoe', category: 'sharing', doc: 'multi-gate mixture of experts: shared experts, one softmax gate per task (Ma et al. 2018)', params: [
    p('expert', backbone, 'the expert network'), p('experts', int, 'number of experts', '4'), p('tasks', list(ref('task')), 'the tasks')] }),

  // ---- heads, losses, metrics
  C({ name: 'binary', category: 'head', doc: 'one sigmoid unit; target true/false or 0/1', params: [] }),
  C({ name: 'multiclass', category: 'head', doc: 'softmax over classes; target an integer class id or a string class name', params: [p('classes', optional(int), 'number of classes (default: the distinct target values in the training split)')] }),
  C({ name: 'multilabel', category: 'head', doc: 'independent sigmoid units; target a list of 0/1', params: [p('labels', int, 'number of labels')] }),
  C({ name: 'regression', category: 'head', doc: 'one linear unit; target a number', params: [] }),
  C({ name: 'tagging', category: 'head', doc: 'a class per token; target a list aligned with a token sequence', params: [p('classes', optional(int), 'number of tags (default: from the training split)')] }),
  C({ name: 'span', category: 'head', doc: 'start and end positions of an answer span in a token sequence', params: [], runs: false }),
  C({ name: 'dense', category: 'head', doc: 'a class per pixel of a feature map', params: [p('classes', int, 'number of classes')], runs: false }),
  ...[['bce', 'binary cross-entropy'], ['ce', 'softmax cross-entropy'], ['mse', 'mean squared error'], ['mae', 'mean absolute error'], ['huber', 'Huber loss (delta 1)']]
    .map(([name, doc]) => C({ name: name!, category: 'loss', doc: doc!, params: [] })),
  ...[['auc', 'ROC-AUC (exact)'], ['accuracy', 'accuracy'], ['macro_f1', 'F1 averaged over classes'], ['logloss', 'log-loss'], ['mse', 'mean squared error'], ['mae', 'mean absolute error']]
    .map(([name, doc]) => C({ name: name!, category: 'metric', doc: doc!, params: [] })),

  // ---- optimizers and learning-rate schedules
  C({ name: 'adam', category: 'optimizer', doc: 'Adam', params: [p('lr', lr, 'learning rate or schedule', '0.001'), p('beta1', number, 'first-moment decay', '0.9'),
    p('beta2', number, 'second-moment decay', '0.999'), p('epsilon', number, 'numerical floor', '1e-7'), p('weight_decay', number, 'L2 penalty on weights', '0')] }),
  C({ name: 'sgd', category: 'optimizer', doc: 'stochastic gradient descent', params: [p('lr', lr, 'learning rate or schedule', '0.01'), p('momentum', number, 'momentum', '0'), p('weight_decay', number, 'L2 penalty on weights', '0')] }),
  C({ name: 'constant', category: 'schedule', doc: 'a fixed learning rate', params: [p('lr', number, 'the rate')] }),
  C({ name: 'step_decay', category: 'schedule', doc: 'multiply the rate by `gamma` every `every` steps', params: [p('lr', number, 'initial rate'), p('every', int, 'steps between decays'), p('gamma', number, 'decay factor', '0.1')] }),
  C({ name: 'cosine', category: 'schedule', doc: 'linear warmup, then cosine decay to `min` over the run', params: [p('lr', number, 'peak rate'), p('warmup', int, 'warmup steps', '0'), p('min', number, 'final rate', '0')] }),
  C({ name: 'linear', category: 'schedule', doc: 'linear warmup, then linear decay to `end` over the run', params: [p('lr', number, 'peak rate'), p('warmup', int, 'warmup steps', '0'), p('end', number, 'final rate', '0')] }),

  // ---- task sampling
  C({ name: 'uniform', category: 'sampling', doc: 'every task equally often', params: [] }),
  C({ name: 'proportional', category: 'sampling', doc: 'tasks in proportion to their training rows', params: [] }),
  C({ name: 'temperature', category: 'sampling', doc: 'p ∝ rows^(1/t), each p capped at `cap` then renormalized', params: [p('t', number, 'temperature (1: proportional, large: uniform)', '2'), p('cap', optional(number), 'largest probability of one task')] }),
  C({ name: 'explicit', category: 'sampling', doc: 'given probabilities per task (must sum to 1)', params: [p('probs', record(number, 'task'), 'probability of each task')] }),
  C({ name: 'scheduled', category: 'sampling', doc: 'a sampling strategy per phase of training', params: [p('phases', list(ctor('phase')), 'the phases, in order')] }),
  C({ name: 'phase', category: 'phase', doc: 'a phase of a sampling schedule', params: [p('until', optional(int), 'last step of the phase (none: to the end)'), p('sampling', ctor('sampling'), 'the strategy in this phase')] }),

  // ---- loss weighting and gradient aggregation
  C({ name: 'equal', category: 'weighting', doc: 'every task loss weighs 1', params: [] }),
  C({ name: 'static', category: 'weighting', doc: 'each task loss weighs its task\'s `weight`', params: [] }),
  C({ name: 'uncertainty', category: 'weighting', doc: 'learned homoscedastic-uncertainty weights (Kendall et al. 2018)', params: [] }),
  C({ name: 'dwa', category: 'weighting', doc: 'dynamic weight average (Liu et al. 2019)', params: [p('t', number, 'temperature', '2')] }),
  C({ name: 'gradnorm', category: 'weighting', doc: 'GradNorm (Chen et al. 2018): weights that balance gradient norms on the shared layers', params: [p('alpha', number, 'restoring force', '1.5')], runs: false }),
  C({ name: 'sum', category: 'aggregation', doc: 'sum the weighted task losses, one backward pass', params: [] }),
  C({ name: 'pcgrad', category: 'aggregation', doc: 'project conflicting per-task gradients of shared parameters (Yu et al. 2020)', params: [], runs: false }),
  C({ name: 'cagrad', category: 'aggregation', doc: 'conflict-averse gradient descent (Liu et al. 2021)', params: [p('c', number, 'conflict radius', '0.5')], runs: false }),
  C({ name: 'mgda', category: 'aggregation', doc: 'multiple-gradient descent, min-norm point (Sener & Koltun 2018)', params: [], runs: false }),

  // ---- stages and model selection
  C({ name: 'stage', category: 'stage', doc: 'a curriculum stage: which tasks train, what is frozen, for how long', params: [
    p('tasks', list(ref('task')), 'tasks trained in this stage'), p('freeze', list(union(ref('backbone'), ref('share'))), 'backbones or shares whose parameters stay fixed', '[]'),
    p('epochs', optional(int), 'length in epochs'), p('steps', optional(int), 'length in steps')] }),
  C({ name: 'best', category: 'selection', doc: 'keep the weights with the best validation score; optionally stop early', params: [
    p('metric', oneOf('loss', ...metricNames), 'the validation metric', 'loss'), p('task', union(ref('task'), oneOf('mean')), 'a task, or `mean` over the tasks reporting the metric', 'mean'),
    p('mode', optional(oneOf('max', 'min')), 'higher or lower is better (default: by metric)'), p('patience', optional(int), 'stop after this many evaluations without improvement')] }),
];

export const declarationFields: Record<DeclarationKind, Param[]> = {
  dataset: [
    p('files', union(string, list(string)), 'Arrow IPC files (file or stream format); globs for shards; relative to this program'),
    p('columns', record(ctor('column_type'), 'column'), 'the columns read, with their types'),
    p('split', ctor('split'), 'how rows are split into train/valid/test', 'ratio(train: 0.8, valid: 0.1, test: 0.1, seed: 0)'),
  ],
  features: [
    p('dataset', ref('dataset'), 'the dataset the columns come from'),
    p('transforms', list(ctor('transform')), 'the transforms; their outputs are concatenated in order'),
  ],
  backbone: [],
  task: [
    p('features', ref('features'), 'the model input'),
    p('target', expr, 'the label: a column, or an expression over columns (null means unlabelled)'),
    p('head', ctor('head'), 'the output head'),
    p('loss', optional(ctor('loss')), 'the loss (default: by head)'),
    p('metrics', optional(list(ctor('metric'))), 'validation metrics (default: by head)'),
    p('weight', number, 'static loss weight', '1'),
    p('backbone', optional(backbone), 'a private backbone (for tasks not in a `share`)'),
    p('tower', optional(backbone), 'task-specific layers between the shared part and the head'),
    p('depth', optional(int), 'attach at this layer of the shared backbone (0-based; default: its output)'),
  ],
  share: [],
  train: [
    p('optimizer', ctor('optimizer'), 'the optimizer', 'adam()'),
    p('batch_size', int, 'rows per batch', '256'),
    p('epochs', optional(int), 'passes over the training data (default 1 unless `steps` is given)'),
    p('steps', optional(int), 'training steps (instead of epochs)'),
    p('seed', int, 'seed of initialization, shuffling and sampling', '0'),
    p('sampling', ctor('sampling'), 'which task (dataset) each step trains', 'proportional()'),
    p('weighting', ctor('weighting'), 'how task losses are weighted', 'static()'),
    p('aggregation', ctor('aggregation'), 'how task gradients are combined', 'sum()'),
    p('task_lr', record(number, 'task'), 'learning-rate multiplier per task (its head and tower)', '{}'),
    p('stages', list(ctor('stage')), 'a curriculum (default: all tasks for the whole run)', '[]'),
    p('select', ctor('selection'), 'model selection and early stopping', 'best()'),
    p('eval_every', int, 'evaluate on the validation split every this many epochs', '1'),
    p('shuffle_buffer', int, 'rows in the shuffle buffer', '8192'),
  ],
};

/** Declarations written `kind name = call(...)`: the call's category. */
export const assignedCategory: Partial<Record<DeclarationKind, Category>> = { backbone: 'backbone', share: 'sharing' };

const byKey = new Map(constructors.map((c) => [`${c.category}:${c.name}`, c]));

export function findConstructor(category: Category, name: string): Constructor | undefined {
  return byKey.get(`${category}:${name}`);
}

export function constructorsOf(category: Category): Constructor[] {
  return constructors.filter((c) => c.category === category);
}

export const defaultLoss: Record<string, string> = { binary: 'bce', multiclass: 'ce', multilabel: 'bce', regression: 'mse', tagging: 'ce', span: 'ce', dense: 'ce' };
export const defaultMetrics: Record<string, string[]> = {
  binary: ['auc', 'accuracy', 'logloss'], multiclass: ['accuracy', 'macro_f1', 'logloss'], multilabel: ['auc', 'logloss'],
  regression: ['mse', 'mae'], tagging: ['accuracy', 'macro_f1'], span: ['accuracy'], dense: ['accuracy'],
};
/** Which losses and metrics make sense for each head. */
export const lossesForHead: Record<string, string[]> = {
  binary: ['bce'], multiclass: ['ce'], multilabel: ['bce'], regression: ['mse', 'mae', 'huber'], tagging: ['ce'], span: ['ce'], dense: ['ce'],
};
export const metricsForHead: Record<string, string[]> = {
  binary: ['auc', 'accuracy', 'macro_f1', 'logloss'], multiclass: ['accuracy', 'macro_f1', 'logloss'], multilabel: ['auc', 'logloss', 'accuracy'],
  regression: ['mse', 'mae'], tagging: ['accuracy', 'macro_f1'], span: ['accuracy'], dense: ['accuracy'],
};
