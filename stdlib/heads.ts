/** Heads, with what reaches them, the targets they hold, their units, and the losses and metrics that suit them; losses; metrics. */
import type { ColumnType, HeadKind, HeadPlan, LossKind, MetricKind, Width } from '../job/job.js';
import type { Args } from './args.js';
import { type Entry, type ValueKind, p, valueCount, width } from './signature.js';
import { int, optional } from './types.js';

export type HeadEntry = Entry<{
  /** What must reach it from the backbone. */
  reads: ValueKind;
  /** The target types it holds, and what to write instead; null for a head that reads no target (`objective`). */
  targets: { types: ColumnType[]; help: string } | null;
  /** Its output units (`task`: the task's name, for a class count learned from the training split). */
  units(a: Args, task: string): Width;
  losses: { default: LossKind; allowed: LossKind[] };
  metrics: { default: MetricKind[]; allowed: MetricKind[] };
  /** What else its job plan says, from its arguments (a span head's longest span). */
  plan?(a: Args): Pick<HeadPlan, 'maxLength'>;
  /**
   * What another task may do with its prediction: `readable`, a vector per row another head can read (`reads`);
   * `product`, how a `product` of such predictions is formed, or null where they cannot be multiplied.
   */
  prediction: { readable: boolean; product: string | null };
}>;

/** A class count: two or more. */
const classCount = { ...valueCount, min: 2 };
const learned = (a: Args, task: string): Width => a.optionalNumber('classes') ?? { classes: task };

export const heads = {
  binary: {
    doc: 'one sigmoid unit; target true/false or 0/1', params: [], runs: true, reads: 'vector',
    targets: { types: ['bool', 'int'], help: 'a binary head needs true/false (or 0/1): compare the column, e.g. `target: income == "50000+."`' },
    units: () => 1,
    losses: { default: 'bce', allowed: ['bce'] },
    metrics: { default: ['auc', 'accuracy', 'logloss'], allowed: ['auc', 'accuracy', 'macro_f1', 'logloss'] },
    prediction: { readable: true, product: 'the probabilities multiply: σ(a)·σ(b)·…, its logit log p − log(1 − p)' },
  },
  multiclass: {
    doc: 'softmax over classes; target an integer class id or a string class name', runs: true, reads: 'vector',
    params: [p('classes', optional(int), 'number of classes (default: the distinct target values in the training split)', undefined, classCount)],
    targets: { types: ['int', 'string', 'bool'], help: 'a multiclass head needs a class id (int) or a class name (string)' },
    units: learned,
    losses: { default: 'ce', allowed: ['ce'] },
    metrics: { default: ['accuracy', 'macro_f1', 'logloss'], allowed: ['accuracy', 'macro_f1', 'logloss'] },
    prediction: { readable: true, product: null },
  },
  multilabel: {
    doc: 'independent sigmoid units; target a list of 0/1', runs: true, reads: 'vector',
    params: [p('labels', int, 'number of labels', undefined, valueCount)],
    targets: { types: ['list<int>', 'list<bool>', 'list<float>'], help: 'a multilabel head needs a list of 0/1 per row' },
    units: (a) => a.number('labels'),
    losses: { default: 'bce', allowed: ['bce'] },
    metrics: { default: ['auc', 'logloss'], allowed: ['auc', 'logloss', 'accuracy'] },
    prediction: { readable: true, product: null },
  },
  regression: {
    doc: 'one linear unit; target a number', params: [], runs: true, reads: 'vector',
    targets: { types: ['float', 'int'], help: 'a regression head needs a number; for true/false targets use `binary`, for classes `multiclass`' },
    units: () => 1,
    losses: { default: 'mse', allowed: ['mse', 'mae', 'huber'] },
    metrics: { default: ['mse', 'mae'], allowed: ['mse', 'mae'] },
    prediction: { readable: true, product: 'the values multiply: a·b·…' },
  },
  tagging: {
    doc: 'a class per token; target a list aligned with a token sequence; padding is masked out of its loss and metrics (token accuracy, macro-F1 over tags)', runs: true, reads: 'sequence',
    params: [p('classes', optional(int), 'number of tags (default: from the training split)', undefined, classCount)],
    targets: { types: ['list<string>', 'list<int>'], help: 'a tagging head needs one label per token: a list column aligned with the tokens' },
    units: learned,
    losses: { default: 'ce', allowed: ['ce'] },
    metrics: { default: ['accuracy', 'macro_f1'], allowed: ['accuracy', 'macro_f1'] },
    prediction: { readable: false, product: null },
  },
  span: {
    doc: 'an answer span in a token sequence: two logits per token (start, end) from a dense layer of its own; target a list(int) column [start, end] of 0-based inclusive token positions (a span past the tokens kept by `max_length` of `tokens` leaves the row unlabelled); ce loss: the mean of the start\'s and the end\'s softmax cross-entropy over the row\'s tokens (padding gets no probability); predicts the [start, end] with start ≤ end, at most `max_length` tokens, of the largest start logit + end logit',
    runs: true, reads: 'sequence',
    params: [p('max_length', int, 'the most tokens a predicted span covers', '30', width)],
    targets: { types: ['list<int>'], help: 'a span head needs [start, end] token positions: a list(int) column of two values per row' },
    units: () => 2,
    plan: (a) => ({ maxLength: a.number('max_length') }),
    losses: { default: 'ce', allowed: ['ce'] },
    metrics: { default: ['exact_match', 'token_f1'], allowed: ['exact_match', 'token_f1'] },
    prediction: { readable: false, product: null },
  },
  dense: {
    doc: 'a class per pixel of the input image: a 1×1 convolution of a feature map (`cnn(..., flatten: false)`), upsampled bilinearly to the image when smaller; target a list(int) column of height·width class indices per row, -1 or 255 for an unlabelled pixel',
    runs: true, reads: 'image',
    params: [p('classes', int, 'number of classes (at most 255: 255 marks an unlabelled pixel)', undefined, { min: 2, max: 255 })],
    targets: { types: ['list<int>'], help: 'a dense head needs a class index per pixel: a list(int) column of height·width values per row' },
    units: (a) => a.number('classes'),
    losses: { default: 'ce', allowed: ['ce'] },
    metrics: { default: ['pixel_accuracy', 'mean_iou'], allowed: ['pixel_accuracy', 'mean_iou'] },
    prediction: { readable: false, product: null },
  },
  objective: {
    doc: 'no parameters: its loss is an analytic objective of the point that reaches it (`loss: toy_f1`), with no target; for optimisation benchmarks, over a `point` backbone',
    params: [], runs: true, reads: 'vector',
    targets: null,
    // The toy objectives are functions of (x1, x2); the runtime refuses a head whose input has another width.
    units: () => 2,
    losses: { default: 'toy_f1', allowed: ['toy_f1', 'toy_f2'] },
    metrics: { default: [], allowed: [] },
    prediction: { readable: false, product: null },
  },
} satisfies Record<HeadKind, HeadEntry>;

export type LossEntry = Entry<{}>;
const loss = (doc: string): LossEntry => ({ doc, params: [], runs: true });

export const losses = {
  bce: loss('binary cross-entropy'),
  ce: loss('softmax cross-entropy'),
  mse: loss('mean squared error'),
  mae: loss('mean absolute error'),
  huber: loss('Huber loss (delta 1)'),
  // The two objectives of the toy problem of Liu et al. 2021 (CAGrad, toy.py), also used by Navon et al. 2022 (Nash-MTL).
  toy_f1: loss('the toy problem\'s first objective of (x1, x2) (CAGrad, Liu et al. 2021): c1·(log max(|(−x1 − 7)/2 − tanh(−x2)|, 5e-6) + 6) + c2·(((x1 − 7)² + 0.1·(x2 + 8)²)/10 − 20), c1 = max(tanh(x2/2), 0), c2 = max(tanh(−x2/2), 0)'),
  toy_f2: loss('the toy problem\'s second objective of (x1, x2) (CAGrad, Liu et al. 2021): c1·(log max(|(−x1 + 3)/2 + tanh(−x2) + 2|, 5e-6) + 6) + c2·(((x1 + 7)² + 0.1·(x2 + 8)²)/10 − 20)'),
} satisfies Record<LossKind, LossEntry>;

export type MetricEntry = Entry<{ lowerIsBetter: boolean }>;
const metric = (doc: string, lowerIsBetter: boolean): MetricEntry => ({ doc, params: [], runs: true, lowerIsBetter });

export const metrics = {
  auc: metric('ROC-AUC (exact)', false),
  accuracy: metric('accuracy', false),
  macro_f1: metric('F1 averaged over classes', false),
  logloss: metric('log-loss', true),
  mse: metric('mean squared error', true),
  mae: metric('mean absolute error', true),
  pixel_accuracy: metric('the share of labelled pixels whose most probable class is their label (dense heads)', false),
  mean_iou: metric('intersection over union per class (pixels predicted and labelled c over pixels predicted or labelled c, counted over the whole split), averaged over the classes present in the labels or the predictions (dense heads)', false),
  exact_match: metric('the share of labelled rows whose predicted [start, end] is their label (span heads)', false),
  token_f1: metric('SQuAD\'s token F1 of the predicted span against the label over token positions (2·overlap / (predicted tokens + labelled tokens), 0 without overlap), averaged over the labelled rows (span heads)', false),
} satisfies Record<MetricKind, MetricEntry>;
