/**
 * The declaration kinds and the fields of each block declaration, with types, defaults, limits and docs (a `backbone`
 * or a `share` is one constructor call instead: `assignedCategory`).
 */
import { type Param, p, notNegative, rowCount, epochCount, stepCount, stepsOrNone, seed } from './signature.js';
import { type Category, number, int, string, expr, list, record, ref, ctor, union, optional } from './types.js';

export type DeclarationKind = 'dataset' | 'features' | 'backbone' | 'task' | 'share' | 'train';

const backbone = union(ref('backbone'), ctor('backbone'));

/** How many epochs a run without `epochs`, `steps` or stages trains (the `epochs` field's doc says so). */
export const EPOCHS_WITHOUT_LENGTH = 1;

/**
 * How often a run samples gradient conflicts when `conflicts_every` is not given and the aggregation computes per-task
 * gradients anyway (the cosines then cost one Gram matrix); with `sum()` sampling costs a backward pass per task, so
 * it is off unless asked for.
 */
export const CONFLICTS_EVERY_PER_TASK = 50;

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
    p('target', optional(expr), 'the label: a column, or an expression over columns (null means unlabelled); required except for an `objective` head, which reads none'),
    p('head', ctor('head'), 'the output head'),
    p('loss', optional(ctor('loss')), 'the loss (default: by head)'),
    p('metrics', optional(list(ctor('metric'))), 'validation metrics (default: by head)'),
    p('weight', number, 'static loss weight', '1', notNegative),
    p('backbone', optional(backbone), 'a private backbone (for tasks not in a `share`)'),
    p('tower', optional(backbone), 'task-specific layers between the shared part and the head'),
    p('depth', optional(int), 'attach at this layer of the shared backbone (0-based; default: its output)', undefined, notNegative),
    p('reads', optional(list(ref('task'))), "tasks whose predictions (of the same rows) its head also reads, after what reaches it; gradients flow into them"),
    p('product', optional(list(ref('task'))), "its prediction is the product of these tasks' predictions (all `binary`: probabilities, or all `regression`), with no head parameters of its own; its loss trains them through the product (ESMM)"),
  ],
  share: [],
  train: [
    p('tasks', optional(list(ref('task'))), 'imported tasks to train: the entry file\'s own tasks always train, an imported one only when the entry file names it (here, in a share, or elsewhere in `train`)'),
    p('optimizer', ctor('optimizer'), 'the optimizer', 'adam()'),
    p('batch_size', int, 'rows per batch', '256', rowCount),
    p('epochs', optional(int), `passes over the training data (default ${EPOCHS_WITHOUT_LENGTH} unless \`steps\` is given)`, undefined, epochCount),
    p('steps', optional(int), 'training steps (instead of epochs)', undefined, stepCount),
    p('seed', int, 'seed of initialization, shuffling and sampling', '0', seed),
    p('sampling', ctor('sampling'), 'which task (dataset) each step trains', 'proportional()'),
    p('weighting', ctor('weighting'), 'how task losses are weighted', 'static()'),
    p('aggregation', ctor('aggregation'), 'how task gradients are combined', 'sum()'),
    p('task_lr', record(number, 'task'), 'learning-rate multiplier per task (its head and tower)', '{}', notNegative),
    p('stages', list(ctor('stage')), 'a curriculum (default: all tasks for the whole run)', '[]'),
    p('select', ctor('selection'), 'model selection and early stopping', 'best()'),
    p('accept', optional(ctor('acceptance')), 'an acceptance policy against the single-task baselines (`mtl run --ablate single,shared`, `--require-acceptance`)'),
    p('eval_every', int, 'evaluate on the validation split every this many epochs', '1', epochCount),
    p('conflicts_every', optional(int), `sample the cosine of every pair of task gradients on the shared parameters every this many steps; 0 never (default ${CONFLICTS_EVERY_PER_TASK} when the aggregation computes per-task gradients, 0 with \`sum()\`, where a sampled step costs a backward pass per task)`, undefined, stepsOrNone),
    p('shuffle_buffer', int, 'rows in the shuffle buffer', '8192', rowCount),
  ],
};

/** Declarations written `kind name = call(...)`: the call's category. */
export const assignedCategory: Partial<Record<DeclarationKind, Category>> = { backbone: 'backbone', share: 'sharing' };
